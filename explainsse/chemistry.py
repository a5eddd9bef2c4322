"""Strict formula parsing shared by the dataset layer and the featurizers."""

from __future__ import annotations

import warnings

from pymatgen.core import Composition

try:  # pymatgen >= 2023 exposes CompositionError; it is *not* a ValueError subclass
    from pymatgen.core.composition import CompositionError
except ImportError:  # pragma: no cover - very old pymatgen
    CompositionError = ValueError


class FormulaError(ValueError):
    """A formula that is not a valid chemical composition."""


def parse_formula(formula: object) -> Composition:
    """Parse a formula strictly into a pymatgen :class:`~pymatgen.core.Composition`.

    Unknown element symbols are errors (pymatgen would otherwise create dummy species),
    as are empty formulas and compositions with no atoms.

    Parameters
    ----------
    formula : object
        A formula string such as ``"Li7La3Zr2O12"`` or ``"Li1.3Al0.3Ti1.7(PO4)3"``.

    Returns
    -------
    pymatgen.core.Composition

    Raises
    ------
    FormulaError
        With a one-line reason.

    Examples
    --------
    >>> parse_formula("Li1.3Al0.3Ti1.7(PO4)3")["O"]
    12.0
    >>> parse_formula("Xx2O")
    Traceback (most recent call last):
    ...
    explainsse.chemistry.FormulaError: cannot parse formula 'Xx2O': unknown element symbol in 'Xx2O' (Xx0+, O)
    """
    if formula is None or (isinstance(formula, float) and formula != formula):
        raise FormulaError("empty formula")
    text = str(formula).strip()
    if not text:
        raise FormulaError("empty formula")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            comp = Composition(text, strict=True)
    except (ValueError, CompositionError, KeyError, TypeError) as exc:
        message = str(exc)
        if "not valid, contains" in message:
            message = f"unknown element symbol in {text!r} ({message.split('contains:')[-1].strip()})"
        raise FormulaError(f"cannot parse formula {text!r}: {message}") from exc
    if comp.num_atoms <= 0:
        raise FormulaError(f"formula {text!r} has no atoms")
    return comp
