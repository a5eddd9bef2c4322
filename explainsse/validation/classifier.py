"""The classifier under validation: an explainsse family, a saved model, or any scikit-learn classifier.

All three are wrapped in one :class:`Classifier` that can be refitted on any training part
(cloned each time, never mutated) or, for a saved model, used as it is. Fitting records
convergence warnings instead of letting them scroll past, because a published protocol such as
``LogisticRegression(solver="sag", max_iter=80)`` on unscaled descriptors does not converge and
the reader should know.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline

from ..errors import InputDataError
from ..models import make_model
from ..models.factory import make_search
from ..models.train import TrainedModel


@dataclass
class Classifier:
    """A binary classifier recipe (refitted per training part) or a fitted model (used as is).

    Attributes
    ----------
    name : str
        Shown in reports (e.g. ``"logreg (explainsse)"`` or the estimator's repr).
    estimator : object
        scikit-learn compatible classifier; cloned before every fit.
    fitted : object, optional
        An already fitted model (saved explainsse model): predictions need no refit.
    family : str, optional
        Explainer to use: ``"logreg"``/``"pls"`` (linear SHAP), ``"xgb"`` (TreeSHAP), else none.
    notes : list of str
        What a protocol could not do with this classifier (e.g. a skipped scheme).
    selected : dict
        Tuned classifiers: hyperparameter setting -> number of training parts that chose it.
    """

    name: str
    estimator: object
    fitted: object | None = None
    family: str | None = None
    notes: list = field(default_factory=list)
    selected: dict = field(default_factory=dict)
    _convergence: dict = field(default_factory=dict, repr=False)
    _n_fits: int = field(default=0, repr=False)
    _recording: bool = field(default=True, repr=False)

    @contextmanager
    def unrecorded(self):
        """Fits inside this block (permutation refits) are not counted in fits, warnings or choices."""
        self._recording = False
        try:
            yield self
        finally:
            self._recording = True

    def fit(self, X: pd.DataFrame, y: pd.Series):
        """Clone and fit the recipe on ``(X, y)``; returns the fitted estimator."""
        if y.nunique() < 2:
            raise InputDataError(f"a training part has only one class ({int(y.iloc[0])}); "
                                 "there is nothing to learn: lower or raise --threshold, or use more data")
        model = clone(self.estimator)
        if not self._recording:
            return model.fit(X, y.astype(int))
        self._n_fits += 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y.astype(int))
        if hasattr(model, "best_params_"):  # tuned: count which hyperparameters each part chose
            key = ", ".join(f"{k.removeprefix('model__')}={v}" for k, v in sorted(model.best_params_.items()))
            self.selected[key] = self.selected.get(key, 0) + 1
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                key = str(w.message).split("\n")[0][:160]
                self._convergence[key] = self._convergence.get(key, 0) + 1
        return model

    def messages(self, X: pd.DataFrame) -> list[str]:
        """Everything the reader should know: scaling, convergence (with counts) and notes."""
        scaling = self.scaling_warning(X)
        converge = [f"did not converge in {count} of {self._n_fits} fits: {message}"
                    for message, count in self._convergence.items()]
        return ([scaling] if scaling else []) + converge + list(self.notes)

    def scaling_warning(self, X: pd.DataFrame) -> str | None:
        """Warn when a sag/saga logistic regression sees descriptors of very different scales."""
        final = self.estimator[-1] if isinstance(self.estimator, Pipeline) else self.estimator
        solver = getattr(final, "solver", None)
        scaled = isinstance(self.estimator, Pipeline) and any(
            "scale" in name.lower() or "Scaler" in type(step).__name__ for name, step in self.estimator.steps[:-1])
        if solver not in ("sag", "saga") or scaled:
            return None
        sd = X.std(numeric_only=True)
        sd = sd[sd > 1e-9 * (X.mean(numeric_only=True).abs() + 1.0)]  # constant columns do not count
        if len(sd) < 2 or sd.max() / sd.min() < 10:
            return None
        return (f"solver '{solver}' on unscaled descriptors (standard deviations from {sd.min():.3g} to "
                f"{sd.max():.3g}, ratio {sd.max() / sd.min():.0f}): sag/saga converge only on features of "
                "similar scale, so the fitted coefficients depend on max_iter; standardize the descriptors "
                "(e.g. a StandardScaler in a Pipeline) or use lbfgs")


def positive_score(model, X: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Probability of class 1 (or a squashed decision function, or hard labels) and its kind."""
    classes = list(getattr(model, "classes_", [0, 1]))
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X)[:, classes.index(1)], float), "probability"
    if hasattr(model, "decision_function"):
        return 1.0 / (1.0 + np.exp(-np.asarray(model.decision_function(X), float))), "decision function"
    return np.asarray(model.predict(X), float), "label"


