"""Parse measured ionic conductivities, including censored text bounds.

OBELiX reports 37 conductivities as text upper bounds such as ``<1E-10``: the sample conducts
too poorly to measure. Such rows are kept, marked ``censored=True``, keep their bound in
``sigma_bound_S_cm`` and get a documented floor value (default 1e-15 S/cm, see
:data:`explainsse._config.DEFAULT_CENSORED_FLOOR`) as ``sigma_S_cm``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .._config import MAX_SIGMA_S_CM, MIN_SIGMA_S_CM, check_censored_floor  # noqa: F401  (public here too)

_BOUND = re.compile(r"^\s*(<=|≤|<)\s*(.+?)\s*$")
_LOWER_BOUND = re.compile(r"^\s*(>=|≥|>)")

TARGET_KINDS = ("sigma", "log10")


@dataclass(frozen=True)
class ParsedConductivity:
    """A parsed conductivity value.

    Attributes
    ----------
    sigma : float
        Conductivity in S/cm used for modelling (the floor for censored rows); NaN on error.
    censored : bool
        True for an upper bound (``<x``).
    bound : float
        The upper bound in S/cm for censored rows, else NaN.
    error : str or None
        Why the value cannot be used, or None.
    """

    sigma: float
    censored: bool = False
    bound: float = math.nan
    error: str | None = None

    @property
    def log10_sigma(self) -> float:
        """log10 of :attr:`sigma` (NaN on error)."""
        return math.log10(self.sigma) if self.error is None else math.nan


#: A plain decimal number, optionally in exponent notation: no underscores (``1_000``), no
#: ``inf``/``nan``, no hexadecimal, which Python's ``float`` would accept.
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")



#: A number written with a decimal comma (``3,2E-04``), as European spreadsheets export it.
DECIMAL_COMMA = r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?"


def parse_number(value: object) -> float | None:
    """A finite plain number from a table cell, or None.

    Text must be a plain decimal (optionally with an exponent and a typographic minus):
    ``1_000``, ``inf``, ``nan`` and hexadecimal, which Python's ``float`` accepts, are not numbers.

    Examples
    --------
    >>> parse_number(" \u22121.5e-3 "), parse_number("1_000"), parse_number(2)
    (-0.0015, None, 2.0)
    """
    if isinstance(value, str):
        value = value.strip().replace("\u2212", "-")
        if not _NUMBER.match(value):
            return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def parse_conductivity(
    raw: object, kind: str = "sigma", floor: float = 1e-15
) -> ParsedConductivity:
    """Parse one conductivity cell.

    Parameters
    ----------
    raw : object
        The cell: a number, a numeric string, or an upper bound such as ``"<1E-10"``.
    kind : {"sigma", "log10"}
        ``"sigma"``: conductivity in S/cm. ``"log10"``: already log10(S/cm).
    floor : float
        Conductivity (S/cm) assigned to censored rows.

    Returns
    -------
    ParsedConductivity
        ``error`` says why a value is unusable (empty, non-numeric, non-positive, lower bound).

    Examples
    --------
    >>> parse_conductivity("1.2e-3").sigma
    0.0012
    >>> p = parse_conductivity("<1E-10")
    >>> p.censored, p.bound, p.sigma
    (True, 1e-10, 1e-15)
    >>> parse_conductivity("-4", kind="log10").sigma
    0.0001
    """
    if kind not in TARGET_KINDS:
        raise ValueError(f"target kind must be one of {TARGET_KINDS}, got {kind!r}")
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ParsedConductivity(math.nan, error="empty conductivity")
    text = str(raw).strip()
    if not text:
        return ParsedConductivity(math.nan, error="empty conductivity")
    if _LOWER_BOUND.match(text):
        return ParsedConductivity(
            math.nan, error=f"lower bound {text!r} is not supported (only upper bounds '<x')"
        )
    censored = False
    match = _BOUND.match(text)
    if match:
        censored, text = True, match.group(2)
    value = parse_number(text)
    if value is None:
        hint = " (decimal comma? write 1.2e-3)" if re.fullmatch(DECIMAL_COMMA, text) else ""
        return ParsedConductivity(math.nan, error=f"non-numeric conductivity {str(raw)!r}{hint}")
    if kind == "log10":
        if not math.log10(MIN_SIGMA_S_CM) <= value < math.log10(MAX_SIGMA_S_CM):
            return ParsedConductivity(
                math.nan, error=f"log10 conductivity {value} is outside [-40, 1) (1e-40 to 10 S/cm)"
            )
        value = 10.0**value
    elif value <= 0:
        return ParsedConductivity(math.nan, error=f"non-positive conductivity {value}")
    elif not MIN_SIGMA_S_CM <= value < MAX_SIGMA_S_CM:
        return ParsedConductivity(
            math.nan, error=f"conductivity {value:g} S/cm is outside [1e-40, 10) S/cm (a unit mix-up, "
            "e.g. mS/cm or S/m?)")
    if censored:
        if not floor < value:
            return ParsedConductivity(
                math.nan, error=f"censored floor {floor:g} S/cm is not below this upper bound {value:g} S/cm "
                "(lower EXPLAINSSE_CENSORED_FLOOR)")
        return ParsedConductivity(sigma=floor, censored=True, bound=value)
    return ParsedConductivity(sigma=value)
