"""Vectorized matminer composition descriptors: many compositions at once with NumPy.

Reproduces matminer's ``ElementProperty.from_preset("magpie")``, ``Stoichiometry()`` and
``ValenceOrbital()`` on a (compositions x elements) amount matrix, with the element table read
from matminer's own Magpie data files at run time (:class:`matminer.utils.data.MagpieData`;
nothing is copied into this package). The statistics follow matminer's ``PropertyStats``:
minimum, maximum and range over the elements present; mean and mean absolute deviation weighted
by the amounts; mode = the smallest value among the elements with the largest amount. A missing
element value makes a statistic NaN when matminer's would be (the mode only when the element is
among the most abundant).

Compositions enter as padded arrays: an (n x k) matrix of element indices into the table
(``-1`` for padding) and the matching amounts (:func:`.formula.parse_many` builds them straight
from formula strings). :class:`~explainsse.featurize.DescriptorFeaturizer` uses this backend by
default (``backend="vectorized"``); ``backend="matminer"`` runs matminer's featurizers one
composition at a time and stays the reference. The golden tests compare the two.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

from .electrolyte import ANION_CHARGES
from .element_roles import element_roles

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
    # heavy: matminer loads only when its featurizers run
    from matminer.featurizers.composition import ElementProperty
    from matminer.utils.data import MagpieData  # heavy: matminer loads only when its featurizers run

    features = tuple(ElementProperty.from_preset("magpie").features)
    props = features + tuple(f"N{o}Valence" for o in ORBITALS) + ("NValence",)
    data = MagpieData(impute_nan=False).all_elemental_props  # as the groups build ElementProperty
    symbols = tuple(sorted(set.intersection(*(set(data[p]) for p in props))))
    table = np.array([[float(data[p][s]) for p in props] for s in symbols], dtype=float)
    return symbols, props, table


def amount_matrix(compositions) -> tuple[np.ndarray, np.ndarray]:
    """Padded (element index, amount) arrays of pymatgen Compositions (see :func:`.formula.parse_many`).

    Raises
    ------
    KeyError
        For an element matminer's Magpie table does not have.
    """
    symbols, _, _ = element_table()
    where = {s: j for j, s in enumerate(symbols)}
    dicts = [comp.get_el_amt_dict() for comp in compositions]
    k = max((len(d) for d in dicts), default=0) or 1
    elements = np.full((len(dicts), k), -1, dtype=np.int64)
    amounts = np.zeros((len(dicts), k))
    for i, d in enumerate(dicts):
        for j, (el, n) in enumerate(d.items()):
            elements[i, j], amounts[i, j] = where[el], n
    return elements, amounts


def _gather(elements: np.ndarray, columns) -> tuple[np.ndarray, np.ndarray]:
    """Element-table values (n x k x properties) and the mask of real (not padding) entries."""
    _, _, table = element_table()
    present = elements >= 0
    values = table[np.where(present, elements, 0)][:, :, columns]
    return values, present


def _weights(amounts: np.ndarray) -> np.ndarray:
    total = amounts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return amounts / total


def magpie(elements: np.ndarray, amounts: np.ndarray, properties=None) -> np.ndarray:
    """Values of matminer's magpie ElementProperty, (compositions x 22 properties x 6 stats) flattened.

    ``properties`` (Magpie property names, in order): only those, as ``ElementProperty`` built with
    that feature list computes them.
    """
    _, props, _ = element_table()
    n_feat = len(props) - len(ORBITALS) - 1
    columns = slice(0, n_feat) if properties is None else [props.index(p) for p in properties]
    values, present = _gather(elements, columns)
    weights = _weights(amounts)
    isnan = np.isnan(values) & present[:, :, None]
    vz = np.where(present[:, :, None] & ~isnan, values, 0.0)
    mask = present[:, :, None]
    lo = np.where(mask, vz, np.inf).min(axis=1)
    hi = np.where(mask, vz, -np.inf).max(axis=1)
    mean = np.einsum("nk,nkp->np", weights, vz)
    dev = np.einsum("nk,nkp->np", weights, np.abs(vz - mean[:, None, :]))
    top = present & np.isclose(amounts, amounts.max(axis=1, keepdims=True))
    mode = np.where(top[:, :, None], vz, np.inf).min(axis=1)
    mode[(top[:, :, None] & isnan).any(axis=1)] = np.nan  # the mode only sees the most abundant elements
    stats = np.stack([lo, hi, hi - lo, mean, dev, mode], axis=2)  # n x properties x stats
    bad = isnan.any(axis=1)
    stats[:, :, :5][bad] = np.nan
    return stats.reshape(len(elements), -1)


def stoichiometry(elements: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """The p-norms of matminer's Stoichiometry (0, 2, 3, 5, 7, 10) of the atomic fractions."""
    x = _weights(amounts)
    cols = [((elements >= 0) & (amounts > 0)).sum(axis=1).astype(float)]
    cols += [(x ** p).sum(axis=1) ** (1.0 / p) for p in P_NORMS[1:]]
    return np.stack(cols, axis=1)


