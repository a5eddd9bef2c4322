"""Descriptors of a dataset for NASICON validation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..datasets import load_dataset, load_table
from ..datasets.registry import REGISTRY
from ..datasets.table import ColumnMap, guess_columns, read_csv_strict
from ..errors import InputDataError
from ..featurize import featurize_dataset
from ..featurize.descriptors import feature_names
from ..featurize.presets import DEFAULT_PRESET


def validation_descriptors(ds, *, preset: str | None = None, descriptor_cols=None, model=None) -> pd.DataFrame:
    """Descriptor table of ``ds`` for validation.

    ``descriptor_cols`` picks the user's own columns (nothing computed); a saved ``model``
    brings its preset and columns; otherwise the preset's columns only (the dataset's own
    descriptor columns are not mixed in unless named); the preset defaults to
    :data:`~explainsse.featurize.presets.DEFAULT_PRESET` (composition only: any formula works).

    Parameters
    ----------
    ds : Dataset
    preset : str, optional
    descriptor_cols : sequence of str, optional
        The user's own descriptor columns to use instead.
    model : TrainedModel, optional
        A saved classifier (its preset and columns).
    """
    if descriptor_cols:
        cols = list(descriptor_cols)
        missing = [c for c in cols if c not in ds.descriptors.columns]
        if missing:
            raise InputDataError(f"{ds.name}: descriptor columns not found: {missing}; available: "
                                 f"{list(ds.descriptors.columns)[:20]}")
        X = ds.descriptors[cols].apply(pd.to_numeric, errors="coerce")
        return X.loc[ds.frame.index]

    if model is not None:
        X = featurize_dataset(ds, model.preset, progress=False).X
        return model.align(X)
    name = preset or DEFAULT_PRESET
    X = featurize_dataset(ds, name, progress=False).X
    return X[feature_names(name)]


def columns_for_test_file(path, like=None):
    """Column map for a ``--test`` CSV.

    The input's own, when its formula and conductivity columns exist there; else the usual column
    names found in that file.

    Parameters
    ----------
    path : path-like
        The test CSV.
    like : ColumnMap, optional
        The column map of the training CSV (None when training on a registered dataset).

    Returns
    -------
    ColumnMap
    """
    header = list(read_csv_strict(path, nrows=0).columns)
    if like is not None and like.target_col in header and like.formula_col in header:
        return like
    found = guess_columns(header, short_names=True)
    found.pop("cif_col")  # the NASICON classifiers use compositions only; a structure column is not read
    if found["target_col"] is None or found["formula_col"] is None:
        raise InputDataError(f"{path}: no {'conductivity' if found['target_col'] is None else 'formula'} column found "
                             f"(columns: {header}); name them sigma_S_cm and formula, or pass --input with its "
                             "column options")
    base = like if like is not None else ColumnMap(formula_col=found["formula_col"])
    return replace(base, **found, space_group_col=None, lattice_cols=None, z_col=None)


def load_test_set(test: str, *, like=None, data_dir=None):
    """The ``--test`` data: a CSV (read with :func:`columns_for_test_file`) or a registered dataset's name.

    Parameters
    ----------
    test : str
        File path or dataset name.
    like : ColumnMap, optional
        Column map of the training CSV.
    data_dir : path-like, optional

    Returns
    -------
    Dataset
    """
    if Path(test).exists():
        c = columns_for_test_file(Path(test), like)
        return load_table(Path(test), formula_col=c.formula_col, target_col=c.target_col, target_kind=c.target_kind,
                          id_col=c.id_col, family_col=c.family_col, descriptor_cols=c.descriptor_cols,
                          space_group_col=c.space_group_col, lattice_cols=c.lattice_cols, z_col=c.z_col,
                          formula_basis=c.formula_basis)
    if test in REGISTRY:
        return load_dataset(test, data_dir=data_dir)
    raise InputDataError(f"--test {test!r} is neither a file nor a registered dataset ({', '.join(REGISTRY)})")


__all__ = ["columns_for_test_file", "load_test_set", "validation_descriptors"]
