"""`DescriptorFeaturizer`: a scikit-learn transformer from formulas (+ lattice data) to descriptors."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._config import get_settings
from ..chemistry import FormulaError, parse_formula
from ..datasets.table import ISSUE_COLUMNS
from ..errors import FeaturizationError, InputDataError
from .cache import FeatureCache, cache_key, key_inputs
from .descriptors import composition_feature_names, feature_names, make_featurizers
from .formula import parse_many
from .groups import featurize_tables
from .presets import DEFAULT_PRESET, get_preset
from .structure_table import NOTES, structure_key
from .vectorized import element_table
from .vectorized_groups import group_values

ERROR_MODES = ("raise", "nan")
#: Composition backends: NumPy over many compositions at once (default), or matminer's own
#: featurizers one composition at a time (the reference).
BACKENDS = ("vectorized", "matminer")
_CHUNK = 64  # formulas per work unit (progress granularity, joblib batch)
_VECTOR_CHUNK = 20_000  # formulas per vectorized block (bounds memory; progress granularity)


def _featurize_chunk(formulas: list[str], preset) -> list[tuple[list[float], str | None]]:
    """Values of the preset's composition groups for each formula; errors returned as text."""
    featurizers = make_featurizers(preset)
    out = []
    for formula in formulas:
        try:
            comp = parse_formula(formula)
            values: list[float] = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for featurizer, _ in featurizers:
                    values.extend(float(v) for v in featurizer.featurize(comp))
            out.append((values, None))
        except FormulaError as exc:
            out.append(([], str(exc)))
        except Exception as exc:  # any failure on one composition is that row's issue, never the run's
            out.append(([], f"{type(exc).__name__}: {exc}"))
    return out


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    """A RuntimeWarning, once per process for the same message."""
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


