"""Metrics with bootstrap confidence intervals, for both tasks."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    matthews_corrcoef,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)

REGRESSION_METRICS = ("mae", "rmse", "r2", "spearman", "within_1_log")
CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "mcc", "roc_auc", "pr_auc", "f1")
#: Metrics where lower is better (everything else: higher is better).
LOWER_IS_BETTER = {"mae", "rmse"}


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """MAE, RMSE, R2, Spearman rho and the fraction within one log unit (log10 sigma)."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    err = y_pred - y_true
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rho = spearmanr(y_true, y_pred).statistic if len(y_true) > 2 else np.nan
        r2 = r2_score(y_true, y_pred) if len(y_true) > 1 else np.nan
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": float(r2),
        "spearman": float(rho),
        "within_1_log": float(np.mean(np.abs(err) <= 1.0)),
    }


def classification_metrics(y_true, proba, cutoff: float = 0.5) -> dict[str, float]:
    """Accuracy, balanced accuracy, MCC, ROC AUC, PR AUC and F1 from positive-class probabilities."""
    y_true, proba = np.asarray(y_true, int), np.asarray(proba, float)
    pred = (proba >= cutoff).astype(int)
    both = len(np.unique(y_true)) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "accuracy": float(accuracy_score(y_true, pred)),
            "balanced_accuracy": float(balanced_accuracy_score(y_true, pred)) if both else np.nan,
            "mcc": float(matthews_corrcoef(y_true, pred)),
            "roc_auc": float(roc_auc_score(y_true, proba)) if both else np.nan,
            "pr_auc": float(average_precision_score(y_true, proba)) if both else np.nan,
            "f1": float(f1_score(y_true, pred, zero_division=0)),
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
