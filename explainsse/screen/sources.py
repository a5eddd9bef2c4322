"""Candidate sources for a screen: a CSV/Parquet file read in chunks, or an aliovalent doping grid.

Every source yields ``(chunk number, DataFrame)`` with the columns ``row`` (position in the
input), ``id``, ``formula`` and ``error`` (the reason a candidate is invalid, "" otherwise),
never the whole input at once.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _config
from ..chemistry import parse_formula
from ..datasets.table import NUL_MARK, NulVisible, sniff_csv
from ..errors import FormulaError, InputDataError
from ..featurize.electrolyte import ANION_CHARGES
from ..featurize.oxidation import BALANCED, balance_charges
from ..io import regular_input_file

#: Column names accepted for the formula and the id of a candidate file (first match wins).
FORMULA_COLUMNS = ("formula", "composition", "reduced_formula", "pretty_formula")
ID_COLUMNS = ("id", "material_id", "ID", "name")


#: Share of control bytes (NUL and the like) above which a "CSV" is taken for a binary file.
BINARY_SHARE = 0.05


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _parquet_file(path: Path):
    """A :class:`pyarrow.parquet.ParquetFile`, or a one-line error naming the file."""
    import pyarrow as pa  # heavy: pyarrow loads only when a Parquet file is read or written
    import pyarrow.parquet as pq  # heavy: pyarrow loads only when a Parquet file is read or written

    try:
        return pq.ParquetFile(str(path))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from None


def csv_format(path: Path) -> tuple[str, str]:
    """``(delimiter, encoding)`` of a candidate CSV: comma, semicolon, tab or pipe; UTF-8 text only.

    Raises
    ------
    InputDataError
        For an empty file, a binary file (NUL bytes) or text that is not UTF-8 (e.g. latin-1).
    """
    delimiter, encoding, _ = sniff_csv(path)
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        raise InputDataError(f"{path}: the file is empty")
    control = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if control > BINARY_SHARE * len(head):  # a stray NUL in one cell is that row's issue, not the file's
        raise InputDataError(f"{path}: binary data ({control} control bytes such as NUL in the first "
                             f"{len(head):,}), not a CSV text file")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not a character cut at the end of the block
            raise InputDataError(f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    return delimiter, encoding


def file_columns(path: Path) -> list[str]:
    """Column names of a CSV or Parquet file (the header only)."""
    if _is_parquet(path):
        return list(_parquet_file(path).schema_arrow.names)
    delimiter, encoding = csv_format(path)
    try:
        return list(pd.read_csv(path, nrows=0, sep=delimiter, encoding=encoding).columns)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputDataError(f"{path}: not a readable CSV ({exc})") from None


def count_rows(path: Path) -> int | None:
    """Rows of a Parquet file from its footer (None for CSV: counting would read it)."""
    if _is_parquet(path):
        return _parquet_file(path).metadata.num_rows
    return None


def read_chunks(path: str | os.PathLike, chunk_size: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(chunk number, id/formula/error frame)`` of a candidate file, ``chunk_size`` rows at a time.

    Raises
    ------
    InputDataError
        When the file is missing or has no formula column.
    """
    path = regular_input_file(path, "candidate file")
    columns = file_columns(path)
    formula_col = next((c for c in FORMULA_COLUMNS if c in columns), None)
    if formula_col is None:
        raise InputDataError(f"{path}: no formula column (expected one of {', '.join(FORMULA_COLUMNS)}; "
                             f"got {', '.join(map(str, columns))})")
    id_col = next((c for c in ID_COLUMNS if c in columns), None)
    wanted = [formula_col] + ([id_col] if id_col else [])
    if _is_parquet(path):
        batches = (b.to_pandas() for b in _parquet_file(path).iter_batches(batch_size=chunk_size, columns=wanted))
        batches = (b.apply(_nul_visible) for b in batches)
    else:
        batches = _csv_batches(path, wanted, chunk_size)
    start = 0
    for number, batch in enumerate(_reading(path, batches)):
        rows = np.arange(start, start + len(batch))
        ids = (batch[id_col].astype(str).to_numpy() if id_col else np.array([f"row-{r}" for r in rows]))
        formulas = batch[formula_col].astype("string").fillna("").to_numpy(dtype=object)
        yield number, pd.DataFrame({"row": rows, "id": ids, "formula": formulas, "error": ""})
        start += len(batch)


