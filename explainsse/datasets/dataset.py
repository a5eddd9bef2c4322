"""The :class:`Dataset` object and the two loaders, :func:`load_dataset` and :func:`load_table`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import pandas as pd

from .._config import Settings, get_settings
from ..chemistry import ANION_CHARGES
from ..errors import InputDataError
from .cifs import extract_cifs, parse_cifs
from .conductivity import check_censored_floor
from .fetch import fetch_dataset, sha256_file
from .registry import DatasetSpec, get_spec
from .table import LATTICE_COLUMNS, ColumnMap, guess_columns, normalize_table, read_csv_strict, split_mask


@dataclass
class Dataset:
    """A normalized table of electrolytes, with its provenance and its excluded rows.

    Attributes
    ----------
    name : str
        Dataset name (registry key, or the file name for user tables).
    frame : pandas.DataFrame
        Usable rows in the normalized schema (:data:`~explainsse.datasets.table.NORMALIZED_COLUMNS`);
        the index is the 0-based row of the source table.
    issues : pandas.DataFrame
        Rows left out, one line per problem: ``row, id, column, value, reason``.
    descriptors : pandas.DataFrame
        User descriptor columns of the usable rows, untouched (may have no columns).
    n_input_rows : int
        Rows in the source table.
    files : dict
        Source file name -> sha256, for manifests.
    spec : DatasetSpec, optional
        Registry entry for registered datasets (licence, citation, URLs).
    censored_floor : float
        Conductivity (S/cm) used for censored rows.
    cif_archive : pathlib.Path, optional
        Archive or folder of CIFs named ``<id>.cif``.
    settings : Settings
        Settings used to load it (data and cache folders).
    notes : list of str
        What was detected while reading (delimiter, byte-order mark, CIFs found), for the console
        and the report's data card.
    strict : bool
        Whether it was loaded with ``strict=True`` (a row that later cannot be featurized then
        stops the run instead of becoming an issue).
    descriptor_notes : pandas.DataFrame, optional
        ``row, id, reason`` for the kept rows whose structure descriptors are (partly) missing
        (no CIF, no Li site, time limit ...); set by featurization with a structure preset.
    """

    name: str
    frame: pd.DataFrame
    issues: pd.DataFrame
    descriptors: pd.DataFrame
    n_input_rows: int
    files: dict[str, str]
    spec: DatasetSpec | None = None
    censored_floor: float = 1e-15
    cif_archive: Path | None = None
    settings: Settings = field(default_factory=get_settings)
    notes: list = field(default_factory=list)
    strict: bool = False
    descriptor_notes: pd.DataFrame | None = None
    _structures: tuple | None = field(default=None, repr=False)
    cif_files: dict | None = None

    @property
    def has_structures(self) -> bool:
        """Whether rows can have a CIF (a CIF folder or archive, or a structure column of the table)."""
        return self.cif_archive is not None or self.cif_files is not None

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def excluded_rows(self) -> list[int]:
        """0-based source rows left out of modelling (each has at least one issue)."""
        return sorted(set(self.issues["row"].tolist()))

    def without(self, issues: pd.DataFrame, **changes) -> Dataset:
        """A new dataset with the rows named in ``issues`` (``row, id, column, value, reason``) moved out of the frame.

        Used when a row passes loading but a later step (featurization) cannot use it: the row
        is listed in :attr:`issues` with its reason, never dropped silently. This dataset is
        left as it is. ``changes`` replace other fields (e.g. ``descriptor_notes``).
        """
        if len(issues):
            keep = ~self.frame.index.isin(list(set(issues["row"].tolist())))
            changes.update(frame=self.frame[keep], descriptors=self.descriptors[keep],
                           issues=pd.concat([self.issues, issues.astype(self.issues.dtypes.to_dict())],
                                            ignore_index=True))
        return replace(self, **changes) if changes else self

    def require_rows(self, what: str = "modelling") -> None:
        """Raise :class:`InputDataError` saying why, when no row is usable.

        The message names the input, how many rows it had and the first issues, instead of
        letting a later step fail on an empty table.
        """
        if len(self.frame):
            return
        first = "; ".join(f"row {r.row} (id {r.id}), column {r.column!r}: {r.reason}"
                          for r in self.issues.head(3).itertuples(index=False))
        raise InputDataError(f"{self.name}: no usable row for {what}: all {self.n_input_rows} rows have "
                             f"issues" + (f" (first: {first})" if first else ""))

    def split(self, name: str) -> pd.DataFrame:
        """Rows of the official split ``name`` (``"train"`` or ``"test"``)."""
        return self.frame[split_mask(self.frame, name)]

    def require_split(self, what: str) -> None:
        """Raise unless the rows carry an official train/test split (needed for ``what``)."""
        if self.frame["split"].isna().all():
            raise InputDataError(f"dataset {self.name!r} has no official train/test split for {what}")

    def train_rows(self, X: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The official training rows of the frame and of ``X`` (all rows when there is no split)."""
        if self.frame["split"].isna().all():
            return self.frame, X
        keep = split_mask(self.frame, "train")
        return self.frame[keep], X[keep]

    def info(self) -> dict:
        """:meth:`summary` plus the registry's title, version, licence, citation, source and files."""
        spec = self.spec
        return {**self.summary(), "title": spec.title, "version": spec.version, "license": spec.license,
                "citation": spec.citation, "source": spec.source,
                "files": {f.name: {"sha256": f.sha256, "url": f.url} for f in spec.files},
                "data_dir": str(self.settings.data_dir)}

    def summary(self) -> dict:
        """Counts for reports and ``explainsse datasets info``.

        Returns
        -------
        dict
            ``rows_input, rows_used, rows_excluded, issues, train, test, censored,
            with_target, with_cif, families, issues_by_reason``.
        """
        f = self.frame
        split = f["split"].value_counts(dropna=True)
        return {
            "name": self.name,
            "rows_input": int(self.n_input_rows),
            "rows_used": int(len(f)),
            "rows_excluded": len(self.excluded_rows),
            "issues": int(len(self.issues)),
            "train": int(split.get("train", 0)),
            "test": int(split.get("test", 0)),
            "censored": int(f["censored"].sum()),
            "with_target": int(f["sigma_S_cm"].notna().sum()),
            "with_cif": int(f["has_cif"].sum()),
            "censored_floor_S_cm": self.censored_floor,
            "families": {str(k): int(v) for k, v in f["family"].value_counts().items()},
            "issues_by_reason": {
                str(k): int(v)
                for k, v in self.issues["reason"].str.replace(r"'.*'", "'...'", regex=True)
                .value_counts()
                .items()
            },
        }

    def structures(self, progress: bool = False) -> dict:
        """Parse the dataset's CIFs: id -> :class:`pymatgen.core.Structure`.

        The archive is extracted safely into ``<cache_dir>/<dataset>/cifs/`` (see
        :func:`~explainsse.datasets.cifs.extract_cifs`). Files that fail to parse, and
        entries flagged ``has_cif`` without a file, are listed in :attr:`structure_issues`, as are,
        with a user's CIF folder or archive, the rows with no ``<id>.cif`` in it (a CIF column that
        says "n/a" is a choice, not an issue). For a
        user's table (not a registered, curated dataset), a CIF whose composition is far from the
        row's formula (:func:`composition_mismatch` above a limit of :data:`CIF_MISMATCH`) is not used either,
        and listed with both compositions.
        """
        if self._structures is None:
            if not self.has_structures:
                raise InputDataError(f"dataset {self.name!r} has no CIF archive or folder")
            if self.cif_files is not None:
                files = {k: Path(v) for k, v in self.cif_files.items() if Path(v).is_file()}
            elif Path(self.cif_archive).is_dir():
                files = {p.stem: p for p in sorted(Path(self.cif_archive).glob("*.cif"))}
            else:
                files = extract_cifs(self.cif_archive, self.settings.cache_dir / self.name).files
            ids = set(self.frame["id"].astype(str))
            wanted = {k: v for k, v in files.items() if k in ids}
            structures, failures = parse_cifs(wanted, progress=progress)
            missing = sorted(set(self.frame.loc[self.frame["has_cif"], "id"]) - set(files))
            extra = sorted(set(files) - ids)
            given = self.cif_files or {}
            rows = [(m, str(given.get(m, "")), (f"CIF file not found: {given[m]}" if not Path(given[m]).exists()
                                                 else f"not a file: {given[m]}") if m in given
                     else "entry marked as having a CIF but no file found") for m in missing]
            if self.spec is None:  # a user's CIFs: the structure must be of the row's compound
                formulas = dict(zip(self.frame["id"].astype(str), self.frame["composition"]))
                for key in sorted(structures):
                    d = composition_mismatch(structures[key].composition, formulas[key])
                    over = [f"{part} by {d[part]:.2f} > {limit}" for part, limit in CIF_MISMATCH.items()
                            if d[part] > limit]
                    if over:
                        rows.append((key, str(files[key]), f"CIF composition {structures[key].composition.reduced_formula}"
                                     f" does not match the formula {formulas[key].reduced_formula} (atom fractions "
                                     f"differ: {'; '.join(over)}): the CIF is not used"))
                        del structures[key]
            if self.spec is None and self.cif_files is None:  # a user's CIF folder or archive: every row expects one
                rows += [(i, "", f"no {i}.cif in {self.cif_archive}: the structure descriptors are imputed")
                         for i in sorted(ids - set(files))]
            rows += [(e, str(files[e]), "CIF for an id not in the table") for e in extra]
            issues = pd.concat(
                [failures, pd.DataFrame(rows, columns=["id", "file", "reason"])],
                ignore_index=True,
            )
            self._structures = (structures, issues)
        return self._structures[0]

    @property
    def structure_issues(self) -> pd.DataFrame:
        """CIFs that failed to parse or are missing (``id, file, reason``); call :meth:`structures` first."""
        if self._structures is None:
            self.structures()
        return self._structures[1]


