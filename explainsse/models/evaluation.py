"""Leakage-aware evaluation: tuning on training rows only, baselines, y-scrambling, tidy results."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import make_scorer, matthews_corrcoef

from .._config import DEFAULT_N_SCRAMBLE
from ..errors import InputDataError
from .censored import CENSORED_MAE_SCORER, encode_censored
from .factory import make_model, make_search
from .metrics import bootstrap_ci, confusion, task_metrics
from .scoring import baseline_scores, permutation_test
from .splits import SCHEMES, inner_cv, iter_folds
from .targets import DEFAULT_THRESHOLD, make_target

#: Result subset of the rows that have a crystal structure (CIF), next to "all" and "uncensored".
CIF_SUBSET = "cif"

RESULT_COLUMNS = ("family", "task", "scheme", "split", "subset", "fold", "metric", "value",
                  "ci_low", "ci_high")

#: Metric used to pick hyperparameters and to score the y-scrambling control.
SELECTION_METRIC = {"regression": "mae", "classification": "mcc"}


def _scorer(task: str, censoring: str = "floor"):
    if censoring == "aft":
        return CENSORED_MAE_SCORER
    if task == "regression":
        return "neg_mean_absolute_error"
    return make_scorer(matthews_corrcoef)


def check_descriptors(X: pd.DataFrame) -> None:
    """Refuse descriptor tables that cannot be modelled (all-NaN columns, non-numeric data)."""
    empty = [c for c in X.columns if X[c].isna().all()]
    if empty:
        raise InputDataError(
            f"descriptor columns with no value in any row: {empty[:5]}"
            + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
            + "; drop them or supply values"
        )
    non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if non_numeric:
        raise InputDataError(f"descriptor columns are not numeric: {non_numeric[:5]}")


def tune(family: str, task: str, X: pd.DataFrame, y: pd.Series, frame: pd.DataFrame, *,
         random_state: int = 0, n_jobs: int = 1, inner_splits: int = 3, censoring: str = "floor"):
    """Pick hyperparameters by grouped inner CV on (X, y) and refit on all of it.

    Only the rows passed in are seen: call it with training rows only.

    Parameters
    ----------
    family, task : str
    X, y : pandas.DataFrame, pandas.Series
        Training descriptors and targets.
    frame : pandas.DataFrame
        Their dataset rows (chemical systems for the grouped inner CV).
    random_state, n_jobs : int
    inner_splits : int
        Folds of the inner CV.
    censoring : {"floor", "aft"}

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Refitted on all rows given, with the selected parameters.
    best_params : dict
    inner_score : float
        Mean inner-CV score of the selected parameters (MAE for regression, lower is better;
        MCC for classification).
    """
    model = make_model(family, task, random_state=random_state, n_jobs=n_jobs, censoring=censoring)
    search = make_search(family, task, model, scoring=_scorer(task, censoring), n_jobs=n_jobs,
                         cv=inner_cv(frame, task, y, n_splits=inner_splits, random_state=random_state),
                         random_state=random_state)
    search.fit(X, y)
    score = float(search.best_score_)
    if task == "regression":
        score = -score  # scikit-learn maximizes negative MAE; report the MAE itself
    return search.best_estimator_, dict(search.best_params_), score


def _score(model, task: str, X) -> np.ndarray:
    if task == "regression":
        return np.asarray(model.predict(X), float)
    return np.asarray(model.predict_proba(X)[:, 1], float)


@dataclass
class Evaluation:
    """Outcome of :func:`evaluate`.

    Attributes
    ----------
    results : pandas.DataFrame
        Tidy table with :data:`RESULT_COLUMNS` (model, baseline and control rows).
    predictions : pandas.DataFrame
        Out-of-fold (or test) predictions: ``row, id, fold, y_true, y_pred, baseline, censored``
        (``y_pred`` is predicted log10 sigma or the probability of the superionic class).
    params : dict
        fold -> selected hyperparameters.
    confusion : dict
        Confusion matrix (classification) of the pooled predictions.
    scramble : dict
        y-scrambling control: real score, scrambled scores and the empirical p-value.
    """

    family: str
    task: str
    scheme: str
    threshold: float
    results: pd.DataFrame
    predictions: pd.DataFrame
    params: dict = field(default_factory=dict)
    confusion: dict = field(default_factory=dict)
    scramble: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON form: scheme, threshold, selected hyperparameters, confusion, y-scrambling, results."""
        return {"family": self.family, "task": self.task, "scheme": self.scheme,
                "scheme_description": SCHEMES[self.scheme].description, "threshold_S_cm": self.threshold,
                "params": self.params, "confusion": self.confusion, "y_scramble": self.scramble,
                "results": self.results.to_dict("records")}

    def metric(self, name: str, family: str | None = None, subset: str = "all") -> float:
        """Pooled value of one metric (``family`` defaults to the evaluated family)."""
        r = self.results
        sel = r[(r["family"] == (family or self.family)) & (r["metric"] == name)
                & (r["fold"] == "all") & (r["subset"] == subset)]
        return float(sel["value"].iloc[0]) if len(sel) else float("nan")


