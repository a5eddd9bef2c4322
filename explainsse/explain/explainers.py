"""Exact SHAP values for each model family (one explicit explainer per family).

* ``logreg`` and ``pls``: the pipeline is impute -> standardize -> clip -> linear model, and each
  transformed column depends on one descriptor only, so exact (interventional) linear SHAP is
  ``w_j * (z_j - mean_background(z_j))`` attributed to descriptor j, in log-odds (logreg,
  PLS-DA after its calibration) or predicted log10 sigma (PLS regression).
* ``xgb``: ``shap.TreeExplainer`` on the final estimator with the transformed (float32) matrix,
  cross-checked against XGBoost's own ``pred_contribs``; if shap fails on the installed xgboost,
  XGBoost's native contributions are used and the table says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..models.families import Family, get_family
from .table import ExplanationTable


def _transform(pipeline, X: pd.DataFrame) -> pd.DataFrame:
    Z = pipeline[:-1].transform(X)
    return Z if isinstance(Z, pd.DataFrame) else pd.DataFrame(Z, index=X.index, columns=X.columns)


def _linear_weights(estimator):
    """(weights, intercept) of the model output as a linear function of the transformed matrix.

    Any estimator with ``coef_`` / ``intercept_`` (logistic regression, PLS regression, a linear
    model of a registered family); PLS-DA composes its PLS fit with its one-feature calibration.
    """
    if hasattr(estimator, "calibrator_"):  # PLS-DA (binary): log-odds = a * (w.z + b) + c
        a = float(estimator.calibrator_.coef_.ravel()[0])
        c = float(estimator.calibrator_.intercept_.ravel()[0])
        return a * np.asarray(estimator.coef_, float), a * float(estimator.intercept_) + c
    return np.asarray(estimator.coef_, float).ravel(), float(np.ravel(estimator.intercept_)[0])


def model_output(pipeline, family: str, task: str, X: pd.DataFrame) -> np.ndarray:
    """The quantity SHAP values add up to: log-odds (classification) or predicted log10 sigma.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
    family, task : str
    X : pandas.DataFrame
    """
    if task == "regression":
        return np.asarray(pipeline.predict(X), float)
    if hasattr(pipeline[-1], "decision_function"):
        return np.asarray(pipeline.decision_function(X), float)
    Z = _transform(pipeline, X).astype(np.float32)  # XGBoost: the margin, on float32 inputs
    return np.asarray(pipeline[-1].predict(Z, output_margin=True), float)


def explain_linear(pipeline, family: str, task: str, X: pd.DataFrame, background: pd.DataFrame,
                   **meta) -> ExplanationTable:
    """Exact linear SHAP for pipelines ending in a linear model (logreg, pls, or a registered linear family).

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Ending in a linear model (``coef_`` / ``intercept_``, or PLS-DA).
    family, task : str
    X, background : pandas.DataFrame
        Rows to explain; reference rows (their mean is the baseline).
    **meta
        ``ids``, ``formulas``, ``fold`` stored in the table.
    """
    w, b = _linear_weights(pipeline[-1])
    Z = _transform(pipeline, X).to_numpy(float)
    mean_z = _transform(pipeline, background).to_numpy(float).mean(axis=0)
    shap_values = (Z - mean_z) * w
    base = b + float(mean_z @ w)
    return ExplanationTable.from_arrays(shap_values, X, base, family=family, task=task,
                                        method="exact linear SHAP (interventional, background = training rows)",
                                        **meta)


#: Above this many rows XGBoost's native TreeSHAP gives the values and shap.TreeExplainer only
#: cross-checks a sample of :data:`CROSS_CHECK_ROWS` rows.
NATIVE_PATH_ROWS = 2000
CROSS_CHECK_ROWS = 500


def explain_tree(pipeline, family: str, task: str, X: pd.DataFrame, background: pd.DataFrame | None = None,
                 *, shap_check: bool = True, **meta) -> ExplanationTable:
    """TreeSHAP for xgb pipelines: shap.TreeExplainer cross-checked against XGBoost's pred_contribs.

    Inputs are cast to float32 (XGBoost splits on float32 thresholds). For more than
    :data:`NATIVE_PATH_ROWS` rows the native values are used and shap checks a sample. If shap
    fails, or disagrees by more than 1e-3, the native values are used and the table says so.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Ending in an XGBoost model.
    family, task : str
    X : pandas.DataFrame
        Rows to explain.
    background : pandas.DataFrame, optional
        Not used: TreeSHAP (path-dependent) takes the reference from the trees themselves.
    shap_check : bool, default True
        Compute with (or cross-check against) ``shap.TreeExplainer``. False uses XGBoost's own
        TreeSHAP only (the same exact algorithm), which spares importing shap (about a second)
        when a few candidates are explained from the command line.
    **meta
        ``ids``, ``formulas``, ``fold`` stored in the table.
    """
    import xgboost as xgb  # heavy: loaded when a tree model is explained

    estimator = pipeline[-1]
    aft = hasattr(estimator, "base_margin_")  # censoring-aware AFT: margin in ln sigma
    Z = _transform(pipeline, X).astype(np.float32)
    booster = estimator.booster_ if aft else estimator.get_booster()
    # a plain matrix (any descriptor name allowed); models saved with names keep theirs
    dm = xgb.DMatrix(Z.to_numpy(), feature_names=booster.feature_names)
    if aft:
        dm.set_base_margin(np.full(len(Z), estimator.base_margin_))
    native = booster.predict(dm, pred_contribs=True)
    scale = 1.0 / np.log(10.0) if aft else 1.0
    native_method = "XGBoost pred_contribs (TreeSHAP inside XGBoost)"
    notes = []
    values, base, method = native[:, :-1], native[:, -1], native_method
    if not shap_check:
        return ExplanationTable.from_arrays(np.asarray(values) * scale, X, np.asarray(base) * scale,
                                            family=family, task=task, method=native_method, **meta)
    try:
        if aft:
            raise RuntimeError("shap does not model the AFT base margin")
        import shap  # heavy: shap loads only when SHAP values are computed

        explainer = shap.TreeExplainer(estimator)
        check = slice(None) if len(Z) <= NATIVE_PATH_ROWS else slice(0, CROSS_CHECK_ROWS)
        shap_values = np.asarray(explainer.shap_values(Z.iloc[check].to_numpy()), float)
        gap = float(np.max(np.abs(shap_values - native[check, :-1]))) if len(shap_values) else 0.0
        if gap > 1e-3:
            notes.append(f"shap and XGBoost pred_contribs differ by up to {gap:.2g}; using XGBoost's")
        elif len(Z) <= NATIVE_PATH_ROWS:
            values, base = shap_values, float(np.ravel(explainer.expected_value)[0])
            method = "shap.TreeExplainer (exact, tree path-dependent)"
        else:
            method = (f"{native_method}, fast native path for {len(Z)} rows; shap.TreeExplainer agrees "
                      f"on {len(shap_values)} rows (max difference {gap:.1g})")
    except Exception as exc:  # shap x xgboost pairings have broken before (shap #4184, #4288)
        notes.append(f"shap.TreeExplainer not used ({type(exc).__name__}: {exc}); "
                     "XGBoost's native TreeSHAP contributions instead")
    return ExplanationTable.from_arrays(np.asarray(values) * scale, X, np.asarray(base) * scale,
                                        family=family, task=task, method=method, notes=notes, **meta)


def explain(model, X: pd.DataFrame, background: pd.DataFrame | None = None, *, ids=None, formulas=None,
            fold="all", shap_check: bool = True) -> ExplanationTable:
    """Explain a :class:`~explainsse.models.train.TrainedModel` on descriptor rows ``X``.

    Parameters
    ----------
    model : TrainedModel
        Fitted model (its registered family's explainer is used).
    X : pandas.DataFrame
        Descriptors (aligned to the model's columns by name).
    background : pandas.DataFrame, optional
        Reference rows for the linear families (default: ``X``). Use the training rows.
    ids, formulas : sequence, optional
        Labels stored in the table.
    fold : str
        Fold label stored in the table.
    shap_check : bool, default True
        False: tree models are explained by XGBoost's own TreeSHAP alone (:func:`explain_tree`).
    """
    X = model.align(X)
    background = model.align(background) if background is not None else X
    fn = explainer_for(get_family(model.family))
    options = {} if shap_check or fn is not explain_tree else {"shap_check": False}
    return fn(model.pipeline, model.family, model.task, X, background, ids=ids, formulas=formulas, fold=fold,
              **options)


#: SHAP explainers by the kind a family names (:attr:`explainsse.models.families.Family.explainer`).
EXPLAINERS = {"linear": explain_linear, "tree": explain_tree}


def explainer_for(family: Family):
    """The explainer function of ``family``: its kind's function, or its own callable.

    Raises
    ------
    InputDataError
        For a kind no explainer is known for.
    """
    if callable(family.explainer):
        return family.explainer
    if family.explainer not in EXPLAINERS:
        raise InputDataError(f"family {family.name!r} names explainer {family.explainer!r}; "
                             f"known kinds: {', '.join(EXPLAINERS)} (or pass a callable)")
    return EXPLAINERS[family.explainer]
