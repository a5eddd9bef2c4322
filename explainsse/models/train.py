"""Train one model on a dataset's training rows: the object that is saved, loaded and explained."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..chemistry import parse_formula
from ..datasets.table import split_mask
from ..errors import InputDataError
from ..featurize.nasicon_descriptors import COL_FRAMEWORK
from .censored import encode_censored
from .evaluation import SELECTION_METRIC, check_descriptors, tune
from .factory import make_model
from .targets import DEFAULT_THRESHOLD, make_target
from .uncertainty import calibrate


@dataclass
class TrainedModel:
    """A fitted pipeline with everything needed to use and explain it later.

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
        ``impute -> [scale -> clip] -> model``.
    family, task : str
    preset : str
        Descriptor preset the model expects (``feature_names`` lists its columns).
    feature_names : list of str
    threshold : float
        Superionic threshold (S/cm) for classification.
    params : dict
        Selected hyperparameters.
    metrics : dict
        Validation numbers recorded at training time (e.g. inner-CV score).
    dataset : dict
        Name, file sha256 values and row counts of the training data.
    random_state : int
    censoring : str
    train_X, train_meta : pandas.DataFrame, optional
        Training descriptors, and the training rows' ``id``, ``formula``, ``family`` and (models
        trained since the calibrated intervals) ``log10_sigma``, ``censored``, ``doi``.
    calibration : Calibration, optional
        Conformal calibration (:func:`explainsse.models.uncertainty.calibrate`).
    """

    pipeline: object
    family: str
    task: str
    preset: str
    feature_names: list[str]
    threshold: float = DEFAULT_THRESHOLD
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    dataset: dict = field(default_factory=dict)
    random_state: int = 0
    censoring: str = "floor"
    train_X: pd.DataFrame | None = None
    train_meta: pd.DataFrame | None = None
    calibration: object | None = None

    @property
    def elements(self) -> set[str]:
        """Chemical elements present in the training formulas (empty if unknown)."""
        if self.train_meta is None or "formula" not in self.train_meta:
            return set()

        return {el.symbol for f in self.train_meta["formula"] for el in parse_formula(f).elements}

    def align(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return ``X`` with exactly the training descriptor columns, in training order.

        Raises
        ------
        InputDataError
            Naming the descriptor columns that are missing. Extra columns are dropped with a
            warning that names them.
        """
        missing = [c for c in self.feature_names if c not in X.columns]
        if missing:
            raise InputDataError(
                f"{len(missing)} descriptor columns the model was trained on are missing: "
                f"{missing[:8]}{' ...' if len(missing) > 8 else ''} (model preset {self.preset!r})"
            )
        extra = [c for c in X.columns if c not in self.feature_names]
        if extra:
            warnings.warn(f"ignoring {len(extra)} columns the model was not trained on: {extra[:8]}",
                          UserWarning, stacklevel=3)
        return X[self.feature_names]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted log10 sigma (regression) or probability of sigma >= threshold (classification)."""
        X = self.align(X)
        if self.task == "regression":
            return np.asarray(self.pipeline.predict(X), float)
        return np.asarray(self.pipeline.predict_proba(X)[:, 1], float)


def train_model(frame: pd.DataFrame, X: pd.DataFrame, family: str, task: str, *, preset: str,
                threshold: float = DEFAULT_THRESHOLD, dataset_info: dict | None = None,
                random_state: int = 0, n_jobs: int = 1, use_split: bool = True,
                censoring: str = "floor") -> TrainedModel:
    """Tune by grouped inner CV and fit on the training rows.

    Parameters
    ----------
    frame, X : pandas.DataFrame
        Normalized dataset frame and its descriptors (same index).
    family, task : str
    preset : str
        Name of the descriptor preset ``X`` came from (recorded in the model).
    use_split : bool, default True
        When the frame has an official split, train on its ``train`` rows only (the test rows
        stay unseen for a later one-time evaluation); otherwise on all rows.
    censoring : {"floor", "aft"}
        ``aft``: censoring-aware XGBoost regression (upper bounds used as bounds).
    """
    check_descriptors(X)
    rows = frame.index
    if use_split and frame["split"].notna().any():
        rows = frame.index[split_mask(frame, "train")]
    notes = []
    if COL_FRAMEWORK in X.columns:  # NASICON site descriptors mean nothing for other frameworks
        other = X.loc[rows, COL_FRAMEWORK].to_numpy() != 1
        if other.all():
            raise InputDataError(f"none of the {len(rows)} training rows is a NASICON framework: the NASICON "
                                 "site descriptors have no value for them (choose another --preset)")
        if other.any():
            notes.append(f"{int(other.sum())} of {len(rows)} training rows are not NASICON frameworks (the "
                         "NASICON detector's formula rule) and were left out: a NASICON-site model is trained "
                         f"and used on NASICONs only (e.g. {frame.loc[rows[other][0], 'formula']})")
            rows = rows[~other]
    f, Xt = frame.loc[rows], X.loc[rows]
    y = make_target(f, task, threshold)
    if censoring == "aft":
        y = encode_censored(f)
    pipeline, params, inner = tune(family, task, Xt, y, f, random_state=random_state, n_jobs=n_jobs,
                                   censoring=censoring)
    info = dict(dataset_info or {})
    info.update({"n_train": int(len(rows)), "trained_on": "official train split"
                 if use_split and frame["split"].notna().any() else "all rows"})
    if notes:
        info["notes"] = notes
    metric = SELECTION_METRIC[task]
    return TrainedModel(pipeline, family, task, preset, list(X.columns), threshold, params,
                        {"selection_metric": metric, f"inner_cv_{metric}": inner,
                         "inner_cv": "3-fold grouped by chemical system on the training rows"},
                        info, random_state, censoring, Xt.copy(), training_rows(f))


def chosen_params(evaluation) -> dict:
    """The hyperparameters the validation's inner CV chose most often across its outer folds.

    Ties go to the earliest fold. These are what :func:`final_model` refits with in a report,
    so the model explained is the one whose validation is shown (no second tuning).
    """
    choices = [dict(p) for p in evaluation.params.values()]
    if not choices:
        return {}
    keys = [repr(sorted(c.items())) for c in choices]
    return choices[max(range(len(keys)), key=lambda i: (keys.count(keys[i]), -i))]


def final_model(frame: pd.DataFrame, X: pd.DataFrame, family: str, task: str, *, preset: str,
                threshold: float = DEFAULT_THRESHOLD, params: dict | None = None, random_state: int = 0,
                n_jobs: int = 1, **options) -> TrainedModel:
    """The one final model of a family and task: fitted on all the training rows it is given.

    Its hyperparameters are chosen by grouped inner CV on training rows only, either here
    (``params=None``: :func:`train_model`, as ``explainsse train``, ``importance`` and the bundled
    models do) or already by the validation (``params``, e.g. :func:`chosen_params` of the
    report's evaluation), so it is never tuned twice.

    Parameters
    ----------
    frame, X : pandas.DataFrame
        Training rows and their descriptors (with ``params``: exactly the rows to fit on).
    family, task : str
    preset : str
    threshold : float
    params : dict, optional
        Pipeline parameters (``model__...``) already chosen by inner CV.
    random_state, n_jobs : int
    **options
        Passed to :func:`train_model` when it tunes (``use_split``, ``dataset_info``, ``censoring``);
        ``calibrate=True`` also calibrates the model's intervals / probabilities on cluster-out
        out-of-fold predictions over its training rows
        (:func:`explainsse.models.uncertainty.calibrate`).

    Returns
    -------
    TrainedModel
    """
    calibrated = options.pop("calibrate", False)
    if params is None:
        model = train_model(frame, X, family, task, preset=preset, threshold=threshold, random_state=random_state,
                            n_jobs=n_jobs, **options)
    else:
        pipe = make_model(family, task, random_state=random_state, n_jobs=n_jobs).set_params(**params)
        pipe.fit(X, make_target(frame, task, threshold))
        model = TrainedModel(pipe, family, task, preset, list(X.columns), threshold, dict(params),
                             {"selection": "hyperparameters chosen by the validation's grouped inner CV"},
                             random_state=random_state, train_X=X,
                             train_meta=training_rows(frame))
    if calibrated:
        rows = model.train_X.index
        model.calibration = calibrate(model, frame.loc[rows], X.loc[rows], random_state=random_state)
    return model


#: Columns of a model's training rows (``train_rows.parquet``) that are kept when present.
TRAINING_ROW_COLUMNS = ("id", "formula", "family", "log10_sigma", "censored", "sigma_bound_S_cm", "doi")


def training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The training rows a model keeps: ids, formulas, family, measured log10 sigma, censoring, DOI."""
    return frame[[c for c in TRAINING_ROW_COLUMNS if c in frame.columns]].astype(object).reset_index(drop=True)
