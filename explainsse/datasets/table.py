"""Normalize a raw table (OBELiX or a user's CSV) into the toolkit's tidy schema.

Normalized columns, in order (see :data:`NORMALIZED_COLUMNS`):

``id, formula, composition, sigma_S_cm, log10_sigma, censored, sigma_bound_S_cm, family,
space_group_number, a, b, c, alpha, beta, gamma, Z, formula_units_per_cell, doi, has_cif, split``

Rows that cannot be modelled (unparseable formula, unknown element, empty / non-positive /
non-numeric conductivity, empty or duplicate id, invalid lattice value) are never dropped
silently: each problem becomes one row of the issues table
(``row, id, column, value, reason``) and the row is left out of the normalized frame.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd

from ..chemistry import FormulaError, parse_formula
from ..errors import InputDataError
from ..io import regular_input_file
from .conductivity import DECIMAL_COMMA, TARGET_KINDS, parse_conductivity, parse_number

LATTICE_COLUMNS = ("a", "b", "c", "alpha", "beta", "gamma")

NORMALIZED_COLUMNS = (
    "id",
    "formula",
    "composition",
    "sigma_S_cm",
    "log10_sigma",
    "censored",
    "sigma_bound_S_cm",
    "family",
    "space_group_number",
    *LATTICE_COLUMNS,
    "Z",
    "formula_units_per_cell",
    "doi",
    "has_cif",
    "split",
)

ISSUE_COLUMNS = ("row", "id", "column", "value", "reason")

#: Accepted cell edge lengths (angstrom): shorter than 1 A no crystal cell is; longer than
#: 1000 A is a unit mix-up (nm, pm) or a typo. Angles lie strictly between 0 and 180 degrees
#: and must form a cell of positive volume.
CELL_LENGTH_RANGE = (1.0, 1000.0)
#: Largest accepted number of formula units per cell.
MAX_Z = 1000.0

FORMULA_BASES = ("formula_unit", "cell")


@dataclass(frozen=True)
class ColumnMap:
    """Which raw columns hold what.

    Parameters
    ----------
    formula_col : str
        Column with the chemical formula (required).
    target_col : str, optional
        Column with the measured conductivity; None for candidates without a measurement.
    target_kind : {"sigma", "log10"}
        ``sigma``: S/cm, numbers or text upper bounds ``<x``; ``log10``: log10(S/cm).
    id_col : str, optional
        Unique identifier; default ``row<N>`` from the row position.
    family_col, space_group_col, z_col, doi_col, split_col : str, optional
        Optional metadata columns.
    lattice_cols : sequence of six str, optional
        Columns for a, b, c (angstrom), alpha, beta, gamma (degrees). Default: columns named
        exactly ``a b c alpha beta gamma`` when all six exist.
    descriptor_cols : sequence of str
        User descriptor columns passed through untouched ("bring your own descriptors").
    formula_basis : {"formula_unit", "cell"}
        Whether ``formula`` is one formula unit (the cell holds ``Z`` of them) or the whole
        unit-cell content (as OBELiX's ``True Composition``).
    """

    formula_col: str
    target_col: str | None = None
    target_kind: str = "sigma"
    id_col: str | None = None
    family_col: str | None = None
    space_group_col: str | None = None
    lattice_cols: tuple[str, ...] | None = None
    z_col: str | None = None
    doi_col: str | None = None
    split_col: str | None = None
    descriptor_cols: tuple[str, ...] = field(default_factory=tuple)
    formula_basis: str = "formula_unit"

    def validate(self, columns: Sequence[str], source: str) -> "ColumnMap":
        """Check the named columns exist in ``columns``; resolve default lattice columns."""
        if self.target_kind not in TARGET_KINDS:
            raise InputDataError(
                f"{source}: target kind must be one of {', '.join(TARGET_KINDS)}, "
                f"got {self.target_kind!r}"
            )
        if self.formula_basis not in FORMULA_BASES:
            raise InputDataError(
                f"{source}: formula basis must be one of {', '.join(FORMULA_BASES)}"
            )
        lattice = self.lattice_cols
        if lattice is None and all(c in columns for c in LATTICE_COLUMNS):
            lattice = LATTICE_COLUMNS
        if lattice is not None and len(lattice) != 6:
            raise InputDataError(f"{source}: lattice columns must name six columns, got {lattice}")
        named = [
            ("formula", self.formula_col),
            ("target", self.target_col),
            ("id", self.id_col),
            ("family", self.family_col),
            ("space group", self.space_group_col),
            ("Z", self.z_col),
            ("DOI", self.doi_col),
            ("split", self.split_col),
            *(("lattice", c) for c in (lattice or ())),
            *(("descriptor", c) for c in self.descriptor_cols),
        ]
        missing = [f"{role} column {col!r}" for role, col in named if col and col not in columns]
        if missing:
            raise InputDataError(
                f"{source}: missing {', '.join(missing)}; available columns: "
                f"{', '.join(map(str, columns))}"
            )
        return ColumnMap(**{**self.__dict__, "lattice_cols": lattice})


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _number(value: object) -> float:
    """A plain number from a cell, NaN otherwise (see :func:`~explainsse.datasets.conductivity.parse_number`)."""
    out = parse_number(value)
    return math.nan if out is None else out


def _cell_volume_factor(alpha: float, beta: float, gamma: float) -> float:
    """1 - cos2a - cos2b - cos2g + 2 cos a cos b cos g: V = abc * sqrt(this); must be positive."""
    ca, cb, cg = (math.cos(math.radians(x)) for x in (alpha, beta, gamma))
    return 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg


class _IssueLog:
    """Collects issues; raises at the first one in strict mode."""

    def __init__(self, source: str, strict: bool):
        self.source, self.strict, self.rows = source, strict, []

    def add(self, row: int, row_id: object, column: str, value: object, reason: str) -> None:
        shown = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
        if self.strict:
            raise InputDataError(
                f"{self.source}: row {row} (id {row_id!r}), column {column!r}: {reason}"
            )
        self.rows.append((row, row_id, column, shown, reason))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(ISSUE_COLUMNS)).astype(
            {"row": "int64", "id": "string", "column": "string", "value": "string", "reason": "string"}
        )


def normalize_table(
    raw: pd.DataFrame,
    columns: ColumnMap,
    *,
    source: str = "table",
    censored_floor: float = 1e-15,
    strict: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Normalize ``raw`` into (frame, user descriptors, issues).

    Parameters
    ----------
    raw : pandas.DataFrame
        The table as read (strings kept as strings).
    columns : ColumnMap
        Which raw columns hold what.
    source : str
        Name shown in error messages (usually the file path).
    censored_floor : float
        Conductivity (S/cm) used for text upper bounds.
    strict : bool
        Raise :class:`InputDataError` on the first bad row instead of collecting it.

    Returns
    -------
    frame : pandas.DataFrame
        Usable rows, columns :data:`NORMALIZED_COLUMNS`, index = 0-based row in ``raw``.
    descriptors : pandas.DataFrame
        The user descriptor columns of the same rows, untouched.
    issues : pandas.DataFrame
        One row per problem: ``row`` (0-based data row), ``id``, ``column``, ``value``, ``reason``.
    """
    cols = columns.validate(list(raw.columns), source)
    if raw.attrs.get("decimal_comma"):  # a semicolon/tab file from a spreadsheet that writes 3,2E-04
        numeric = [c for c in (cols.target_col, cols.space_group_col, cols.z_col, *(cols.lattice_cols or ()),
                               *cols.descriptor_cols) if c]
        raw = raw.copy()
        for col in dict.fromkeys(numeric):
            text = raw[col].astype("string")
            hit = text.str.fullmatch(DECIMAL_COMMA).fillna(False).astype(bool)
            raw.loc[hit, col] = text[hit].str.replace(",", ".", regex=False)
    log = _IssueLog(source, strict)
    records: dict[int, dict] = {}
    seen_ids: dict[str, int] = {}
    lattice = cols.lattice_cols
    for pos, (_, rec) in enumerate(raw.iterrows()):
        bad = False
        row_id = _text(rec[cols.id_col]) if cols.id_col else f"row{pos}"
        if row_id is None:
            log.add(pos, None, cols.id_col, None, "empty id")
            bad, row_id = True, f"row{pos}"
        elif row_id in seen_ids:
            log.add(pos, row_id, cols.id_col, row_id, f"duplicate id (first seen in row {seen_ids[row_id]})")
            bad = True
        else:
            seen_ids[row_id] = pos
        formula = _text(rec[cols.formula_col])
        comp = None
        try:
            comp = parse_formula(formula)
        except FormulaError as exc:
            log.add(pos, row_id, cols.formula_col, formula, str(exc))
            bad = True
        if cols.target_col:
            parsed = parse_conductivity(rec[cols.target_col], cols.target_kind, censored_floor)
            if parsed.error:
                log.add(pos, row_id, cols.target_col, rec[cols.target_col], parsed.error)
                bad = True
            sigma, log_sigma = parsed.sigma, parsed.log10_sigma
            censored, bound = parsed.censored, parsed.bound
        else:
            sigma = log_sigma = bound = math.nan
            censored = False
        values = {}
        for name, col in zip(LATTICE_COLUMNS, lattice or ()):
            raw_value = rec[col]
            value = _number(raw_value)
            lo, hi = CELL_LENGTH_RANGE if name in "abc" else (0.0, 180.0)
            limit_ok = (lo <= value <= hi) if name in "abc" else (lo < value < hi)
            if _text(raw_value) is not None and not (math.isfinite(value) and limit_ok):
                unit = "A" if name in "abc" else "degrees"
                log.add(pos, row_id, col, raw_value,
                        f"invalid lattice {name} {raw_value!r} (expected {lo:g}-{hi:g} {unit})")
                bad = True
            values[name] = value if math.isfinite(value) and limit_ok else math.nan
        angles = [values.get(k, math.nan) for k in ("alpha", "beta", "gamma")]
        if all(math.isfinite(a) for a in angles) and _cell_volume_factor(*angles) <= 1e-8:
            log.add(pos, row_id, lattice[3], ", ".join(f"{a:g}" for a in angles),
                    "lattice angles alpha, beta, gamma do not form a cell (zero or imaginary volume)")
            bad = True
        sg = _number(rec[cols.space_group_col]) if cols.space_group_col else math.nan
        if cols.space_group_col and _text(rec[cols.space_group_col]) is not None:
            if not (math.isfinite(sg) and sg == int(sg) and 1 <= sg <= 230):
                log.add(pos, row_id, cols.space_group_col, rec[cols.space_group_col],
                        "space-group number must be an integer 1-230")
                bad, sg = True, math.nan
        z = _number(rec[cols.z_col]) if cols.z_col else math.nan
        if cols.z_col and _text(rec[cols.z_col]) is not None and not (0 < z <= MAX_Z):
            log.add(pos, row_id, cols.z_col, rec[cols.z_col], f"Z must be a positive number up to {MAX_Z:g}")
            bad, z = True, math.nan
        if bad:
            continue
        records[pos] = {
            "id": row_id,
            "formula": formula,
            "composition": comp,
            "sigma_S_cm": sigma,
            "log10_sigma": log_sigma,
            "censored": censored,
            "sigma_bound_S_cm": bound,
            "family": _text(rec[cols.family_col]) if cols.family_col else None,
            "space_group_number": sg,
            **{name: values.get(name, math.nan) for name in LATTICE_COLUMNS},
            "Z": z,
            "formula_units_per_cell": 1.0 if cols.formula_basis == "cell" else z,
            "doi": _text(rec[cols.doi_col]) if cols.doi_col else None,
            "has_cif": False,
            "split": _text(rec[cols.split_col]) if cols.split_col else None,
        }
    frame = pd.DataFrame.from_dict(records, orient="index", columns=list(NORMALIZED_COLUMNS))
    frame.index.name = "row"
    frame = frame.astype(
        {
            "id": "string",
            "formula": "string",
            "censored": bool,
            "has_cif": bool,
            "family": "string",
            "doi": "string",
            "split": "string",
            "space_group_number": "Int64",
            **{c: float for c in ("sigma_S_cm", "log10_sigma", "sigma_bound_S_cm", *LATTICE_COLUMNS,
                                  "Z", "formula_units_per_cell")},
        }
    )
    descriptors = raw.loc[raw.index[list(records)], list(cols.descriptor_cols)].copy()
    descriptors.index = frame.index
    for col in descriptors.columns:  # numbers read as text become numbers; text stays text
        numeric = pd.to_numeric(descriptors[col], errors="coerce")
        if numeric.notna().sum() == descriptors[col].notna().sum():
            descriptors[col] = numeric
    return frame, descriptors, log.frame()


def split_mask(frame: pd.DataFrame, name: str) -> pd.Series:
    """Boolean mask of the rows in split ``name`` (rows without a split are False)."""
    return frame["split"].astype("string").eq(name).fillna(False).astype(bool)


#: Column names (lower case) recognised when the user names no column: conductivity (with its
#: kind), formula and id. Xu 2020's short names (``S``, ``Slog``) are recognised only where a file
#: is known to be a conductivity table (``--test`` files).
TARGET_NAMES = (("sigma_s_cm", "sigma"), ("sigma", "sigma"), ("ionic conductivity (s cm-1)", "sigma"),
                ("conductivity", "sigma"), ("ionic_conductivity", "sigma"), ("sigma (s/cm)", "sigma"),
                ("log10_sigma", "log10"), ("log_sigma", "log10"))
SHORT_TARGET_NAMES = (("s", "sigma"), ("slog", "log10"))
FORMULA_NAMES = ("formula", "composition", "reduced formula", "reduced_formula", "true composition")
ID_NAMES = ("id", "material_id", "name")


#: Usual names of a column holding each row's CIF file (a path, relative to the table's folder).
CIF_NAMES = ("cif", "cif_path", "cif_file", "structure", "structure_file", "structure_path")


def guess_columns(header: Sequence[str], *, short_names: bool = False) -> dict:
    """The formula, conductivity, id and family columns of ``header`` found by their usual names.

    Parameters
    ----------
    header : sequence of str
    short_names : bool
        Also accept Xu 2020's ``S`` / ``Slog`` as conductivity columns.

    Returns
    -------
    dict
        ``formula_col, target_col, target_kind, id_col, family_col, cif_col``; None where nothing matched.

    Examples
    --------
    >>> guess_columns(["ID", "Composition", "Sigma (S/cm)"])["target_col"]
    'Sigma (S/cm)'
    """
    by_lower = {str(h).lower().strip(): h for h in header}
    names = TARGET_NAMES + (SHORT_TARGET_NAMES if short_names else ())
    target = next(((by_lower[c], kind) for c, kind in names if c in by_lower), (None, "sigma"))
    return {"formula_col": next((by_lower[c] for c in FORMULA_NAMES if c in by_lower), None),
            "target_col": target[0], "target_kind": target[1],
            "id_col": next((by_lower[c] for c in ID_NAMES if c in by_lower), None),
            "family_col": by_lower.get("family"),
            "cif_col": next((by_lower[c] for c in CIF_NAMES if c in by_lower), None)}


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def sniff_csv(path, encoding: str | None = None) -> tuple[str, str, list[str]]:
    """Detect the delimiter (``, ; tab |``) and a UTF-8 byte-order mark of a CSV file.

    Returns
    -------
    delimiter : str
    encoding : str
        ``utf-8-sig`` for UTF-8 files (a BOM is then dropped), else ``encoding``.
    notes : list of str
        What was detected, when it is not a plain comma-separated file.
    """
    regular_input_file(path, "CSV file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except FileNotFoundError as exc:
        raise InputDataError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise InputDataError(f"{path}: is a folder, not a CSV file") from exc
    notes = []
    if encoding is None:
        encoding = "utf-8-sig"
        if head.startswith(b"\xef\xbb\xbf"):
            notes.append("UTF-8 byte-order mark removed")
    if encoding == "utf-8-sig":
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not a character cut at the end of the block
                notes.append(f"not UTF-8 text (byte {exc.start}): undecodable bytes read as U+FFFD; save the file "
                             "as UTF-8 (or pass encoding='latin-1' to load_table)")
    text = head.decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="replace").lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()][:50]
    delimiter = ","
    if lines:
        try:
            sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
        except csv.Error:
            sniffed = ","
        header = next(csv.reader([lines[0]], delimiter=sniffed))
        if sniffed != "," and len(header) > 1 and len(header) > len(next(csv.reader([lines[0]]))):
            delimiter = sniffed
            notes.append(f"{_DELIMITER_NAMES[delimiter]}-separated (detected)")
    if b"\r\n" in head:
        notes.append("Windows line endings")
    return delimiter, encoding, notes


