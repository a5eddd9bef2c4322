"""Detect NASICON-type compositions, A(1+x)M2(XO4)3, from the formula (and the space group when known).

The rule is written from the crystal chemistry, not fitted: a NASICON framework has two
octahedral M cations per three tetrahedral XO4 groups, so per framework unit (M + X = 5 cations)
there are 12 oxygens, 3 polyanion formers X and 2 octahedral cations M, plus 1 to 4 A-site
alkali ions. Elements that form both tetrahedra and octahedra in NASICONs (Ge in LAGP, V in
Na3V2(PO4)3, Mo, W, As) are counted as X only as far as needed to reach 3 X per unit; the rest
are M. :func:`detector_agreement` measures the rule against a dataset's own family labels.
"""

from __future__ import annotations

import pandas as pd

# the formula rule itself lives with the site assignment it uses (the featurize floor needs it too)
from ..featurize.nasicon_sites import (  # noqa: F401  (public here too)
    A_RANGE,
    A_SITE,
    M_PER_UNIT,
    NASICON_SPACE_GROUPS,
    O_PER_UNIT,
    OTHER_ANIONS,
    TOL_O,
    TOL_X,
    TRACE,
    X_ALWAYS,
    X_EITHER,
    X_PER_UNIT,
    Detection,
    assign_sites,
    detect_formula,
)
from ..models.metrics import confusion


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