def _family_of(estimator) -> str | None:
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    name = type(final).__name__
    if name.startswith("XGB"):
        return "xgb"
    if name == "PLSDAClassifier":
        return "pls"
    if hasattr(final, "coef_") or name in ("LogisticRegression", "LinearSVC", "RidgeClassifier", "SGDClassifier"):
        return "logreg"
    return None


def tuned(family: str, *, random_state: int = 0, n_jobs: int = 1, inner_splits: int = 3):
    """An explainsse family wrapped in its hyperparameter search (inner stratified CV, MCC).

    Fitted inside each outer training part, so the selection never sees the rows it is scored on
    (nested cross-validation).
    """
    from sklearn.metrics import (  # heavy: scikit-learn loads only when a model is built or scored
        make_scorer,
        matthews_corrcoef,
    )

    # heavy: scikit-learn loads only when a model is built or scored
    from sklearn.model_selection import StratifiedKFold


    model = make_model(family, "classification", random_state=random_state, n_jobs=n_jobs)
    return make_search(family, "classification", model, scoring=make_scorer(matthews_corrcoef), n_jobs=1,
                       cv=StratifiedKFold(inner_splits, shuffle=True, random_state=random_state),
                       random_state=random_state)


def make_classifier(spec, *, random_state: int = 0, n_jobs: int = 1, params: dict | None = None,
                    tune: bool = False) -> Classifier:
    """Wrap what the user validates into a :class:`Classifier`.

    Parameters
    ----------
    spec : str, TrainedModel or estimator
        An explainsse family (``"logreg"``, ``"pls"``, ``"xgb"``; its default hyperparameters,
        or ``params``), a loaded :class:`~explainsse.models.train.TrainedModel` (refitted with
        its own hyperparameters where a protocol needs training; used as is on external data),
        or any scikit-learn classifier object, e.g. ``LogisticRegression(solver="sag", C=1.0006,
        max_iter=80)`` exactly as a paper configured it.
    tune : bool
        For a family: choose its hyperparameters by inner CV inside every training part (nested;
        slow with leave-one-out).
    """
    if isinstance(spec, str) and tune:
        return Classifier(f"{spec} (explainsse, tuned by inner 3-fold CV in every training part)",
                          tuned(spec, random_state=random_state, n_jobs=n_jobs), family=spec)
    if isinstance(spec, str):
        est = make_model(spec, "classification", random_state=random_state, n_jobs=n_jobs)
        if params:
            est.set_params(**params)
        return Classifier(f"{spec} (explainsse defaults{', ' + str(params) if params else ''})", est, family=spec)
    if isinstance(spec, TrainedModel):
        if spec.task != "classification":
            raise InputDataError(f"the saved model is a {spec.task} model; NASICON validation needs a classifier")
        return Classifier(f"saved {spec.family} model ({spec.preset})", spec.pipeline, fitted=spec.pipeline,
                          family=spec.family)
    if not (hasattr(spec, "fit") and hasattr(spec, "predict")):
        raise InputDataError(f"cannot validate {type(spec).__name__}: it has no fit/predict")
    return Classifier(repr(spec), spec, family=_family_of(spec))


__all__ = ["Classifier", "make_classifier", "positive_score"]
