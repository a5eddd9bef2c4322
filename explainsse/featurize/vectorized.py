"""Vectorized matminer composition descriptors: many compositions at once with NumPy.

Reproduces matminer's ``ElementProperty.from_preset("magpie")``, ``Stoichiometry()`` and
``ValenceOrbital()`` on a (compositions x elements) amount matrix, with the element table read
from matminer's own Magpie data files at run time (:class:`matminer.utils.data.MagpieData`;
nothing is copied into this package). The statistics follow matminer's ``PropertyStats``:
minimum, maximum and range over the elements present; mean and mean absolute deviation weighted
by the amounts; mode = the smallest value among the elements with the largest amount. A missing
element value makes a statistic NaN when matminer's would be (the mode only when the element is
among the most abundant).

This is the first part of the screening backend (issue 14): the golden test checks it against
matminer's own featurizers. It is not yet the default featurization path.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: matminer's statistics of the magpie preset, in column order.
MAGPIE_STATS = ("minimum", "maximum", "range", "mean", "avg_dev", "mode")
#: Stoichiometry p-norms (matminer's default).
P_NORMS = (0, 2, 3, 5, 7, 10)
ORBITALS = ("s", "p", "d", "f")


@lru_cache(maxsize=1)
def element_table() -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """Element symbols, property names and the (elements x properties) matrix from matminer's Magpie data.

    Properties: the magpie preset's features, then ``NsValence .. NfValence`` and ``NValence``.
    """
    from matminer.featurizers.composition import ElementProperty
    from matminer.utils.data import MagpieData

    features = tuple(ElementProperty.from_preset("magpie").features)
    props = features + tuple(f"N{o}Valence" for o in ORBITALS) + ("NValence",)
    data = MagpieData(impute_nan=False).all_elemental_props  # as the groups build ElementProperty
    symbols = tuple(sorted(set.intersection(*(set(data[p]) for p in props))))
    table = np.array([[float(data[p][s]) for p in props] for s in symbols], dtype=float)
    return symbols, props, table


def amount_matrix(compositions) -> np.ndarray:
    """(compositions x elements) matrix of element amounts (pymatgen Compositions in, table order out).

    Raises
    ------
    KeyError
        For an element matminer's Magpie table does not have.
    """
    symbols, _, _ = element_table()
    where = {s: j for j, s in enumerate(symbols)}
    out = np.zeros((len(compositions), len(symbols)))
    for i, comp in enumerate(compositions):
        for el, n in comp.get_el_amt_dict().items():
            out[i, where[el]] = n
    return out


def magpie(amounts: np.ndarray) -> np.ndarray:
    """Values of matminer's magpie ElementProperty, (compositions x 22 properties x 6 stats) flattened."""
    _, props, table = element_table()
    n_feat = len(props) - len(ORBITALS) - 1
    present = amounts > 0
    weights = amounts / amounts.sum(axis=1, keepdims=True)
    wmax = amounts.max(axis=1, keepdims=True)
    top = present & np.isclose(amounts, wmax)
    out = np.empty((len(amounts), n_feat, len(MAGPIE_STATS)))
    for k in range(n_feat):
        v = table[:, k]
        bad = (present & np.isnan(v)).any(axis=1)
        vv = np.where(np.isnan(v), 0.0, v)
        lo = np.where(present, vv, np.inf).min(axis=1)
        hi = np.where(present, vv, -np.inf).max(axis=1)
        mean = weights @ vv
        dev = (weights * np.abs(vv[None, :] - mean[:, None])).sum(axis=1)
        mode = np.where(top, vv, np.inf).min(axis=1)
        mode[(top & np.isnan(v)).any(axis=1)] = np.nan  # the mode only sees the most abundant elements
        stats = np.stack([lo, hi, hi - lo, mean, dev, mode], axis=1)
        stats[bad, :5] = np.nan
        out[:, k, :] = stats
    return out.reshape(len(amounts), -1)


def stoichiometry(amounts: np.ndarray) -> np.ndarray:
    """The p-norms of matminer's Stoichiometry (0, 2, 3, 5, 7, 10) of the atomic fractions."""
    x = amounts / amounts.sum(axis=1, keepdims=True)
    cols = [(amounts > 0).sum(axis=1).astype(float)]
    cols += [(x ** p).sum(axis=1) ** (1.0 / p) for p in P_NORMS[1:]]
    return np.stack(cols, axis=1)


def valence_orbital(amounts: np.ndarray) -> np.ndarray:
    """As matminer's ValenceOrbital: mean s, p, d, f valence electrons, then their fractions of the total."""
    _, props, table = element_table()
    weights = amounts / amounts.sum(axis=1, keepdims=True)
    present = amounts > 0
    cols = [props.index(f"N{o}Valence") for o in ORBITALS] + [props.index("NValence")]
    values = []
    for c in cols:
        v = table[:, c]
        bad = (present & np.isnan(v)).any(axis=1)
        mean = weights @ np.where(np.isnan(v), 0.0, v)
        mean[bad] = np.nan
        values.append(mean)
    avg, total = np.stack(values[:4], axis=1), values[4]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = avg / total[:, None]
    return np.hstack([avg, frac])


def composition_descriptors(compositions) -> np.ndarray:
    """The magpie, stoichiometry and valence-orbital values of many compositions, matminer's column order."""
    amounts = amount_matrix(compositions)
    return np.hstack([magpie(amounts), stoichiometry(amounts), valence_orbital(amounts)])


__all__ = ["MAGPIE_STATS", "P_NORMS", "amount_matrix", "composition_descriptors", "element_table", "magpie",
           "stoichiometry", "valence_orbital"]
