"""The analysis steps that join models and explanations; :func:`run_study` and the CLI call these.

Each step takes plain objects (a dataset frame, its descriptors, a fitted model) and returns a
frozen result, so the report, ``explainsse importance`` and the prediction report share one
implementation of "fit -> explain -> stability -> groups -> directions".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from ..explain import explain
from ..explain.correlation import correlated_groups
from ..explain.domain import ApplicabilityDomain
from ..explain.material import explain_materials
from ..explain.native import family_native_view
from ..explain.stability import explanation_stability
from ..explain.trust import trust_table
from ..featurize import dataset_descriptors, get_preset
from ..featurize.nasicon_lattice import fill_lattice
from ..featurize.presets import choose_preset
from ..models.families import get_family
from ..models.targets import make_target
from ..models.train import TrainedModel


@dataclass(frozen=True)
class FamilyExplanation:
    """Global explanation of one fitted model on its training rows.

    Attributes
    ----------
    family, task : str
    table : ExplanationTable
        SHAP values of every training row.
    importance : pandas.DataFrame
        Per descriptor (largest first): ``mean_abs_shap, share, rank`` and, from refits,
        ``ci_low, ci_high, share_runs_in_top_k, unstable``.
    stability : dict
        ``rank_stability, top_k_jaccard, runs, top_k, scheme, n_bootstrap``.
    groups : dict
        Group name -> correlated descriptors (|Spearman| >= the threshold).
    params : dict
        Hyperparameters of the explained model.
    native : dict
        The family's own view (odds ratios, VIP, gain), when computed.
    """

    family: str
    task: str
    table: object
    importance: pd.DataFrame
    stability: dict
    groups: dict
    params: dict = field(default_factory=dict)
    native: dict = field(default_factory=dict)

    def directions(self, top: int) -> pd.DataFrame:
        """Direction of effect of the ``top`` descriptors (indexed by descriptor)."""
        return self.table.directions(self.table.top(top)).set_index("descriptor")

    def grouped_importance(self) -> pd.Series:
        """Mean |SHAP| with each correlated group summed into one entry."""
        return self.table.grouped(self.groups).global_importance()["mean_abs_shap"]


@dataclass(frozen=True)
class Descriptors:
    """A dataset's descriptor table with how it was made.

    Attributes
    ----------
    X : pandas.DataFrame
        Descriptors of the usable rows (rows that failed are in ``ds.issues``).
    preset : str
    reason : str
        Why this preset ("chosen by the user", or what the data supports).
    warnings : list of str
        Warnings raised while computing them (missing lattice data, cache problems).
    dataset : Dataset
        The dataset the descriptors belong to: the input without the rows that could not be
        featurized (moved to its issues), with the descriptor notes.
    """

    X: pd.DataFrame
    preset: str
    reason: str
    warnings: list
    dataset: object = None


def descriptors_for(ds, preset: str | None = None, *, progress: bool = False, cache: bool = True,
                    n_jobs: int | None = None, modelling: bool = True) -> Descriptors:
    """Descriptors of ``ds`` with the named preset, or the richest one its data supports.

    Parameters
    ----------
    ds : Dataset
    preset : str, optional
    progress : bool
        Show a progress bar over distinct compositions.
    cache : bool
        Reuse the verified feature cache.
    n_jobs : int, optional
        Featurization workers (default from settings).
    modelling : bool, default True
        Leave out descriptors with no value in any row (:func:`drop_empty_descriptors`, said in
        ``warnings``); False keeps every column (an export of the descriptors).

    Returns
    -------
    Descriptors
    """
    if preset:
        get_preset(preset)
        reason = "chosen by the user"
    else:
        preset, reason = choose_preset(ds.frame)
    ds.require_rows("modelling")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        used, X = dataset_descriptors(ds, preset, progress=progress, cache=cache, n_jobs=n_jobs)
    X, dropped = drop_empty_descriptors(X) if modelling else (X, [])
    return Descriptors(X, preset, reason, [str(w.message) for w in caught] + dropped, used)


def drop_empty_descriptors(X: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``X`` without the descriptors that have no value in any row, and a note naming them.

    A preset's input-dependent descriptors (NASICON lattice a and c without lattice columns or
    CIFs, the trigonal-cell flag without space groups) can be empty for a whole table; no model
    can learn from them, so they are left out, said, rather than refusing the table.

    Parameters
    ----------
    X : pandas.DataFrame

    Returns
    -------
    X : pandas.DataFrame
    notes : list of str
        One note when anything was left out, else empty.
    """
    empty = [c for c in X.columns if X[c].isna().all()]
    if not empty or len(empty) == X.shape[1]:
        return X, []
    note = (f"{len(empty)} descriptor(s) have no value in any row and are left out of the models: "
            f"{', '.join(empty[:6])}{' ...' if len(empty) > 6 else ''} (they need input the table does not have, "
            "e.g. lattice parameters, space groups or CIFs)")
    return X.drop(columns=empty), [note]


