"""Vegard-type estimate of missing NASICON lattice parameters, learned inside each training fold.

:class:`NasiconLatticeEstimator` is the first step of every model pipeline. Without the NASICON
lattice columns it passes the descriptors through untouched. With them, ``fit`` learns a linear
fit of a, c and the volume per unit on the site descriptors (mean M-site and X-site radius, A
per unit, A-site radius) from the training rows whose lattice was given, and ``transform``
fills the rows whose lattice is missing (NaN a, c or volume), then recomputes
c/a and Xu's h and d from the filled a and c, and the framework openness from a filled volume. Fitting on the training rows of a fold only keeps
test rows out of the estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .nasicon_descriptors import (
    COL_A,
    COL_A_PER_UNIT,
    COL_A_RADIUS,
    COL_C,
    COL_CA,
    COL_D,
    COL_FRAMEWORK,
    COL_H,
    COL_M_RADIUS,
    COL_OPENNESS,
    COL_VOLUME,
    COL_X_RADIUS,
    openness,
)

#: Descriptors the estimate is made from, and the lattice columns it fills.
PREDICTORS = (COL_M_RADIUS, COL_X_RADIUS, COL_A_PER_UNIT, COL_A_RADIUS)
TARGETS = (COL_A, COL_C, COL_VOLUME)
#: Fewest training rows with a given lattice for a fit (else the columns stay missing).
MIN_ROWS = 5
#: Ridge penalty of the fit (on standardized predictors), small: it only guards against collinearity.
RIDGE_ALPHA = 1e-3


class NasiconLatticeEstimator(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Fill missing NASICON a, c, volume per unit (and c/a, h, d) from the site radii.

    Passes any table without the NASICON columns through unchanged.

    Attributes
    ----------
    fits_ : dict
        Target column -> (mean, scale, coefficients, intercept, n training rows) of each fit.
    """

    def fit(self, X, y=None):
        """Learn the linear fits on the training rows that have a given lattice."""
        frame = self._frame(X, reset=True)
        self.fits_ = {}
        if not self.active_:
            return self
        nasicon = frame[COL_FRAMEWORK].to_numpy() == 1
        P = frame[list(PREDICTORS)].to_numpy(float)
        ok_p = np.isfinite(P).all(axis=1)
        for target in TARGETS:
            t = frame[target].to_numpy(float)
            rows = nasicon & ok_p & np.isfinite(t)
            if rows.sum() < MIN_ROWS:
                continue
            mean, scale = P[rows].mean(axis=0), P[rows].std(axis=0)
            scale[scale == 0] = 1.0
            Z = (P[rows] - mean) / scale
            A = Z.T @ Z + RIDGE_ALPHA * len(Z) * np.eye(Z.shape[1])
            coef = np.linalg.solve(A, Z.T @ (t[rows] - t[rows].mean()))
            self.fits_[target] = (mean, scale, coef, float(t[rows].mean()), int(rows.sum()))
        return self

    def transform(self, X):
        """Fill the missing lattice values of NASICON rows; other values are left as they are."""
        check_is_fitted(self, "fits_")
        frame = self._frame(X, reset=False)
        if not self.active_ or not self.fits_:
            return X
        out = frame.copy()
        nasicon = out[COL_FRAMEWORK].to_numpy() == 1
        P = out[list(PREDICTORS)].to_numpy(float)
        ok_p = np.isfinite(P).all(axis=1)
        filled = np.zeros(len(out), bool)
        volume_filled = np.zeros(len(out), bool)
        for target, (mean, scale, coef, intercept, _) in self.fits_.items():
            t = out[target].to_numpy(float).copy()
            rows = nasicon & ok_p & ~np.isfinite(t)
            t[rows] = ((P[rows] - mean) / scale) @ coef + intercept
            out[target] = t
            if target in (COL_A, COL_C):
                filled |= rows
            else:
                volume_filled |= rows
        if volume_filled.any():
            ratio = out[COL_OPENNESS].to_numpy(float).copy()
            ratio[volume_filled] = openness(out[COL_VOLUME].to_numpy(float), out[COL_A_RADIUS].to_numpy(float))[
                volume_filled]
            out[COL_OPENNESS] = ratio
        a, c = out[COL_A].to_numpy(float), out[COL_C].to_numpy(float)
        h = np.sqrt(2.0) * a
        for col, values in ((COL_CA, c / a), (COL_H, h), (COL_D, np.sqrt(h * h + c * c))):
            v = out[col].to_numpy(float).copy()
            v[filled] = values[filled]
            out[col] = v
        return out if isinstance(X, pd.DataFrame) else out.to_numpy(float)

    def _frame(self, X, *, reset: bool) -> pd.DataFrame:
        if reset:
            if isinstance(X, pd.DataFrame):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            self.n_features_in_ = X.shape[1]
            names = set(map(str, getattr(self, "feature_names_in_", ())))
            self.active_ = all(c in names for c in (*PREDICTORS, *TARGETS, COL_FRAMEWORK, COL_CA, COL_H, COL_D,
                                                     COL_OPENNESS))
        if isinstance(X, pd.DataFrame):
            return X
        if getattr(self, "active_", False):
            return pd.DataFrame(np.asarray(X, float), columns=self.feature_names_in_)
        return pd.DataFrame(np.asarray(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def fill_lattice(model, X: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The descriptors with a model's own lattice estimate filled in, and which rows were estimated.

    Parameters
    ----------
    model : TrainedModel
        Its pipeline's first step is a fitted :class:`NasiconLatticeEstimator` (models saved
        before it existed have none: ``X`` is returned as it is).
    X : pandas.DataFrame
        Descriptors in the model's columns.

    Returns
    -------
    X_filled : pandas.DataFrame
    estimated : pandas.Series of bool
        NASICON rows whose a, c were estimated.
    """
    steps = getattr(model.pipeline, "steps", [])
    step = steps[0][1] if steps else None
    none = pd.Series(False, index=X.index)
    if not isinstance(step, NasiconLatticeEstimator) or not getattr(step, "active_", False) or COL_A not in X:
        return X, none
    filled = step.transform(X)
    estimated = X[COL_A].isna() & filled[COL_A].notna()
    return filled, estimated


__all__ = ["NasiconLatticeEstimator", "PREDICTORS", "TARGETS", "fill_lattice"]