def valence_orbital(elements: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """As matminer's ValenceOrbital: mean s, p, d, f valence electrons, then their fractions of the total."""
    _, props, _ = element_table()
    columns = [props.index(f"N{o}Valence") for o in ORBITALS] + [props.index("NValence")]
    values, present = _gather(elements, columns)
    isnan = np.isnan(values) & present[:, :, None]
    mean = np.einsum("nk,nkp->np", _weights(amounts), np.where(present[:, :, None] & ~isnan, values, 0.0))
    mean[isnan.any(axis=1)] = np.nan
    avg, total = mean[:, :4], mean[:, 4]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = avg / total[:, None]
    return np.hstack([avg, frac])


def electrolyte(elements: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """As :class:`~explainsse.featurize.electrolyte.ElectrolyteComposition`, for many compositions."""
    symbols, _, _ = element_table()
    roles = element_roles(_electrolyte_table(), elements, amounts)
    col, a = roles.col, roles.a
    is_anion, is_li, is_other = roles.is_anion, roles.is_li, roles.is_other
    total, li, h, n_an, n_other = roles.total, roles.li, roles.h, roles.n_an, roles.n_other
    en, radius, charge = col("X"), col("radius"), col("charge")

    def ratio(num, den):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

    def wmean(values, mask):
        return ratio(np.where(mask, a * values, 0.0).sum(axis=1), (a * mask).sum(axis=1))

    cations = is_other | is_li  # Li counts as a cation where present (amounts below 1e-8 are dropped)
    mean_an_en = wmean(en, is_anion)
    shares = [ratio((a * (elements == symbols.index(el))).sum(axis=1), n_an) if el in symbols
              else ratio(np.zeros(len(a)), n_an) for el in ANION_CHARGES]
    cols = [li / total, n_other / total, n_an / total, h / total, ratio(li, li + n_other), ratio(li, n_other),
            ratio(li, n_an), *shares, is_other.sum(axis=1).astype(float), is_anion.sum(axis=1).astype(float),
            mean_an_en, wmean(en, is_other), mean_an_en - wmean(en, cations), wmean(radius, is_anion),
            ratio(li, (a * np.where(is_anion, charge, 0.0)).sum(axis=1))]
    return np.stack(cols, axis=1)


@lru_cache(maxsize=1)
def _electrolyte_table() -> dict[str, np.ndarray]:
    """Per element of :func:`element_table`: anion / Li / H flags, Pauling X, anion charge and Shannon radius."""
    from pymatgen.core import (  # heavy: pymatgen loads only where structures/compositions need it
        Element,
        Species,
    )


    symbols, _, _ = element_table()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns for elements without an electronegativity
        en = np.array([float(Element(s).X) for s in symbols])
        radius = np.array([float(Species(s, ANION_CHARGES[s]).ionic_radius) if s in ANION_CHARGES else np.nan
                           for s in symbols])
    return {"anion": np.array([s in ANION_CHARGES for s in symbols]), "li": np.array([s == "Li" for s in symbols]),
            "h": np.array([s == "H" for s in symbols]), "X": en, "radius": radius,
            "charge": np.array([-float(ANION_CHARGES.get(s, 0)) for s in symbols])}


def _groups(groups, elements: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    functions = {"magpie": magpie, "stoichiometry": stoichiometry, "valence_orbital": valence_orbital}
    return np.hstack([functions[g](elements, amounts) for g in groups])


def composition_descriptors(compositions) -> np.ndarray:
    """The magpie, stoichiometry and valence-orbital values of many compositions, matminer's column order."""
    return _groups(("magpie", "stoichiometry", "valence_orbital"), *amount_matrix(compositions))


__all__ = ["MAGPIE_STATS", "P_NORMS", "amount_matrix", "composition_descriptors", "electrolyte", "element_table",
           "magpie", "stoichiometry", "valence_orbital"]
