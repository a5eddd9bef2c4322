"""Number formatting shared by the command line, the explanations and every report (ground floor)."""

from __future__ import annotations

import math


def ordinal(value: float) -> str:
    """A rounded number as an English ordinal: ``1`` -> ``1st``, ``51.2`` -> ``51st``, ``82`` -> ``82nd``.

    Parameters
    ----------
    value : float
        Rounded to the nearest whole number first; NaN gives ``"n/a"``.

    Examples
    --------
    >>> [ordinal(v) for v in (1, 2, 3, 4, 11, 12, 13, 21, 51.2, 82, 100, 111, 112)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '51st', '82nd', '100th', '111th', '112th']
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    n = int(round(float(value)))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


__all__ = ["ordinal"]
