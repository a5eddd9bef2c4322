"""Metrics with bootstrap confidence intervals, for both tasks."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import confusion_matrix

#: Metrics where lower is better (everything else: higher is better).
LOWER_IS_BETTER = {"mae", "rmse"}


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as for Spearman and ROC AUC."""
    return rankdata(x, method="average")


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """MAE, RMSE, R2, Spearman rho and the fraction within one log unit (log10 sigma).

    Plain NumPy (the bootstrap calls this thousands of times); equal to scikit-learn's and
    SciPy's definitions, which a test checks.
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    err = y_pred - y_true
    n = len(y_true)
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2)) if n else 0.0
    r2 = 1.0 - float(np.sum(err**2)) / ss_tot if n > 1 and ss_tot > 0 else np.nan
    rho = np.nan
    if n > 2:
        rt, rp = _ranks(y_true), _ranks(y_pred)
        if rt.std() > 0 and rp.std() > 0:
            rho = float(np.corrcoef(rt, rp)[0, 1])
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": float(r2),
        "spearman": float(rho),
        "within_1_log": float(np.mean(np.abs(err) <= 1.0)),
    }


def _roc_auc(y_true: np.ndarray, proba: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count one half)."""
    pos = y_true == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    ranks = _ranks(proba)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_precision(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Average precision, sum over thresholds of (R_k - R_{k-1}) P_k (scikit-learn's definition)."""
    order = np.argsort(-proba, kind="mergesort")
    score, hit = proba[order], y_true[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]  # last index of each distinct score
    tps = np.cumsum(hit)[last]
    fps = (last + 1) - tps
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def classification_metrics(y_true, proba, cutoff: float = 0.5) -> dict[str, float]:
    """Accuracy, balanced accuracy, MCC, ROC AUC, PR AUC and F1 from positive-class probabilities.

    Plain NumPy (the bootstrap calls this thousands of times); equal to scikit-learn's
    definitions, which a test checks. Metrics that need both classes are NaN otherwise.
    """
    y_true, proba = np.asarray(y_true, int), np.asarray(proba, float)
    pred = (proba >= cutoff).astype(int)
    tp = int(np.sum((pred == 1) & (y_true == 1)))
    tn = int(np.sum((pred == 0) & (y_true == 0)))
    fp = int(np.sum((pred == 1) & (y_true == 0)))
    fn = int(np.sum((pred == 0) & (y_true == 1)))
    n = tp + tn + fp + fn
    both = (tp + fn) > 0 and (tn + fp) > 0
    denom = np.sqrt(float(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {
        "accuracy": (tp + tn) / n if n else np.nan,
        "balanced_accuracy": 0.5 * (tp / (tp + fn) + tn / (tn + fp)) if both else np.nan,
        "mcc": float((tp * tn - fp * fn) / denom) if denom > 0 else 0.0,
        "roc_auc": _roc_auc(y_true, proba) if both else np.nan,
        "pr_auc": _average_precision(y_true, proba) if both else np.nan,
        "f1": 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0,
    }


def confusion(y_true, proba, cutoff: float = 0.5) -> dict[str, int]:
    """Confusion matrix as ``tn, fp, fn, tp``."""
    tn, fp, fn, tp = confusion_matrix(np.asarray(y_true, int), (np.asarray(proba) >= cutoff).astype(int),
                                      labels=[0, 1]).ravel()
    return {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)}


def task_metrics(task: str, y_true, y_score) -> dict[str, float]:
    """Dispatch to :func:`regression_metrics` or :func:`classification_metrics`."""
    if task == "regression":
        return regression_metrics(y_true, y_score)
    return classification_metrics(y_true, y_score)


def bootstrap_ci(task: str, y_true, y_score, *, n_boot: int = 1000, random_state: int = 0,
                 level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap confidence intervals of every metric (resampling rows).

    Returns
    -------
    dict
        metric -> (low, high); NaN where a resample was degenerate for that metric.
    """
    y_true, y_score = np.asarray(y_true), np.asarray(y_score, float)
    rng = np.random.default_rng(random_state)
    n = len(y_true)
    draws: dict[str, list[float]] = {}
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        for name, value in task_metrics(task, y_true[idx], y_score[idx]).items():
            draws.setdefault(name, []).append(value)
    alpha = (1 - level) / 2
    out = {}
    for name, values in draws.items():
        arr = np.asarray(values, float)
        arr = arr[np.isfinite(arr)]
        out[name] = ((float(np.quantile(arr, alpha)), float(np.quantile(arr, 1 - alpha)))
                     if len(arr) else (np.nan, np.nan))
    return out
