"""Applicability domain: is a material like the ones the model was trained on."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Percentile of training nearest-neighbour distances above which a material is flagged.
DEFAULT_DOMAIN_PERCENTILE = 95.0


class ApplicabilityDomain:
    """Nearest-neighbour distance in standardized descriptor space.

    Training descriptors are imputed with their medians and standardized; the reference is the
    distribution of each training material's distance to its nearest *other* training material.
    A query's distance to its nearest training material is reported as a percentile of that
    distribution, and flagged when above ``percentile``.

    Parameters
    ----------
    X_train : pandas.DataFrame
        Training descriptors.
    percentile : float
        Flag level (default 95).
    """

    def __init__(self, X_train: pd.DataFrame, percentile: float = DEFAULT_DOMAIN_PERCENTILE):
        self.columns = list(X_train.columns)
        self.percentile = percentile
        values = X_train.to_numpy(float)
        self.median_ = np.nanmedian(np.where(np.isfinite(values), values, np.nan), axis=0)
        self.median_ = np.where(np.isfinite(self.median_), self.median_, 0.0)
        filled = self._fill(values)
        self.mean_ = filled.mean(axis=0)
        sd = filled.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        self.Z_ = (filled - self.mean_) / self.scale_
        d = self._distances(self.Z_)
        np.fill_diagonal(d, np.inf)
        self.reference_ = np.sort(d.min(axis=1))
        self.threshold_ = float(np.percentile(self.reference_, percentile))

    def _fill(self, values: np.ndarray) -> np.ndarray:
        values = np.array(values, float)
        bad = ~np.isfinite(values)
        values[bad] = np.broadcast_to(self.median_, values.shape)[bad]
        return values

    def _distances(self, Z: np.ndarray) -> np.ndarray:
        sq = (Z**2).sum(1)[:, None] + (self.Z_**2).sum(1)[None, :] - 2 * Z @ self.Z_.T
        return np.sqrt(np.maximum(sq, 0.0) / self.Z_.shape[1])

    def assess(self, X: pd.DataFrame) -> pd.DataFrame:
        """``nn_distance``, ``percentile`` (of training distances), ``inside`` and ``nearest`` (row)."""
        Z = (self._fill(X[self.columns].to_numpy(float)) - self.mean_) / self.scale_
        d = self._distances(Z)
        nearest = d.argmin(axis=1)
        dist = d[np.arange(len(Z)), nearest]
        pct = 100.0 * np.searchsorted(self.reference_, dist, side="right") / len(self.reference_)
        return pd.DataFrame({"nn_distance": dist, "percentile": pct, "inside": dist <= self.threshold_,
                             "nearest": nearest}, index=X.index)
