"""`Study`: the frozen result of one analysis, saved as Parquet + JSON (+ the models' safe formats).

A study folder::

    study.json                 configuration, data card, provenance, every evaluation's and
                               explanation's numbers that are not tables, the NASICON section
    frame.parquet              the dataset rows that were modelled (ids, formulas, targets, split)
    descriptors.parquet        their descriptors
    evaluations/<name>.results.parquet, <name>.predictions.parquet
    explanations/<family>.shap.parquet, <family>.importance.parquet
    regression/shap.parquet, regression/rows.parquet
    models/<family>-<task>/    each fitted model (skops / XGBoost JSON, with its own manifest)
    manifest.json              every file listed, the manifest's own sha256

Nothing is pickled; :func:`load_study` verifies the manifest and each model's files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ExplainsseError
from ..io import output_directory, read_manifest, read_parquet, to_jsonable, write_manifest, write_parquet
from ..models.evaluate import Evaluation
from .steps import FamilyExplanation, RegressionExplanation

FORMAT = "explainsse-study"
FORMAT_VERSION = 1


class StudyFileError(ExplainsseError):
    """A study folder that is missing, incomplete or of another format."""


@dataclass(frozen=True)
class Study:
    """Everything one analysis computed, from descriptors to explanations; reports are views of it.

    Attributes
    ----------
    config : dict
        ``dataset, preset, preset_reason, families, tasks, scheme, threshold_S_cm, seed,
        n_scramble, n_boot, top``.
    frame : pandas.DataFrame
        The modelled dataset rows (normalized columns, without Python objects).
    descriptors : pandas.DataFrame
        Their descriptors (same index).
    data_card : dict
        ``summary, source, license, citation, files, issues, notes, censored``.
    evaluations : tuple of Evaluation
        One per validated family and task.
    models : dict
        ``"family/task"`` -> fitted :class:`~explainsse.models.train.TrainedModel` (training rows).
    explanations : dict
        Family -> :class:`FamilyExplanation` of its classifier (all families comparable).
    regression : RegressionExplanation or None
        Per-material predictions and SHAP values of the regression model.
    agreement : dict or None
        Cross-family rank correlation and direction agreement.
    nasicon : dict or None
        The within-NASICON validation (JSON form), when there are enough NASICON rows.
    provenance : dict
        Library versions, start and end times, seconds.
    structure : dict or None
        With structure descriptors: the share of rows with a structure, Sendek et al.'s published
        model scored on them and the sparse L1 refit (:mod:`explainsse.analysis.sendek`).
    """

    config: dict
    frame: pd.DataFrame
    descriptors: pd.DataFrame
    data_card: dict
    evaluations: tuple[Evaluation, ...]
    models: dict = field(default_factory=dict)
    explanations: dict = field(default_factory=dict)
    regression: RegressionExplanation | None = None
    agreement: dict | None = None
    nasicon: dict | None = None
    provenance: dict = field(default_factory=dict)
    structure: dict | None = None

    @property
    def results(self) -> pd.DataFrame:
        """All evaluations' tidy results in one table."""
        return pd.concat([e.results for e in self.evaluations], ignore_index=True)

    def evaluation(self, family: str, task: str) -> Evaluation:
        """The evaluation of ``family`` on ``task``."""
        for e in self.evaluations:
            if (e.family, e.task) == (family, task):
                return e
        raise KeyError(f"no evaluation of {family}/{task} in this study")

    def save(self, directory: str | os.PathLike, *, force: bool = False, inputs=()) -> Path:
        """Write the study to a new folder (atomically; ``force`` replaces an earlier explainsse output only).

        Parameters
        ----------
        directory : path-like
        force : bool
        inputs : iterable of path-like
            Input files of the run (a folder holding one is never replaced).

        Returns
        -------
        pathlib.Path
        """
        directory = Path(directory)
        with output_directory(directory, force=force, inputs=inputs) as tmp:
            write_study(self, tmp)
        return directory


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    write_parquet(frame, path, index=True)


