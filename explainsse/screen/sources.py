"""Candidate sources for a screen: a CSV/Parquet file read in chunks, or an aliovalent doping grid.

Every source yields ``(chunk number, DataFrame)`` with the columns ``row`` (position in the
input), ``id``, ``formula`` and ``error`` (the reason a candidate is invalid, "" otherwise),
never the whole input at once.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError

#: Column names accepted for the formula and the id of a candidate file (first match wins).
FORMULA_COLUMNS = ("formula", "composition", "reduced_formula", "pretty_formula")
ID_COLUMNS = ("id", "material_id", "ID", "name")


def file_columns(path: Path) -> list[str]:
    """Column names of a CSV or Parquet file (the header only)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(str(path)).schema_arrow.names)
    return list(pd.read_csv(path, nrows=0).columns)


def count_rows(path: Path) -> int | None:
    """Rows of a Parquet file from its footer (None for CSV: counting would read it)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return pq.ParquetFile(str(path)).metadata.num_rows
    return None


def read_chunks(path: str | os.PathLike, chunk_size: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(chunk number, id/formula/error frame)`` of a candidate file, ``chunk_size`` rows at a time.

    Raises
    ------
    InputDataError
        When the file is missing or has no formula column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: no such file")
    columns = file_columns(path)
    formula_col = next((c for c in FORMULA_COLUMNS if c in columns), None)
    if formula_col is None:
        raise InputDataError(f"{path}: no formula column (expected one of {', '.join(FORMULA_COLUMNS)}; "
                             f"got {', '.join(map(str, columns))})")
    id_col = next((c for c in ID_COLUMNS if c in columns), None)
    wanted = [formula_col] + ([id_col] if id_col else [])
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        batches = (b.to_pandas() for b in pq.ParquetFile(str(path)).iter_batches(batch_size=chunk_size,
                                                                                  columns=wanted))
    else:
        batches = pd.read_csv(path, usecols=wanted, chunksize=chunk_size, dtype=str, keep_default_na=False)
    start = 0
    for number, batch in enumerate(batches):
        rows = np.arange(start, start + len(batch))
        ids = (batch[id_col].astype(str).to_numpy() if id_col else np.array([f"row-{r}" for r in rows]))
        formulas = batch[formula_col].astype("string").fillna("").to_numpy(dtype=object)
        yield number, pd.DataFrame({"row": rows, "id": ids, "formula": formulas, "error": ""})
        start += len(batch)


def parse_range(text: str) -> np.ndarray:
    """``"start:stop:step"`` -> the grid of dopant amounts, both ends included (``0:0.5:0.05`` -> 11 values).

    Raises
    ------
    InputDataError
        For anything that is not three numbers with ``step > 0`` and ``stop >= start >= 0``.
    """
    try:
        start, stop, step = (float(v) for v in text.split(":"))
    except ValueError:
        raise InputDataError(f"--range {text!r}: expected start:stop:step, e.g. 0:0.5:0.05") from None
    if not (step > 0 and stop >= start >= 0 and all(map(math.isfinite, (start, stop, step)))):
        raise InputDataError(f"--range {text!r}: needs step > 0 and stop >= start >= 0")
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    return np.round(start + step * np.arange(n), 10)


def parse_substitution(text: str) -> tuple[str, list[str]]:
    """``"Zr:Ta,Nb"`` -> ``("Zr", ["Ta", "Nb"])`` (a dopant may carry its charge: ``Ta5+``)."""
    host, _, dopants = text.partition(":")
    dopants_list = [d.strip() for d in dopants.split(",") if d.strip()]
    if not host.strip() or not dopants_list:
        raise InputDataError(f"--substitute {text!r}: expected HOST:DOPANT[,DOPANT...], e.g. Zr:Ta,Nb")
    return host.strip(), dopants_list


@lru_cache(maxsize=None)
def nominal_charge(symbol: str) -> int | None:
    """The most common oxidation state of an element (pymatgen's first common state), None if it has none."""
    from pymatgen.core import Element

    try:
        states = Element(symbol).common_oxidation_states
    except ValueError:
        return None
    return int(states[0]) if states else None


def _species(text: str) -> tuple[str, int | None]:
    """``"Ta5+"`` -> ("Ta", 5); ``"Ta"`` -> ("Ta", its common state)."""
    import re

    m = re.fullmatch(r"([A-Z][a-z]?)(?:(\d*)([+-]))?", text)
    if not m:
        raise InputDataError(f"--substitute: {text!r} is not an element symbol (optionally with a charge, Ta5+)")
    symbol, digits, sign = m.groups()
    if sign:
        return symbol, int(digits or 1) * (1 if sign == "+" else -1)
    return symbol, nominal_charge(symbol)


def _format(amounts: dict[str, float]) -> str:
    return "".join(el + ("" if abs(n - 1) < 1e-12 else f"{n:.6g}") for el, n in amounts.items() if n > 1e-12)


def parent_charges(parent: str) -> dict[str, float]:
    """Nominal oxidation states of the parent's elements.

    Anions at their nominal charge (:data:`~explainsse.featurize.electrolyte.ANION_CHARGES`),
    Li +1, and the combination of the other cations' common states that balances the charge
    (:func:`explainsse.featurize.oxidation.balance_charges`).

    Raises
    ------
    InputDataError
        When the parent cannot be parsed, has no Li or no anion, or cannot be charge balanced.
    """
    from ..chemistry import parse_formula
    from ..errors import FormulaError
    from ..featurize.electrolyte import ANION_CHARGES
    from ..featurize.oxidation import BALANCED, balance_charges

    try:
        amounts = {el: float(n) for el, n in parse_formula(parent).get_el_amt_dict().items()}
    except FormulaError as exc:
        raise InputDataError(f"--parent: {exc}") from None
    if "Li" not in amounts:
        raise InputDataError(f"--parent {parent!r} has no Li: the Li content keeps the charge balance")
    anions = {el: ANION_CHARGES[el] for el in amounts if el in ANION_CHARGES}
    if not anions:
        raise InputDataError(f"--parent {parent!r} has no anion ({', '.join(ANION_CHARGES)})")
    charges, imbalance = balance_charges(amounts, anions)
    if imbalance >= BALANCED:
        raise InputDataError(f"--parent {parent!r}: no charge-balanced set of common oxidation states "
                             f"(best leaves {imbalance:g} e per formula unit)")
    return {el: float(q) for el, q in charges.items()}


def enumerate_substitutions(parent: str, substitutions: list[str], grid: np.ndarray) -> pd.DataFrame:
    """Aliovalent doping series of ``parent``: x of the host replaced by each dopant, Li keeping the balance.

    For host H (charge q_H), dopant D (q_D) and amount x per formula unit,
    ``Li -> Li - x (q_D - q_H)``, ``H -> H - x``, ``D -> D + x``. Nominal charges: the parent's
    (:func:`parent_charges`), the dopant's most common state (or the one written, ``Ta5+``). A
    candidate that needs negative Li, leaves no Li, replaces more host than the parent has, or
    has a dopant without a known charge is kept as a row with its reason in ``error``.

    Returns
    -------
    pandas.DataFrame
        ``id, formula, error, dopant, x, li``; the parent itself is the first row (x = 0).
    """
    from ..chemistry import parse_formula

    charges = parent_charges(parent)
    base = {el: float(n) for el, n in parse_formula(parent).get_el_amt_dict().items()}
    rows = [(f"parent {parent}", _format(base), "", "", 0.0, base["Li"])]
    for text in substitutions:
        host, dopants = parse_substitution(text)
        if host not in base:
            raise InputDataError(f"--substitute {text!r}: {host} is not in the parent {parent}")
        if host == "Li":
            raise InputDataError(f"--substitute {text!r}: Li keeps the charge balance and cannot be the host")
        for dopant_text in dopants:
            dopant, q_d = _species(dopant_text)
            for x in grid[grid > 0]:
                formula, error, li = _doped(base, host, charges[host], dopant, q_d, float(x))
                rows.append((f"{host}->{dopant} x={x:g}", formula, error, dopant, float(x), li))
    return pd.DataFrame(rows, columns=["id", "formula", "error", "dopant", "x", "li"])


def _doped(base: dict, host: str, q_h: float, dopant: str, q_d: int | None, x: float) -> tuple[str, str, float]:
    """``(formula, reason it is invalid or "", Li content)`` of one doped candidate."""
    li = base["Li"] - x * ((q_d or 0) - q_h) + (x if dopant == "Li" else 0.0)
    if q_d is None:
        return "", f"{dopant} has no common oxidation state; write its charge (e.g. {dopant}3+)", li
    if x > base[host] + 1e-9:
        return "", f"x = {x:g} exceeds the {base[host]:g} {host} per formula unit of the parent", li
    if li < -1e-9:
        return "", f"charge balance impossible: {dopant}{q_d:+d} for {host}{q_h:+g} needs Li {li:.4g} < 0", li
    if li < 1e-9:
        return "", "charge balance leaves no Li: not a Li conductor", li
    amounts = {}
    for el, n in base.items():  # the dopant is written right after its host
        amounts[el] = li if el == "Li" else n - x if el == host else n + (x if el == dopant else 0.0)
        if el == host and dopant not in base:
            amounts[dopant] = x
    return _format(amounts), "", li


def enumeration_chunks(table: pd.DataFrame, chunk_size: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """An enumerated table in chunks of the screen's columns."""
    for number, start in enumerate(range(0, len(table), chunk_size)):
        part = table.iloc[start:start + chunk_size][["id", "formula", "error"]]
        yield number, part.assign(row=np.arange(start, start + len(part))).reset_index(drop=True)


__all__ = ["enumerate_substitutions", "enumeration_chunks", "parse_range", "parse_substitution", "read_chunks"]