class DescriptorFeaturizer(TransformerMixin, BaseEstimator):
    """Turn formulas (and, for crystal presets, lattice columns) into named descriptors.

    Parameters
    ----------
    preset : str, default "composition-v1"
        Name of a preset in :data:`explainsse.featurize.PRESETS`.
    passthrough : list of str, optional
        Extra numeric columns of ``X`` appended untouched ("bring your own descriptors").
    n_jobs : int, optional
        Worker processes; default from settings (1).
    cache : bool, default True
        Reuse features saved on disk for identical inputs, preset and package versions.
    cache_dir : path-like, optional
        Cache root; default settings' ``cache_dir``.
    errors : {"raise", "nan"}, default "raise"
        What a formula that cannot be featurized does: raise :class:`FeaturizationError`
        naming the row, or give a row of NaN (and a warning listing the rows).
    progress : bool, default False
        Show a progress bar over distinct compositions.
    backend : {"vectorized", "matminer"}, default "vectorized"
        How composition descriptors are computed: NumPy over all distinct compositions at once
        (:mod:`explainsse.featurize.vectorized`, same values as matminer to 1e-9), or matminer's
        featurizers one composition at a time (the reference; ``n_jobs`` workers). The cache
        key names the backend.

    Attributes
    ----------
    preset_ : Preset
        The resolved preset.
    feature_names_out_ : list of str
        Output column names.
    last_cache_hit_ : bool
        Whether the last :meth:`transform` was served from the cache.
    composition_elements_ : numpy.ndarray or None
        With the vectorized backend, the element indices (into
        :func:`~explainsse.featurize.vectorized.element_table`'s symbols, ``-1`` for none) of each
        row of the last :meth:`transform` that computed its values (None otherwise).
    failures_ : dict
        Row label -> reason, for the rows of the last :meth:`transform` that could not be
        featurized (``errors="nan"``). Tables with failures are never cached.

    Notes
    -----
    ``X`` may be a sequence of formula strings or a DataFrame with a ``formula`` column (and
    the columns listed in ``preset.requires``). ``transform`` returns a DataFrame with the
    index of ``X``. Each distinct composition is featurized once, so repeated formulas (doping
    series, screening libraries) cost nothing extra.

    Examples
    --------
    >>> f = DescriptorFeaturizer(cache=False).fit(["Li7La3Zr2O12"])
    >>> X = f.transform(["Li7La3Zr2O12", "Li3PS4"])
    >>> X.shape[0], "Electrolyte Li atomic fraction" in X.columns
    (2, True)
    """

    def __init__(self, preset=DEFAULT_PRESET, *, passthrough=None, n_jobs=None, cache=True,
                 cache_dir=None, errors="raise", progress=False, backend="vectorized"):
        self.preset = preset
        self.backend = backend
        self.passthrough = passthrough
        self.n_jobs = n_jobs
        self.cache = cache
        self.cache_dir = cache_dir
        self.errors = errors
        self.progress = progress

    # -- sklearn API -------------------------------------------------------------------
    def fit(self, X, y=None):
        """Validate parameters and the input columns; learn the output column names."""
        if self.errors not in ERROR_MODES:
            raise ValueError(f"errors must be one of {ERROR_MODES}, got {self.errors!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        self.preset_ = get_preset(self.preset)
        table = self._as_table(X)
        self._check_columns(table)
        passthrough = list(self.passthrough or [])
        names = feature_names(self.preset_)
        clash = sorted(set(names) & set(passthrough))
        if clash:
            raise InputDataError(f"passthrough columns clash with descriptor names: {clash}")
        self.feature_names_out_ = names + passthrough
        self.n_features_in_ = table.shape[1]
        self.last_cache_hit_ = False
        self.failures_ = {}
        self.composition_elements_ = None
        self.notes_ = pd.Series(dtype=object)
        return self

    def get_feature_names_out(self, input_features=None):
        """Output column names (numpy array of str)."""
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)

    def transform(self, X):
        """Compute descriptors; returns a DataFrame indexed like ``X``."""
        check_is_fitted(self, "feature_names_out_")
        table = self._as_table(X)
        self._check_columns(table)
        inputs = _keyed(table[self._input_columns(table)])
        store, key = None, None
        expected = self.feature_names_out_ + ([NOTES] if self._has_notes() else [])
        if self.cache:
            store = FeatureCache(self.cache_dir or get_settings().cache_dir)
            key = cache_key(self.preset_, inputs, self.backend)
            hit = store.get(self.preset_.name, key)
            for problem in store.problems:
                _warn_once(problem)
            if hit is not None and list(hit.columns) == expected and len(hit) == len(table):
                self.last_cache_hit_ = True
                self.failures_ = {}
                self.composition_elements_ = None
                hit.index = table.index
                return self._split_notes(hit)
        self.last_cache_hit_ = False
        out = self._compute(table)
        if store is not None and not self.failures_ and not _transient(out):
            try:
                store.put(self.preset_.name, key, out, inputs=key_inputs(self.preset_, inputs, self.backend))
            except OSError as exc:  # a read-only cache must not stop the work
                _warn_once(f"feature cache not written ({exc})")
        return self._split_notes(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags

    # -- helpers -----------------------------------------------------------------------
    def _has_notes(self) -> bool:
        return any(g.notes for g in self.preset_.groups)

    def _split_notes(self, out: pd.DataFrame) -> pd.DataFrame:
        """Keep the structure notes (reasons for missing structure descriptors) in :attr:`notes_`."""
        if NOTES not in out:
            self.notes_ = pd.Series(dtype=object)
            return out
        notes = out[NOTES].fillna("").astype(str)
        self.notes_ = notes[notes != ""]
        return out.drop(columns=[NOTES])

    def _input_columns(self, table: pd.DataFrame | None = None) -> list[str]:
        """Required inputs and passthrough columns; with ``table``, also the optional inputs it has."""
        optional = [] if table is None else [c for c in self.preset_.optional if c in table.columns
                                             and c not in self.preset_.requires]
        return ["formula", *[c for c in self.preset_.requires if c != "formula"], *optional,
                *(self.passthrough or [])]

    @staticmethod
    def _as_table(X) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            if "formula" in X.columns:
                return X
            if "structure" in X.columns:
                return X.assign(formula=[s.composition.formula if hasattr(s, "composition") else None
                                         for s in X["structure"]])
            if "composition" in X.columns:
                return X.assign(formula=[c.formula for c in X["composition"]])
            raise InputDataError(
                "input DataFrame needs a 'formula' column; got columns: " + ", ".join(map(str, X.columns))
            )
        if isinstance(X, pd.Series):
            return X.rename("formula").to_frame()
        if isinstance(X, str):
            raise InputDataError("expected a list of formulas, got a single string")
        return pd.DataFrame({"formula": list(X)})

    def _check_columns(self, table: pd.DataFrame) -> None:
        missing = [c for c in self._input_columns() if c not in table.columns]
        if missing:
            raise InputDataError(
                f"preset {self.preset_.name!r} needs input columns {missing}; got "
                + ", ".join(map(str, table.columns))
            )

    def _composition_values(self, unique: list[str]) -> tuple[np.ndarray, dict[str, str], np.ndarray | None]:
        """Composition values of each distinct formula, failure reasons, element indices (vectorized only)."""
        names = composition_feature_names(self.preset_)
        if self.backend == "vectorized":
            return self._vectorized(unique, len(names))
        results = self._featurize_unique(unique)
        failed = {f: error for f, (_, error) in zip(unique, results) if error}
        missing = [np.nan] * len(names)
        values = np.array([missing if error else v for v, error in results], dtype=float)
        return values.reshape(len(unique), len(names)), failed, None

    def _vectorized(self, unique: list[str], n_columns: int) -> tuple[np.ndarray, dict[str, str], np.ndarray]:
        """:mod:`.vectorized` over blocks of distinct formulas (fast parser, NumPy reductions)."""
        from tqdm.auto import tqdm  # optional display: tqdm loads only when a progress bar is shown


        groups = [g.name for g in self.preset_.groups_of("composition")]
        out = np.full((len(unique), n_columns), np.nan)
        failed: dict[str, str] = {}
        blocks = []
        if not groups:  # only the formulas are checked
            elements, _, errors = parse_many(unique, element_table()[0])
            failed.update({unique[pos]: reason for pos, reason in errors.items()})
            return out, failed, elements
        with tqdm(total=len(unique), desc=f"featurizing ({self.preset_.name})", unit="comp",
                  disable=not self.progress) as bar:
            for start in range(0, len(unique), _VECTOR_CHUNK):
                block = unique[start:start + _VECTOR_CHUNK]
                elements, amounts, errors = parse_many(block, element_table()[0])
                with np.errstate(all="ignore"):
                    values = group_values(groups, elements, amounts)
                values[list(errors)] = np.nan
                out[start:start + len(block)] = values
                failed.update({block[pos]: reason for pos, reason in errors.items()})
                blocks.append(elements)
                bar.update(len(block))
        width = max((b.shape[1] for b in blocks), default=1)
        elements = np.vstack([np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=-1)
                              for b in blocks]) if blocks else np.full((0, 1), -1)
        return out, failed, elements

    def _featurize_unique(self, unique: list[str]) -> list[tuple[list[float], str | None]]:
        """Run matminer's composition featurizers once per distinct formula, with a progress bar."""
        from tqdm.auto import tqdm  # optional display: tqdm loads only when a progress bar is shown

        n_jobs = self.n_jobs if self.n_jobs is not None else get_settings().n_jobs
        if not self.preset_.groups_of("composition"):  # only the formulas are parsed: no workers needed
            n_jobs = 1
        chunks = [unique[i:i + _CHUNK] for i in range(0, len(unique), _CHUNK)]
        if n_jobs == 1 or len(chunks) == 1:
            jobs = (_featurize_chunk(chunk, self.preset_) for chunk in chunks)
        else:
            from joblib import (  # heavy: the process pool (loky) starts only when workers are needed
                Parallel,
                delayed,
            )

            jobs = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_featurize_chunk)(chunk, self.preset_) for chunk in chunks)
        results: list = []
        with tqdm(total=len(unique), desc=f"featurizing ({self.preset_.name})", unit="comp",
                  disable=not self.progress) as bar:
            for res in jobs:
                results.extend(res)
                bar.update(len(res))
        return results

    def _report_failures(self, formulas: pd.Series, failed: dict[str, str]) -> None:
        if not failed:
            self.failures_ = {}
            return
        bad_rows = [(idx, f, failed[f]) for idx, f in formulas.items() if f in failed]
        self.failures_ = {idx: reason for idx, _, reason in bad_rows}
        if not bad_rows:
            return
        if self.errors == "raise":
            idx, f, reason = bad_rows[0]
            more = f" ({len(bad_rows) - 1} more rows failed)" if len(bad_rows) > 1 else ""
            raise FeaturizationError(f"row {idx!r} (formula {f!r}) could not be featurized: {reason}{more}")
        warnings.warn(
            f"{len(bad_rows)} rows could not be featurized and were set to NaN: "
            + "; ".join(f"row {i!r} ({f!r}): {r}" for i, f, r in bad_rows[:10]),
            RuntimeWarning, stacklevel=4,
        )

    def _compute(self, table: pd.DataFrame) -> pd.DataFrame:
        formulas = table["formula"].astype("string").fillna("").str.strip()
        codes, uniques = pd.factorize(formulas, use_na_sentinel=False)
        unique = [str(f) for f in uniques]
        values, failed, elements = self._composition_values(unique)
        self.composition_elements_ = None if elements is None else elements[codes]
        self._report_failures(formulas, failed)
        comp_names = composition_feature_names(self.preset_)
        out = pd.DataFrame(values[codes] if len(values) else np.empty((len(formulas), len(comp_names))),
                           index=table.index, columns=comp_names)
        tables = [g for g in self.preset_.groups if g.input_kind != "composition"]
        if tables:
            out = pd.concat([out, featurize_tables(tables, table.assign(formula=formulas), n_jobs=self.n_jobs,
                                                   progress=self.progress)], axis=1)
        for col in self.passthrough or []:
            values = pd.to_numeric(table[col], errors="coerce")
            bad = table[col].notna() & values.isna()
            if bad.any():
                first = bad.idxmax()
                raise InputDataError(
                    f"descriptor column {col!r} is not numeric (row {first!r}: {table.at[first, col]!r})"
                )
            out[col] = values.astype(float)
        if NOTES in out:  # last, after the user's columns: the cached table's column order is checked
            out = out[[c for c in out.columns if c != NOTES] + [NOTES]]
        return out


