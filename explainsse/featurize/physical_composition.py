"""Physical composition descriptors of the ``chem-v1`` preset: each one a quantity a chemist can act on.

Formula-only models built on matminer's Magpie statistics tend to explain conductivity by proxies
of element identity (Mendeleev numbers, the elements' ground-state space groups, the number of
elements). This featurizer keeps to quantities with a transport meaning and a citation:

- **Li content**: Li per anion and per cation, the share of the anion charge balanced by Li, and
  the Li excess (stuffing) or deficit (vacancies) over the nominal charge balance;
- **anions**: which anions (shares), their Shannon radius and its spread, Pauling
  electronegativity, nominal charge and the mixing entropy of the anion sublattice;
- **non-Li cations**: nominal charge and its spread (aliovalent substitution), Shannon radius and
  its spread (size mismatch), electronegativity, field strength z/r^2 and mixing entropy;
- **bonds**: Pauling ionic character of the Li-anion and cation-anion bonds, and the Li/anion
  radius ratio;
- **doping level**: the share of the formula in non-integer amounts.

Nominal charges need no oxidation-state guessing per composition: anions take their usual charge
(:data:`~explainsse.featurize.electrolyte.ANION_CHARGES`), every other element its highest common
positive oxidation state in pymatgen's table (La3+, Zr4+, Ti4+, Ge4+, P5+, Ta5+, Y3+, ...). Where a
role is ambiguous, the charge balance decides (:func:`assign_roles`): hydrogen is H+ or H- (it is
counted apart from anions and cations, as in the electrolyte descriptors), and an anion-forming
element beside a more electronegative one is an anion or a cation (S2- in Li6PS5Cl, S6+ in Li2SO4).
The values are computed on padded element/amount arrays for many compositions at once
(:func:`physical_composition`); :class:`PhysicalComposition` is the matminer-style featurizer of
one composition and runs the same code.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
from matminer.featurizers.base import BaseFeaturizer

from .descriptor_info import PAULING, SHANNON_1976, DescriptorInfo
from .electrolyte import ANION_CHARGES
from .element_roles import element_roles
from .vectorized import amount_matrix, element_table

PREFIX = "Chem "

PAULING_1960 = ("L. Pauling, The Nature of the Chemical Bond, 3rd ed., Cornell University Press (1960): "
                "ionic character 1 - exp(-(dX)^2/4)")
BACHMAN_2016 = ("J. C. Bachman et al., \"Inorganic solid-state electrolytes for lithium batteries: mechanisms "
                "and properties governing ion conduction\", Chem. Rev. 116, 140-162 (2016), "
                "doi:10.1021/acs.chemrev.5b00563")
OHNO_2020 = ("S. Ohno et al., \"Materials design of ionic conductors for solid state batteries\", Prog. Energy 2, "
             "022001 (2020), doi:10.1088/2516-1083/ab73dd")
ZENG_2022 = ("Y. Zeng et al., \"High-entropy mechanism to boost ionic conductivity\", Science 378, 1320-1324 "
             "(2022), doi:10.1126/science.abq1346")
DIETZEL_1942 = ("A. Dietzel, \"Die Kationenfeldstärken und ihre Beziehungen zu Entglasungsvorgängen, zur "
                "Verbindungsbildung und zu den Schmelzpunkten von Silicaten\", Z. Elektrochem. 48, 9-23 (1942)")
PAULING_1929 = ("L. Pauling, \"The principles determining the structure of complex ionic crystals\", "
                "J. Am. Chem. Soc. 51, 1010-1026 (1929), doi:10.1021/ja01379a006")
NOMINAL = ("nominal charges: anions at their usual charge, other elements at their highest common positive "
           "oxidation state (pymatgen)")

_D = "-"
#: (name, meaning, unit, citation) in column order.
_SPEC = (
    ("Li atomic fraction", "fraction of all atoms that are Li (carrier concentration per atom)", _D, BACHMAN_2016),
    ("Li per anion", "Li atoms per anion atom (carrier concentration per framework anion)", "Li/anion",
     BACHMAN_2016),
    ("Li share of cations", "Li atoms / all cation atoms (H excluded)", _D, BACHMAN_2016),
    ("Li charge share", "Li+ charge / total nominal anion charge: share of the anion charge balanced by "
                        "mobile Li", _D, BACHMAN_2016),
    ("Li excess over charge balance", "(Li - Li needed for charge balance with the nominal charges) per "
                                      "anion: > 0 Li stuffing, < 0 Li vacancies; also non-zero for mixed "
                                      "valence (LiMn2O4) and peroxides "
                                      f"({NOMINAL}; H+ or H-, and S/N/halogen as anion or cation, chosen "
                                      "by the best charge balance)", "Li/anion", OHNO_2020),
    *[(f"{el} share of anions", f"fraction of anion atoms that are {el}", _D, BACHMAN_2016) for el in ANION_CHARGES],
    ("mean anion radius", "anion-weighted mean Shannon ionic radius at the nominal charge (larger = softer, "
                          "more polarizable anion)", "angstrom", SHANNON_1976),
    ("anion radius spread", "anion-weighted mean absolute deviation of the anion radii (mixed-anion size "
                            "mismatch)", "angstrom", SHANNON_1976),
    ("mean anion electronegativity", "anion-weighted mean Pauling electronegativity (lower = more "
                                     "polarizable anion)", "Pauling units", PAULING),
    ("mean anion charge", "anion-weighted mean magnitude of the nominal anion charge (1 halide, 2 chalcogenide, "
                          "3 nitride): stronger Coulomb binding of Li at higher charge", "e", BACHMAN_2016),
    ("anion mixing entropy", "-sum x ln x over the anion shares: configurational entropy of the anion "
                             "sublattice (0 for one anion; mixed-anion compounds > 0)", "k_B per anion", ZENG_2022),
    ("H atomic fraction", "fraction of all atoms that are hydrogen (hydroxide, hydride, borohydride)", _D,
     BACHMAN_2016),
    ("mean cation charge", "atom-weighted mean nominal charge of the non-Li cations "
                           f"({NOMINAL})", "e", OHNO_2020),
    ("cation charge spread", "mean absolute deviation of the non-Li cations' nominal charges (aliovalent "
                             "substitution, which creates Li vacancies or interstitials)", "e", OHNO_2020),
    ("mean cation radius", "mean Shannon ionic radius of the non-Li cations at their nominal charge", "angstrom",
     SHANNON_1976),
    ("cation radius spread", "mean absolute deviation of the non-Li cation radii (size mismatch of the "
                             "framework cations)", "angstrom", SHANNON_1976),
    ("mean cation electronegativity", "mean Pauling electronegativity of the non-Li cations (covalency of the "
                                      "framework)", "Pauling units", PAULING),
    ("cation field strength", "mean z/r^2 of the non-Li cations (Dietzel field strength: how strongly the "
                              "framework cations polarize the anions away from Li)", "e/angstrom^2", DIETZEL_1942),
    ("cation mixing entropy", "-sum x ln x over the non-Li cation shares: configurational entropy of the "
                              "framework cation sublattice (high-entropy substitution)", "k_B per cation",
     ZENG_2022),
    ("Li-anion ionic character", "anion-weighted Pauling ionic character 1 - exp(-(X_anion - X_Li)^2/4) of "
                                 "the Li-anion bonds (lower = more covalent, softer Li bonding)", _D, PAULING_1960),
    ("cation-anion ionic character", "Pauling ionic character of the bonds between the non-Li cations and the "
                                     "anions (weighted means of X)", _D, PAULING_1960),
    ("Li-anion radius ratio", "Shannon radius of Li+ (VI) / mean anion radius (Pauling's first rule: sets the "
                              "Li coordination the anion framework offers)", _D, PAULING_1929),
    ("non-integer share", "atoms in non-integer amounts / all atoms of the formula as written: the doping or "
                          "substitution level (0 for a parent compound)", _D, OHNO_2020),
)

#: Li+ radius used in the radius ratio (Shannon 1976, six-fold coordination).
LI_RADIUS = 0.76


def physical_entries() -> list[DescriptorInfo]:
    """Glossary entries of :class:`PhysicalComposition`, in column order."""
    return [DescriptorInfo(PREFIX + name, meaning, unit, "explainsse PhysicalComposition (chem-v1)", cite)
            for name, meaning, unit, cite in _SPEC]


@lru_cache(maxsize=1)
def element_chemistry() -> dict[str, np.ndarray]:
    """Per element of matminer's Magpie table: flags, nominal charges, Shannon radii, Pauling X.

    ``anion`` marks the anion-forming elements (:data:`ANION_CHARGES`), with ``anion_charge`` (negative)
    and ``anion_radius``; ``cation_charge`` is every element's highest common positive oxidation state
    (pymatgen; NaN for none) with ``cation_radius``, used for cations and for an anion-forming element
    that acts as a cation (S6+ in a sulfate, N5+ in a nitrate; :func:`assign_roles`).
    """
    from pymatgen.core import Element, Species  # heavy: pymatgen loads only where compositions need it

    symbols, _, _ = element_table()

    def radius(s, q):
        try:
            return float(Species(s, int(q)).ionic_radius or np.nan)
        except (ValueError, KeyError, TypeError):
            return np.nan

    out = {k: [] for k in ("anion_charge", "anion_radius", "cation_charge", "cation_radius", "X")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns for elements without a radius or an electronegativity
        for s in symbols:
            el = Element(s)
            q = max((o for o in el.common_oxidation_states if o > 0), default=np.nan)
            out["cation_charge"].append(float(q))
            out["cation_radius"].append(radius(s, q) if np.isfinite(q) and s != "H" else np.nan)
            out["anion_charge"].append(float(ANION_CHARGES.get(s, np.nan)))
            out["anion_radius"].append(radius(s, ANION_CHARGES[s]) if s in ANION_CHARGES else np.nan)
            out["X"].append(float(el.X))
    return {"anion": np.array([s in ANION_CHARGES for s in symbols]), "li": np.array([s == "Li" for s in symbols]),
            "h": np.array([s == "H" for s in symbols]), "symbols": np.array(symbols),
            **{k: np.array(v) for k, v in out.items()}}


#: Ambiguous atoms per composition whose role :func:`assign_roles` chooses (the others keep their default).
MAX_AMBIGUOUS = 3


def assign_roles(roles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Anion or cation, and the nominal charge, of every atom: the assignment that balances the charges best.

    Two kinds of atoms are ambiguous. Hydrogen is H+ (hydroxide, hydrate, amide) or H- (hydride,
    borohydride). An anion-forming element that is not the most electronegative one present is
    an anion (S2- beside Cl- in Li6PS5Cl) or a cation at its highest common oxidation state (S6+
    beside O in Li2SO4, N5+ in LiNO3). Of the up to 2^:data:`MAX_AMBIGUOUS` assignments, the one
    with the smallest total charge wins; a tie keeps the default (anion; H+).

    Parameters
    ----------
    roles : ElementRoles
        From :func:`~explainsse.featurize.element_roles.element_roles` on :func:`element_chemistry`.

    Returns
    -------
    is_anion, charge, imbalance : numpy.ndarray
        Anion mask and signed nominal charge per atom slot (n x k); the total charge per composition
        (NaN where an element has no known charge).
    """
    col, a, present = roles.col, roles.a, roles.present
    former, is_h, x = roles.is_anion, roles.is_h, col("X")
    top_x = np.where(former, x, -np.inf).max(axis=1, keepdims=True)
    ambiguous = (former & (x < top_x)) | is_h
    rank = np.cumsum(ambiguous, axis=1) - 1
    fixed = np.where(roles.is_li, 1.0, np.where(roles.is_other, col("cation_charge"), 0.0))
    best, best_total = None, None
    for combo in range(2 ** MAX_AMBIGUOUS):
        flip = ambiguous & (rank < MAX_AMBIGUOUS) & ((combo >> np.clip(rank, 0, None)) & 1).astype(bool)
        anion = former & ~flip
        charge = np.where(anion, col("anion_charge"), np.where(former, col("cation_charge"), fixed))
        charge = np.where(is_h, np.where(flip, -1.0, 1.0), charge)
        total = np.where(present, a * charge, 0.0).sum(axis=1)
        if best is None:
            best, best_total = (anion, charge), total
            continue
        better = np.abs(total) < np.abs(best_total) - 1e-9
        best = tuple(np.where(better[:, None], new, old) for new, old in zip((anion, charge), best))
        best_total = np.where(better, total, best_total)
    return best[0] & present, np.where(present, best[1], 0.0), best_total


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def physical_composition(elements: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Values of the ``chem-v1`` descriptors for many compositions, one row per composition.

    The compositions enter as padded element indices and amounts
    (:func:`~explainsse.featurize.vectorized.amount_matrix`).

    Examples
    --------
    >>> from pymatgen.core import Composition
    >>> from explainsse.featurize.vectorized import amount_matrix
    >>> row = dict(zip(PhysicalComposition().feature_labels(),
    ...                physical_composition(*amount_matrix([Composition("Li7La3Zr2O12")]))[0]))
    >>> print(round(row["Chem Li per anion"], 4), round(row["Chem Li excess over charge balance"], 4))
    0.5833 0.0
    """
    table = element_chemistry()
    roles = element_roles(table, elements, amounts)
    col, a, present, total, li, h = roles.col, roles.a, roles.present, roles.total, roles.li, roles.h
    is_anion, q, imbalance = assign_roles(roles)
    is_cat = present & ~is_anion & ~roles.is_li & ~roles.is_h
    r = np.where(is_anion, col("anion_radius"), col("cation_radius"))
    x = col("X")
    n_an, n_cat = (a * is_anion).sum(axis=1), (a * is_cat).sum(axis=1)

    def wmean(values, mask):
        ok = mask & np.isfinite(values)
        return _ratio(np.where(ok, a * values, 0.0).sum(axis=1), (a * ok).sum(axis=1))

    def wdev(values, mask):
        mean = wmean(values, mask)
        return wmean(np.abs(values - mean[:, None]), mask)

    def entropy(mask, n):
        share = _ratio(np.where(mask, a, 0.0), n[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(mask & (share > 0), -share * np.log(np.where(share > 0, share, 1.0)), 0.0)
        return np.where(n > 0, terms.sum(axis=1), np.nan)

    anion_charge = (a * np.where(is_anion, -q, 0.0)).sum(axis=1)
    shares = [_ratio((a * (is_anion & (col("symbols") == el))).sum(axis=1), n_an) for el in ANION_CHARGES]
    an_r, an_x = wmean(r, is_anion), wmean(x, is_anion)
    cat_r, cat_x = wmean(r, is_cat), wmean(x, is_cat)
    field = wmean(_ratio(np.nan_to_num(q), r ** 2), is_cat & np.isfinite(r) & (r > 0))
    li_x = table["X"][list(table["symbols"]).index("Li")]
    non_integer = (np.where(present, np.abs(a - np.round(a)) > 1e-6, False) * a).sum(axis=1)
    cols = [
        li / total, _ratio(li, n_an), _ratio(li, li + n_cat), _ratio(li, anion_charge),
        _ratio(imbalance, n_an),
        *shares,
        an_r, wdev(r, is_anion), an_x, wmean(np.abs(q), is_anion), entropy(is_anion, n_an),
        h / total,
        wmean(q, is_cat), wdev(q, is_cat), cat_r, wdev(r, is_cat), cat_x, field, entropy(is_cat, n_cat),
        1 - np.exp(-((an_x - li_x) ** 2) / 4), 1 - np.exp(-((an_x - cat_x) ** 2) / 4), _ratio(LI_RADIUS, an_r),
        _ratio(non_integer, total),
    ]
    return np.stack(cols, axis=1)


class PhysicalComposition(BaseFeaturizer):
    """The ``chem-v1`` composition descriptors of one composition (same code as :func:`physical_composition`).

    Examples
    --------
    >>> from pymatgen.core import Composition
    >>> values = dict(zip(PhysicalComposition().feature_labels(),
    ...                   PhysicalComposition().featurize(Composition("Li6PS5Cl"))))
    >>> print(round(values["Chem S share of anions"], 4), round(values["Chem Li excess over charge balance"], 4))
    0.8333 0.0
    """

    def featurize(self, comp) -> list[float]:
        """Compute the descriptors of one pymatgen Composition (labels: :meth:`feature_labels`)."""
        with np.errstate(all="ignore"):
            return physical_composition(*amount_matrix([comp]))[0].tolist()

    def feature_labels(self) -> list[str]:
        """Column names, in the order :meth:`featurize` returns values."""
        return [PREFIX + name for name, *_ in _SPEC]

    def citations(self) -> list[str]:
        """References of the descriptors' definitions."""
        return sorted({cite for *_, cite in _SPEC})

    def implementors(self) -> list[str]:
        """Who wrote the featurizer."""
        return ["explainsse developers"]


__all__ = ["LI_RADIUS", "PREFIX", "PhysicalComposition", "element_chemistry", "physical_composition",
           "physical_entries"]
