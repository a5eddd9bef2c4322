"""Validation schemes: which rows train and which rows test, without leakage.

Doping series of one chemical system (e.g. Li7-xLa3Zr2-xTaxO12) are near-duplicates; random
folds put members of one series on both sides and flatter every model. OBELiX also holds the
same composition measured in several papers (sometimes on both sides of 1e-4 S/cm), so even
leave-papers-out leaks. Every grouped scheme therefore first joins the rows with the same
reduced composition (:func:`composition_groups`; optionally those within a small composition
distance) and keeps each such group, chemical system (sorted element set), paper (DOI),
structural family or composition cluster in one fold.

``cluster-out`` is leave-cluster-out CV (LOCO-CV, Meredig et al., Mol. Syst. Des. Eng. 3, 819
(2018)): k-means clusters of the compositions in a standardized composition space (amount-
weighted means of the Magpie element properties), each cluster held out in turn: an estimate
of the performance on *new chemistry*, usually worse than random folds. ``leave-dopant-out``
(NASICONs) holds out together every composition that shares its M-site substituent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    LeaveOneOut,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
)

from .._config import DEFAULT_CLUSTERS
from ..datasets.table import split_mask
from ..errors import InputDataError
from ..featurize.nasicon_sites import assign_sites, detect_formula
from ..featurize.vectorized import amount_matrix, element_table, magpie


def chemical_system(composition) -> str:
    """Sorted element set, e.g. ``"La-Li-O-Ta-Zr"``."""
    return "-".join(sorted(el.symbol for el in composition.elements))


def reduced_composition(composition, decimals: int = 4) -> str:
    """Element fractions rounded to ``decimals``, e.g. ``"La:0.125 Li:0.2917 O:0.5 Zr:0.0833"``.

    Equal for every multiple of a formula (``Li2O`` and ``Li4O2``) and for formulas written
    with fractional amounts, so the same material measured in several papers gets one key.
    """
    total = sum(composition.get_el_amt_dict().values())
    parts = sorted((el, round(n / total, decimals)) for el, n in composition.get_el_amt_dict().items())
    return " ".join(f"{el}:{f:g}" for el, f in parts if f > 0)


def _union(*labelings) -> np.ndarray:
    """Connected components of rows that share a label in any of ``labelings`` (integers 0..k-1)."""
    from scipy.sparse import coo_matrix  # heavy: SciPy loads only when folds are made
    from scipy.sparse.csgraph import connected_components

    n = len(labelings[0])
    rows, cols = [], []
    for labels in labelings:  # each row joined to the first row of its label
        _, first, inverse = np.unique(np.asarray(labels), return_index=True, return_inverse=True)
        rows.append(np.arange(n))
        cols.append(first[inverse])
    graph = coo_matrix((np.ones(n * len(labelings)), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def element_fractions(compositions) -> tuple[np.ndarray, list[str]]:
    """(rows x elements) matrix of element fractions and the element symbols of its columns."""
    dicts = [c.get_el_amt_dict() for c in compositions]
    symbols = sorted({el for d in dicts for el in d})
    where = {el: j for j, el in enumerate(symbols)}
    out = np.zeros((len(dicts), len(symbols)))
    for i, d in enumerate(dicts):
        total = sum(d.values()) or 1.0
        for el, n in d.items():
            out[i, where[el]] = n / total
    return out, symbols


def composition_groups(frame: pd.DataFrame, distance: float = 0.0) -> np.ndarray:
    """Group labels that join rows with the same reduced composition (near-duplicates).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with a ``composition`` column (pymatgen Compositions).
    distance : float, default 0
        Also join rows whose element fractions differ by at most this much in total (L1
        distance; 0.05 joins e.g. x = 0.1 and x = 0.15 of one doping series). Joins are
        transitive (single linkage).

    Returns
    -------
    numpy.ndarray
        Integer labels, one per row.
    """
    # a row without a composition is its own group
    keys = [reduced_composition(c) if c is not None else f"__row{i}" for i, c in enumerate(frame["composition"])]
    labels = np.unique(keys, return_inverse=True)[1]
    if distance > 0 and len(frame) > 1:
        from scipy.sparse.csgraph import connected_components  # heavy: scipy loads only when folds are made
        from sklearn.neighbors import NearestNeighbors  # heavy: scikit-learn loads only when folds are made

        F, _ = element_fractions(frame["composition"])
        graph = NearestNeighbors(radius=distance, metric="manhattan").fit(F).radius_neighbors_graph(F)
        labels = _union(labels, connected_components(graph, directed=False)[1])
    return labels


def composition_space(compositions) -> np.ndarray:
    """Standardized composition space of the cluster-out scheme: amount-weighted means of the Magpie properties.

    Meredig et al. (2018) cluster on Magpie descriptors; the means (one per element property)
    place each composition; missing values take the column mean, every column is standardized.
    """
    _, props, _ = element_table()
    values = magpie(*amount_matrix(compositions))
    n_props = values.shape[1] // 6
    means = values.reshape(len(values), n_props, 6)[:, :, 3] if n_props * 6 == values.shape[1] else values
    with np.errstate(all="ignore"):
        centre = np.nanmean(means, axis=0)
        filled = np.where(np.isfinite(means), means, centre)
        sd = filled.std(axis=0)
    return (filled - filled.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def composition_clusters(frame: pd.DataFrame, n_clusters: int = DEFAULT_CLUSTERS,
                         random_state: int = 0) -> np.ndarray:
    """K-means cluster of each row in :func:`composition_space`; a reduced composition is never split.

    The distinct reduced compositions are clustered (each once, so a composition measured in
    ten papers does not pull a centre), then every row takes its composition's cluster.
    """
    from sklearn.cluster import KMeans  # heavy: scikit-learn loads only when folds are made

    keys = np.array([reduced_composition(c) for c in frame["composition"]])
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    k = min(n_clusters, len(unique))
    if k < 2:
        raise InputDataError(f"cluster-out CV needs at least 2 distinct compositions, found {len(unique)}")
    Z = composition_space(frame["composition"].iloc[first].tolist())
    labels = KMeans(k, n_init=10, random_state=random_state).fit_predict(Z)
    return labels[inverse]


def m_site_substituent(composition) -> str:
    """The M-site substituent of a NASICON formula: its minor octahedral elements (``"none"`` if undoped).

    The most abundant M-site element is the host (Ti in LATP, Ge in LAGP, Zr in NZSP); the rest
    (Al in Li1.3Al0.3Ti1.7(PO4)3 and in Li1.5Al0.5Ge1.5(PO4)3) name the substitution, joined
    with ``+``. A formula without NASICON sites gets ``"not NASICON: <chemical system>"``.
    """
    sites = assign_sites(composition.get_el_amt_dict()) if detect_formula(composition).nasicon else None
    if sites is None or not sites.m:
        return f"not NASICON: {chemical_system(composition)}"
    host = max(sites.m, key=sites.m.get)
    minor = sorted(el for el, n in sites.m.items() if el != host and n > 1e-6)
    return "+".join(minor) if minor else "none"


@dataclass(frozen=True)
class Scheme:
    """A validation scheme.

    Attributes
    ----------
    name : str
        CLI / results name.
    description : str
        One line for reports ("which scheme a number comes from").
    group_by : str or None
        ``"chemsys"``, ``"doi"``, ``"family"`` or None.
    """

    name: str
    description: str
    group_by: str | None = None


SCHEMES = {
    "official": Scheme("official", "official OBELiX train/test split (test scored once)"),
    "group-chemsys": Scheme("group-chemsys", "5-fold CV grouped by chemical system (sorted element set)",
                            "chemsys"),
    "group-doi": Scheme("group-doi", "5-fold CV grouped by source paper (DOI)", "doi"),
    "group-composition": Scheme("group-composition", "5-fold CV grouped by reduced composition "
                                "(repeated measurements of one material stay together)", "composition"),
    "cluster-out": Scheme("cluster-out", "leave-cluster-out CV (LOCO-CV): k-means clusters of the compositions, "
                          "each held out in turn; performance on new chemistry", "cluster"),
    "leave-dopant-out": Scheme("leave-dopant-out", "NASICONs sharing their M-site substituent held out together "
                               "(5-fold)", "dopant"),
    "leave-family-out": Scheme("leave-family-out", "leave one structural family out", "family"),
    "repeated-kfold": Scheme("repeated-kfold", "5-fold CV repeated 3 times (stratified for classification)"),
    "random-kfold": Scheme("random-kfold", "plain random 5-fold CV (leaks doping series; for contrast)"),
    "loo": Scheme("loo", "leave-one-out (small sets)"),
}


#: Validation scheme of a report on data without an official split: what a new material can expect.
DEFAULT_USER_SCHEME = "cluster-out"


def groups_for(frame: pd.DataFrame, group_by: str, *, random_state: int = 0,
               n_clusters: int = DEFAULT_CLUSTERS) -> np.ndarray:
    """Group labels of each row for ``group_by``, with equal reduced compositions always joined.

    ``group_by`` is one of ``chemsys``, ``doi``, ``family``, ``composition``, ``cluster``
    (:func:`composition_clusters`) or ``dopant`` (:func:`m_site_substituent`). Rows with the
    same reduced composition share a label whatever the grouping (a paper's composition
    measured again in another paper joins the two papers' groups).
    """
    same = composition_groups(frame)
    if group_by == "composition":
        return same
    if group_by == "chemsys":
        return np.array([chemical_system(c) for c in frame["composition"]])
    if group_by == "cluster":
        return composition_clusters(frame, n_clusters, random_state)
    if group_by == "dopant":
        return _union(same, np.unique([m_site_substituent(c) for c in frame["composition"]],
                                      return_inverse=True)[1])
    return _union(same, np.unique(_column_groups(frame, group_by), return_inverse=True)[1])


def _column_groups(frame: pd.DataFrame, group_by: str) -> np.ndarray:
    column = {"doi": "doi", "family": "family"}[group_by]
    values = frame[column].astype("string")
    if values.isna().all():
        raise InputDataError(f"grouping by {group_by} needs a {column} column; none was given")
    # rows without a value form their own singleton groups (never merged with each other)
    filled = [v if isinstance(v, str) and v else f"__row{i}" for i, v in enumerate(values.tolist())]
    return np.array(filled)


def check_scheme(scheme: str) -> str:
    """``scheme`` if it is a known validation scheme, else an error naming the known ones."""
    if scheme not in SCHEMES:
        raise InputDataError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    return scheme


def iter_folds(scheme: str, frame: pd.DataFrame, y: pd.Series, *, task: str,
               n_splits: int = 5, random_state: int = 0):
    """Yield ``(fold, train_positions, test_positions)`` for a scheme.

    Parameters
    ----------
    scheme : str
        A key of :data:`SCHEMES`.
    frame : pandas.DataFrame
        Dataset rows (split, chemical systems, DOIs, families).
    y : array-like
        Targets (stratification).
    task : str
    n_splits, random_state : int

    Raises
    ------
    InputDataError
        Unknown scheme, too few rows/groups for the folds, or a missing split column.
    """
    check_scheme(scheme)
    n = len(frame)
    if scheme == "official":
        train = np.flatnonzero(split_mask(frame, "train"))
        test = np.flatnonzero(split_mask(frame, "test"))
        if len(train) == 0 or len(test) == 0:
            raise InputDataError("the official scheme needs a split column with train and test rows")
        yield "test", train, test
        return
    spec = SCHEMES[scheme]
    if spec.group_by:
        groups = groups_for(frame, spec.group_by, random_state=random_state)
        n_groups = len(set(groups))
        if spec.group_by in ("family", "cluster"):
            splitter, k = LeaveOneGroupOut(), n_groups
        else:
            k = min(n_splits, n_groups)
            splitter = (StratifiedGroupKFold(k, shuffle=True, random_state=random_state)
                        if task == "classification" else GroupKFold(k))
        if k < 2:
            raise InputDataError(f"scheme {scheme!r} needs at least 2 groups, found {n_groups}")
        folds = splitter.split(np.zeros(n), y, groups)
    elif scheme == "loo":
        folds = LeaveOneOut().split(np.zeros(n))
    else:
        if n < 2 * n_splits:
            raise InputDataError(f"scheme {scheme!r} needs at least {2 * n_splits} rows, got {n}")
        if scheme == "repeated-kfold":
            cls = RepeatedStratifiedKFold if task == "classification" else RepeatedKFold
            if task == "classification" and np.bincount(y).min() < n_splits:
                raise InputDataError(f"a class has fewer than {n_splits} rows: too few for stratified folds")
            folds = cls(n_splits=n_splits, n_repeats=3, random_state=random_state).split(np.zeros(n), y)
        else:
            folds = KFold(n_splits, shuffle=True, random_state=random_state).split(np.zeros(n))
    for i, (train, test) in enumerate(folds):
        yield str(i), train, test


def inner_cv(frame: pd.DataFrame, task: str, y, n_splits: int = 3, random_state: int = 0):
    """Inner folds for hyperparameter search: grouped by chemical system, on training rows only."""
    groups = groups_for(frame, "chemsys")
    k = min(n_splits, len(set(groups)))
    if k < 2:
        raise InputDataError("hyperparameter search needs at least 2 chemical systems in training data")
    splitter = (StratifiedGroupKFold(k, shuffle=True, random_state=random_state)
                if task == "classification" else GroupKFold(k))
    return list(splitter.split(np.zeros(len(frame)), y, groups))
