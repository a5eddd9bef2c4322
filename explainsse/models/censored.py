"""Censoring-aware regression: XGBoost's accelerated failure time (AFT) objective.

Conductivities reported as upper bounds (``<1E-10``) are *left-censored*: the true value lies
anywhere below the bound. The default models train on an invented floor value (1e-15 S/cm,
as the OBELiX benchmark does). :class:`XGBAFTRegressor` instead trains on the interval
``(0, bound]`` for those rows and on the exact value for the others, with XGBoost's
``survival:aft`` objective (normal errors on ln sigma).

Inside scikit-learn (pipelines, grid search) the bound travels in the target itself: a
censored row's target is ``log10(bound) - CENSOR_OFFSET`` (see :func:`encode_censored`), which
no real log10 conductivity can reach; :func:`decode_censored` undoes it. Use these encoded
targets only with this module's estimator and scorer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import make_scorer
from sklearn.utils.validation import check_is_fitted, validate_data

#: Offset marking censored targets (log10 units); any encoded value below -CENSOR_OFFSET / 2 is censored.
CENSOR_OFFSET = 1000.0


def encode_censored(frame: pd.DataFrame) -> pd.Series:
    """Targets for :class:`XGBAFTRegressor`: log10 sigma, or ``log10(bound) - CENSOR_OFFSET``."""
    y = frame["log10_sigma"].astype(float).copy()
    cens = frame["censored"].to_numpy(bool)
    y[cens] = np.log10(frame.loc[cens, "sigma_bound_S_cm"].astype(float)) - CENSOR_OFFSET
    return y.rename("log10_sigma_or_bound")


def decode_censored(y) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(value_or_bound, censored)`` from encoded targets."""
    y = np.asarray(y, float)
    censored = y < -CENSOR_OFFSET / 2
    return np.where(censored, y + CENSOR_OFFSET, y), censored


def censored_mae(y_encoded, y_pred) -> float:
    """MAE that scores a censored row only when the prediction lies above its bound."""
    value, censored = decode_censored(y_encoded)
    err = np.abs(np.asarray(y_pred, float) - value)
    err[censored] = np.maximum(0.0, np.asarray(y_pred, float)[censored] - value[censored])
    return float(err.mean())


#: Grid-search scorer for encoded targets (higher is better).
CENSORED_MAE_SCORER = make_scorer(censored_mae, greater_is_better=False)


class XGBAFTRegressor(RegressorMixin, BaseEstimator):
    """XGBoost AFT regressor of log10 conductivity that uses upper bounds as bounds.

    Parameters
    ----------
    n_estimators, learning_rate, max_depth, min_child_weight, subsample, colsample_bytree
        As in :class:`xgboost.XGBRegressor`.
    aft_sigma : float, default 1.0
        Scale of the normal error on ln sigma.
    max_bin : int, default 64
        Histogram bins, as in the xgb family.
    random_state : int, default 0
    n_jobs : int, default 1

    Notes
    -----
    ``fit`` takes encoded targets (:func:`encode_censored`); plain log10 values (no censored
    rows) work too. ``predict`` returns log10 sigma.
    """

    def __init__(self, n_estimators=400, learning_rate=0.05, max_depth=5, min_child_weight=1,
                 subsample=0.8, colsample_bytree=0.5, aft_sigma=1.0, max_bin=64, random_state=0,
                 n_jobs=1):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.aft_sigma = aft_sigma
        self.max_bin = max_bin
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Fit on descriptors ``X`` and targets ``y``; returns self."""
        import xgboost as xgb  # heavy: XGBoost loads only when a tree model is used

        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", y_numeric=True)
        value, censored = decode_censored(y)
        sigma = 10.0**value
        lower = np.where(censored, 0.0, sigma)
        upper = sigma
        self.base_margin_ = float(np.mean(np.log(sigma[~censored]))) if (~censored).any() else 0.0
        dtrain = xgb.DMatrix(X, base_margin=np.full(len(X), self.base_margin_))
        dtrain.set_float_info("label_lower_bound", lower)
        dtrain.set_float_info("label_upper_bound", upper)
        params = {"objective": "survival:aft", "eval_metric": "aft-nloglik",
                  "aft_loss_distribution": "normal", "aft_loss_distribution_scale": self.aft_sigma,
                  "tree_method": "hist", "eta": self.learning_rate, "max_depth": self.max_depth,
                  "min_child_weight": self.min_child_weight, "subsample": self.subsample,
                  "colsample_bytree": self.colsample_bytree, "max_bin": self.max_bin, "seed": self.random_state,
                  "nthread": self.n_jobs}
        self.booster_ = xgb.train(params, dtrain, num_boost_round=self.n_estimators)
        self.n_censored_ = int(censored.sum())
        return self

    def predict(self, X):
        """Predictions for the rows of ``X``."""
        import xgboost as xgb  # heavy: XGBoost loads only when a tree model is used

        check_is_fitted(self, "booster_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        margin = self.booster_.predict(xgb.DMatrix(X, base_margin=np.full(len(X), self.base_margin_)),
                                       output_margin=True)
        return np.asarray(margin, float) / np.log(10.0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
