"""The scikit-learn estimators explainsse adds: clipping of standardized descriptors, PLS regression
and PLS-DA classification (with calibrated probabilities).

They follow scikit-learn's estimator contract and pass ``parametrize_with_checks``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    OneToOneFeatureMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

#: Standardized descriptors of the linear families are clipped to +-CLIP_SD standard deviations.
CLIP_SD = 5.0


class Clipper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip standardized descriptors to ``[-limit, limit]``.

    A descriptor far outside the training range (e.g. Li per non-Li cation of a nearly
    Li-only compound) would otherwise let a linear model extrapolate by many log units.
    Stateless apart from the input checks; keeps feature names.

    Parameters
    ----------
    limit : float, default 5.0
        Clip level in standard deviations.
    """

    def __init__(self, limit=CLIP_SD):
        self.limit = limit

    def fit(self, X, y=None):
        """Fit on descriptors ``X`` and targets ``y``; returns self."""
        validate_data(self, X, ensure_all_finite="allow-nan")
        return self

    def transform(self, X):
        """Clip ``X`` to ``[-limit, limit]``."""
        check_is_fitted(self, "n_features_in_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return np.clip(X, -self.limit, self.limit)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class PLSRegressor(RegressorMixin, BaseEstimator):
    """PLS regression with a stable coefficient shape.

    scikit-learn's ``PLSRegression.coef_`` changed from ``(n_features, n_targets)`` to
    ``(n_targets, n_features)`` across releases; this adapter always exposes ``coef_`` as a
    1-D array over features (single target) and ``intercept_`` as a float, so that
    ``predict(X) == X @ coef_ + intercept_``.

    Parameters
    ----------
    n_components : int, default 2
        Latent components (capped at the number of features and samples - 1).
    scale : bool, default False
        Let PLS scale X itself (the pipeline standardizes already).
    max_iter : int, default 500
    """

    def __init__(self, n_components=2, scale=False, max_iter=500):
        self.n_components = n_components
        self.scale = scale
        self.max_iter = max_iter

    def fit(self, X, y):
        """Fit on descriptors ``X`` and targets ``y``; returns self."""
        X, y = validate_data(self, X, y, y_numeric=True)
        n = int(min(self.n_components, X.shape[1], max(X.shape[0] - 1, 1)))
        self.pls_ = PLSRegression(n_components=n, scale=self.scale, max_iter=self.max_iter)
        self.pls_.fit(X, y)
        coef = np.asarray(self.pls_.coef_, dtype=float)
        self.coef_ = coef.reshape(-1) if coef.size == X.shape[1] else coef[:, 0]
        self.intercept_ = float(np.mean(y) - np.mean(X, axis=0) @ self.coef_)
        self.n_components_ = n
        self.n_iter_ = np.asarray(self.pls_.n_iter_)  # NIPALS iterations per component
        return self

    def predict(self, X):
        """Predictions for the rows of ``X``."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False)
        return X @ self.coef_ + self.intercept_

    def x_scores(self, X):
        """PLS scores (latent variables) of ``X``."""
        check_is_fitted(self, "pls_")
        return self.pls_.transform(validate_data(self, X, reset=False))


class PLSDAClassifier(ClassifierMixin, BaseEstimator):
    """PLS-DA: PLS on the class indicator(s), then a calibrated decision rule.

    For two classes, PLS regresses the 0/1 indicator; its continuous prediction is turned into
    a probability by a one-feature logistic regression fitted on the training predictions
    (Platt-style calibration), and the class is ``probability >= 0.5``. With more classes, PLS
    regresses the one-hot indicator matrix and a multinomial logistic regression calibrates.

    Parameters
    ----------
    n_components : int, default 2
    max_iter : int, default 500

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Binary case: PLS coefficients of the indicator on the (scaled) descriptors.
    """

    def __init__(self, n_components=2, max_iter=500):
        self.n_components = n_components
        self.max_iter = max_iter

    def fit(self, X, y):
        """Fit on descriptors ``X`` and targets ``y``; returns self."""
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"PLS-DA needs at least two classes; got {len(self.classes_)} class")
        if len(self.classes_) == 2:
            self.pls_ = PLSRegressor(self.n_components, max_iter=self.max_iter).fit(X, encoded.astype(float))
            self.coef_, self.intercept_ = self.pls_.coef_, self.pls_.intercept_
        else:
            indicator = np.eye(len(self.classes_))[encoded]
            n = int(min(self.n_components, X.shape[1], max(X.shape[0] - 1, 1)))
            self.pls_ = PLSRegression(n_components=n, scale=False, max_iter=self.max_iter).fit(X, indicator)
        self.n_iter_ = np.asarray(self.pls_.n_iter_)
        self.calibrator_ = LogisticRegression().fit(self._pls_output(X), encoded)
        return self

    def _pls_output(self, X):
        out = self.pls_.predict(X)
        return out.reshape(len(X), -1)

    def decision_function(self, X):
        """Calibrated log-odds (binary: of the second class)."""
        check_is_fitted(self, "calibrator_")
        X = validate_data(self, X, reset=False)
        return self.calibrator_.decision_function(self._pls_output(X))

    def predict_proba(self, X):
        """Class probabilities for the rows of ``X`` (columns in ``classes_`` order)."""
        check_is_fitted(self, "calibrator_")
        X = validate_data(self, X, reset=False)
        return self.calibrator_.predict_proba(self._pls_output(X))

    def predict(self, X):
        """Predictions for the rows of ``X``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


__all__ = ["CLIP_SD", "Clipper", "PLSDAClassifier", "PLSRegressor"]