#: What a NUL byte inside a CSV cell is read as: pandas' C reader would otherwise end the cell there
#: (``Li7\0La3Zr2O12`` read as ``Li7``); the formula check refuses the row, naming the NUL.
NUL_MARK = "\u2400"


class NulVisible(io.TextIOBase):
    """A text file whose NUL characters read as :data:`NUL_MARK` (for :func:`pandas.read_csv`).

    Parameters
    ----------
    path : path-like
    encoding : str
    errors : str
        Decoding errors (``replace``: an undecodable byte becomes U+FFFD).
    """

    def __init__(self, path, encoding: str = "utf-8-sig", errors: str = "replace"):
        self._handle = open(path, encoding=encoding, errors=errors, newline="")  # noqa: SIM115

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        return self._handle.read(-1 if size is None else size).replace("\x00", NUL_MARK)

    def readline(self, size: int | None = -1) -> str:
        return self._handle.readline(-1 if size is None else size).replace("\x00", NUL_MARK)

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        self._handle.close()
        super().close()


def read_csv_strict(path, *, notes: list | None = None, encoding: str | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV keeping every cell as text, with a clear error for unreadable files.

    The delimiter (comma, semicolon, tab or pipe), a UTF-8 byte-order mark and Windows line
    endings are detected; what was detected is appended to ``notes`` when given.
    """
    delimiter, encoding, found = sniff_csv(path, encoding)
    try:
        with NulVisible(path, encoding) as handle:
            frame = pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""], sep=delimiter, **kwargs)
    except FileNotFoundError as exc:
        raise InputDataError(f"{path}: file not found") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputDataError(f"{path}: not a readable CSV ({exc})") from exc
    if delimiter != ",":  # a comma is free to be a decimal separator; normalize_table converts numeric columns
        n_comma = sum(int(frame[c].str.fullmatch(DECIMAL_COMMA).sum()) for c in frame.columns)
        if n_comma:
            frame.attrs["decimal_comma"] = True
            found.append(f"{n_comma} numbers with a decimal comma (read as decimal points in numeric columns)")
    if notes is not None:
        notes.extend(f"{path}: {n}" for n in found)
    return frame


__all__ = [
    "ColumnMap",
    "NUL_MARK",
    "NulVisible",
    "ISSUE_COLUMNS",
    "guess_columns",
    "LATTICE_COLUMNS",
    "NORMALIZED_COLUMNS",
    "normalize_table",
    "read_csv_strict",
    "sniff_csv",
    "split_mask",
]
