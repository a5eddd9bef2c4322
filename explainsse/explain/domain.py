"""Applicability domain: is a material like the ones the model was trained on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.uncertainty import Standardizer

#: Percentile of training nearest-neighbour distances above which a material is flagged.
DEFAULT_DOMAIN_PERCENTILE = 95.0
#: Share of the standardized training descriptors' variance the principal components keep.
DOMAIN_VARIANCE = 0.95


class ApplicabilityDomain:
    """Nearest-neighbour distance to the training materials, on a k-d tree.

    Training descriptors are imputed with their medians and standardized, then projected on the
    principal components that keep :data:`DOMAIN_VARIANCE` of their variance (descriptor
    families are strongly correlated; this also makes the tree index effective). The reference
    is the distribution of each training material's distance to its nearest *other* training
    material. A query's distance to its nearest training material (a k-d tree query, never a
    dense query x training matrix, so memory stays bounded for any number of queries) is
    reported as a percentile of that distribution, and flagged when above ``percentile``.

    Parameters
    ----------
    X_train : pandas.DataFrame
        Training descriptors.
    percentile : float
        Flag level (default 95).
    """

    def __init__(self, X_train: pd.DataFrame, percentile: float = DEFAULT_DOMAIN_PERCENTILE):
        # heavy: scikit-learn loads only when a model is built or scored
        from sklearn.decomposition import PCA
        from sklearn.neighbors import KDTree  # heavy: scikit-learn loads only when a model is built or scored

        self.scaler = Standardizer(X_train)
        self.columns = self.scaler.columns
        self.percentile = percentile
        Z = self.scaler.transform(X_train)
        n_comp = DOMAIN_VARIANCE if min(Z.shape) > 1 and np.any(Z) else None
        self.pca_ = PCA(n_components=n_comp, svd_solver="full").fit(Z)
        self.norm_ = np.sqrt(Z.shape[1])
        P = self.pca_.transform(Z)
        self.tree_ = KDTree(P)
        k = min(2, len(P))
        dist, _ = self.tree_.query(P, k=k)
        self.reference_ = np.sort(dist[:, k - 1] / self.norm_) if k == 2 else np.zeros(len(P))
        self.threshold_ = float(np.percentile(self.reference_, percentile))

    def assess(self, X: pd.DataFrame, has_li=None) -> pd.DataFrame:
        """``nn_distance``, ``percentile`` (of training distances), ``inside`` and ``nearest`` (row).

        ``has_li`` (one bool per row): a material without Li is outside the domain of a model of Li
        conductors however close its descriptors are (a Na NASICON sits next to LATP).
        """
        Z = self.scaler.transform(X)
        if not len(Z):
            return pd.DataFrame({"nn_distance": [], "percentile": [], "inside": np.array([], bool),
                                 "nearest": np.array([], int)}, index=X.index)
        dist, nearest = self.tree_.query(self.pca_.transform(Z), k=1)
        dist, nearest = dist[:, 0] / self.norm_, nearest[:, 0]
        pct = 100.0 * np.searchsorted(self.reference_, dist, side="right") / len(self.reference_)
        inside = dist <= self.threshold_
        if has_li is not None:
            inside &= np.asarray(has_li, bool)
        return pd.DataFrame({"nn_distance": dist, "percentile": pct, "inside": inside,
                             "nearest": nearest}, index=X.index)