def _rows(family, task, scheme, split, subset, fold, metrics, cis=None):
    cis = cis or {}
    return [(family, task, scheme, split, subset, fold, m, v, *cis.get(m, (np.nan, np.nan)))
            for m, v in metrics.items()]


def evaluate(frame: pd.DataFrame, X: pd.DataFrame, family: str, task: str, scheme: str = "official", *,
             threshold: float = DEFAULT_THRESHOLD, n_boot: int = 500, n_scramble: int = DEFAULT_N_SCRAMBLE,
             random_state: int = 0, n_jobs: int = 1, n_splits: int = 5, censoring: str = "floor",
             params: dict | None = None, progress=None) -> Evaluation:
    """Tune, fit and score one family on one task under one validation scheme.

    Hyperparameters are chosen by inner CV grouped by chemical system on each training part
    only (nested CV for the CV schemes); the official test split is predicted once.

    Parameters
    ----------
    frame : pandas.DataFrame
        Normalized dataset frame (targets, ids, split, composition, doi, family).
    X : pandas.DataFrame
        Descriptors, same index as ``frame``.
    family, task, scheme : str
        See :func:`~explainsse.models.make_model` and :data:`~explainsse.models.splits.SCHEMES`.
    threshold : float
        Superionic threshold (S/cm) for classification.
    n_boot : int
        Bootstrap resamples for the 95% confidence intervals of pooled metrics.
    n_scramble : int
        y-scrambling repeats (refits on permuted training targets with the selected
        hyperparameters); 0 disables the control.
    censoring : {"floor", "aft"}
        ``aft`` trains xgb regression on upper bounds as bounds (censoring-aware); results are
        labelled family ``xgb-aft`` and scored exactly like the default, for comparison.
    params : dict, optional
        Pipeline parameters (``model__...``) tuned once already (e.g. by another scheme's inner
        CV on the same training rows): every fold is fitted with them, nothing is tuned. Used by
        the extra schemes of a benchmark, so random, grouped and cluster-out scores differ only
        in their folds.
    progress : callable, optional
        Called with a short text after each fold.

    Returns
    -------
    Evaluation
    """
    if not X.index.equals(frame.index):
        raise InputDataError("descriptor rows do not match the dataset rows (index differs)")
    check_descriptors(X)
    y = make_target(frame, task, threshold)
    y_fit = y
    label = family
    if censoring == "aft":
        y_fit, label = encode_censored(frame), f"{family}-aft"
    if len(y) < 10:
        raise InputDataError(f"only {len(y)} rows: too few to validate a model")
    fixed = params
    preds, params, fold_rows = [], {}, []
    scheme_split = "test" if scheme == "official" else "cv"
    folds = list(iter_folds(scheme, frame, y.to_numpy(), task=task, n_splits=n_splits,
                            random_state=random_state))
    for fold, tr, te in folds:
        ytr = y.iloc[tr]
        if task == "classification" and ytr.nunique() < 2:
            raise InputDataError(f"fold {fold} of scheme {scheme!r} has a single class in training")
        if fixed is None:
            model, best, _ = tune(family, task, X.iloc[tr], y_fit.iloc[tr], frame.iloc[tr],
                                  random_state=random_state, n_jobs=n_jobs, censoring=censoring)
        else:
            model = make_model(family, task, random_state=random_state, n_jobs=n_jobs,
                               censoring=censoring).set_params(**fixed).fit(X.iloc[tr], y_fit.iloc[tr])
            best = dict(fixed)
        params[fold] = best
        score = _score(model, task, X.iloc[te])
        base_score = baseline_scores(task, ytr, len(te))
        preds.append(pd.DataFrame({
            "row": frame.index[te], "id": frame["id"].iloc[te].to_numpy(), "fold": fold,
            "y_true": y.iloc[te].to_numpy(), "y_pred": score, "baseline": base_score,
            "censored": frame["censored"].iloc[te].to_numpy(),
            "bound_log10": np.log10(frame["sigma_bound_S_cm"].iloc[te].to_numpy()),
            "has_cif": (frame["has_cif"].iloc[te].astype(bool).to_numpy() if "has_cif" in frame
                        else np.zeros(len(te), bool)),
        }))
        if scheme != "official" and len(te) >= 5 and scheme != "loo":
            fold_rows += _rows(label, task, scheme, scheme_split, "all", fold,
                               task_metrics(task, y.iloc[te], score))
        if progress:
            progress(f"{label}/{task}/{scheme} fold {fold}")
    pred = pd.concat(preds, ignore_index=True)
    rows = _pooled_rows(label, task, scheme, scheme_split, pred, n_boot, random_state) + fold_rows
    conf = confusion(pred["y_true"], pred["y_pred"]) if task == "classification" else {}
    scramble = {}
    if n_scramble > 0:
        scramble = _y_scramble(family, task, X, y_fit, folds, params, pred, n_scramble, random_state,
                               n_jobs, censoring,
                               progress=progress and (lambda i: progress(
                                   f"{label}/{task}/{scheme} y-scrambling refit {i} of {n_scramble} "
                                   f"({len(folds)} fits each)")))
        rows += _rows(label, task, scheme, scheme_split, "all", "all",
                      {"y_scramble_p_value": scramble["p_value"],
                       f"y_scramble_mean_{SELECTION_METRIC[task]}": float(np.mean(scramble["scores"]))})
    results = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    return Evaluation(label, task, scheme, threshold, results, pred, params, conf, scramble)