def range_count(text: str) -> tuple[float, float, int]:
    """``"start:stop:step"`` -> ``(start, step, number of values)``, counted without building the grid.

    Raises
    ------
    InputDataError
        For anything that is not three finite numbers with ``step > 0`` and
        ``stop >= start >= 0``, or a grid of more than
        :data:`explainsse._config.MAX_GRID_CANDIDATES` values.
    """
    try:
        start, stop, step = (float(v) for v in text.split(":"))
    except ValueError:
        raise InputDataError(f"--range {text!r}: expected start:stop:step, e.g. 0:0.5:0.05") from None
    if not (all(map(math.isfinite, (start, stop, step))) and step > 0 and stop >= start >= 0):
        raise InputDataError(f"--range {text!r}: needs finite numbers with step > 0 and stop >= start >= 0")
    span = (stop - start) / step
    if not (math.isfinite(span) and span + 1 <= _config.MAX_GRID_CANDIDATES):
        raise InputDataError(f"--range {text!r}: {_count_text(span + 1)} values, more than the "
                             f"{_config.MAX_GRID_CANDIDATES:,} a doping grid may hold; use a larger step")
    return start, step, int(math.floor(span + 1e-9)) + 1


def _count_text(n: float) -> str:
    return f"{n:,.0f}" if n < 1e15 else f"{n:.3g}"


def _nul_visible(column: pd.Series) -> pd.Series:
    """Text cells with a NUL byte shown as the NUL mark (as a CSV is read), so no CSV written later truncates."""
    if column.dtype != object and not isinstance(column.dtype, pd.StringDtype):
        return column
    return column.map(lambda v: v.replace("\x00", NUL_MARK) if isinstance(v, str) else v)


def _csv_batches(path: Path, columns: list[str], chunk_size: int):
    """A CSV's ``columns`` as text, ``chunk_size`` rows at a time (a NUL in a cell stays visible)."""
    delimiter, encoding = csv_format(path)
    with NulVisible(path, encoding) as handle:
        yield from pd.read_csv(handle, usecols=columns, chunksize=chunk_size, dtype=str, keep_default_na=False,
                               sep=delimiter)


def _reading(path: Path, batches):
    """The batches of a reader, with a one-line error naming the file when a later part is unreadable."""
    import pyarrow as pa  # heavy: pyarrow loads only when a Parquet file is read or written

    iterator = iter(batches)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except (pd.errors.ParserError, pa.ArrowException, OSError, ValueError) as exc:
            raise InputDataError(f"{path}: unreadable after the rows read so far ({exc})") from None
        yield batch


def parse_range(text: str) -> np.ndarray:
    """``"start:stop:step"`` -> the grid of dopant amounts, both ends included (``0:0.5:0.05`` -> 11 values).

    Raises
    ------
    InputDataError
        As :func:`range_count`.
    """
    start, step, n = range_count(text)
    return np.round(start + step * np.arange(n), 10)


def parse_substitution(text: str) -> tuple[str, list[str]]:
    """``"Zr:Ta,Nb"`` -> ``("Zr", ["Ta", "Nb"])`` (a dopant may carry its charge: ``Ta5+``).

    Raises
    ------
    InputDataError
        When the text is not ``HOST:DOPANT[,DOPANT...]`` or names a dopant twice.
    """
    host, _, dopants = text.partition(":")
    dopants_list = [d.strip() for d in dopants.split(",") if d.strip()]
    if not host.strip() or not dopants_list:
        raise InputDataError(f"--substitute {text!r}: expected HOST:DOPANT[,DOPANT...], e.g. Zr:Ta,Nb")
    twice = sorted({d for d in dopants_list if dopants_list.count(d) > 1})
    if twice:
        raise InputDataError(f"--substitute {text!r} names {', '.join(twice)} more than once")
    return host.strip(), dopants_list


@lru_cache(maxsize=None)
def nominal_charge(symbol: str, host_charge: float = 0.0) -> int | None:
    """The oxidation state a dopant takes on a site, None if the element has no common state.

    Without ``host_charge``: pymatgen's first common state. With it: the common state of the
    host's sign closest to the host's charge (first in pymatgen's order on a tie), so Ge, Si and
    Sn on the P5+ site of Li3PS4 are 4+ (not 4-, nor Ge2+), Ga on Zr4+ is 3+, F on O2- is 1-.
    """
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    try:
        states = Element(symbol).common_oxidation_states
    except ValueError:
        return None
    if not states:
        return None
    fitting = [s for s in states if host_charge == 0 or (s > 0) == (host_charge > 0)]
    if not fitting:
        return int(states[0])
    return int(min(fitting, key=lambda s: abs(s - host_charge)) if host_charge else fitting[0])


