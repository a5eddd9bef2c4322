"""Calibrated uncertainty: conformal coverage on data with a known noise model, Venn-Abers, storage."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from explainsse.models.uncertainty import (
    Calibration,
    NeighbourSpace,
    distance_difficulty,
    expected_calibration_error,
)


def _binomial_band(n, level, alpha=0.001):
    """Coverage counts that a valid level-``level`` interval gives with probability 1 - alpha."""
    return binom.ppf(alpha / 2, n, level) / n, binom.ppf(1 - alpha / 2, n, level) / n


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_conformal_intervals_cover_at_their_level_with_known_noise(level):
    rng = np.random.default_rng(0)
    n_cal, n_test = 1000, 4000
    # heteroscedastic noise: sd grows with x, and the difficulty estimate knows it (up to a constant)
    x = rng.uniform(0, 1, n_cal + n_test)
    sd = 0.2 + 2.0 * x
    y = 3.0 * x + rng.normal(0, sd)
    y_hat = 3.0 * x
    sig = 0.05 + x
    cal = Calibration("regression", cal_residuals=(y - y_hat)[:n_cal].tolist(), cal_sigmas=sig[:n_cal].tolist())
    iv = cal.intervals(y_hat[n_cal:], sig[n_cal:], [level])[level]
    covered = np.mean((y[n_cal:] >= iv[:, 0]) & (y[n_cal:] <= iv[:, 1]))
    low, high = _binomial_band(n_test, level)
    assert low - 0.02 <= covered <= high + 0.02  # + the spread of the calibration quantile itself
    assert np.all(iv[:, 0] <= y_hat[n_cal:]) and np.all(y_hat[n_cal:] <= iv[:, 1])
    # normalized: wider where the noise is larger
    assert (iv[:, 1] - iv[:, 0])[x[n_cal:] > 0.8].mean() > 3 * (iv[:, 1] - iv[:, 0])[x[n_cal:] < 0.2].mean()


def test_venn_abers_probability_is_calibrated_and_sets_cover():
    rng = np.random.default_rng(1)
    n = 3000
    raw = rng.uniform(0, 1, n)
    true_p = raw**2  # an over-confident model: its 0.5 means 0.25
    y = (rng.uniform(0, 1, n) < true_p).astype(int)
    cal = Calibration("classification", cal_scores=raw[:1500].tolist(), cal_labels=y[:1500].tolist(),
                      cal_alphas=(1 - np.where(y[:1500] == 1, raw[:1500], 1 - raw[:1500])).tolist())
    p = cal.probability(raw[1500:])
    assert expected_calibration_error(y[1500:], p) < 0.05 < expected_calibration_error(y[1500:], raw[1500:])
    p0, p1 = cal.venn_abers(raw[1500:])
    assert np.all(p0 <= p + 1e-12) and np.all(p <= p1 + 1e-12)
    sets = cal.prediction_sets(raw[1500:], 0.9)
    hit = np.mean([("superionic" if t else "not superionic") in s for t, s in zip(y[1500:], sets)])
    assert hit >= 0.9 - 0.03


def test_calibration_round_trips_through_json_and_refuses_unknown_keys():
    cal = Calibration("regression", cal_residuals=[0.1, -0.2], cal_sigmas=[1.0, 1.0], summary={"n": 2})
    back = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert back == cal
    with pytest.raises(Exception, match="unknown keys"):
        Calibration.from_dict({**cal.to_dict(), "pickle": "x"})


def test_difficulty_grows_with_distance_to_training():
    X = pd.DataFrame({"a": np.linspace(0, 1, 50), "b": np.linspace(1, 2, 50)})
    space = NeighbourSpace(X)
    far = pd.DataFrame({"a": [0.5, 3.0], "b": [1.5, 6.0]})
    d = distance_difficulty(space, far, k=1, beta=0.05, scale=1.0)
    assert d[0] < 0.2 < d[1]