def explain_model(model: TrainedModel, frame: pd.DataFrame, X: pd.DataFrame, *, top: int = 10,
                  n_bootstrap: int = 2, correlation: float = 0.9, seed: int = 0, n_jobs: int = 1,
                  native: bool = False) -> FamilyExplanation:
    """SHAP on the training rows, its stability under refits, correlated groups (and the native view).

    Parameters
    ----------
    model : TrainedModel
        Fitted on ``X``.
    frame, X : pandas.DataFrame
        The model's training rows and descriptors.
    top : int
        Size of the top-k set whose stability is measured.
    n_bootstrap : int
        Bootstrap refits added to the grouped-CV refits of the stability analysis.
    correlation : float
        |Spearman| threshold for grouping descriptors.
    seed, n_jobs : int
    native : bool
        Also compute the family's own interpretable view.

    Returns
    -------
    FamilyExplanation
    """
    table = explain(model, X, X, ids=frame["id"], formulas=frame["formula"])
    stab = explanation_stability(model, frame, X, n_bootstrap=n_bootstrap, top_k=top, random_state=seed,
                                 n_jobs=n_jobs)
    imp = table.global_importance().join(stab["importance"][["ci_low", "ci_high", "share_runs_in_top_k",
                                                              "unstable"]])
    groups = correlated_groups(X, correlation, importance=imp["mean_abs_shap"])
    views = native_view(model, frame, X, top=top, seed=seed) if native else {}
    return FamilyExplanation(model.family, model.task, table, imp,
                             {k: v for k, v in stab.items() if k != "importance"}, groups, dict(model.params), views)


def native_view(model: TrainedModel, frame: pd.DataFrame, X: pd.DataFrame, *, top: int = 10, seed: int = 0) -> dict:
    """The family's own interpretable view (odds ratios with bootstrap CIs, PLS VIP, XGBoost gain), or {}.

    Parameters
    ----------
    model : TrainedModel
    frame, X : pandas.DataFrame
        The model's training rows and descriptors.
    top : int
        Descriptors listed.
    seed : int
    """
    return family_native_view(get_family(model.family), model, X, make_target(frame, model.task, model.threshold),
                              top, seed)


@dataclass(frozen=True)
class RegressionExplanation:
    """A regression model's predictions and SHAP values on the rows a reader looks at.

    Attributes
    ----------
    family : str
    table : ExplanationTable
        SHAP values on the explained rows (the test split with an official split, else all rows).
    predictions : pandas.Series
        Predicted log10 sigma of those rows.
    domain : pandas.DataFrame
        Applicability domain of those rows (``percentile``, ``inside``).
    trust : pandas.DataFrame or None
        Conformal interval bounds, the measured value of the same composition in the training
        data and the nearest training materials (:func:`~explainsse.explain.trust.trust_table`).
    """

    family: str
    table: object
    predictions: pd.Series
    domain: pd.DataFrame
    trust: pd.DataFrame | None = None


def explain_regression(model: TrainedModel, X_train: pd.DataFrame, frame_rows: pd.DataFrame,
                       X_rows: pd.DataFrame) -> RegressionExplanation:
    """Predict and explain ``X_rows`` with a regression model fitted on ``X_train``.

    Parameters
    ----------
    model : TrainedModel
        A regression model fitted on ``X_train``.
    X_train : pandas.DataFrame
        Its training descriptors (background, applicability domain).
    frame_rows, X_rows : pandas.DataFrame
        The rows to predict and explain.
    """
    table = explain(model, X_rows, X_train, ids=frame_rows["id"], formulas=frame_rows["formula"])
    predictions = pd.Series(model.predict(X_rows), index=X_rows.index)
    return RegressionExplanation(model.family, table, predictions, ApplicabilityDomain(X_train).assess(X_rows),
                                 trust_table(model, frame_rows, X_rows, predictions))