def _load_obelix(settings: Settings, censored_floor: float, strict: bool, download: bool) -> Dataset:
    spec = get_spec("obelix")
    paths = fetch_dataset("obelix", ["all.csv", "train.csv", "test.csv"], settings=settings,
                          download=download)
    raw = read_csv_strict(paths["all.csv"])
    split = pd.Series(pd.NA, index=raw.index, dtype="string")
    for name in ("train", "test"):
        ids = set(read_csv_strict(paths[f"{name}.csv"], usecols=["ID"])["ID"])
        split[raw["ID"].isin(ids)] = name
    raw = raw.assign(_split=split)
    columns = ColumnMap(
        formula_col="True Composition",
        target_col="Ionic conductivity (S cm-1)",
        target_kind="sigma",
        id_col="ID",
        family_col="Family",
        space_group_col="Space group #",
        lattice_cols=LATTICE_COLUMNS,
        z_col="Z",
        doi_col="DOI",
        split_col="_split",
        formula_basis="cell",
    )
    frame, descriptors, issues = normalize_table(
        raw, columns, source=str(paths["all.csv"]), censored_floor=censored_floor, strict=strict
    )
    frame["has_cif"] = raw.loc[frame.index, "Cif ID"].str.strip().eq("done").to_numpy()
    frame["reported_formula"] = raw.loc[frame.index, "Reduced Composition"].astype("string")
    frame["space_group"] = raw.loc[frame.index, "Space group"].astype("string")
    archive = fetch_dataset("obelix", ["all_cifs.tar.gz"], settings=settings,
                            download=download)["all_cifs.tar.gz"]
    return Dataset(
        name="obelix",
        frame=frame,
        issues=issues,
        descriptors=descriptors,
        n_input_rows=len(raw),
        files={name: get_spec("obelix").file(name).sha256 for name in (*paths, "all_cifs.tar.gz")},
        spec=spec,
        censored_floor=censored_floor,
        cif_archive=archive,
        settings=settings,
    )


