"""Stability of explanations across CV folds and bootstrap refits.

The 95% interval of a descriptor's mean |SHAP| is a bootstrap interval *centred on the full fit*
(:data:`INTERVAL_METHOD`): the spread of the refits (2.5th and 97.5th percentiles) is shifted so
that the refits' median sits on the full-fit value. Refits see fewer rows and are explained on
rows they did not see, so their mean |SHAP| is systematically smaller; a plain percentile
interval of the refits would often exclude the full-fit estimate reported beside it.
"""

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

#: How the importance interval is built, in words (for table headers).
INTERVAL_METHOD = ("95% interval: spread of the refits (grouped-CV folds and bootstraps, 2.5-97.5 percentiles) "
                   "centred on the full-fit value")


def centred_interval(point: pd.Series, runs: pd.DataFrame, *, level: float = 0.95,
                     floor: float | None = 0.0) -> pd.DataFrame:
    """Percentile interval of ``runs`` shifted so that their median sits on ``point``.

    The interval always contains ``point`` (the median lies between the percentiles).

    Parameters
    ----------
    point : pandas.Series
        Full-fit estimate per column of ``runs``.
    runs : pandas.DataFrame
        One row per refit, one column per quantity.
    level : float
        Coverage of the percentile interval.
    floor : float or None
        Lowest possible value (0 for a mean |SHAP|); the interval is clipped there.

    Returns
    -------
    pandas.DataFrame
        ``ci_low, ci_high`` per column.

    Examples
    --------
    >>> runs = pd.DataFrame({"a": [0.1, 0.2, 0.3]})
    >>> centred_interval(pd.Series({"a": 0.5}), runs, level=1.0).round(3).to_dict("records")
    [{'ci_low': 0.4, 'ci_high': 0.6}]
    """
    alpha = (1 - level) / 2
    median = runs.median()
    low = point + (runs.quantile(alpha) - median)
    high = point + (runs.quantile(1 - alpha) - median)
    if floor is not None:
        low, high = low.clip(lower=floor), high.clip(lower=floor)
    return pd.DataFrame({"ci_low": low, "ci_high": high})


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
        ``importance`` (descriptor -> ``mean_abs_shap`` of the full fit on its training rows, its
        95% interval ``ci_low, ci_high`` centred on it (:func:`centred_interval`), the refits'
        ``refit_median`` and ``refit_mean``, rank (by the refits' mean), share of runs in the top-k, unstable flag), ``rank_stability``
        (mean pairwise Spearman between runs), ``top_k_jaccard`` (mean pairwise Jaccard of the
        top-k sets), ``runs``, ``top_k``, ``scheme``, ``n_bootstrap`` and ``interval``
        (:data:`INTERVAL_METHOD`).
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
    full = explain(model, X, X).global_importance()["mean_abs_shap"].reindex(X.columns).fillna(0.0)
    ranks = M.rank(axis=1, ascending=False)
    mean = M.mean()  # the refits' consensus orders the runs' top-k sets (rank, unstable)
    order = mean.sort_values(ascending=False)
    in_top = (ranks <= top_k).mean()
    overall_top = set(order.index[:top_k])
    pairs = list(itertools.combinations(range(len(M)), 2))
    rhos = [spearmanr(M.iloc[i], M.iloc[j]).statistic for i, j in pairs
            if M.iloc[i].nunique() > 1 and M.iloc[j].nunique() > 1]
    rank_stab = float(np.mean(rhos)) if rhos else np.nan
    tops = [set(M.iloc[i].sort_values(ascending=False).index[:top_k]) for i in range(len(M))]
    jaccard = float(np.mean([len(tops[i] & tops[j]) / len(tops[i] | tops[j]) for i, j in pairs])) if pairs else np.nan
    interval = centred_interval(full, M)
    importance = pd.DataFrame({
        "mean_abs_shap": full, "ci_low": interval["ci_low"], "ci_high": interval["ci_high"],
        "refit_median": M.median(), "refit_mean": mean, "rank": mean.rank(ascending=False, method="min").astype(int),
        "share_runs_in_top_k": in_top,
    }).loc[order.index]
    importance["unstable"] = [d in overall_top and in_top[d] < 0.5 for d in importance.index]
    return {"importance": importance, "rank_stability": rank_stab, "top_k_jaccard": jaccard,
            "runs": len(M), "top_k": top_k, "scheme": scheme, "n_bootstrap": n_bootstrap,
            "interval": INTERVAL_METHOD}
