"""Descriptors of a dataset for NASICON validation."""

from __future__ import annotations

import pandas as pd

from ..errors import InputDataError
from ..featurize.presets import DEFAULT_PRESET


def validation_descriptors(ds, *, preset: str | None = None, descriptor_cols=None, model=None) -> pd.DataFrame:
    """Descriptor table of ``ds`` for validation.

    ``descriptor_cols`` picks the user's own columns (nothing computed); a saved ``model``
    brings its preset and columns; otherwise the preset's columns only (the dataset's own
    descriptor columns are not mixed in unless named); the preset defaults to
    :data:`~explainsse.featurize.presets.DEFAULT_PRESET` (composition only: any formula works).
    """
    if descriptor_cols:
        cols = list(descriptor_cols)
        missing = [c for c in cols if c not in ds.descriptors.columns]
        if missing:
            raise InputDataError(f"{ds.name}: descriptor columns not found: {missing}; available: "
                                 f"{list(ds.descriptors.columns)[:20]}")
        X = ds.descriptors[cols].apply(pd.to_numeric, errors="coerce")
        return X.loc[ds.frame.index]
    from ..featurize import featurize_dataset
    from ..featurize.descriptors import feature_names

    if model is not None:
        X = featurize_dataset(ds, model.preset, progress=False)
        return model.align(X)
    name = preset or DEFAULT_PRESET
    X = featurize_dataset(ds, name, progress=False)
    return X[feature_names(name)]


__all__ = ["validation_descriptors"]
