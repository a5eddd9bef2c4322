"""Detect NASICON-type compositions, A(1+x)M2(XO4)3, from the formula (and the space group when known).

The rule is written from the crystal chemistry, not fitted: a NASICON framework has two
octahedral M cations per three tetrahedral XO4 groups, so per framework unit (M + X = 5 cations)
there are 12 oxygens, 3 polyanion formers X and 2 octahedral cations M, plus 1 to 4 A-site
alkali ions. Elements that form both tetrahedra and octahedra in NASICONs (Ge in LAGP, V in
Na3V2(PO4)3, Mo, W, As) are counted as X only as far as needed to reach 3 X per unit; the rest
are M. :func:`detector_agreement` measures the rule against a dataset's own family labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pymatgen.core import Composition

from ..chemistry import FormulaError, parse_formula
from ..featurize.nasicon_sites import (
    A_SITE,
    M_PER_UNIT,
    O_PER_UNIT,
    OTHER_ANIONS,
    X_ALWAYS,
    X_EITHER,
    X_PER_UNIT,
    assign_sites,
)
from ..models.metrics import confusion

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


def detect_nasicon(frame: pd.DataFrame, *, use_space_group: bool = True) -> pd.DataFrame:
    """Run :func:`detect_formula` on every row of a normalized dataset frame.

    Uses the parsed ``composition`` column when the frame has one (formulas are not parsed again).

    Returns
    -------
    pandas.DataFrame
        Same index; columns ``nasicon`` (bool), ``reason``, ``a_per_unit``, ``x_per_unit``,
        ``o_per_unit``.
    """
    compositions = frame["composition"] if "composition" in frame else frame["formula"].astype(str)
    if use_space_group and "space_group_number" in frame:
        groups = [None if pd.isna(g) else float(g) for g in frame["space_group_number"]]
    else:
        groups = [None] * len(frame)
    rows = [detect_formula(c, g) for c, g in zip(compositions, groups)]
    return pd.DataFrame([r.__dict__ for r in rows], index=frame.index)


def nasicon_labels(frame: pd.DataFrame) -> pd.Series:
    """The dataset's own NASICON labels (family column, case-insensitive), NA where unlabelled."""
    family = frame["family"].astype("string").str.strip()
    return family.str.casefold().eq("nasicon").where(family.notna() & family.ne(""))


def detector_agreement(frame: pd.DataFrame, *, use_space_group: bool = True,
                       detection: pd.DataFrame | None = None) -> dict:
    """Precision and recall of the detector against the dataset's family labels.

    Only rows with a family label count. Returns the counts, precision, recall, F1, and the
    disagreeing rows (id, formula, family, space group, detector reason) so they can be read.
    ``detection`` (from :func:`detect_nasicon` with the same ``use_space_group``) is reused
    when given.
    """
    labels = nasicon_labels(frame)
    found = detection if detection is not None else detect_nasicon(frame, use_space_group=use_space_group)
    known = labels.notna()
    counts = confusion(labels[known].astype(int), found.loc[known, "nasicon"].astype(float))
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    wrong = known & (labels.fillna(False).astype(bool) != found["nasicon"])
    cols = [c for c in ("id", "formula", "family", "space_group") if c in frame]
    disagreements = frame.loc[wrong, cols].astype(str).assign(
        detector=found.loc[wrong, "nasicon"], reason=found.loc[wrong, "reason"])
    return {"n_labelled": int(known.sum()), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": precision, "recall": recall, "f1": f1, "use_space_group": use_space_group,
            "disagreements": disagreements.reset_index(drop=True)}


__all__ = ["A_SITE", "Detection", "M_PER_UNIT", "NASICON_SPACE_GROUPS", "OTHER_ANIONS", "O_PER_UNIT", "X_ALWAYS",
           "X_EITHER", "X_PER_UNIT", "detect_formula", "detect_nasicon", "detector_agreement",
           "nasicon_labels"]