def _load_xu2020(settings: Settings, censored_floor: float, strict: bool, download: bool) -> Dataset:
    spec = get_spec("xu2020")
    path = fetch_dataset("xu2020", settings=settings, download=download)["TrainingData.csv"]
    raw = read_csv_strict(path, encoding="latin-1")
    targets = {"Formula", "S", "Slog", "Sclass", "Ea"}
    descriptor_cols = tuple(c for c in raw.columns if c not in targets and not c.startswith("Unnamed"))
    columns = ColumnMap(formula_col="Formula", target_col="S", target_kind="sigma",
                        descriptor_cols=descriptor_cols)
    frame, descriptors, issues = normalize_table(
        raw, columns, source=str(path), censored_floor=censored_floor, strict=strict
    )
    frame["family"] = pd.array(["NASICON"] * len(frame), dtype="string")
    frame["Sclass"] = pd.to_numeric(raw.loc[frame.index, "Sclass"]).astype("Int64")
    frame["Ea_eV"] = pd.to_numeric(raw.loc[frame.index, "Ea"], errors="coerce")
    return Dataset("xu2020", frame, issues, descriptors, len(raw),
                   {"TrainingData.csv": spec.files[0].sha256}, spec, censored_floor,
                   settings=settings)


_LOADERS = {"obelix": _load_obelix, "xu2020": _load_xu2020}


