"""Scoring one set of NASICON predictions: metrics with CIs, baseline, calibration, permutation test, verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..models.metrics import bootstrap_ci, classification_metrics, confusion
from ..models.scoring import majority_baseline, permutation_test, verdict

#: Metrics shown for every evaluation (bootstrap CIs for each).
METRICS = ("accuracy", "balanced_accuracy", "mcc", "roc_auc", "f1")
#: The permutation test and the verdict use this metric (robust to class imbalance).
PERMUTATION_METRIC = "mcc"


@dataclass
class NasiconEvaluation:
    """One scored evaluation (a protocol direction or a CV scheme)."""

    name: str
    description: str
    n: int
    n_positive: int
    metrics: dict
    ci: dict
    baseline: dict
    confusion: dict
    calibration: dict
    permutation: dict
    verdict: dict
    score_kind: str
    spread: dict = field(default_factory=dict)
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)


def _calibration(y: np.ndarray, score: np.ndarray, kind: str) -> dict:
    if kind != "probability" or len(np.unique(y)) < 2:
        return {}
    # heavy: scikit-learn loads only when a model is built or scored
    from sklearn.calibration import calibration_curve

    bins = int(min(5, max(2, len(y) // 10)))
    frac, mean = calibration_curve(y, score, n_bins=bins, strategy="quantile")
    return {"mean_predicted": mean.tolist(), "fraction_positive": frac.tolist(), "n_bins": bins,
            "brier": float(np.mean((score - y) ** 2))}


def score_predictions(name: str, description: str, y: pd.Series, score: np.ndarray, kind: str, *,
                      train_majority: int, permutation: dict | None = None, n_boot: int = 500,
                      random_state: int = 0, meta: pd.DataFrame | None = None, spread: dict | None = None
                      ) -> NasiconEvaluation:
    """Metrics, CIs, baseline, calibration and verdict for one set of predictions."""
    y_arr = np.asarray(y, int)
    score = np.asarray(score, float)
    metrics = classification_metrics(y_arr, score)
    metrics = {m: metrics[m] for m in METRICS}
    ci = {m: v for m, v in bootstrap_ci("classification", y_arr, score, n_boot=n_boot,
                                        random_state=random_state).items() if m in METRICS} if n_boot else {}
    base = majority_baseline(y_arr, train_majority)
    if permutation is None:
        permutation = label_permutation_test(y_arr, score, random_state=random_state)
    predicted = (score >= 0.5).astype(int)
    preds = pd.DataFrame({"y_true": y_arr, "score": score, "predicted": predicted}, index=y.index)
    if meta is not None:
        preds = meta.loc[y.index].join(preds)
    return NasiconEvaluation(name, description, len(y_arr), int(y_arr.sum()), metrics, ci, base,
                             confusion(y_arr, score), _calibration(y_arr, score, kind), permutation,
                             verdict(metrics, ci, base, permutation, float(predicted.mean())), kind,
                             spread or {}, preds)


def label_permutation_test(y: np.ndarray, score: np.ndarray, *, n_permutations: int = 999,
                           random_state: int = 0) -> dict:
    """p-value of MCC for fixed predictions against permuted true labels (no refit)."""
    rng = np.random.default_rng(random_state)
    real = classification_metrics(y, score)[PERMUTATION_METRIC]
    null = [classification_metrics(rng.permutation(y), score)[PERMUTATION_METRIC] for _ in range(n_permutations)]
    return _permutation_result("true labels permuted against fixed predictions", real, null)


def _permutation_result(kind: str, real: float, null) -> dict:
    """The permutation-test record of :data:`PERMUTATION_METRIC` (see :func:`~explainsse.models.scoring.permutation_test`)."""
    return permutation_test(real, null, metric=PERMUTATION_METRIC, kind=kind)