def _species(text: str, host_charge: float = 0.0) -> tuple[str, int | None]:
    """``"Ta5+"`` -> ("Ta", 5); ``"Ta"`` -> ("Ta", its common state nearest the host's charge)."""
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    m = re.fullmatch(r"([A-Z][a-z]?)(?:(\d*)([+-]))?", text)
    if not m:
        raise InputDataError(f"--substitute: {text!r} is not an element symbol (optionally with a charge, Ta5+)")
    symbol, digits, sign_text = m.groups()
    if not Element.is_valid_symbol(symbol):
        raise InputDataError(f"--substitute: {symbol!r} is not an element")
    if sign_text:
        return symbol, int(digits or 1) * (1 if sign_text == "+" else -1)
    return symbol, nominal_charge(symbol, float(host_charge))


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


@dataclass(frozen=True)
class DopingSeries:
    """One dopant on one host site: ``host`` (charge ``q_host``) replaced by ``dopant`` (``q_dopant``)."""

    host: str
    q_host: float
    dopant: str
    q_dopant: int | None


@dataclass(frozen=True)
class DopingGrid:
    """An aliovalent doping grid of a parent, built chunk by chunk (never the whole grid at once).

    Row 0 is the parent itself; then, for each series in order, one row per dopant amount
    ``x > 0`` of the range.

    Attributes
    ----------
    parent : str
    base : dict
        The parent's element amounts.
    series : tuple of DopingSeries
    start, step : float
        The dopant amounts ``start + step * k``; ``count`` of them (zero amounts are skipped).
    count : int
    """

    parent: str
    base: dict
    series: tuple
    start: float
    step: float
    count: int

    @property
    def amounts(self) -> np.ndarray:
        """The dopant amounts of each series (x > 0)."""
        xs = np.round(self.start + self.step * np.arange(self.count), 10)
        return xs[xs > 0]

    def __len__(self) -> int:
        return 1 + len(self.series) * self._n_positive()

    def _n_positive(self) -> int:
        return self.count - (1 if self.start <= 0 else 0)

    def rows(self, first: int, stop: int) -> pd.DataFrame:
        """Rows ``first`` to ``stop - 1``: ``id, formula, error, dopant, x, li`` (see :func:`enumerate_substitutions`)."""
        n = self._n_positive()
        offset = 0 if self.start > 0 else 1  # skip x = 0 (the parent row stands for it)
        out = []
        for r in range(first, min(stop, len(self))):
            if r == 0:
                out.append((f"parent {self.parent}", _format(self.base), "", "", 0.0, self.base["Li"]))
                continue
            s, k = divmod(r - 1, n)
            series = self.series[s]
            x = float(np.round(self.start + self.step * (k + offset), 10))
            formula, error, li = _doped(self.base, series.host, series.q_host, series.dopant, series.q_dopant, x)
            out.append((f"{series.host}->{series.dopant} x={x:g}", formula, error, series.dopant, x, li))
        return pd.DataFrame(out, columns=["id", "formula", "error", "dopant", "x", "li"])


