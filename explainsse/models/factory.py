"""One factory for the registered model families (families in :mod:`.families`, estimators in :mod:`.estimators`).

Each model is a scikit-learn Pipeline ``lattice -> impute -> [scale] -> model`` that keeps descriptor
names end to end (pandas output), so explanations can be attributed to named descriptors.
"""

from __future__ import annotations

from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..errors import InputDataError
from ..featurize.nasicon_lattice import NasiconLatticeEstimator

# The estimators are also importable from here under their old module path, which model files
# saved before they moved to .estimators name (skops rebuilds types by module path).
from .estimators import CLIP_SD, Clipper, PLSDAClassifier, PLSRegressor  # noqa: F401
from .families import family_names, get_family
from .targets import TASKS

CENSORING = ("floor", "aft")


def check_family_task(family: str, task: str):
    """The registered family, or an error when it does not model ``task`` (checked before any work).

    Parameters
    ----------
    family, task : str
    """
    fam = get_family(family)
    if not fam.supports(task):
        raise InputDataError(f"{family} ({fam.description}) does not model {task}; families for {task}: "
                             f"{', '.join(family_names(task))}")
    return fam


def make_model(family: str, task: str, *, random_state: int = 0, n_jobs: int = 1,
               censoring: str = "floor", **params) -> Pipeline:
    """Build the pipeline of one family for one task.

    Parameters
    ----------
    family : str
        A registered family (:mod:`explainsse.models.families`): ``logreg`` (logistic
        regression on standardized descriptors, classification only), ``pls`` (PLS regression,
        or PLS-DA), ``xgb`` (XGBoost, hist trees, fixed seed and threads), or one you registered.
    task : {"regression", "classification"}
    random_state : int
        Seed of every random component.
    n_jobs : int
        Threads for XGBoost.
    censoring : {"floor", "aft"}
        ``floor`` (default): censored rows train on their documented floor value. ``aft``
        (xgb regression only): :class:`~explainsse.models.censored.XGBAFTRegressor`, which
        trains on the upper bound as a bound; its targets must be encoded with
        :func:`~explainsse.models.censored.encode_censored`.
    **params
        Estimator parameters (e.g. ``C``, ``n_components``, ``max_depth``).

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``lattice`` (fills missing NASICON lattice parameters from the site radii, fitted
        on the training rows; a no-op without the NASICON columns), ``impute`` (median), ``scale`` and ``clip`` (linear families only: standardize,
        then clip at +-5 SD) and ``model``; descriptor names are kept up to the linear models,
        XGBoost gets the matrix in the same column order (any descriptor name is allowed).
    """
    if task not in TASKS:
        raise InputDataError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if censoring not in CENSORING:
        raise InputDataError(f"censoring must be one of {', '.join(CENSORING)}, got {censoring!r}")
    fam = check_family_task(family, task)

    # keep_empty_features: a descriptor missing in every training row (no space group in Xu's table) stays a
    # column (of zeros), so the descriptor names still match the model's input for SHAP
    steps = [("lattice", NasiconLatticeEstimator()),
             ("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if fam.scaled:
        steps += [("scale", StandardScaler()), ("clip", Clipper())]
    if censoring == "aft":
        if fam.censored_estimator is None or task != "regression":
            raise InputDataError("censoring='aft' is available for the xgb family on the regression task")
        steps.append(("model", fam.censored_estimator(random_state, n_jobs, params)))
    else:
        steps.append(("model", fam.estimator(task, random_state, n_jobs, params)))
    # Descriptor names reach the estimators that take them (feature_names_in_). XGBoost gets a plain
    # matrix: it refuses names containing "[", "]" or "<" (e.g. a user's "radius [A]"), and the
    # pipeline already aligns columns by name before the first step.
    for _, step in steps[:-1]:
        step.set_output(transform="pandas" if fam.named_input else "default")
    return Pipeline(steps)


def param_grid(family: str, task: str) -> dict | list[dict]:
    """Hyperparameter grid / space of ``family`` for ``task`` (pipeline parameter names).

    Fixed a priori in the family's module (never chosen by looking at a test split) and sized
    for a 2-core machine.

    Parameters
    ----------
    family, task : str
    """
    return get_family(family).search_space(task)


def make_search(family: str, task: str, model, *, scoring, cv, n_jobs: int, random_state: int):
    """The family's hyperparameter search around ``model``: a grid, or sampled candidates (fixed seed).

    A family whose estimator uses ``n_jobs`` threads itself searches candidates one at a time.

    Parameters
    ----------
    family, task : str
    model : sklearn.pipeline.Pipeline
        From :func:`make_model`.
    scoring : str or callable
    cv : cross-validation splitter or iterable
    n_jobs, random_state : int
    """
    from sklearn.model_selection import (  # heavy: scikit-learn loads only when a model is built or scored
        GridSearchCV,
        RandomizedSearchCV,
    )

    fam = get_family(family)
    common = {"scoring": scoring, "refit": True, "error_score": "raise", "cv": cv,
              "n_jobs": 1 if fam.threads else n_jobs}
    if fam.search == "random":
        return RandomizedSearchCV(model, fam.search_space(task), n_iter=fam.n_iter, random_state=random_state,
                                  **common)
    return GridSearchCV(model, fam.search_space(task), **common)