def load_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    censored_floor: float | None = None,
    strict: bool = False,
    download: bool = True,
) -> Dataset:
    """Load a registered dataset, verified by sha256, into a normalized :class:`Dataset`.

    Parameters
    ----------
    name : str
        ``"obelix"`` (599 Li electrolytes, official split) or ``"xu2020"`` (70 Na NASICONs).
    data_dir : path-like, optional
        Folder holding ``<name>/<file>``; default ``EXPLAINSSE_DATA_DIR``, else the platform cache.
    cache_dir : path-like, optional
        Writable folder for derived files (extracted CIFs, features); default
        ``EXPLAINSSE_CACHE_DIR``, else the platform cache.
    censored_floor : float, optional
        Conductivity (S/cm) for text upper bounds (default 1e-15, as the OBELiX benchmark).
    strict : bool
        Raise on the first bad row instead of collecting it in ``issues``.
    download : bool
        Allow downloading missing files from the pinned URLs.

    Returns
    -------
    Dataset

    Examples
    --------
    With ``EXPLAINSSE_DATA_DIR`` pointing at a folder that holds ``obelix/``:

    >>> ds = load_dataset("obelix", download=False)
    >>> s = ds.summary()
    >>> s["rows_used"], s["train"], s["test"], s["censored"], s["with_cif"]
    (599, 478, 121, 37, 321)
    """
    spec = get_spec(name)
    settings = get_settings(data_dir=data_dir, cache_dir=cache_dir)
    floor = settings.censored_floor if censored_floor is None else check_censored_floor(censored_floor)
    return _LOADERS[spec.name](settings, floor, strict, download)