def doping_grid(parent: str, substitutions: list[str], grid: str) -> DopingGrid:
    """Check a doping grid and count its candidates before anything is built.

    Parameters
    ----------
    parent : str
        Parent formula (must hold Li and an anion, and be charge balanced with common states).
    substitutions : list of str
        ``HOST:DOPANT[,DOPANT...]`` each; a dopant may carry its charge (``Ta5+``).
    grid : str
        ``start:stop:step`` dopant amounts per formula unit.

    Raises
    ------
    InputDataError
        For a bad parent, host, dopant or range, a dopant named twice, a dopant equal to its host,
        a zero charge or a charge of the other sign than the host's, and a grid of more than
        :data:`explainsse._config.MAX_GRID_CANDIDATES` candidates.
    """
    start, step, count = range_count(grid)
    charges = parent_charges(parent)
    base = {el: float(n) for el, n in parse_formula(parent).get_el_amt_dict().items()}
    series, seen = [], set()
    for text in substitutions:
        host, dopants = parse_substitution(text)
        if host not in base:
            raise InputDataError(f"--substitute {text!r}: {host} is not in the parent {parent}")
        for dopant_text in dopants:
            dopant, q_d = _species(dopant_text, charges[host])
            if dopant == host:
                raise InputDataError(f"--substitute {text!r}: the dopant {dopant} is the host itself")
            if q_d == 0 or (q_d is not None and (q_d > 0) != (charges[host] > 0)):
                raise InputDataError(f"--substitute {text!r}: {dopant_text} ({q_d:+d}) cannot replace "
                                     f"{host}{charges[host]:+g} (a dopant needs a charge of the host's sign)")
            if (host, dopant) in seen:
                raise InputDataError(f"--substitute: {dopant} on the {host} site is named more than once")
            seen.add((host, dopant))
            series.append(DopingSeries(host, charges[host], dopant, q_d))
    out = DopingGrid(parent, base, tuple(series), start, step, count)
    if len(out) > _config.MAX_GRID_CANDIDATES:
        raise InputDataError(f"the doping grid holds {len(out):,} candidates ({len(series)} series x "
                             f"{out._n_positive():,} amounts), more than the {_config.MAX_GRID_CANDIDATES:,} "
                             "accepted; use a larger --range step or fewer dopants")
    return out


def enumerate_substitutions(parent: str, substitutions: list[str], grid) -> pd.DataFrame:
    """Aliovalent doping series of ``parent``: x of the host replaced by each dopant, Li keeping the balance.

    For host H (charge q_H), dopant D (q_D) and amount x per formula unit,
    ``Li -> Li - x (q_D - q_H)``, ``H -> H - x``, ``D -> D + x``. With Li itself as the host
    (``Li:Ga``), the dopant takes one Li site and the extra charge empties ``q_D - 1`` more:
    ``Li -> Li - x q_D`` (Li(7-3x)Ga(x)La3Zr2O12 for Ga3+ in LLZO). Nominal charges: the parent's
    (:func:`parent_charges`), the dopant's most common state (or the one written, ``Ta5+``). A
    candidate that needs negative Li, leaves no Li, replaces more host than the parent has, or
    has a dopant without a known charge is kept as a row with its reason in ``error``.

    Parameters
    ----------
    parent : str
    substitutions : list of str
    grid : str or numpy.ndarray
        ``start:stop:step`` (or the amounts of :func:`parse_range`, evenly spaced).

    Returns
    -------
    pandas.DataFrame
        ``id, formula, error, dopant, x, li``; the parent itself is the first row (x = 0).
    """
    if not isinstance(grid, str):
        values = np.asarray(grid, dtype=float)
        step = float(values[1] - values[0]) if len(values) > 1 else 1.0
        grid = f"{float(values[0])!r}:{float(values[-1])!r}:{step!r}"
    table = doping_grid(parent, substitutions, grid)
    return table.rows(0, len(table))


def _doped(base: dict, host: str, q_h: float, dopant: str, q_d: int | None, x: float) -> tuple[str, str, float]:
    """``(formula, reason it is invalid or "", Li content)`` of one doped candidate."""
    li = base["Li"] - x * ((q_d or 0) - q_h) - (x if host == "Li" else 0.0) + (x if dopant == "Li" else 0.0)
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
        if el == "Li":
            amounts[el] = li
        else:
            amounts[el] = n - x if el == host else n + (x if el == dopant else 0.0)
        if el == host and dopant not in base:
            amounts[dopant] = x
    return _format(amounts), "", li


def grid_chunks(grid: DopingGrid, chunk_size: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """A doping grid in chunks of the screen's columns, each built when it is asked for."""
    for number, first in enumerate(range(0, len(grid), chunk_size)):
        part = grid.rows(first, first + chunk_size)[["id", "formula", "error"]]
        yield number, part.assign(row=np.arange(first, first + len(part)))


def enumeration_chunks(table: pd.DataFrame, chunk_size: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """An enumerated table in chunks of the screen's columns."""
    for number, start in enumerate(range(0, len(table), chunk_size)):
        part = table.iloc[start:start + chunk_size][["id", "formula", "error"]]
        yield number, part.assign(row=np.arange(start, start + len(part))).reset_index(drop=True)


__all__ = ["DopingGrid", "DopingSeries", "doping_grid", "enumerate_substitutions", "enumeration_chunks", "grid_chunks",
           "parse_range", "parse_substitution", "range_count", "read_chunks"]
