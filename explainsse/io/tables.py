"""Writing tables safely: atomic replace, spreadsheet-formula neutralisation for CSV; strict JSON."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError
from .files import atomic_file
from .parquet import write_parquet

#: A text cell starting with one of these is executed as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_text(value):
    """``value`` with a leading single quote when a spreadsheet would run it as a formula.

    A plain number written as text (``"-2.80"``, ``"+1e-3"``) is left alone: it is no formula;
    so is a lone ``"-"`` (the unit of a dimensionless descriptor).

    Examples
    --------
    >>> neutralize_text("=1+1"), neutralize_text("-2.80"), neutralize_text("-cmd|' /C calc'!A0")
    ("'=1+1", '-2.80', "'-cmd|' /C calc'!A0")
    >>> neutralize_text("-")
    '-'
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES) or value == "-":
        return value
    try:
        float(value.strip())
    except ValueError:
        return "'" + value
    return value if value.strip() == value else "'" + value


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells and column names that a spreadsheet would run as a formula with a quote.

    Only text (object/string) columns are touched; numbers such as ``-5.2`` stay numbers.

    Examples
    --------
    >>> out = neutralize_formulas(pd.DataFrame({"id": ["=1+1", "a"], "x": [-1.0, 2.0], "=cmd": [1, 2]}))
    >>> out["id"].tolist(), list(out.columns)
    (["'=1+1", 'a'], ['id', 'x', "'=cmd"])
    """
    out = frame.copy()
    out.columns = [neutralize_text(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(neutralize_text)
    return out


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` (index dropped) as ``.parquet`` or ``.csv``, atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : path-like
        ``.csv`` (cells neutralised) or ``.parquet``.

    Raises
    ------
    InputDataError
        For another suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise InputDataError(f"{path}: output must end in .parquet or .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        if suffix == ".parquet":
            write_parquet(frame, tmp)
        else:
            neutralize_formulas(frame).to_csv(tmp, index=False)
    return path


def to_jsonable(obj, *, keep_nan: bool = False):
    """Recursively turn numpy scalars and arrays into Python numbers and lists, for JSON.

    NaN and infinities become None (strict JSON), unless ``keep_nan`` (Python's ``json`` then
    writes ``NaN``, and a file read back gives the same numbers).

    Parameters
    ----------
    obj : object
    keep_nan : bool
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v, keep_nan=keep_nan) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [to_jsonable(v, keep_nan=keep_nan) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not keep_nan and not math.isfinite(obj):
        return None
    return obj
