"""Strict formula parsing shared by the dataset layer and the featurizers."""

from __future__ import annotations

import math
import re
import warnings

from pymatgen.core import Composition

from . import _config
from .errors import FormulaError

try:  # pymatgen >= 2023 exposes CompositionError; it is *not* a ValueError subclass
    from pymatgen.core.composition import CompositionError
except ImportError:  # pragma: no cover - very old pymatgen
    CompositionError = ValueError


#: Largest amount of one element accepted in a formula (a cell of a large supercell stays far below).
MAX_AMOUNT = 1e6
#: Anion-forming elements and their usual (nominal) charge: the one definition of "anion" in the package.
ANION_CHARGES = {"N": -3, "O": -2, "S": -2, "Se": -2, "Te": -2, "F": -1, "Cl": -1, "Br": -1, "I": -1}

#: Separators of hydrate / adduct notation (``Li2SO4·H2O``), besides the ASCII dot.
_ADDUCT_SEPARATORS = ("\u00b7", "\u2022", "\u2219", "\u22c5", "*")
#: A number in exponent notation (``1e-30``), which is never a stoichiometric amount.
_EXPONENT = re.compile(r"\d\s*[eE][+-]?\d")
#: The part after a dot that makes the dot a hydrate separator even after a digit:
#: ``Li3PS4.2H2O`` is Li3PS4 + 2 H2O (a decimal S4.2 followed by H2O is not a sensible reading).
#: The count is a whole number here; write fractional water with ``·`` or ``*`` (``LiBH4·0.5H2O``).
_WATER_AFTER_DOT = re.compile(r"^(\d+)?(H2O|D2O)$")
#: A formula part that ends in a decimal amount (``Li3PS4.0``): a further dot and a water count
#: after it can be read two ways (``Li3PS4.0.5H2O``: Li3PS4.0 + 5 H2O, or Li3PS4 + 0.5 H2O).
_DECIMAL_END = re.compile(r"\d\.\d+$")
#: Water right after a dot (``.2H2O...``), whether or not it ends the formula.
_WATER_START = re.compile(r"^\d*(H2O|D2O)")
#: An amount written as zero (``LiCl0``, ``Li0Cl``, ``(PO4)0.0``): pymatgen would drop the element.
_ZERO_AMOUNT = re.compile(r"(?<=[A-Za-z)\]])0+(?:\.0*)?(?![\d.])")
_LEADING_COUNT = re.compile(r"^(\d+(?:\.\d+)?)(?=[A-Z(\[])")


def _adduct_parts(text: str) -> list[tuple[float, str]]:
    """Split hydrate/adduct notation into (count, formula) parts.

    ``·``, ``•``, ``*`` always separate; a ``.`` separates when it follows a letter or a
    closing bracket (``LiOH.H2O``), or when a whole number of waters ends the formula after it
    (``Li3PS4.2H2O``, ``Li0.01.1H2O``); otherwise it is a decimal point (``Li0.5La0.5TiO3``).
    """
    for sep in _ADDUCT_SEPARATORS:
        text = text.replace(sep, "\x00")
    pieces, start, skip_to = [], 0, 0
    for i, ch in enumerate(text):
        if ch != "." or i < skip_to:
            continue
        before = text[i - 1] if i else ""
        after = text[i + 1:].split("\x00")[0]
        part_so_far = text[max(start, text.rfind("\x00", 0, i) + 1):i].strip()
        water = _WATER_AFTER_DOT.match(after) if before.isdigit() and not part_so_far.isdigit() else None
        if water is None and before.isdigit() and not part_so_far.isdigit() and _WATER_START.match(after):
            raise FormulaError(f"formula {text!r} is ambiguous: the '.' after {part_so_far!r} is followed by water "
                               "that does not end the formula; write each adduct with '·' or '*' "
                               "(e.g. Li3PS4·2H2O·2H2O)")
        if water and _DECIMAL_END.search(part_so_far):
            raise FormulaError(f"formula {text!r} is ambiguous: the '.' after {part_so_far!r} may be a decimal "
                               "point or a hydrate separator; write the adduct with '·' or '*': "
                               f"{part_so_far}·{after} or {part_so_far.rsplit('.', 1)[0]}·"
                               f"{part_so_far.rsplit('.', 1)[1]}.{after}")
        if before.isalpha() or before in ")]" or water:
            pieces.append(text[start:i])
            start, skip_to = i + 1, i + 1 + (len(water.group(1) or "") if water else 0)
    pieces.append(text[start:])
    parts = []
    for chunk in "\x00".join(pieces).split("\x00"):
        chunk = chunk.strip()
        count = 1.0
        match = _LEADING_COUNT.match(chunk)
        if parts and match:  # only adducts carry a leading count (2H2O); the main part never does
            count, chunk = float(match.group(1)), chunk[match.end():]
        parts.append((count, chunk))
    return parts


