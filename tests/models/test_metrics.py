"""The NumPy metrics equal scikit-learn's and SciPy's definitions (golden checks on random data with ties)."""

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn import metrics as skm

from explainsse.models.metrics import bootstrap_ci, classification_metrics, regression_metrics


@pytest.mark.parametrize("seed", range(5))
def test_classification_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 60)
    proba = np.round(rng.random(60), 1)  # rounding creates ties, the hard case for AUC/AP
    pred = (proba >= 0.5).astype(int)
    got = classification_metrics(y, proba)
    want = {"accuracy": skm.accuracy_score(y, pred), "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
            "mcc": skm.matthews_corrcoef(y, pred), "roc_auc": skm.roc_auc_score(y, proba),
            "pr_auc": skm.average_precision_score(y, proba), "f1": skm.f1_score(y, pred)}
    for name, value in want.items():
        assert got[name] == pytest.approx(value, abs=1e-12), name


def test_classification_metrics_single_class_and_constant_predictions():
    got = classification_metrics([1, 1, 1], [0.9, 0.2, 0.7])
    assert np.isnan(got["roc_auc"]) and np.isnan(got["balanced_accuracy"])
    assert got["accuracy"] == pytest.approx(2 / 3)
    # always answering one class: MCC 0, as scikit-learn defines it
    assert classification_metrics([0, 1, 1, 0], [0.9] * 4)["mcc"] == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_regression_metrics_match_sklearn_and_scipy(seed):
    rng = np.random.default_rng(seed)
    y = np.round(rng.normal(-4, 2, 50), 1)
    p = np.round(y + rng.normal(0, 1, 50), 1)
    got = regression_metrics(y, p)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert got["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))
    assert got["r2"] == pytest.approx(skm.r2_score(y, p))
    assert got["spearman"] == pytest.approx(spearmanr(y, p).statistic)
    assert got["within_1_log"] == pytest.approx(np.mean(np.abs(y - p) <= 1))


def test_bootstrap_interval_contains_the_point_estimate():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)
    proba = np.clip(y * 0.3 + rng.random(100) * 0.7, 0, 1)
    point = classification_metrics(y, proba)
    ci = bootstrap_ci("classification", y, proba, n_boot=300)
    for name in ("accuracy", "mcc", "roc_auc"):
        low, high = ci[name]
        assert low <= point[name] <= high and low < high
