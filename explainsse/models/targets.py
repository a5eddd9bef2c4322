"""Targets for the two tasks: log10 conductivity (regression) and "superionic" (classification)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._config import DEFAULT_THRESHOLD_S_CM
from ..errors import InputDataError

TASKS = ("regression", "classification")

#: Default superionic threshold (S/cm): Sendek et al. 2017. Xu 2020 used 1e-6 for Na NASICONs.
DEFAULT_THRESHOLD = DEFAULT_THRESHOLD_S_CM


def superionic(frame: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD) -> pd.Series:
    """1 where sigma >= ``threshold`` S/cm (censored rows, upper bounds far below, count as 0), else 0."""
    return ((frame["sigma_S_cm"] >= threshold) & ~frame["censored"].astype(bool)).astype(int).rename("superionic")


def make_target(frame: pd.DataFrame, task: str, threshold: float = DEFAULT_THRESHOLD) -> pd.Series:
    """Return the modelling target of ``frame`` for ``task``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A normalized dataset frame (``log10_sigma``, ``sigma_S_cm``, ``censored``).
    task : {"regression", "classification"}
        ``regression``: log10 sigma (censored rows at their documented floor);
        ``classification``: 1 when sigma >= ``threshold`` S/cm, else 0. Censored rows are
        upper bounds far below any sensible threshold and count as 0.
    threshold : float
        Superionic threshold in S/cm (classification only).

    Raises
    ------
    InputDataError
        Unknown task, rows without a measured target, or a threshold leaving one class only.
    """
    if task not in TASKS:
        raise InputDataError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    missing = frame["sigma_S_cm"].isna()
    if missing.any():
        raise InputDataError(
            f"{int(missing.sum())} rows have no measured conductivity (e.g. id "
            f"{frame.loc[missing, 'id'].iloc[0]!r}); a model needs a target for every row"
        )
    if task == "regression":
        return frame["log10_sigma"].astype(float).rename("log10_sigma")
    if not threshold > 0:
        raise InputDataError(f"threshold must be a positive conductivity in S/cm, got {threshold}")
    y = superionic(frame, threshold)
    counts = np.bincount(y, minlength=2)
    if counts.min() == 0:
        which = "positives" if counts[1] == 0 else "negatives"
        raise InputDataError(
            f"threshold {threshold:g} S/cm leaves no {which} among {len(y)} rows; "
            "choose another --threshold"
        )
    return y