def load_table(
    path: str | os.PathLike,
    formula_col: str = "formula",
    target_col: str | None = None,
    target_kind: str = "sigma",
    *,
    id_col: str | None = None,
    family_col: str | None = None,
    space_group_col: str | None = None,
    lattice_cols: Sequence[str] | None = None,
    z_col: str | None = None,
    doi_col: str | None = None,
    split_col: str | None = None,
    descriptor_cols: Sequence[str] = (),
    formula_basis: str = "formula_unit",
    cif_dir: str | os.PathLike | None = None,
    cif_col: str | None = None,
    censored_floor: float | None = None,
    strict: bool = False,
    encoding: str | None = None,
    find_columns: bool = True,
) -> Dataset:
    """Load a user's CSV into a normalized :class:`Dataset`.

    Parameters
    ----------
    path : path-like
        CSV file.
    formula_col : str
        Formula column.
    target_col : str, optional
        Conductivity column; found by its usual name when omitted (see ``find_columns``); a table
        without one is read as candidates without a measurement.
    target_kind : {"sigma", "log10"}
        ``sigma``: S/cm (numbers or text upper bounds ``<x``); ``log10``: log10(S/cm).
    id_col, family_col, space_group_col, z_col, doi_col, split_col : str, optional
        Optional metadata columns (see :class:`~explainsse.datasets.table.ColumnMap`).
    lattice_cols : sequence of six str, optional
        a, b, c, alpha, beta, gamma columns; auto-detected when named exactly so.
    descriptor_cols : sequence of str
        Own descriptor columns passed through untouched.
    formula_basis : {"formula_unit", "cell"}
        Whether the formula is one formula unit (``Z`` per cell) or the cell content.
    cif_dir : path-like, optional
        Folder or tar archive of ``<id>.cif`` files for :meth:`Dataset.structures`.
    cif_col : str, optional
        Column holding each row's CIF file (a path, relative to the table's folder or absolute;
        empty for none); found by its usual name (``cif``, ``cif_path``, ``structure``, ...) when
        ``find_columns`` and the column's values name ``.cif`` files. A path that does not exist or a
        file that does not parse is that row's structure issue (its structure descriptors stay
        missing, with the reason), never a silent drop.
    censored_floor : float, optional
        Conductivity (S/cm) for text upper bounds.
    strict : bool
        Raise on the first bad row instead of collecting it in ``issues``.
    encoding : str, optional
        File encoding (default UTF-8; use ``"latin-1"`` for older files).
    find_columns : bool, default True
        Find the formula (when ``formula_col`` is the default and absent), conductivity, id and
        family columns that are not given, by their usual names
        (:func:`~explainsse.datasets.table.guess_columns`), as the command line's ``--input`` does;
        a note in :attr:`Dataset.notes` says which were found. Columns given explicitly always win.
        Pass ``False`` to use only the columns named here (e.g. to read candidates without their
        conductivity column, or to number the rows ``row0, row1, ...`` instead of using an ``id`` column).

    Returns
    -------
    Dataset

    Examples
    --------
    A CSV with the columns ``id, formula, sigma`` needs no column arguments:

    >>> ds = load_table("my_electrolytes.csv")  # doctest: +SKIP
    >>> ds.notes[0]  # doctest: +SKIP
    "my_electrolytes.csv: found by name: conductivity column 'sigma' (S/cm), id column 'id' (the column ..."
    """
    path = Path(path)
    settings = get_settings()
    floor = settings.censored_floor if censored_floor is None else check_censored_floor(censored_floor)
    notes: list[str] = []
    raw = read_csv_strict(path, notes=notes, encoding=encoding)
    if find_columns:
        found, detected = guess_columns(raw.columns), []
        if formula_col == "formula" and "formula" not in raw.columns and found["formula_col"]:
            formula_col = found["formula_col"]
            detected.append(f"formula column {formula_col!r}")
        if target_col is None and found["target_col"] is not None:
            target_col, target_kind = found["target_col"], found["target_kind"]
            detected.append(f"conductivity column {target_col!r} "
                            f"({'S/cm' if target_kind == 'sigma' else 'log10 S/cm'})")
        if id_col is None and found["id_col"] is not None:
            id_col = found["id_col"]
            detected.append(f"id column {id_col!r}")
        if cif_col is None and cif_dir is None and found["cif_col"] is not None and _names_cifs(raw[found["cif_col"]]):
            cif_col = found["cif_col"]
            detected.append(f"CIF column {cif_col!r}")
        if family_col is None and found["family_col"] is not None:
            family_col = found["family_col"]
            detected.append(f"family column {family_col!r}")
        if detected:
            notes.insert(0, f"{path}: found by name: {', '.join(detected)} (the column options choose others)")
    columns = ColumnMap(
        formula_col=formula_col,
        target_col=target_col,
        target_kind=target_kind,
        id_col=id_col,
        family_col=family_col,
        space_group_col=space_group_col,
        lattice_cols=tuple(lattice_cols) if lattice_cols else None,
        z_col=z_col,
        doi_col=doi_col,
        split_col=split_col,
        descriptor_cols=tuple(descriptor_cols),
        formula_basis=formula_basis,
    )
    frame, descriptors, issues = normalize_table(
        raw, columns, source=str(path), censored_floor=floor, strict=strict
    )
    files = {path.name: sha256_file(path)}
    if cif_dir is not None:
        cif_dir = Path(cif_dir)
        stems = _cif_stems(cif_dir, settings.cache_dir / path.stem)  # where Dataset.structures looks
        frame["has_cif"] = frame["id"].isin(stems).to_numpy()
        if cif_dir.is_file():
            files[cif_dir.name] = sha256_file(cif_dir)
        unmatched = len(stems - set(frame["id"]))
        notes.append(f"{cif_dir}: {len(stems)} CIFs, {int(frame['has_cif'].sum())} of {len(frame)} usable rows "
                     f"have one" + (f"; {unmatched} CIFs match no id" if unmatched else ""))
    cif_files = None
    if cif_col is not None:
        if cif_dir is not None:
            raise InputDataError(f"{path}: give a CIF folder (--cifs) or a CIF column ({cif_col!r}), not both")
        if cif_col not in raw.columns:
            raise InputDataError(f"{path}: no column {cif_col!r} (columns: {', '.join(map(str, raw.columns))})")
        cif_files = _cif_paths(raw.loc[frame.index, cif_col], frame["id"], path.parent)
        frame["has_cif"] = frame["id"].isin(cif_files).to_numpy()
        absent = sum(not Path(p).is_file() for p in cif_files.values())
        notes.append(f"{path}: column {cif_col!r} names a CIF for {len(cif_files)} of {len(frame)} usable rows"
                     + (f"; {absent} of those files do not exist (listed per row)" if absent else ""))
    return Dataset(path.stem, frame, issues, descriptors, len(raw), files, None, floor, cif_dir, settings,
                   notes=notes, strict=strict, cif_files=cif_files)


