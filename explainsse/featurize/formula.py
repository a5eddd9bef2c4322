"""A fast formula reader for screening: element amounts without building pymatgen objects.

:func:`parse_amounts` reads the plain grammar of chemical formulas (element symbols, decimal
amounts, nested ``()`` / ``[]`` groups with a multiplier) in one regular-expression pass and
gives the same element amounts as :func:`explainsse.chemistry.parse_formula` (pymatgen's
reader behind the project's strict rules). Anything outside that grammar (hydrate/adduct dots,
spaces, exponent notation, unknown symbols, unbalanced brackets) and every error goes to
:func:`~explainsse.chemistry.parse_formula` itself, so bad input gets exactly its error and
unusual notation exactly its reading. Groups are multiplied as pymatgen does (each term times
its group's factor, then summed, innermost first), so the amounts are equal bit for bit
(``tests/featurize/test_formula.py`` checks this with hypothesis).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from .. import _config
from ..chemistry import MAX_AMOUNT, check_formula_text, parse_formula
from ..errors import FormulaError

#: One token of the plain grammar: an element symbol, an amount, or a bracket.
_TOKEN = re.compile(r"([A-Z][a-z]?)|(\d+(?:\.\d+)?)|([(\[])|([)\]])")
#: The whole formula in the plain grammar (possessive quantifiers: linear time, no backtracking).
_PLAIN = re.compile(r"(?:[A-Z][a-z]?|\d++(?:\.\d++)?|[()\[\]])++")
#: Without brackets: element symbol and optional amount pairs.
_FLAT = re.compile(r"(?:[A-Z][a-z]?(?:\d++(?:\.\d++)?)?)++")
_PAIR = re.compile(r"([A-Z][a-z]?)(\d+(?:\.\d+)?)?")
#: A dot that chemistry.parse_formula may read as a hydrate separator (``Li3PS4.2H2O``).
_HYDRATE_TAIL = re.compile(r"\.\d*[HD]2O$")
#: pymatgen drops amounts below this (``Composition.amount_tolerance``).
AMOUNT_TOLERANCE = 1e-8


@lru_cache(maxsize=1)
def _symbols() -> frozenset[str]:
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    return frozenset(e.symbol for e in Element)


class _Fallback(Exception):
    """The formula leaves the plain grammar: the strict pymatgen reader decides."""


def parse_amounts(formula: object) -> dict[str, float]:
    """Element amounts of one formula, as ``{symbol: amount}`` in order of first appearance.

    Parameters
    ----------
    formula : object
        A formula string.

    Returns
    -------
    dict

    Raises
    ------
    FormulaError
        Exactly as :func:`explainsse.chemistry.parse_formula` would.

    Examples
    --------
    >>> parse_amounts("Li1.3Al0.3Ti1.7(PO4)3")
    {'Li': 1.3, 'Al': 0.3, 'Ti': 1.7, 'P': 3.0, 'O': 12.0}
    """
    text = formula.strip() if isinstance(formula, str) else None
    if text and len(text) > _config.MAX_FORMULA_LENGTH:
        check_formula_text(text)  # refused before any reading (pymatgen is quadratic in the length)
    if text and not _HYDRATE_TAIL.search(text):
        try:
            if _FLAT.fullmatch(text):
                return _read_flat(text)
            if _PLAIN.fullmatch(text):
                return _read_plain(text)
        except _Fallback:
            pass
    return {el: float(n) for el, n in parse_formula(formula).get_el_amt_dict().items()}


def _read_plain(text: str) -> dict[str, float]:
    """Amounts of a formula in the plain grammar; :class:`_Fallback` for anything pymatgen reads otherwise.

    As pymatgen does, a group keeps its terms in order; closing it multiplies each term by the
    group's factor and sums them per element (first appearance order), which become terms of
    the enclosing group; the formula's own terms are summed last.
    """
    symbols = _symbols()
    groups: list[list[tuple[str, float]]] = [[]]
    tokens = _TOKEN.findall(text)
    i, n = 0, len(tokens)
    while i < n:
        el, num, opening, closing = tokens[i]
        i += 1
        if el:
            if el not in symbols:
                raise _Fallback
            amount = 1.0
            if i < n and tokens[i][1]:
                amount = float(tokens[i][1])
                i += 1
            groups[-1].append((el, amount))
        elif opening:
            groups.append([])
        elif closing:
            if len(groups) == 1 or not groups[-1]:
                raise _Fallback  # unbalanced or empty group
            factor = 1.0
            if i < n and tokens[i][1]:
                factor = float(tokens[i][1])
                i += 1
            summed = _sum_terms(groups.pop(), factor)
            if any(0 < abs(v) < 1e-4 for v in summed.values()):
                raise _Fallback  # pymatgen writes such amounts back in exponent notation
            groups[-1].extend(summed.items())
        else:
            raise _Fallback  # an amount with nothing before it
    if len(groups) != 1:
        raise _Fallback
    return _checked(_sum_terms(groups[0], 1.0))


def _read_flat(text: str) -> dict[str, float]:
    """Amounts of a formula without brackets (symbol-amount pairs)."""
    symbols = _symbols()
    out: dict[str, float] = {}
    for el, num in _PAIR.findall(text):
        if el not in symbols:
            raise _Fallback
        out[el] = out.get(el, 0.0) + (float(num) if num else 1.0)
    return _checked(out)


def _checked(amounts: dict[str, float]) -> dict[str, float]:
    """The amounts, unless pymatgen would drop or refuse some (zero, tiny or huge amounts): then it decides."""
    if not amounts or min(amounts.values()) < AMOUNT_TOLERANCE:  # rare: (near) zero amounts
        raise _Fallback  # the strict reader refuses a written zero and drops what pymatgen drops
    if not max(amounts.values()) <= MAX_AMOUNT:
        raise _Fallback
    return amounts


def _sum_terms(terms: list[tuple[str, float]], factor: float) -> dict[str, float]:
    out: dict[str, float] = {}
    for el, amount in terms:
        out[el] = out.get(el, 0.0) + amount * factor
    return out


def parse_many(formulas, symbols) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Padded element-index and amount arrays of many formulas, with the reasons of the failed ones.

    Parameters
    ----------
    formulas : sequence of str
    symbols : sequence of str
        The element table's symbols (an element not among them fails its row).

    Returns
    -------
    elements : numpy.ndarray of int, shape (n, k)
        Index into ``symbols`` of each element of each formula (``k`` = the most elements in a
        formula), ``-1`` for padding and for failed rows.
    amounts : numpy.ndarray of float, shape (n, k)
        The element amounts, 0 for padding.
    errors : dict
        Position -> reason, for formulas that could not be read or hold an element without data.
    """
    where = {s: j for j, s in enumerate(symbols)}
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    slots: list[int] = []
    errors: dict[int, str] = {}
    for pos, formula in enumerate(formulas):
        try:
            amounts = parse_amounts(formula)
            missing = [el for el in amounts if el not in where]
            if missing:
                raise FormulaError(f"no elemental data for {', '.join(missing)} in matminer's Magpie table")
        except FormulaError as exc:
            errors[pos] = str(exc)
            continue
        rows.extend([pos] * len(amounts))
        slots.extend(range(len(amounts)))
        cols.extend(where[el] for el in amounts)
        values.extend(amounts.values())
    k = (max(slots) + 1) if slots else 1
    elements = np.full((len(formulas), k), -1, dtype=np.int64)
    amounts_out = np.zeros((len(formulas), k))
    elements[rows, slots] = cols
    amounts_out[rows, slots] = values
    return elements, amounts_out, errors


__all__ = ["AMOUNT_TOLERANCE", "parse_amounts", "parse_many"]
