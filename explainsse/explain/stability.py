"""Stability of explanations across CV folds and bootstrap refits."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ..models import make_model, make_target
from ..models.censored import encode_censored
from ..models.splits import iter_folds
from ..models.train import TrainedModel
from .explainers import explain


def explanation_stability(model: TrainedModel, frame: pd.DataFrame, X: pd.DataFrame, *,
                          scheme: str = "group-chemsys", n_bootstrap: int = 5, top_k: int = 10,
                          random_state: int = 0, n_jobs: int = 1) -> dict:
    """Refit ``model``'s pipeline (same hyperparameters) on CV folds and bootstrap resamples.

    Each refit is explained on the rows it did not see (the held-out fold; out-of-bag rows for
    bootstraps), giving one global-importance vector per run.

    Parameters
    ----------
    model : TrainedModel
        Fitted model whose pipeline (and hyperparameters) is refitted.
    frame, X : pandas.DataFrame
        The model's training rows and descriptors.
    scheme : str
        Validation scheme whose folds give the refits.
    n_bootstrap : int
        Bootstrap refits added to the fold refits.
    top_k : int
        Size of the top-descriptor sets compared between runs.
    random_state, n_jobs : int

    Returns
    -------
    dict
        ``importance`` (descriptor -> mean, ci_low, ci_high of mean |SHAP| over runs, rank, share of
        runs in the top-k, unstable flag), ``rank_stability`` (mean pairwise Spearman between runs),
        ``top_k_jaccard`` (mean pairwise Jaccard of the top-k sets), ``runs``, ``top_k``, ``scheme``
        and ``n_bootstrap``.
    """
    X = model.align(X)
    y = make_target(frame, model.task, model.threshold)
    if model.censoring == "aft":
        y = encode_censored(frame)
    rng = np.random.default_rng(random_state)
    runs = []

    def refit(rows):
        pipe = make_model(model.family, model.task, random_state=random_state, n_jobs=n_jobs,
                          censoring=model.censoring).set_params(**model.params)
        pipe.fit(X.iloc[rows], y.iloc[rows])
        return TrainedModel(pipe, model.family, model.task, model.preset, model.feature_names,
                            model.threshold, model.params, censoring=model.censoring)

    target = make_target(frame, model.task, model.threshold).to_numpy()
    for fold, train, test in iter_folds(scheme, frame, target, task=model.task, random_state=random_state):
        table = explain(refit(train), X.iloc[test], X.iloc[train], ids=frame["id"].iloc[test],
                        formulas=frame["formula"].iloc[test], fold=fold)
        runs.append(table.global_importance()["mean_abs_shap"])
    n = len(X)
    for b in range(n_bootstrap):
        rows = rng.integers(0, n, n)
        oob = np.setdiff1d(np.arange(n), rows)
        if len(oob) == 0 or (model.task == "classification" and len(set(target[rows])) < 2):
            continue
        table = explain(refit(rows), X.iloc[oob], X.iloc[rows], fold=f"bootstrap{b}")
        runs.append(table.global_importance()["mean_abs_shap"])
    M = pd.DataFrame(runs).fillna(0.0)[X.columns]
    ranks = M.rank(axis=1, ascending=False)
    mean = M.mean()
    order = mean.sort_values(ascending=False)
    in_top = (ranks <= top_k).mean()
    overall_top = set(order.index[:top_k])
    pairs = list(itertools.combinations(range(len(M)), 2))
    rhos = [spearmanr(M.iloc[i], M.iloc[j]).statistic for i, j in pairs
            if M.iloc[i].nunique() > 1 and M.iloc[j].nunique() > 1]
    rank_stab = float(np.mean(rhos)) if rhos else np.nan
    tops = [set(M.iloc[i].sort_values(ascending=False).index[:top_k]) for i in range(len(M))]
    jaccard = float(np.mean([len(tops[i] & tops[j]) / len(tops[i] | tops[j]) for i, j in pairs])) if pairs else np.nan
    importance = pd.DataFrame({
        "mean_abs_shap": mean, "ci_low": M.quantile(0.025), "ci_high": M.quantile(0.975),
        "rank": mean.rank(ascending=False, method="min").astype(int), "share_runs_in_top_k": in_top,
    }).loc[order.index]
    importance["unstable"] = [d in overall_top and in_top[d] < 0.5 for d in importance.index]
    return {"importance": importance, "rank_stability": rank_stab, "top_k_jaccard": jaccard,
            "runs": len(M), "top_k": top_k, "scheme": scheme, "n_bootstrap": n_bootstrap}
