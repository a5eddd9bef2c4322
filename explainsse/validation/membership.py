"""Which rows are NASICON (family labels, else the formula detector) and which alkali they carry."""

from __future__ import annotations

import pandas as pd

from ..chemistry import parse_formula
from .detector import detect_nasicon, nasicon_labels


def nasicon_membership(frame: pd.DataFrame, *, all_nasicon: bool = False,
                       detection: pd.DataFrame | None = None) -> tuple[pd.Series, str]:
    """NASICON membership per row and where it comes from.

    The dataset's family labels where present; the formula detector for unlabelled rows
    (``detection`` from :func:`~explainsse.validation.detector.detect_nasicon` is reused when
    given); every row with ``all_nasicon`` (a NASICON-only file such as Xu's).
    """
    if all_nasicon:
        return pd.Series(True, index=frame.index), "declared by the user (--all-nasicon)"
    labels = nasicon_labels(frame) if "family" in frame else pd.Series(pd.NA, index=frame.index)
    if labels.notna().all():
        return labels.astype(bool), "the dataset's family labels"
    detected = (detection if detection is not None else detect_nasicon(frame))["nasicon"]
    if labels.isna().all():
        return detected.astype(bool), "the formula detector (no family labels)"
    return labels.fillna(detected).astype(bool), "family labels, the detector for unlabelled rows"


def alkali_domain(composition) -> str:
    """``"Li"``, ``"Na"``, ``"mixed"`` (both) or ``"none"`` for one composition (or formula)."""
    from pymatgen.core import Composition  # heavy: pymatgen loads only where structures/compositions need it


    comp = composition if isinstance(composition, Composition) else parse_formula(composition)
    els = {str(e) for e in comp.elements}
    has_li, has_na = "Li" in els, "Na" in els
    return "mixed" if has_li and has_na else "Li" if has_li else "Na" if has_na else "none"


__all__ = ["alkali_domain", "nasicon_membership"]
