"""Site assignment of NASICON-type formulas, A(1+x)M2(XO4)3, per framework unit.

A NASICON framework has two octahedral M cations per three tetrahedral XO4 groups, so one
framework unit (M + X = 5 cations) holds 12 oxygens, 3 polyanion formers X, 2 octahedral
cations M and 1 to 4 alkali ions on the A1 (1 per unit) and A2 (3 per unit) sites. Elements
that form both tetrahedra and octahedra (Ge in LAGP, V in Na3V2(PO4)3, Mo, W, As) are counted
as X only as far as needed to reach 3 X per unit (shared in proportion to their amounts); the
rest are M. :func:`detect_formula` is the NASICON formula rule built on it; the NASICON detector
(:mod:`explainsse.validation.detector`), the ``nasicon`` descriptor group (:mod:`.nasicon_descriptors`) and
the per-material explanations all use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pymatgen.core import Composition

from ..chemistry import FormulaError, parse_formula

#: A-site alkali ions.
A_SITE = ("Li", "Na", "K")
#: Always tetrahedral polyanion formers in NASICONs.
X_ALWAYS = ("P", "Si", "S")
#: Tetrahedral or octahedral depending on the compound; filled into X only up to 3 per unit.
X_EITHER = ("As", "Ge", "V", "Mo", "W")
#: Anions other than oxygen: none is allowed beyond a trace (per framework unit).
OTHER_ANIONS = ("F", "Cl", "Br", "I", "N", "Se", "Te", "H", "C", "B")
#: Per framework unit (M + X = 5): 12 O, 3 X, 2 M; A sites (A1 + A2) per unit.
O_PER_UNIT, X_PER_UNIT, M_PER_UNIT, A_SITES_PER_UNIT = 12.0, 3.0, 2.0, 4.0


@dataclass(frozen=True)
class NasiconSites:
    """Amounts per framework unit (M + X = 5) on each site of one formula.

    Attributes
    ----------
    a, m, x : dict
        Element -> amount per unit on the A (alkali), M (octahedral) and X (tetrahedral) sites.
    o : float
        Oxygen per unit.
    foreign : dict
        Anions other than oxygen, per unit.
    scale : float
        Factor from the formula's amounts to amounts per unit.
    """

    a: dict = field(default_factory=dict)
    m: dict = field(default_factory=dict)
    x: dict = field(default_factory=dict)
    o: float = 0.0
    foreign: dict = field(default_factory=dict)
    scale: float = float("nan")

    @property
    def a_total(self) -> float:
        """Alkali per unit."""
        return float(sum(self.a.values()))

    @property
    def x_total(self) -> float:
        """Tetrahedral X per unit."""
        return float(sum(self.x.values()))

    @property
    def m_total(self) -> float:
        """Octahedral M per unit."""
        return float(sum(self.m.values()))


def assign_sites(amounts: dict[str, float]) -> NasiconSites | None:
    """Assign a formula's elements to the A, M and X sites, per framework unit.

    Parameters
    ----------
    amounts : dict
        Element symbol -> amount in the formula (any multiple of the formula unit).

    Returns
    -------
    NasiconSites or None
        None when the formula has no framework cation (nothing to scale by).

    Examples
    --------
    >>> s = assign_sites({"Li": 1.5, "Al": 0.5, "Ge": 1.5, "P": 3, "O": 12})
    >>> s.a, s.m, s.x
    ({'Li': 1.5}, {'Al': 0.5, 'Ge': 1.5}, {'P': 3.0})
    """
    framework = {el: n for el, n in amounts.items()
                 if el not in A_SITE and el != "O" and el not in OTHER_ANIONS and n > 0}
    total = sum(framework.values())
    if total <= 0:
        return None
    scale = (X_PER_UNIT + M_PER_UNIT) / total
    per_unit = {el: n * scale for el, n in framework.items()}
    x = {el: n for el, n in per_unit.items() if el in X_ALWAYS}
    either = {el: n for el, n in per_unit.items() if el in X_EITHER}
    room = max(X_PER_UNIT - sum(x.values()), 0.0)
    either_total = sum(either.values())
    share = min(1.0, room / either_total) if either_total else 0.0
    m = {el: n for el, n in per_unit.items() if el not in X_ALWAYS and el not in X_EITHER}
    for el, n in either.items():
        if n * share > 0:
            x[el] = n * share
        if n * (1 - share) > 1e-12:
            m[el] = m.get(el, 0.0) + n * (1 - share)
    a = {el: amounts[el] * scale for el in A_SITE if amounts.get(el, 0) > 0}
    foreign = {el: amounts[el] * scale for el in OTHER_ANIONS if amounts.get(el, 0) > 0}
    return NasiconSites(a=a, m=m, x=x, o=amounts.get("O", 0.0) * scale, foreign=foreign, scale=scale)


#: Space groups of NASICON frameworks: rhombohedral R-3c (167) and R-3 (148), monoclinic C2/c (15).
NASICON_SPACE_GROUPS = {167: "R-3c", 148: "R-3", 15: "C2/c"}

#: Tolerances per framework unit (12 O, 3 X, 2 M, 1-4 A) for doping and rounding.
TOL_O, TOL_X = 0.6, 0.35
A_RANGE = (0.5, 4.6)
TRACE = 0.1


@dataclass(frozen=True)
class Detection:
    """Outcome of :func:`detect_formula`: the decision and the reason, with per-unit counts."""

    nasicon: bool
    reason: str
    a_per_unit: float = float("nan")
    x_per_unit: float = float("nan")
    o_per_unit: float = float("nan")


def detect_formula(formula: str | Composition, space_group_number: float | None = None) -> Detection:
    """Decide whether one formula is NASICON-type.

    Parameters
    ----------
    formula : str or pymatgen Composition
        Chemical formula (any multiple of the formula unit), or an already parsed composition
        (a normalized dataset's ``composition`` column).
    space_group_number : int, optional
        When known, it must be a NASICON space group (:data:`NASICON_SPACE_GROUPS`).

    Returns
    -------
    Detection

    Examples
    --------
    >>> detect_formula("Li1.5Al0.5Ge1.5(PO4)3").nasicon
    True
    >>> detect_formula("Li7La3Zr2O12").reason
    'no XO4 polyanion former (P, Si, S, As, Ge, V, Mo, W)'
    """
    try:
        comp = formula if isinstance(formula, Composition) else parse_formula(formula)
    except FormulaError as exc:  # an unparsable formula is simply "not detected", with the reason
        return Detection(False, f"unparsable formula: {exc}")
    amounts = {str(el): float(n) for el, n in comp.get_el_amt_dict().items()}
    if "O" not in amounts:
        return Detection(False, "no oxygen: not an oxide framework")
    alkali = sum(amounts.get(a, 0.0) for a in A_SITE)
    if alkali == 0:
        return Detection(False, "no A-site alkali (Li, Na, K)")
    if not any(amounts.get(x, 0.0) for x in (*X_ALWAYS, *X_EITHER)):
        return Detection(False, "no XO4 polyanion former (P, Si, S, As, Ge, V, Mo, W)")
    sites = assign_sites(amounts)
    if sites is None:
        return Detection(False, "no framework cations")
    o, x, a = sites.o, sites.x_total, sites.a_total
    foreign = {el: n for el, n in sites.foreign.items() if n > TRACE}
    if foreign:
        return Detection(False, f"contains {', '.join(sorted(foreign))} beyond a trace", a, x, o)
    if abs(o - O_PER_UNIT) > TOL_O:
        return Detection(False, f"{o:.2f} O per M2(XO4)3 unit, expected {O_PER_UNIT:g}", a, x, o)
    if abs(x - X_PER_UNIT) > TOL_X:
        return Detection(False, f"{x:.2f} tetrahedral X per unit, expected {X_PER_UNIT:g}", a, x, o)
    if not A_RANGE[0] <= a <= A_RANGE[1]:
        return Detection(False, f"{a:.2f} A-site alkali per unit, expected 1 to 4", a, x, o)
    if space_group_number is not None and np.isfinite(space_group_number):
        sg = int(space_group_number)
        if sg not in NASICON_SPACE_GROUPS:
            return Detection(False, f"space group {sg} is not a NASICON space group "
                                    f"({', '.join(NASICON_SPACE_GROUPS.values())})", a, x, o)
    return Detection(True, "A(1+x)M2(XO4)3 stoichiometry", a, x, o)


__all__ = ["A_RANGE", "A_SITE", "A_SITES_PER_UNIT", "Detection", "M_PER_UNIT", "NASICON_SPACE_GROUPS",
           "NasiconSites", "OTHER_ANIONS", "O_PER_UNIT", "X_ALWAYS", "X_EITHER", "X_PER_UNIT", "assign_sites",
           "detect_formula"]