#: Largest differences of atom fractions (:func:`composition_mismatch`) between a user's CIF and its row's
#: formula, over all atoms, over the framework cations (not Li, H or anions) and over the anions: above
#: any, the CIF is of another compound. A doped formula with its parent's CIF stays well below (OBELiX:
#: 315 of its 321 CIFs within 0.1 of their formula overall; one at 0.44, whose CIF holds no Li).
CIF_MISMATCH = {"all atoms": 0.3, "framework cations": 0.5, "anions": 0.5}


def _fractions(comp, keep) -> dict[str, float]:
    amounts = {el.symbol: float(n) for el, n in comp.element_composition.items() if keep(el.symbol)}
    total = sum(amounts.values())
    return {k: v / total for k, v in amounts.items()} if total > 0 else {}


def composition_mismatch(a, b) -> dict[str, float]:
    """Half the summed absolute difference of atom fractions (0 same, 1 disjoint) of two compositions.

    Over all atoms, over the framework cations (elements other than Li, H and the anions of
    :data:`~explainsse.chemistry.ANION_CHARGES`) and over the anions; a part that neither has counts 0.

    Examples
    --------
    >>> from pymatgen.core import Composition
    >>> d = composition_mismatch(Composition("Li7La3Zr2O12"), Composition("Li6.4La3Zr1.4Ta0.6O12"))
    >>> d["all atoms"] < 0.05 and d["framework cations"] < 0.2
    True
    >>> composition_mismatch(Composition("Li7BiO6"), Composition("Li7La3Zr2O12"))["framework cations"]
    1.0
    """
    parts = {"all atoms": lambda s: True, "framework cations": lambda s: s not in ANION_CHARGES and s not in ("Li", "H"),
             "anions": lambda s: s in ANION_CHARGES}
    out = {}
    for name, keep in parts.items():
        fa, fb = _fractions(a, keep), _fractions(b, keep)
        out[name] = 0.5 * sum(abs(fa.get(e, 0.0) - fb.get(e, 0.0)) for e in set(fa) | set(fb)) if fa or fb else 0.0
        if bool(fa) != bool(fb):
            out[name] = 1.0
    return out


#: Values of a CIF column that mean "no CIF for this row".
NO_CIF = {"", "-", "na", "n/a", "nan", "none", "null", "missing"}


def _names_cifs(values: pd.Series) -> bool:
    """Whether a column's values are mostly paths of ``.cif`` files (a 'structure' column may be prose).

    Empty and "n/a"-like values (:data:`NO_CIF`) mean no CIF; at least half of the others must end
    in ``.cif`` (the rest are then listed per row as files not found).
    """
    text = values.dropna().astype(str).str.strip()
    text = text[~text.str.lower().isin(NO_CIF)]
    return bool(len(text)) and bool(text.str.lower().str.endswith(".cif").mean() >= 0.5)


def _cif_paths(values: pd.Series, ids: pd.Series, base: Path) -> dict[str, Path]:
    """Map each row id to its CIF path, for the rows that name one (relative paths are read from the table's folder)."""
    out = {}
    for value, row_id in zip(values, ids):
        if value is None or (isinstance(value, float) and value != value) or str(value).strip().lower() in NO_CIF:
            continue
        p = Path(str(value).strip()).expanduser()
        out[str(row_id)] = p if p.is_absolute() else base / p
    return out


def _cif_stems(source: Path, cache_root: Path) -> set[str]:
    """Ids (file stems) of the CIFs in a folder, or in a tar archive extracted safely into the cache."""
    if source.is_dir():
        return {p.stem for p in source.glob("*.cif")}
    if source.is_file():
        return set(extract_cifs(source, cache_root).files)
    raise InputDataError(f"{source}: CIF folder or archive not found")


def from_formulas(formulas: Sequence[str], ids: Sequence[str] | None = None, *, strict: bool = True) -> Dataset:
    """A :class:`Dataset` of candidate formulas without measurements (for prediction/explanation).

    Parameters
    ----------
    formulas : sequence of str
    ids : sequence of str, optional
        Default: the formulas themselves.
    strict : bool, default True
        Raise on an invalid formula (naming it) instead of listing it in ``issues``.
    """
    raw = pd.DataFrame({"id": list(ids) if ids is not None else list(formulas), "formula": list(formulas)})
    frame, descriptors, issues = normalize_table(raw, ColumnMap("formula", id_col="id"), source="formulas",
                                                 strict=strict)
    return Dataset("formulas", frame, issues, descriptors, len(raw), {})