def _pooled_rows(family, task, scheme, split, pred, n_boot, random_state):
    rows = []
    subsets = {"all": pred}
    if task == "regression" and pred["censored"].any():
        subsets["uncensored"] = pred[~pred["censored"]]
    if "has_cif" in pred and pred["has_cif"].any() and not pred["has_cif"].all():
        subsets[CIF_SUBSET] = pred[pred["has_cif"].astype(bool)]  # rows whose structure is known
    baseline_name = "baseline-median" if task == "regression" else "baseline-majority"
    for subset, part in subsets.items():
        for name, col in ((family, "y_pred"), (baseline_name, "baseline")):
            if task == "classification" and name == baseline_name:
                score = (part[col] >= 0.5).astype(float)  # majority class, as a hard label
            else:
                score = part[col]
            metrics = task_metrics(task, part["y_true"], score)
            cis = bootstrap_ci(task, part["y_true"], score, n_boot=n_boot,
                               random_state=random_state) if n_boot else {}
            rows += _rows(name, task, scheme, split, subset, "all", metrics, cis)
    if task == "regression" and pred["censored"].any():
        cens = pred[pred["censored"]]
        below = float(np.mean(cens["y_pred"] < cens["bound_log10"]))
        rows += _rows(family, task, scheme, split, "censored", "all",
                      {"share_predicted_below_bound": below, "n_censored": float(len(cens))})
    rows += _rows(family, task, scheme, split, "all", "all", {"n": float(len(pred))})
    return rows


def _y_scramble(family, task, X, y, folds, params, pred, n_scramble, random_state, n_jobs,
                censoring="floor", progress=None):
    """Refit on permuted training targets (selected hyperparameters) and score like the real model.

    ``progress(i)`` is called after the i-th permutation (each is one refit per fold).
    """
    metric = SELECTION_METRIC[task]
    real = task_metrics(task, pred["y_true"], pred["y_pred"])[metric]
    rng = np.random.default_rng(random_state)
    scores = []
    for _ in range(n_scramble):
        parts = []
        for fold, tr, te in folds:
            ytr = y.iloc[tr].to_numpy()
            permuted = rng.permutation(ytr)
            model = make_model(family, task, random_state=random_state, n_jobs=n_jobs,
                               censoring=censoring)
            model.set_params(**params[fold]).fit(X.iloc[tr], permuted)
            parts.append((pred.loc[pred["fold"] == fold, "y_true"].to_numpy(),
                          _score(model, task, X.iloc[te])))
        y_true = np.concatenate([p[0] for p in parts])
        y_score = np.concatenate([p[1] for p in parts])
        scores.append(task_metrics(task, y_true, y_score)[metric])
        if progress:
            progress(len(scores))
    return permutation_test(real, scores, metric=metric, kind="training targets permuted, model refitted with "
                            "the selected hyperparameters")


__all__ = ["Evaluation", "RESULT_COLUMNS", "SCHEMES", "check_descriptors", "evaluate", "tune"]