def _keyed(inputs: pd.DataFrame) -> pd.DataFrame:
    """The inputs as they enter the cache key: a structure column becomes each structure's sha256."""
    if "structure" not in inputs:
        return inputs
    return inputs.assign(structure=[structure_key(s) for s in inputs["structure"]])


def _check_crystal_inputs(table: pd.DataFrame, preset: str, name: str) -> None:
    """Refuse a crystal preset without lattice data; warn about rows it cannot describe."""
    lattice = table[["a", "b", "c", "alpha", "beta", "gamma"]]
    if len(table) and lattice.isna().all().all():
        raise InputDataError(
            f"{name}: preset {preset!r} needs lattice parameters, but no row has any "
            "(name the columns with --lattice-cols / lattice_cols=, or use composition-v1)"
        )
    incomplete = table.index[lattice.isna().any(axis=1)]
    if len(incomplete):
        warnings.warn(f"{name}: {len(incomplete)} rows lack some lattice parameters; their "
                      f"lattice descriptors are missing (rows {list(incomplete[:10])}...)",
                      RuntimeWarning, stacklevel=3)
    if table["formula_units_per_cell"].isna().any():
        warnings.warn(f"{name}: formula units per cell unknown for "
                      f"{int(table['formula_units_per_cell'].isna().sum())} rows; atoms per cell, "
                      "volume per atom/anion and Li number density are missing there (give a Z "
                      "column, or formula_basis='cell' if the formula is the cell content)",
                      RuntimeWarning, stacklevel=3)


