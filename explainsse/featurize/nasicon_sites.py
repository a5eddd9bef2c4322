"""Site assignment of NASICON-type formulas, A(1+x)M2(XO4)3, per framework unit.

A NASICON framework has two octahedral M cations per three tetrahedral XO4 groups, so one
framework unit (M + X = 5 cations) holds 12 oxygens, 3 polyanion formers X, 2 octahedral
cations M and 1 to 4 alkali ions on the A1 (1 per unit) and A2 (3 per unit) sites. Elements
that form both tetrahedra and octahedra (Ge in LAGP, V in Na3V2(PO4)3, Mo, W, As) are counted
as X only as far as needed to reach 3 X per unit (shared in proportion to their amounts); the
rest are M. The NASICON detector (:mod:`explainsse.validation.detector`) and the ``nasicon``
descriptor group (:mod:`.nasicon`) both read this assignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


__all__ = ["A_SITE", "A_SITES_PER_UNIT", "M_PER_UNIT", "NasiconSites", "OTHER_ANIONS", "O_PER_UNIT", "X_ALWAYS",
           "X_EITHER", "X_PER_UNIT", "assign_sites"]