def candidate_descriptors(ds, model: TrainedModel) -> tuple[object, pd.DataFrame, list[str]]:
    """The usable candidates, their descriptors for ``model``'s preset, and notes on what had to be imputed.

    A model trained with lattice descriptors can still screen formulas without lattice data:
    the composition part is computed and the lattice descriptors are left missing (the model's
    imputer fills in training medians); the note says so.

    Parameters
    ----------
    ds : Dataset
        Left alone; the first value returned is ``ds`` without the rows that could not be featurized.
    model : TrainedModel
    """
    preset = get_preset(model.preset)
    notes = []
    missing_kinds = [g.input_kind for g in preset.groups if not g.available(ds.frame)]
    if missing_kinds:
        available = preset.subset_available(ds.frame)
        notes.append(f"the model uses {', '.join(missing_kinds)} descriptors ({model.preset}) but the input has "
                     "none: they are imputed with training medians")
        used, X = dataset_descriptors(ds, available, progress=False)
        for col in model.feature_names:
            if col not in X.columns:
                X[col] = float("nan")
    else:
        used, X = dataset_descriptors(ds, model.preset, progress=False)
    return used, X, notes


@dataclass(frozen=True)
class CandidateExplanation:
    """Predictions and explanations of candidate materials by a saved model.

    Attributes
    ----------
    descriptors : pandas.DataFrame
    table : ExplanationTable
        SHAP values of every candidate (background: the model's training rows).
    materials : list of dict
        Per candidate: prediction, top descriptors, domain, warnings
        (:func:`~explainsse.explain.material.explain_materials`).
    notes : list of str
        What had to be assumed (e.g. lattice descriptors imputed).
    dataset : Dataset
        The candidates explained: the input without the rows that could not be featurized
        (those are in its issues, with the reason).
    """

    descriptors: pd.DataFrame
    table: object
    materials: list
    notes: list
    dataset: object = None


def explain_candidates(ds, model: TrainedModel, *, top: int = 5) -> CandidateExplanation:
    """Predict and explain every usable row of ``ds`` with ``model`` (rows that fail go to ``ds.issues``).

    Parameters
    ----------
    ds : Dataset
        Candidates (no conductivity needed).
    model : TrainedModel
        A saved or bundled model (:func:`~explainsse.models.persistence.load_model`).
    top : int
        Descriptors listed per material.

    Returns
    -------
    CandidateExplanation
    """
    ds.require_rows("predictions")
    ds, X, notes = candidate_descriptors(ds, model)
    ds.require_rows("predictions")  # rows that could not be featurized are in ds.issues now
    X, estimated = fill_lattice(model, X)  # shown and explained with the model's own lattice estimate
    if estimated.any():
        notes.append(f"{int(estimated.sum())} NASICON row(s) have no lattice in the hexagonal setting: a, c and the "
                     "volume per unit are the model's estimate from the M- and X-site radii (its linear fit on "
                     "its training rows)")
    background = model.train_X if model.train_X is not None else X
    # XGBoost's own TreeSHAP (exact): importing shap would double the time of explaining a few candidates
    table = explain(model, X, background, ids=ds.frame["id"].astype(str), formulas=ds.frame["formula"].astype(str),
                    shap_check=False)
    # the warnings are in each material's record (a library's own filter could let Python's through)
    materials = explain_materials(model, ds.frame, X, top=top, table=table, warn=False)
    if get_preset(model.preset).groups_of("structure"):
        structure_notes(ds, materials)
    return CandidateExplanation(X, table, materials, [*ds.notes, *notes], ds)


def structure_notes(ds, materials: list[dict]) -> None:
    """Say, per material of a structure-aware model, whether its CIF was used and why not (in place).

    Each record gets ``structure``: ``{"cif": bool, "note": str or None}``; a material without a
    usable CIF (none given, file missing, parse failure, a descriptor left undefined) gets a warning
    naming the reason: its structure descriptors were imputed, and an imputed value never leads its
    explanation (:func:`~explainsse.explain.material.led_by_measured`).
    """
    notes = ds.descriptor_notes
    reasons = {} if notes is None or not len(notes) else dict(zip(notes["id"].astype(str), notes["reason"]))
    has_cif = dict(zip(ds.frame["id"].astype(str), ds.frame["has_cif"].astype(bool))) if "has_cif" in ds.frame \
        else {}
    for m in materials:
        reason = reasons.get(m["id"])
        used = has_cif.get(m["id"], False) and not str(reason or "").startswith("CIF not usable")
        m["structure"] = {"cif": bool(used), "note": reason}
        if not used:
            m["warnings"].append(f"no usable CIF ({reason or 'none given'}): the structure descriptors were imputed, "
                                 f"so the explanation rests on composition (the imputed values still move the "
                                 f"prediction by {m.get('imputed_shap', {}).get('total', 0.0):+.2f} in total)")
        elif reason:
            m["warnings"].append(f"some structure descriptors are missing ({reason}); they were imputed")


__all__ = ["structure_notes", "CandidateExplanation", "Descriptors", "descriptors_for", "drop_empty_descriptors", "FamilyExplanation", "RegressionExplanation", "candidate_descriptors",
           "explain_candidates", "explain_model",
           "explain_regression", "native_view"]
