"""NASICON site descriptors (``nasicon`` group): A, M and X sites and the lattice of A(1+x)M2(XO4)3.

Computed from the formula with the site assignment of :mod:`.nasicon_sites` (the detector's),
and from the lattice columns (or a ``structure`` column) where they exist. The A site is
described by its *filling* (alkali per unit / 4 A1 + A2 sites) and the alkali's Shannon radius,
so that Na and Li compounds share one scale. Rows that are not NASICON get NaN, the indicator
``NASICON framework`` = 0 and the detector's reason in the notes column.

Radii are Shannon (1976) effective ionic radii (pymatgen's table): CN VI for the A and M
cations, CN IV for the tetrahedral X. Oxidation states are nominal: X cations take their group
valence (P5+, Si4+, Ge4+, S6+, As5+, V5+, Mo6+, W6+), alkali +1, and the M cations the
combination of their known states that balances 12 O2- per unit best, preferring common states.

Lattice: ``a`` and ``c`` in the hexagonal setting of R-3c / R-3 (6 formula units per cell) are
taken as given when the cell is in that setting (a = b, gamma = 120 deg, or only a and c given
with 2.2 <= c/a <= 3.0); the volume per framework unit from any full cell. Missing lattice
values stay NaN here (the row's note says so): a model's pipeline fills them with
a linear (Vegard-type) fit on the M- and X-site radii learned on its training rows only
(:class:`~explainsse.featurize.nasicon_lattice.NasiconLatticeEstimator`). Xu et al.'s ``h =
sqrt(2) a`` and ``d = sqrt(h^2 + c^2)`` approximate the size of the A1-A2 bottleneck triangle.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
import pandas as pd

from ..chemistry import FormulaError, parse_formula
from .descriptor_info import PAULING, SHANNON_1976, DescriptorInfo
from .nasicon_sites import (
    A_SITES_PER_UNIT,
    NASICON_SPACE_GROUPS,
    O_PER_UNIT,
    NasiconSites,
    assign_sites,
    detect_formula,
)
from .structure_table import NOTES

PREFIX = "NASICON "
XU_2020 = ("Y. Xu, Y. Zong, K. Hippalgaonkar, \"Machine learning-assisted cross-domain prediction of ionic "
           "conductivity in sodium and lithium-based superionic conductors using facile descriptors\", "
           "J. Phys. Commun. 4, 055015 (2020), doi:10.1088/2399-6528/ab92d8")
HONG_1976 = ("H. Y.-P. Hong, \"Crystal structures and crystal chemistry in the system Na1+xZr2SixP3-xO12\", "
             "Mater. Res. Bull. 11, 173-182 (1976), doi:10.1016/0025-5408(76)90073-8")
SOURCE = "explainsse NASICON site descriptors"

#: Tetrahedral X cations and their group valence.
X_CHARGES = {"P": 5, "Si": 4, "Ge": 4, "S": 6, "As": 5, "V": 5, "Mo": 6, "W": 6}
#: Formula units A(1+x)M2(XO4)3 in the hexagonal cell of R-3c / R-3.
UNITS_PER_HEX_CELL = 6
#: Cost of an uncommon oxidation state (or one without a CN 6 radius), in charge per unit.
STATE_PENALTY = 0.3
#: c/a range of NASICON cells in the hexagonal setting (checks that given a, c are in that setting).
HEX_C_OVER_A = (2.2, 3.0)

#: Column names the lattice estimator reads and fills (also used by the pipeline step).
COL_A, COL_C, COL_CA = PREFIX + "a (hexagonal)", PREFIX + "c (hexagonal)", PREFIX + "c/a"
COL_VOLUME, COL_H, COL_D = PREFIX + "volume per unit", PREFIX + "h (Xu)", PREFIX + "d (Xu)"
COL_FRAMEWORK = PREFIX + "framework"
COL_TRIGONAL = PREFIX + "trigonal cell"
#: Trigonal and hexagonal space groups (R-3c and R-3 for NASICON; 143-194).
TRIGONAL_GROUPS = range(143, 195)
COL_OPENNESS = PREFIX + "framework size / ion size"
#: Shannon radius of O2- (CN 6), angstrom: the alkali-oxygen contact distance is r_A + R_OXYGEN.
R_OXYGEN = 1.40
COL_M_RADIUS, COL_X_RADIUS = PREFIX + "M-site mean ionic radius", PREFIX + "X-site mean tetrahedral radius"
COL_A_PER_UNIT, COL_A_RADIUS = PREFIX + "A per unit", PREFIX + "A-site ionic radius"

_SITE_REF = f"{XU_2020}; {HONG_1976}"
_SPEC = [
    (COL_FRAMEWORK, "1 if the formula is an A(1+x)M2(XO4)3 NASICON framework (the detector's rule), else 0 "
                    "(all other NASICON descriptors are then missing)", "-", _SITE_REF),
    (COL_A_PER_UNIT, "alkali ions (Li, Na, K) per A(1+x)M2(XO4)3 formula unit (1 + x)", "atoms/unit", _SITE_REF),
    (PREFIX + "A-site filling", "fraction of the 4 A sites per unit (1 A1 + 3 A2) that hold an alkali ion: "
                                "the same scale for Na and Li compounds", "-", _SITE_REF),
    (COL_A_RADIUS, "mean Shannon ionic radius of the alkali ions (CN 6: Li+ 0.76, Na+ 1.02 A)", "angstrom",
     SHANNON_1976),
    (COL_M_RADIUS, "occupancy-weighted mean Shannon ionic radius of the octahedral M cations (CN 6)", "angstrom",
     SHANNON_1976),
    (PREFIX + "M-site radius spread", "occupancy-weighted standard deviation of the M-cation radii (CN 6)",
     "angstrom", SHANNON_1976),
    (PREFIX + "M-site radius mismatch", "size mismatch of the M cations, sqrt(sum_i c_i (1 - r_i / r_mean)^2)",
     "-", SHANNON_1976),
    (PREFIX + "M-site mean oxidation state", "mean nominal charge of the M cations (sets the alkali content: "
                                             "lower M charge, more A ions)", "e", _SITE_REF),
    (PREFIX + "M-site oxidation-state spread", "occupancy-weighted standard deviation of the M-cation charges",
     "e", _SITE_REF),
    (PREFIX + "M-site mean electronegativity", "occupancy-weighted mean Pauling electronegativity of the M cations",
     "Pauling units", PAULING),
    (PREFIX + "M-site electronegativity spread", "occupancy-weighted standard deviation of the M-cation "
                                                 "electronegativities", "Pauling units", PAULING),
    *[(f"{PREFIX}X share {el}", f"share of the 3 tetrahedral X sites held by {el}", "-", _SITE_REF)
      for el in X_CHARGES],
    (COL_X_RADIUS, "mean Shannon ionic radius of the tetrahedral X cations (CN 4)", "angstrom", SHANNON_1976),
    (PREFIX + "X-site mean oxidation state", "mean nominal charge of the X cations (Si4+ for P5+ adds one A ion)",
     "e", _SITE_REF),
    (COL_TRIGONAL, "1 if the space group is trigonal or hexagonal (R-3c, R-3: the NASICON cell), 0 if a lower "
                   "symmetry is given (monoclinic / orthorhombic distortions such as the Li3M2(PO4)3 frameworks), "
                   "missing when no space group is known", "-", HONG_1976),
    (COL_A, "lattice parameter a in the hexagonal setting (R-3c / R-3); estimated from the site radii when the "
            "data give none (the row's note says so)", "angstrom", XU_2020),
    (COL_C, "lattice parameter c in the hexagonal setting; estimated like a when not given", "angstrom", XU_2020),
    (COL_CA, "c / a of the hexagonal cell (framework elongation along the A1-A2 channels)", "-", XU_2020),
    (COL_VOLUME, "cell volume per A(1+x)M2(XO4)3 unit (M + X = 5 cations)", "angstrom^3", _SITE_REF),
    (COL_OPENNESS, "cube root of the volume per unit over the alkali-oxygen contact distance (r_A + 1.40 A): "
                   "how open the framework is for its own mobile ion (the same scale for Na and Li)", "-",
     f"{HONG_1976}; {SHANNON_1976}"),
    (COL_H, "Xu et al.'s h = sqrt(2) a: in-plane size of the A1-A2 bottleneck triangle", "angstrom", XU_2020),
    (COL_D, "Xu et al.'s d = sqrt(h^2 + c^2): size along the conduction channel", "angstrom", XU_2020),
]
LABELS = [name for name, *_ in _SPEC]


def site_of(name: str) -> str | None:
    """The NASICON site a descriptor describes (``A site``, ``M site``, ``X site``, ``lattice``), else None.

    Examples
    --------
    >>> site_of("NASICON M-site mean ionic radius"), site_of("NASICON c/a"), site_of("LLSD")
    ('M site', 'lattice', None)
    """
    if not name.startswith(PREFIX) or name == COL_FRAMEWORK:
        return None
    rest = name[len(PREFIX):]
    if rest.startswith("A"):
        return "A site"
    if rest.startswith("M-site"):
        return "M site"
    if rest.startswith("X"):
        return "X site"
    return "lattice"


def nasicon_entries() -> list[DescriptorInfo]:
    """Glossary entries of the NASICON site descriptors, in column order."""
    return [DescriptorInfo(name, meaning, unit, SOURCE, cite) for name, meaning, unit, cite in _SPEC]


@lru_cache(maxsize=None)
def shannon_radius(element: str, charge: int, cn: str, *, exact: bool = False) -> float:
    """Shannon ionic radius (angstrom) of ``element`` in ``charge`` at coordination ``cn`` (roman numeral).

    When the table has no entry for that coordination, the entry with the nearest coordination
    is used (NaN with ``exact``); NaN when the ion is not in the table at all.
    """
    from pymatgen.core import (  # heavy: pymatgen loads only where structures/compositions need it
        Element,
        Species,
    )

    romans = {"II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10, "XII": 12}
    target = romans.get(cn, 6)
    order = [cn] if exact else sorted(romans, key=lambda k: (abs(romans[k] - target), romans[k]))
    for numeral in order:
        try:
            return float(Species(element, charge).get_shannon_radius(numeral))
        except (KeyError, ValueError):
            continue
    if exact:
        return float("nan")
    radii = Element(element).ionic_radii
    return float(radii[charge]) if charge in radii else float("nan")


@lru_cache(maxsize=None)
def _states(element: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    el = Element(element)
    known = tuple(s for s in el.oxidation_states if 1 <= s <= 6) or (3,)
    common = tuple(s for s in el.common_oxidation_states if s > 0)
    return known, common


def m_site_charges(m: dict[str, float], required: float) -> dict[str, int]:
    """Nominal charge of each M cation: the known states that best balance ``required`` charge per unit.

    The cost of a combination is its charge imbalance plus :data:`STATE_PENALTY` for each state
    that is not a common one and for each that has no Shannon radius at CN 6 (Sn2+), so that a
    slightly unbalanced formula (doping series written with rounded amounts) keeps common states.

    Examples
    --------
    >>> m_site_charges({"Al": 0.3, "Ti": 1.7}, 7.7)
    {'Al': 3, 'Ti': 4}
    """
    elements = sorted(m)
    options = [_states(el)[0] for el in elements]
    best, best_cost = None, None
    for combo in itertools.product(*options):
        total = sum(m[el] * q for el, q in zip(elements, combo))
        odd = sum((q not in _states(el)[1]) + (not np.isfinite(shannon_radius(el, q, "VI", exact=True)))
                  for el, q in zip(elements, combo))
        cost = (round(abs(total - required) + STATE_PENALTY * odd, 6), odd)
        if best_cost is None or cost < best_cost:
            best, best_cost = combo, cost
    return dict(zip(elements, best))


def _weighted(values: dict[str, float], weights: dict[str, float]) -> tuple[float, float]:
    w = np.array([weights[k] for k in values], float)
    v = np.array([values[k] for k in values], float)
    w = w / w.sum()
    mean = float(w @ v)
    return mean, float(np.sqrt(w @ (v - mean) ** 2))


def site_values(sites: NasiconSites) -> dict[str, float]:
    """Composition part of the NASICON descriptors (A, M, X sites) of one assigned formula."""
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    out: dict[str, float] = {COL_FRAMEWORK: 1.0, COL_A_PER_UNIT: sites.a_total,
                             PREFIX + "A-site filling": sites.a_total / A_SITES_PER_UNIT}
    out[COL_A_RADIUS] = _weighted({el: shannon_radius(el, 1, "VI") for el in sites.a}, sites.a)[0]
    x_charge = sum(n * X_CHARGES[el] for el, n in sites.x.items())
    required = 2 * O_PER_UNIT - sites.a_total - x_charge
    charges = m_site_charges(sites.m, required) if sites.m else {}
    radii = {el: shannon_radius(el, q, "VI") for el, q in charges.items()}
    if sites.m:
        r_mean, r_sd = _weighted(radii, sites.m)
        w = np.array([sites.m[k] for k in radii]) / sites.m_total
        mismatch = float(np.sqrt(w @ (1 - np.array(list(radii.values())) / r_mean) ** 2))
        q_mean, q_sd = _weighted({k: float(v) for k, v in charges.items()}, sites.m)
        chi = {el: Element(el).X for el in sites.m}
        chi_mean, chi_sd = _weighted(chi, sites.m)
    else:
        r_mean = r_sd = mismatch = q_mean = q_sd = chi_mean = chi_sd = float("nan")
    out.update({COL_M_RADIUS: r_mean, PREFIX + "M-site radius spread": r_sd, PREFIX + "M-site radius mismatch": mismatch,
                PREFIX + "M-site mean oxidation state": q_mean, PREFIX + "M-site oxidation-state spread": q_sd,
                PREFIX + "M-site mean electronegativity": chi_mean, PREFIX + "M-site electronegativity spread": chi_sd})
    x_total = sites.x_total
    for el in X_CHARGES:
        out[f"{PREFIX}X share {el}"] = sites.x.get(el, 0.0) / x_total
    out[COL_X_RADIUS] = _weighted({el: shannon_radius(el, X_CHARGES[el], "IV") for el in sites.x}, sites.x)[0]
    out[PREFIX + "X-site mean oxidation state"] = x_charge / x_total
    return out


def lattice_values(row: dict, sites: NasiconSites, framework_per_formula: float) -> dict[str, float]:
    """Lattice part (a, c, c/a, volume per unit, Xu's h and d) from one row's lattice data or structure.

    A row's ``structure`` (a pymatgen Structure, when the table has that column) supplies the cell
    when present; otherwise the lattice columns do. ``framework_per_formula`` is the number of M + X cations in one formula of the row (to turn
    a cell volume into a volume per framework unit).
    """
    nan = float("nan")
    a = b = c = alpha = beta = gamma = nan
    units_per_cell = nan
    structure = row.get("structure")
    if structure is not None and not (isinstance(structure, float) and math.isnan(structure)):
        lat = structure.lattice
        a, b, c, alpha, beta, gamma = (*lat.abc, *lat.angles)
        framework = sum(n for el, n in structure.composition.get_el_amt_dict().items()
                        if el in sites.m or el in sites.x)
        units_per_cell = framework / 5.0
    else:
        a, b, c, alpha, beta, gamma = (_num(row.get(k)) for k in ("a", "b", "c", "alpha", "beta", "gamma"))
        fu = _num(row.get("formula_units_per_cell"))
        if np.isfinite(fu):
            units_per_cell = fu * framework_per_formula / 5.0
    hexagonal = (np.isfinite(a) and np.isfinite(c) and HEX_C_OVER_A[0] <= c / a <= HEX_C_OVER_A[1]
                 and (not np.isfinite(b) or abs(a - b) < 0.02 * a)
                 and (not np.isfinite(gamma) or abs(gamma - 120.0) < 1.0))
    volume = nan
    if all(np.isfinite(v) for v in (a, b, c, alpha, beta, gamma)) and np.isfinite(units_per_cell):
        ca, cb, cg = (math.cos(math.radians(x)) for x in (alpha, beta, gamma))
        cell = a * b * c * math.sqrt(max(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg, 0.0))
        volume = cell / units_per_cell
    elif hexagonal:
        volume = math.sqrt(3) / 2 * a * a * c / UNITS_PER_HEX_CELL
    if not hexagonal:
        a = c = nan
    h = math.sqrt(2) * a
    return {COL_A: a, COL_C: c, COL_CA: c / a, COL_VOLUME: volume, COL_OPENNESS: openness(volume, sites),
            COL_H: h, COL_D: math.sqrt(h * h + c * c)}


def openness(volume, a_radius) -> float:
    """Cube root of the volume per unit over the alkali-oxygen contact distance (``a_radius`` + 1.40 A).

    ``a_radius`` is the mean alkali radius, or a :class:`NasiconSites` (its radius is computed).
    Works element-wise on arrays.
    """
    if isinstance(a_radius, NasiconSites):
        a_radius = _weighted({el: shannon_radius(el, 1, "VI") for el in a_radius.a}, a_radius.a)[0]
    return np.cbrt(volume) / (np.asarray(a_radius, float) + R_OXYGEN)


def _num(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out


class NasiconSiteFeaturizer:
    """The ``nasicon`` group's featurizer: :data:`LABELS` plus the notes column, for a whole table.

    Reads ``formula`` and, where present, ``a, b, c, alpha, beta, gamma, formula_units_per_cell,
    space_group_number`` and ``structure``.
    """

    def feature_labels(self) -> list[str]:
        """Column names, in order (the notes column is extra)."""
        return list(LABELS)

    def featurize_table(self, table: pd.DataFrame) -> pd.DataFrame:
        """Descriptor values of every row, with :data:`~explainsse.featurize.structure_table.NOTES`."""
        rows, notes = [], []
        records = table.to_dict("records")
        for record in records:
            values = dict.fromkeys(LABELS, float("nan"))
            values[COL_FRAMEWORK] = 0.0
            note = ""
            try:
                comp = parse_formula(record.get("formula"))
            except FormulaError as exc:
                rows.append(values)
                notes.append(f"NASICON descriptors missing: unparsable formula ({exc})")
                continue
            detection = detect_formula(comp)  # stoichiometry; a non-NASICON space group is noted below
            if not detection.nasicon:
                rows.append(values)
                notes.append(f"NASICON descriptors missing: not NASICON ({detection.reason})")
                continue
            amounts = {str(el): float(n) for el, n in comp.get_el_amt_dict().items()}
            sites = assign_sites(amounts)
            values.update(site_values(sites))
            framework = (sites.m_total + sites.x_total) / sites.scale
            values.update(lattice_values(record, sites, framework))
            sg = _num(record.get("space_group_number"))
            if np.isfinite(sg):
                values[COL_TRIGONAL] = float(int(sg) in TRIGONAL_GROUPS)
            if np.isfinite(sg) and int(sg) not in NASICON_SPACE_GROUPS:  # the detector's space-group rule
                note = (f"A(1+x)M2(XO4)3 stoichiometry in space group {int(sg)}, not a NASICON space group: site "
                        "descriptors computed from the formula")
            if not np.isfinite(values[COL_A]):
                note = "; ".join(filter(None, [note, "NASICON lattice a, c not given in the hexagonal setting: "
                                                     "estimated inside the model"]))
            rows.append(values)
            notes.append(note)
        out = pd.DataFrame(rows, index=table.index, columns=LABELS).astype(float)
        out[NOTES] = notes
        return out


__all__ = ["COL_A", "COL_C", "LABELS", "NasiconSiteFeaturizer", "X_CHARGES", "XU_2020", "lattice_values",
           "m_site_charges", "nasicon_entries", "openness", "shannon_radius", "site_of", "site_values"]
