"""Validation schemes: which rows train and which rows test, without leakage.

Doping series of one chemical system (e.g. Li7-xLa3Zr2-xTaxO12) are near-duplicates; random
folds put members of one series on both sides and flatter every model. The grouped schemes
keep each chemical system (sorted element set), paper (DOI) or structural family in one fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    LeaveOneOut,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
)

from ..datasets.table import split_mask
from ..errors import InputDataError


def chemical_system(composition) -> str:
    """Sorted element set, e.g. ``"La-Li-O-Ta-Zr"``."""
    return "-".join(sorted(el.symbol for el in composition.elements))


@dataclass(frozen=True)
class Scheme:
    """A validation scheme.

    Attributes
    ----------
    name : str
        CLI / results name.
    description : str
        One line for reports ("which scheme a number comes from").
    group_by : str or None
        ``"chemsys"``, ``"doi"``, ``"family"`` or None.
    """

    name: str
    description: str
    group_by: str | None = None


SCHEMES = {
    "official": Scheme("official", "official OBELiX train/test split (test scored once)"),
    "group-chemsys": Scheme("group-chemsys", "5-fold CV grouped by chemical system (sorted element set)",
                            "chemsys"),
    "group-doi": Scheme("group-doi", "5-fold CV grouped by source paper (DOI)", "doi"),
    "leave-family-out": Scheme("leave-family-out", "leave one structural family out", "family"),
    "repeated-kfold": Scheme("repeated-kfold", "5-fold CV repeated 3 times (stratified for classification)"),
    "random-kfold": Scheme("random-kfold", "plain random 5-fold CV (leaks doping series; for contrast)"),
    "loo": Scheme("loo", "leave-one-out (small sets)"),
}


def groups_for(frame: pd.DataFrame, group_by: str) -> np.ndarray:
    """Group labels of each row for ``group_by`` in {chemsys, doi, family}."""
    if group_by == "chemsys":
        return np.array([chemical_system(c) for c in frame["composition"]])
    column = {"doi": "doi", "family": "family"}[group_by]
    values = frame[column].astype("string")
    if values.isna().all():
        raise InputDataError(f"grouping by {group_by} needs a {column} column; none was given")
    # rows without a value form their own singleton groups (never merged with each other)
    filled = [v if isinstance(v, str) and v else f"__row{i}" for i, v in enumerate(values.tolist())]
    return np.array(filled)


def check_scheme(scheme: str) -> str:
    """``scheme`` if it is a known validation scheme, else an error naming the known ones."""
    if scheme not in SCHEMES:
        raise InputDataError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    return scheme


def iter_folds(scheme: str, frame: pd.DataFrame, y: pd.Series, *, task: str,
               n_splits: int = 5, random_state: int = 0):
    """Yield ``(fold, train_positions, test_positions)`` for a scheme.

    Parameters
    ----------
    scheme : str
        A key of :data:`SCHEMES`.
    frame : pandas.DataFrame
        Dataset rows (split, chemical systems, DOIs, families).
    y : array-like
        Targets (stratification).
    task : str
    n_splits, random_state : int

    Raises
    ------
    InputDataError
        Unknown scheme, too few rows/groups for the folds, or a missing split column.
    """
    check_scheme(scheme)
    n = len(frame)
    if scheme == "official":
        train = np.flatnonzero(split_mask(frame, "train"))
        test = np.flatnonzero(split_mask(frame, "test"))
        if len(train) == 0 or len(test) == 0:
            raise InputDataError("the official scheme needs a split column with train and test rows")
        yield "test", train, test
        return
    spec = SCHEMES[scheme]
    if spec.group_by:
        groups = groups_for(frame, spec.group_by)
        n_groups = len(set(groups))
        if spec.group_by == "family":
            splitter, k = LeaveOneGroupOut(), n_groups
        else:
            k = min(n_splits, n_groups)
            splitter = (StratifiedGroupKFold(k, shuffle=True, random_state=random_state)
                        if task == "classification" else GroupKFold(k))
        if k < 2:
            raise InputDataError(f"scheme {scheme!r} needs at least 2 groups, found {n_groups}")
        folds = splitter.split(np.zeros(n), y, groups)
    elif scheme == "loo":
        folds = LeaveOneOut().split(np.zeros(n))
    else:
        if n < 2 * n_splits:
            raise InputDataError(f"scheme {scheme!r} needs at least {2 * n_splits} rows, got {n}")
        if scheme == "repeated-kfold":
            cls = RepeatedStratifiedKFold if task == "classification" else RepeatedKFold
            if task == "classification" and np.bincount(y).min() < n_splits:
                raise InputDataError(f"a class has fewer than {n_splits} rows: too few for stratified folds")
            folds = cls(n_splits=n_splits, n_repeats=3, random_state=random_state).split(np.zeros(n), y)
        else:
            folds = KFold(n_splits, shuffle=True, random_state=random_state).split(np.zeros(n))
    for i, (train, test) in enumerate(folds):
        yield str(i), train, test


def inner_cv(frame: pd.DataFrame, task: str, y, n_splits: int = 3, random_state: int = 0):
    """Inner folds for hyperparameter search: grouped by chemical system, on training rows only."""
    groups = groups_for(frame, "chemsys")
    k = min(n_splits, len(set(groups)))
    if k < 2:
        raise InputDataError("hyperparameter search needs at least 2 chemical systems in training data")
    splitter = (StratifiedGroupKFold(k, shuffle=True, random_state=random_state)
                if task == "classification" else GroupKFold(k))
    return list(splitter.split(np.zeros(len(frame)), y, groups))
