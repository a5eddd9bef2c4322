"""One factory for the registered model families (estimators live in :mod:`.families`).

Each model is a scikit-learn Pipeline ``lattice -> impute -> [scale] -> model`` that keeps descriptor
names end to end (pandas output), so explanations can be attributed to named descriptors.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    OneToOneFeatureMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.cross_decomposition import PLSRegression
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import InputDataError
from .families import family_names, get_family
from .targets import TASKS

#: Standardized descriptors of the linear families are clipped to +-CLIP_SD standard deviations.
CLIP_SD = 5.0


class Clipper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip standardized descriptors to ``[-limit, limit]``.

    A descriptor far outside the training range (e.g. Li per non-Li cation of a nearly
    Li-only compound) would otherwise let a linear model extrapolate by many log units.
    Stateless apart from the input checks; keeps feature names.

    Parameters
    ----------
    limit : float, default 5.0
        Clip level in standard deviations.
    """

    def __init__(self, limit=CLIP_SD):
        self.limit = limit

    def fit(self, X, y=None):
        """Fit on descriptors ``X`` and targets ``y``; returns self."""
        validate_data(self, X, ensure_all_finite="allow-nan")
        return self

    def transform(self, X):
        """Clip ``X`` to ``[-limit, limit]``."""
        check_is_fitted(self, "n_features_in_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return np.clip(X, -self.limit, self.limit)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class PLSRegressor(RegressorMixin, BaseEstimator):
    """PLS regression with a stable coefficient shape.

    scikit-learn's ``PLSRegression.coef_`` changed from ``(n_features, n_targets)`` to
    ``(n_targets, n_features)`` across releases; this adapter always exposes ``coef_`` as a
    1-D array over features (single target) and ``intercept_`` as a float, so that
    ``predict(X) == X @ coef_ + intercept_``.

    Parameters
    ----------
    n_components : int, default 2
        Latent components (capped at the number of features and samples - 1).
    scale : bool, default False
        Let PLS scale X itself (the pipeline standardizes already).
    max_iter : int, default 500
    """

    def __init__(self, n_components=2, scale=False, max_iter=500):
        self.n_components = n_components
        self.scale = scale
        self.max_iter = max_iter

    def fit(self, X, y):
        """Fit on descriptors ``X`` and targets ``y``; returns self."""
        X, y = validate_data(self, X, y, y_numeric=True)
        n = int(min(self.n_components, X.shape[1], max(X.shape[0] - 1, 1)))
        self.pls_ = PLSRegression(n_components=n, scale=self.scale, max_iter=self.max_iter)
        self.pls_.fit(X, y)
        coef = np.asarray(self.pls_.coef_, dtype=float)
        self.coef_ = coef.reshape(-1) if coef.size == X.shape[1] else coef[:, 0]
        self.intercept_ = float(np.mean(y) - np.mean(X, axis=0) @ self.coef_)
        self.n_components_ = n
        self.n_iter_ = np.asarray(self.pls_.n_iter_)  # NIPALS iterations per component
        return self

    def predict(self, X):
        """Predictions for the rows of ``X``."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False)
        return X @ self.coef_ + self.intercept_

    def x_scores(self, X):
        """PLS scores (latent variables) of ``X``."""
        check_is_fitted(self, "pls_")
        return self.pls_.transform(validate_data(self, X, reset=False))


class PLSDAClassifier(ClassifierMixin, BaseEstimator):
    """PLS-DA: PLS on the class indicator(s), then a calibrated decision rule.

    For two classes, PLS regresses the 0/1 indicator; its continuous prediction is turned into
    a probability by a one-feature logistic regression fitted on the training predictions
    (Platt-style calibration), and the class is ``probability >= 0.5``. With more classes, PLS
    regresses the one-hot indicator matrix and a multinomial logistic regression calibrates.

    Parameters
    ----------
    n_components : int, default 2
    max_iter : int, default 500

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Binary case: PLS coefficients of the indicator on the (scaled) descriptors.
    """

    def __init__(self, n_components=2, max_iter=500):
        self.n_components = n_components
        self.max_iter = max_iter

    def fit(self, X, y):
        """Fit on descriptors ``X`` and targets ``y``; returns self."""
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"PLS-DA needs at least two classes; got {len(self.classes_)} class")
        if len(self.classes_) == 2:
            self.pls_ = PLSRegressor(self.n_components, max_iter=self.max_iter).fit(X, encoded.astype(float))
            self.coef_, self.intercept_ = self.pls_.coef_, self.pls_.intercept_
        else:
            indicator = np.eye(len(self.classes_))[encoded]
            n = int(min(self.n_components, X.shape[1], max(X.shape[0] - 1, 1)))
            self.pls_ = PLSRegression(n_components=n, scale=False, max_iter=self.max_iter).fit(X, indicator)
        self.n_iter_ = np.asarray(self.pls_.n_iter_)
        self.calibrator_ = LogisticRegression().fit(self._pls_output(X), encoded)
        return self

    def _pls_output(self, X):
        out = self.pls_.predict(X)
        return out.reshape(len(X), -1)

    def decision_function(self, X):
        """Calibrated log-odds (binary: of the second class)."""
        check_is_fitted(self, "calibrator_")
        X = validate_data(self, X, reset=False)
        return self.calibrator_.decision_function(self._pls_output(X))

    def predict_proba(self, X):
        """Class probabilities for the rows of ``X`` (columns in ``classes_`` order)."""
        check_is_fitted(self, "calibrator_")
        X = validate_data(self, X, reset=False)
        return self.calibrator_.predict_proba(self._pls_output(X))

    def predict(self, X):
        """Predictions for the rows of ``X``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


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
    from ..featurize.nasicon_lattice import NasiconLatticeEstimator

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
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    fam = get_family(family)
    common = {"scoring": scoring, "refit": True, "error_score": "raise", "cv": cv,
              "n_jobs": 1 if fam.threads else n_jobs}
    if fam.search == "random":
        return RandomizedSearchCV(model, fam.search_space(task), n_iter=fam.n_iter, random_state=random_state,
                                  **common)
    return GridSearchCV(model, fam.search_space(task), **common)