def check_formula_text(text: str) -> None:
    """Refuse text no formula reader should see: too long, control characters, negative terms.

    Parameters
    ----------
    text : str
        A stripped formula string.

    Raises
    ------
    FormulaError
        When ``text`` is longer than :data:`explainsse._config.MAX_FORMULA_LENGTH` characters
        (pymatgen's reader is quadratic in the length), holds a control character such as a NUL
        byte (``Li7\\0La3Zr2O12`` would otherwise be read as ``Li7``), or a minus sign
        (``Li7La3Zr2O12La-1`` would be read as La2: a formula has no negative amount), or an
        amount written as zero (``LiCl0`` would be read as Li).
    """
    if len(text) > _config.MAX_FORMULA_LENGTH:
        raise FormulaError(f"formula of {len(text):,} characters is longer than the "
                           f"{_config.MAX_FORMULA_LENGTH} accepted ({text[:20]!r}...)")
    bad = next((ch for ch in text if ord(ch) < 32 or 127 <= ord(ch) < 160 or ch == "\u2400"), None)
    if bad is not None:  # U+2400 stands for a NUL byte read from a CSV cell
        raise FormulaError(f"formula {text!r} holds the control character {'NUL' if bad == chr(0x2400) else repr(bad)}")
    if _EXPONENT.search(text):
        raise FormulaError(f"formula {text!r} has an amount in exponent notation; write amounts as plain "
                           "numbers (e.g. Li0.001)")
    zero = _ZERO_AMOUNT.search(text)
    if zero:
        raise FormulaError(f"formula {text!r} has an amount of zero ({text[max(zero.start() - 2, 0):zero.end()]!r}): "
                           "leave the element out instead")
    if "-" in text or "\u2212" in text:
        raise FormulaError(f"formula {text!r} has a negative amount or a minus sign; amounts must be >= 0")


def parse_formula(formula: object) -> Composition:
    """Parse a formula strictly into a pymatgen :class:`~pymatgen.core.Composition`.

    Unknown element symbols are errors (pymatgen would otherwise create dummy species), as
    are empty formulas, compositions with no atoms, amounts written in exponent notation
    (``Li1e-30O``) and amounts that are not finite or exceed :data:`MAX_AMOUNT`. Hydrates and
    adducts are read as such: ``Li3PS4.2H2O``, ``Li3PS4·2H2O`` and ``LiOH.H2O`` (pymatgen alone
    reads the first as Li3 P S4.2 H2 O).

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
    >>> parse_formula("Li3PS4.2H2O") == parse_formula("Li3PS4H4O2")
    True
    >>> parse_formula("Xx2O")
    Traceback (most recent call last):
    ...
    explainsse.errors.FormulaError: cannot parse formula 'Xx2O': unknown element symbol in 'Xx2O' (Xx0+, O)
    """
    if formula is None or (isinstance(formula, float) and formula != formula):
        raise FormulaError("empty formula")
    text = str(formula).strip()
    if not text:
        raise FormulaError("empty formula")
    check_formula_text(text)
    total = Composition()
    for count, part in _adduct_parts(text):
        if not part:
            raise FormulaError(f"cannot parse formula {text!r}: empty part around a hydrate/adduct separator")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                comp = Composition(part, strict=True)
        except (ValueError, CompositionError, KeyError, TypeError, OverflowError, RecursionError) as exc:
            message = str(exc)
            if "not valid, contains" in message:
                message = f"unknown element symbol in {text!r} ({message.split('contains:')[-1].strip()})"
            raise FormulaError(f"cannot parse formula {text!r}: {message}") from exc
        total = total + comp * count if count != 1.0 else total + comp
    bad = {str(el): amt for el, amt in total.items() if not (math.isfinite(amt) and amt <= MAX_AMOUNT)}
    if bad:
        raise FormulaError(f"formula {text!r} has impossible amounts {bad} (not finite or above {MAX_AMOUNT:g})")
    if total.num_atoms <= 0:
        raise FormulaError(f"formula {text!r} has no atoms")
    return total