#: Notes of results that depend on the machine's state, not on the input (a worker killed, e.g. out of
#: memory; a structure's time limit reached on a busy machine): such a table is not cached, so the next
#: run tries those rows again.
TRANSIENT_NOTES = ("worker process died", "per structure reached")


def _transient(out: pd.DataFrame) -> bool:
    """Whether any row's notes say its values were lost to the machine's state (:data:`TRANSIENT_NOTES`)."""
    if NOTES not in out:
        return False
    notes = out[NOTES].astype("string").fillna("")
    return any(bool(notes.str.contains(t, regex=False).any()) for t in TRANSIENT_NOTES)


@dataclass(frozen=True)
class Featurized:
    """What :func:`featurize_dataset` returns; unpacks as ``X, excluded = featurize_dataset(...)``.

    Attributes
    ----------
    X : pandas.DataFrame
        Descriptors of the usable rows, indexed like the dataset's frame without the excluded rows.
    excluded : pandas.DataFrame
        Rows whose descriptors could not be computed (``row, id, column, value, reason``; empty
        when none), to be listed, never dropped silently (:meth:`Dataset.without`).
    notes : pandas.DataFrame or None
        Per-row notes of the descriptor groups that keep them (structures), else None.
    """

    X: pd.DataFrame
    excluded: pd.DataFrame
    notes: pd.DataFrame | None = None

    def __iter__(self):
        return iter((self.X, self.excluded))


