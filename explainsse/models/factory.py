"""One factory for the three interpretable model families.

Each model is a scikit-learn Pipeline ``impute -> [scale] -> model`` that keeps descriptor
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
from .targets import TASKS

FAMILIES = ("logreg", "pls", "xgb")

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
        validate_data(self, X, ensure_all_finite="allow-nan")
        return self

    def transform(self, X):
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
        check_is_fitted(self, "calibrator_")
        X = validate_data(self, X, reset=False)
        return self.calibrator_.predict_proba(self._pls_output(X))

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _sklearn_version() -> tuple[int, int]:
    import sklearn

    major, minor = sklearn.__version__.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def _estimator(family: str, task: str, random_state: int, n_jobs: int, params: dict):
    if family == "logreg":
        if task != "classification":
            raise InputDataError(
                "logreg is a classifier (superionic or not); use --task classification, or the "
                "pls / xgb families for log10 conductivity regression"
            )
        # L2 by default, solved by lbfgs (fast, exact); an elastic net / L1 (l1_ratio > 0) needs
        # solver="saga", which the tuning grid sets. Before scikit-learn 1.8 the penalty is named too.
        defaults = {"C": 1.0, "l1_ratio": 0.0, "solver": "lbfgs", "max_iter": 5000}
        if _sklearn_version() < (1, 8):
            defaults["penalty"] = "elasticnet" if params.get("l1_ratio", 0.0) > 0 else "l2"
        defaults.update(params)
        return LogisticRegression(random_state=random_state, **defaults)
    if family == "pls":
        return PLSRegressor(**params) if task == "regression" else PLSDAClassifier(**params)
    if family == "xgb":
        import xgboost as xgb

        # 64 histogram bins (XGBoost's default is 256): a few hundred training rows rarely have
        # more distinct split points worth separating, and fits are about 3x faster.
        defaults = {"n_estimators": 400, "learning_rate": 0.05, "max_depth": 5,
                    "min_child_weight": 1, "subsample": 0.8, "colsample_bytree": 0.5, "max_bin": 64}
        defaults.update(params)
        cls = xgb.XGBRegressor if task == "regression" else xgb.XGBClassifier
        return cls(tree_method="hist", random_state=random_state, n_jobs=n_jobs, **defaults)
    raise InputDataError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")


CENSORING = ("floor", "aft")


def make_model(family: str, task: str, *, random_state: int = 0, n_jobs: int = 1,
               censoring: str = "floor", **params) -> Pipeline:
    """Build the pipeline of one family for one task.

    Parameters
    ----------
    family : {"logreg", "pls", "xgb"}
        ``logreg``: logistic regression on standardized descriptors (classification only;
        ``l1_ratio > 0`` gives elastic-net/L1 with the saga solver). ``pls``: PLS regression,
        or PLS-DA for classification. ``xgb``: XGBoost (hist trees, fixed seed and threads).
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
        Steps ``impute`` (median), ``scale`` and ``clip`` (linear families only: standardize,
        then clip at +-5 SD) and ``model``; descriptor names are kept up to the linear models,
        XGBoost gets the matrix in the same column order (any descriptor name is allowed).
    """
    if task not in TASKS:
        raise InputDataError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if censoring not in CENSORING:
        raise InputDataError(f"censoring must be one of {', '.join(CENSORING)}, got {censoring!r}")
    steps = [("impute", SimpleImputer(strategy="median"))]
    if family in ("logreg", "pls"):
        steps += [("scale", StandardScaler()), ("clip", Clipper())]
    if censoring == "aft":
        if (family, task) != ("xgb", "regression"):
            raise InputDataError("censoring='aft' is available for the xgb family on the regression task")
        from .censored import XGBAFTRegressor

        steps.append(("model", XGBAFTRegressor(random_state=random_state, n_jobs=n_jobs, **params)))
    else:
        steps.append(("model", _estimator(family, task, random_state, n_jobs, params)))
    # Descriptor names reach the linear estimators (feature_names_in_). XGBoost gets a plain
    # matrix: it refuses names containing "[", "]" or "<" (e.g. a user's "radius [A]"), and the
    # pipeline already aligns columns by name before the first step.
    for _, step in steps[:-1]:
        step.set_output(transform="default" if family == "xgb" else "pandas")
    return Pipeline(steps)


#: Hyperparameter spaces searched by inner cross-validation on training data only. Fixed a priori
#: (never chosen by looking at a test split) and sized for a 2-core machine: grids are searched
#: exhaustively; XGBoost's space is sampled (:data:`XGB_N_ITER` candidates, fixed seed, so the
#: candidates never depend on the data).
#: Logistic regression: L2 (``l1_ratio=0``) is solved by lbfgs, which converges in tens of
#: iterations where saga needs thousands; the elastic net (``l1_ratio=0.5``) needs saga. The
#: weakest regularization (C=10) is searched with L2 only: an almost unpenalized elastic net on a
#: hundred-odd correlated descriptors takes saga thousands of iterations and adds nothing that
#: L2 at C=10 does not already cover.
PARAM_GRIDS = {
    ("logreg", "classification"): [
        {"model__C": [0.01, 0.1, 1.0, 10.0], "model__l1_ratio": [0.0], "model__solver": ["lbfgs"]},
        {"model__C": [0.01, 0.1, 1.0], "model__l1_ratio": [0.5], "model__solver": ["saga"]},
    ],
    ("pls", "regression"): {"model__n_components": [1, 2, 3, 5, 8, 12]},
    ("pls", "classification"): {"model__n_components": [1, 2, 3, 5, 8, 12]},
}
XGB_SPACE = {
    "model__max_depth": [3, 4, 5, 6, 7],
    "model__min_child_weight": [1, 2, 4, 8],
    "model__learning_rate": [0.03, 0.05, 0.1],
    "model__n_estimators": [150, 300, 500],
    "model__subsample": [0.7, 0.85, 1.0],
    "model__colsample_bytree": [0.3, 0.5, 0.8],
}
XGB_N_ITER = 5
for _task in ("regression", "classification"):
    PARAM_GRIDS[("xgb", _task)] = XGB_SPACE


def param_grid(family: str, task: str) -> dict | list[dict]:
    """Hyperparameter grid / space for ``family``/``task`` (pipeline parameter names).

    Before scikit-learn 1.8 the penalty must be named next to the solver, so the logistic
    regression grid gains ``penalty`` there.
    """
    grid = PARAM_GRIDS[(family, task)]
    if family == "logreg" and _sklearn_version() < (1, 8):
        grid = [{**g, "model__penalty": ["l2" if g["model__l1_ratio"] == [0.0] else "elasticnet"]} for g in grid]
    return grid