def _read_frame(path: Path) -> pd.DataFrame:
    return read_parquet(path)


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of a dataset frame that Parquet can hold (Python objects such as Composition dropped)."""
    import pyarrow as pa

    keep = []
    for col in frame.columns:
        try:
            pa.array(frame[col].head(50), from_pandas=True)
            keep.append(col)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            continue
    return frame[keep]


def _name(*parts: str) -> str:
    return "-".join(str(p).replace("/", "_") for p in parts)


def write_study(study: Study, folder: Path) -> None:
    """Write ``study`` into the existing, empty ``folder`` (used by :meth:`Study.save` and reports).

    Parameters
    ----------
    study : Study
    folder : pathlib.Path
        An existing, empty folder.
    """
    from ..models.persistence import save_model

    folder = Path(folder)
    for sub in ("evaluations", "explanations", "models"):
        (folder / sub).mkdir()
    _write_frame(_storable(study.frame), folder / "frame.parquet")
    _write_frame(study.descriptors, folder / "descriptors.parquet")
    evaluations = []
    for e in study.evaluations:
        name = _name(e.family, e.task, e.scheme)
        write_parquet(e.results, folder / "evaluations" / f"{name}.results.parquet")
        write_parquet(e.predictions, folder / "evaluations" / f"{name}.predictions.parquet")
        evaluations.append({"name": name, "family": e.family, "task": e.task, "scheme": e.scheme,
                            "threshold": e.threshold, "params": e.params, "confusion": e.confusion,
                            "scramble": e.scramble})
    explanations = {}
    for family, ex in study.explanations.items():
        ex.table.to_parquet(folder / "explanations" / f"{_name(family)}.shap.parquet")
        write_parquet(ex.importance.reset_index(names="descriptor"),
                      folder / "explanations" / f"{_name(family)}.importance.parquet")
        explanations[family] = {"family": ex.family, "task": ex.task, "stability": ex.stability,
                                "groups": ex.groups, "params": ex.params, "native": ex.native}
    regression = None
    if study.regression is not None:
        r = study.regression
        (folder / "regression").mkdir()
        r.table.to_parquet(folder / "regression" / "shap.parquet")
        _write_frame(r.domain.assign(predicted=r.predictions), folder / "regression" / "rows.parquet")
        regression = {"family": r.family}
    models = {}
    for key, model in study.models.items():
        target = folder / "models" / _name(key)
        save_model(model, target, training_data=False)  # its training rows are in descriptors.parquet
        rows = [] if model.train_X is None else to_jsonable(list(model.train_X.index))
        models[key] = {"path": target.relative_to(folder).as_posix(), "train_rows": rows}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "config": study.config,
               "data_card": study.data_card, "provenance": study.provenance, "evaluations": evaluations,
               "explanations": explanations, "regression": regression, "agreement": study.agreement,
               "nasicon": study.nasicon, "structure": study.structure, "models": models}
    (folder / "study.json").write_text(json.dumps(to_jsonable(payload, keep_nan=True), indent=1, default=str), encoding="utf-8")
    write_manifest(folder, {"format": FORMAT, "format_version": FORMAT_VERSION,
                            "dataset": study.config.get("dataset")}, kind="study")


def _fold_keys(params: dict) -> dict:
    """JSON turns integer fold keys into text; give them back their type."""
    return {int(k) if isinstance(k, str) and k.lstrip("-").isdigit() else k: v for k, v in params.items()}


def load_study(directory: str | os.PathLike, *, models: bool = True) -> Study:
    """Read a study written by :meth:`Study.save` (or the ``study/`` folder of a report).

    Parameters
    ----------
    directory : path-like
    models : bool, default True
        Also load the fitted models (verified against their manifests); False is faster when only
        the numbers and explanations are needed (e.g. re-rendering a report).

    Returns
    -------
    Study

    Raises
    ------
    StudyFileError
        When the folder is not a study, or its manifest does not match its content.
    """
    from ..explain.table import ExplanationTable
    from ..models.persistence import load_model

    folder = Path(directory)
    if not (folder / "study.json").is_file():
        raise StudyFileError(f"{folder}: not a study folder (no study.json); give the study/ folder of a report "
                             "or a folder written by Study.save")
    read_manifest(folder)  # verifies the manifest's own digest
    payload = json.loads((folder / "study.json").read_text(encoding="utf-8"))
    if payload.get("format") != FORMAT or payload.get("format_version", 0) > FORMAT_VERSION:
        raise StudyFileError(f"{folder}: format {payload.get('format')!r} version {payload.get('format_version')} "
                             f"is not one this explainsse reads ({FORMAT} <= {FORMAT_VERSION})")
    evaluations = tuple(
        Evaluation(e["family"], e["task"], e["scheme"], e["threshold"],
                   read_parquet(folder / "evaluations" / f"{e['name']}.results.parquet"),
                   read_parquet(folder / "evaluations" / f"{e['name']}.predictions.parquet"),
                   _fold_keys(e["params"]), e["confusion"], e["scramble"])
        for e in payload["evaluations"])
    explanations = {}
    for family, meta in payload["explanations"].items():
        importance = read_parquet(folder / "explanations" / f"{_name(family)}.importance.parquet")
        explanations[family] = FamilyExplanation(
            meta["family"], meta["task"], ExplanationTable.read_parquet(folder / "explanations" / f"{_name(family)}.shap.parquet"),
            importance.set_index("descriptor"), meta["stability"], meta["groups"], meta["params"], meta["native"])
    regression = None
    if payload.get("regression"):
        rows = _read_frame(folder / "regression" / "rows.parquet")
        regression = RegressionExplanation(payload["regression"]["family"],
                                           ExplanationTable.read_parquet(folder / "regression" / "shap.parquet"),
                                           rows.pop("predicted"), rows)
    frame, descriptors = _read_frame(folder / "frame.parquet"), _read_frame(folder / "descriptors.parquet")
    loaded = {}
    for key, entry in (payload["models"].items() if models else ()):
        model = load_model(folder / entry["path"])
        if entry["train_rows"]:
            rows = pd.Index(entry["train_rows"], name=descriptors.index.name)
            model.train_X = descriptors.loc[rows, model.feature_names]
            model.train_meta = frame.loc[rows, ["id", "formula", "family"]].astype(object).reset_index(drop=True)
        loaded[key] = model
    return Study(payload["config"], frame, descriptors,
                 payload["data_card"], evaluations, loaded, explanations, regression, payload["agreement"],
                 payload["nasicon"], payload["provenance"], payload.get("structure"))


__all__ = ["Study", "StudyFileError", "load_study", "write_study"]
