"""Groups of correlated descriptors (SHAP splits credit among near-copies, shap issue 1098)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

#: Default |Spearman| at or above which descriptors are grouped.
DEFAULT_CORRELATION = 0.9


def correlated_groups(X: pd.DataFrame, threshold: float = DEFAULT_CORRELATION,
                      importance: pd.Series | None = None) -> dict[str, list[str]]:
    """Cluster descriptors whose |Spearman| is at least ``threshold`` (complete linkage).

    Every member of a group correlates with every other member at ``threshold`` or more.
    Constant columns stay alone.

    Parameters
    ----------
    X : pandas.DataFrame
        Descriptor values (the rows the explanation is about, typically the training rows).
    threshold : float
        |Spearman| threshold in (0, 1].
    importance : pandas.Series, optional
        Mean |SHAP| per descriptor; the most important member names the group.

    Returns
    -------
    dict
        Group name -> member descriptors (groups of one are left out). The name is the
        leading member followed by ``(+N correlated)``.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"correlation threshold must be in (0, 1], got {threshold}")
    varying = [c for c in X.columns if X[c].nunique(dropna=True) > 1]
    if len(varying) < 2:
        return {}
    rho = X[varying].rank().corr(method="pearson").abs().fillna(0.0).to_numpy()
    np.fill_diagonal(rho, 1.0)
    distance = squareform(np.clip(1.0 - rho, 0.0, None), checks=False)
    labels = fcluster(linkage(distance, method="complete"), t=1.0 - threshold + 1e-12, criterion="distance")
    groups: dict[str, list[str]] = {}
    for label in np.unique(labels):
        members = [varying[i] for i in np.flatnonzero(labels == label)]
        if len(members) < 2:
            continue
        if importance is not None:
            members.sort(key=lambda m: -float(importance.get(m, 0.0)))
        groups[f"{members[0]} (+{len(members) - 1} correlated)"] = members
    return groups
