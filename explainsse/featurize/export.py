"""Write a descriptor table with ids and targets, and the excluded rows beside it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputDataError
from ..io import write_table

#: Dataset columns written in front of the descriptors.
META_COLUMNS = ("id", "formula", "family", "split", "sigma_S_cm", "log10_sigma", "censored")


def issues_path(output: Path) -> Path:
    """Where the excluded rows of ``output`` go (``NAME.issues.csv``)."""
    output = Path(output)
    return output.with_name(output.stem + ".issues.csv")


def notes_path(output: Path) -> Path:
    """Where the reasons for missing structure (or NASICON site) descriptors of ``output`` go (``NAME.structure-notes.csv``)."""
    output = Path(output)
    return output.with_name(output.stem + ".structure-notes.csv")


def check_feature_output(output: Path, *, force: bool = False, input_path: Path | None = None) -> None:
    """Refuse, before any work, to overwrite the input file or an existing output without ``force``."""
    output = Path(output)
    for target in (output, issues_path(output), notes_path(output)):
        if input_path is not None and target.resolve() == Path(input_path).resolve():
            raise InputDataError(f"-o {output}: refusing to overwrite the input file {input_path}")
    if output.exists() and not force:
        raise InputDataError(f"{output} exists (use --force to replace it)")


def write_features(ds, X: pd.DataFrame, output: Path) -> tuple[pd.DataFrame, Path | None]:
    """Write ids, targets and descriptors to ``output`` (.parquet or .csv); excluded rows beside it.

    With a structure or NASICON preset the rows whose structure or site descriptors are (partly) missing, and why,
    go to ``NAME.structure-notes.csv`` (:func:`notes_path`).

    Returns
    -------
    table : pandas.DataFrame
        What was written.
    issues : pathlib.Path or None
        The CSV of excluded rows (removed when there are none).
    """
    out = ds.frame[list(META_COLUMNS)].join(X).reset_index()
    write_table(out, output)
    notes = notes_path(output)
    if ds.descriptor_notes is not None and len(ds.descriptor_notes):
        write_table(ds.descriptor_notes, notes)
    elif notes.exists():
        notes.unlink()
    path = issues_path(output)
    if len(ds.issues):
        write_table(ds.issues, path)
        return out, path
    if path.exists():
        path.unlink()
    return out, None


__all__ = ["META_COLUMNS", "check_feature_output", "issues_path", "notes_path", "write_features"]