def featurize_dataset(dataset, preset=DEFAULT_PRESET, *, cache: bool = True,
                      progress: bool = False, n_jobs: int | None = None,
                      cache_dir: str | Path | None = None, backend: str = "vectorized") -> Featurized:
    """Descriptors for every usable row of a :class:`~explainsse.datasets.Dataset`; the dataset is left alone.

    The user's own descriptor columns (``dataset.descriptors``) are appended untouched.

    A row whose descriptors cannot be computed (any error on its composition) is left out of
    ``X`` and listed in ``excluded`` with the reason (:func:`dataset_descriptors` also gives the
    dataset without those rows); a dataset loaded with ``strict=True`` raises
    :class:`FeaturizationError` instead.

    Parameters
    ----------
    dataset : Dataset
    preset : str or Preset
        Descriptor preset.
    cache : bool
        Reuse the verified feature cache.
    progress : bool
        Progress bar over distinct compositions.
    n_jobs : int, optional
        Worker processes (default: settings).
    cache_dir : path-like, optional
    backend : {"vectorized", "matminer"}
        Composition backend (:class:`DescriptorFeaturizer`).

    Returns
    -------
    Featurized
        ``X, excluded`` (and ``notes``).
    """
    spec = get_preset(preset)
    preset = spec.name
    if spec.crystal:
        _check_crystal_inputs(dataset.frame, preset, dataset.name)
    needed = [c for c in spec.requires if c != "structure"]
    optional = [c for c in table_inputs(spec, dataset.frame) if c not in needed]
    table = dataset.frame[needed + optional].copy()
    if spec.groups_of("structure"):
        table = table.assign(structure=_structures_of(dataset))
    passthrough = list(dataset.descriptors.columns)
    for col in sorted(set(passthrough) & set(optional)):  # e.g. Xu's a, c: read as the optional input
        table[col] = table[col].combine_first(pd.to_numeric(dataset.descriptors[col], errors="coerce"))
        passthrough.remove(col)
    clash = sorted(set(passthrough) & set(needed))
    if clash:
        raise InputDataError(f"{dataset.name}: your descriptor columns {clash} have the names of the inputs of "
                             f"preset {preset!r}; rename them, or use composition-v1")
    if passthrough:
        table = table.join(dataset.descriptors[passthrough])
    featurizer = DescriptorFeaturizer(spec, passthrough=passthrough or None, cache=cache,
                                      progress=progress, n_jobs=n_jobs, errors="nan", backend=backend,
                                      cache_dir=cache_dir or dataset.settings.cache_dir)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*rows could not be featurized", category=RuntimeWarning)
        X = featurizer.fit_transform(table)
    notes = None
    if any(g.notes for g in spec.groups):
        notes = _notes_table(dataset, featurizer.notes_, cifs=bool(spec.groups_of("structure")))
    rows = [(int(idx), str(dataset.frame.at[idx, "id"]), "formula", str(dataset.frame.at[idx, "formula"]),
             f"could not be featurized: {reason}") for idx, reason in featurizer.failures_.items()]
    if rows and dataset.strict:
        row, row_id, _, formula, reason = rows[0]
        raise FeaturizationError(f"{dataset.name}: row {row} (id {row_id!r}), formula {formula!r} {reason}")
    excluded = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))
    if rows:
        X = X.drop(index=[r[0] for r in rows])
        if notes is not None:
            notes = notes[notes["row"].isin(X.index)] if "row" in notes else notes
    return Featurized(X, excluded, notes)


def dataset_descriptors(dataset, preset=DEFAULT_PRESET, **options) -> tuple:
    """:func:`featurize_dataset`, and a new dataset without the rows that could not be featurized.

    Parameters
    ----------
    dataset : Dataset
        Left alone.
    preset : str or Preset
    **options
        As :func:`featurize_dataset`.

    Returns
    -------
    (Dataset, pandas.DataFrame)
        The dataset with those rows moved to its issues (and the descriptor notes), and ``X``.
    """
    result = featurize_dataset(dataset, preset, **options)
    return dataset.without(result.excluded, descriptor_notes=result.notes), result.X


def table_inputs(preset, frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` a preset reads: its required inputs and the optional ones ``frame`` has.

    A ``structure`` column is left out (structures come from the dataset's CIFs, see
    :func:`featurize_dataset`).
    """
    spec = get_preset(preset)
    return [c for c in dict.fromkeys((*spec.requires, *spec.optional))
            if c != "structure" and (c in spec.requires or c in frame)]


def _structures_of(dataset) -> list:
    """Each row's parsed structure (None without a CIF), by id; a dataset without CIFs gives all None."""
    if not dataset.has_structures:
        return [None] * len(dataset.frame)
    structures = dataset.structures()
    return [structures.get(str(i)) for i in dataset.frame["id"]]


def _notes_table(dataset, notes: pd.Series, *, cifs: bool = True) -> pd.DataFrame:
    """``row, id, reason`` for every row whose structure (or NASICON site) descriptors are (partly) missing.

    With ``cifs`` (a structure group ran), a CIF that failed to parse is named with pymatgen's
    reason instead of "no CIF".
    """
    failed = {}
    if cifs and dataset.has_structures:
        failed = {str(r.id): f"CIF not usable: {r.reason}" if r.file else str(r.reason)  # no file: none given
                  for r in dataset.structure_issues.itertuples(index=False)}
    rows = []
    for idx, reason in notes.items():
        if idx not in dataset.frame.index:
            continue
        row_id = str(dataset.frame.at[idx, "id"])
        rows.append((int(idx), row_id, failed.get(row_id, reason)))
    return pd.DataFrame(rows, columns=["row", "id", "reason"])

