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
    manifest.json              every file above listed with its sha256 (the models' files and
                               manifests too), and the manifest's own sha256

Nothing is pickled. :func:`load_study` verifies every file against the manifest before reading
any (:func:`explainsse.io.outputs.verify_manifest`): an edited, truncated, missing or unlisted
file, or a symbolic link anywhere in the folder, is refused with a :class:`StudyIntegrityError`
naming the file; every path taken from ``study.json`` must be a plain name of a listed file.
:func:`copy_study` copies exactly the listed files (re-rendering a report), checking each copy.
Studies of format version 1 (no sha256 per file) are refused: re-run the study.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import DataIntegrityError, ExplainsseError
from ..explain.table import ExplanationTable
from ..io import (
    OutputFolderError,
    output_directory,
    read_manifest,
    read_parquet,
    to_jsonable,
    write_manifest,
    write_parquet,
)
from ..io.outputs import FILE_DIGESTS_KEY, MANIFEST, OUTPUT_KEY, verify_manifest
from ..models.evaluation import Evaluation
from ..models.persistence import load_model, save_model
from .sections import DataCard, Provenance, StudyConfig
from .steps import FamilyExplanation, RegressionExplanation

FORMAT = "explainsse-study"
#: 2: the manifest records the sha256 of every file (version 1 studies are refused: re-run them).
FORMAT_VERSION = 2
_RERUN = "re-run the study (explainsse report) to write it again"


class StudyFileError(ExplainsseError):
    """A study folder that is missing, incomplete or of another format."""


class StudyIntegrityError(StudyFileError, DataIntegrityError):
    """A study file that differs from the manifest: edited, truncated, missing, unlisted or a link."""


@dataclass(frozen=True)
class Study:
    """Everything one analysis computed, from descriptors to explanations; reports are views of it.

    Attributes
    ----------
    config : StudyConfig
        Dataset, preset, families, tasks, scheme, threshold, seed, ...
    frame : pandas.DataFrame
        The modelled dataset rows (normalized columns, without Python objects).
    descriptors : pandas.DataFrame
        Their descriptors (same index).
    data_card : DataCard
        Counts, source, licence, citation, files, excluded rows, notes, censored rows, skipped sections.
    evaluations : tuple of Evaluation
        One per validated family and task.
    schemes : tuple of Evaluation
        The same families and tasks under the side-by-side CV schemes (``config.side_schemes``),
        fitted with the hyperparameters their evaluation chose.
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
    provenance : Provenance
        Library versions, start and end times, seconds.
    structure : dict or None
        With structure descriptors: the share of rows with a structure, Sendek et al.'s published
        model scored on them and the sparse L1 refit (:mod:`explainsse.analysis.sendek`).
    """

    config: StudyConfig
    frame: pd.DataFrame
    descriptors: pd.DataFrame
    data_card: DataCard
    evaluations: tuple[Evaluation, ...]
    schemes: tuple[Evaluation, ...] = ()
    models: dict = field(default_factory=dict)
    explanations: dict = field(default_factory=dict)
    regression: RegressionExplanation | None = None
    agreement: dict | None = None
    nasicon: dict | None = None
    provenance: Provenance | None = None
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
    import pyarrow as pa  # heavy: pyarrow loads only when a Parquet file is read or written

    keep = []
    for col in frame.columns:
        try:
            pa.array(frame[col].head(50), from_pandas=True)
            keep.append(col)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            continue
    return frame[keep]


#: Prefix of the per-material trust columns in ``regression/rows.parquet`` (beside the domain columns).
TRUST_PREFIX = "trust__"


def _name(*parts: str) -> str:
    return "-".join(str(p).replace("/", "_") for p in parts)


def _write_evaluations(evaluations, folder: Path) -> list[dict]:
    """Each evaluation's tidy results and predictions as Parquet; their entries for study.json."""
    entries = []
    for e in evaluations:
        name = _name(e.family, e.task, e.scheme)
        write_parquet(e.results, folder / "evaluations" / f"{name}.results.parquet")
        write_parquet(e.predictions, folder / "evaluations" / f"{name}.predictions.parquet")
        entries.append({"name": name, "family": e.family, "task": e.task, "scheme": e.scheme,
                        "threshold": e.threshold, "params": e.params, "confusion": e.confusion,
                        "scramble": e.scramble})
    return entries


def write_study(study: Study, folder: Path) -> None:
    """Write ``study`` into the existing, empty ``folder`` (used by :meth:`Study.save` and reports).

    Parameters
    ----------
    study : Study
    folder : pathlib.Path
        An existing, empty folder.
    """
    folder = Path(folder)
    for sub in ("evaluations", "explanations", "models"):
        (folder / sub).mkdir()
    _write_frame(_storable(study.frame), folder / "frame.parquet")
    _write_frame(study.descriptors, folder / "descriptors.parquet")
    evaluations, schemes = _write_evaluations(study.evaluations, folder), _write_evaluations(study.schemes, folder)
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
        rows = r.domain.assign(predicted=r.predictions)
        if r.trust is not None:
            rows = rows.join(r.trust.add_prefix(TRUST_PREFIX))
        _write_frame(rows, folder / "regression" / "rows.parquet")
        regression = {"family": r.family}
    models = {}
    for key, model in study.models.items():
        target = folder / "models" / _name(key)
        save_model(model, target, training_data=False)  # its training rows are in descriptors.parquet
        rows = [] if model.train_X is None else to_jsonable(list(model.train_X.index))
        models[key] = {"path": target.relative_to(folder).as_posix(), "train_rows": rows}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "config": study.config.to_dict(),
               "data_card": study.data_card.to_dict(),
               "provenance": study.provenance.to_dict() if study.provenance else {}, "evaluations": evaluations,
               "schemes": schemes, "explanations": explanations, "regression": regression, "agreement": study.agreement,
               "nasicon": study.nasicon, "structure": study.structure, "models": models}
    (folder / "study.json").write_text(json.dumps(to_jsonable(payload, keep_nan=True), indent=1, default=str), encoding="utf-8")
    write_manifest(folder, {"format": FORMAT, "format_version": FORMAT_VERSION,
                            "dataset": study.config.dataset}, kind="study")


def _fold_keys(params: dict) -> dict:
    """JSON turns integer fold keys into text; give them back their type."""
    return {int(k) if isinstance(k, str) and k.lstrip("-").isdigit() else k: v for k, v in params.items()}


def _plain_name(name, what: str, source: Path) -> str:
    """``name`` if it can be one part of a file name inside the study (no ``/``, ``..``, absolute path)."""
    if (not isinstance(name, str) or not name or name.startswith(".") or ".." in name
            or any(ch in name for ch in "/\\\0") or len(name) > 200):
        raise StudyIntegrityError(f"{source}: {what} {name!r} is not a plain file name (no '/', '..' or "
                                  "absolute paths); the study was edited")
    return name


def _member(folder: Path, relative: str, listed: set[str]) -> Path:
    """The verified file ``folder/relative``: listed in the manifest and inside ``folder``."""
    path = folder / relative
    if relative not in listed:
        raise StudyIntegrityError(f"{path}: named by study.json but not a file listed in {MANIFEST}; "
                                  "the study was edited")
    if not path.resolve().is_relative_to(folder.resolve()):
        raise StudyIntegrityError(f"{path}: lies outside the study folder {folder}")
    return path


def _table(path: Path, reader=read_parquet):
    """``reader(path)``; a file that is not a readable table is a :class:`StudyFileError` naming it."""
    import pyarrow as pa  # heavy: pyarrow loads only when a Parquet file is read or written

    try:
        return reader(path)
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as exc:
        reason = str(exc).replace(f" '{path}'", "").replace("\n", " ")
        raise StudyFileError(f"{path}: not a readable Parquet table of a study ({type(exc).__name__}: "
                             f"{reason})") from None


def verify_study(directory: str | os.PathLike) -> dict:
    """Check a study folder file by file against its manifest; return the manifest.

    Parameters
    ----------
    directory : path-like

    Returns
    -------
    dict
        The verified manifest (``explainsse_output.sha256`` maps each file to its sha256).

    Raises
    ------
    StudyFileError
        Not a study folder, or one written by an older or newer explainsse.
    StudyIntegrityError
        A file edited, truncated, missing or not listed, a symbolic link, or a model folder that
        does not match its own manifest; the message names the file and the reason.
    """
    folder = Path(directory)
    if not (folder / "study.json").exists() and not (folder / "study.json").is_symlink():
        raise StudyFileError(f"{folder}: not a study folder (no study.json); give the study/ folder of a report "
                             "or a folder written by Study.save")
    if (folder / MANIFEST).is_symlink():
        raise StudyIntegrityError(f"{folder / MANIFEST}: is a symbolic link; a study holds none")
    try:
        manifest = read_manifest(folder)
    except OutputFolderError as exc:
        raise StudyIntegrityError(f"{exc}; the study is not used") from None
    version = manifest.get("format_version")
    if manifest.get("format") != FORMAT or not isinstance(version, int):
        raise StudyFileError(f"{folder / MANIFEST}: not the manifest of an explainsse study")
    if version < FORMAT_VERSION or FILE_DIGESTS_KEY not in (manifest.get(OUTPUT_KEY) or {}):
        raise StudyFileError(f"{folder}: written by an older explainsse (study format {version}, without a sha256 "
                             f"per file), so it cannot be verified; {_RERUN}")
    if version > FORMAT_VERSION:
        raise StudyFileError(f"{folder}: study format {version} is newer than this explainsse reads "
                             f"({FORMAT_VERSION}); update explainsse")
    try:
        verify_manifest(folder)
    except OutputFolderError as exc:
        raise StudyIntegrityError(f"{exc}; the study is not used") from None
    return manifest


def _payload(folder: Path) -> dict:
    """study.json, read and checked for its format (after :func:`verify_study`)."""
    path = folder / "study.json"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StudyFileError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(payload, dict) or (payload.get("format"), payload.get("format_version")) != (FORMAT, FORMAT_VERSION):
        raise StudyFileError(f"{path}: not a study of format {FORMAT} version {FORMAT_VERSION}; {_RERUN}")
    return payload


def _evaluations(folder: Path, payload: dict, listed: set[str], key: str = "evaluations") -> tuple[Evaluation, ...]:
    source = folder / "study.json"
    out = []
    for e in payload.get(key, []) if key != "evaluations" else payload[key]:
        name = _plain_name(e["name"], "evaluation name", source)
        results = _table(_member(folder, f"evaluations/{name}.results.parquet", listed))
        predictions = _table(_member(folder, f"evaluations/{name}.predictions.parquet", listed))
        out.append(Evaluation(e["family"], e["task"], e["scheme"], e["threshold"], results, predictions,
                              _fold_keys(e["params"]), e["confusion"], e["scramble"]))
    return tuple(out)


def _explanations(folder: Path, payload: dict, listed: set[str]) -> dict:
    source = folder / "study.json"
    out = {}
    for family, meta in payload["explanations"].items():
        name = _plain_name(_name(family), "family", source)
        importance = _table(_member(folder, f"explanations/{name}.importance.parquet", listed))
        table = _table(_member(folder, f"explanations/{name}.shap.parquet", listed), ExplanationTable.read_parquet)
        out[family] = FamilyExplanation(meta["family"], meta["task"], table, importance.set_index("descriptor"),
                                        meta["stability"], meta["groups"], meta["params"], meta["native"])
    return out


def _regression(folder: Path, payload: dict, listed: set[str]) -> RegressionExplanation | None:
    if not payload.get("regression"):
        return None
    rows = _table(_member(folder, "regression/rows.parquet", listed))
    table = _table(_member(folder, "regression/shap.parquet", listed), ExplanationTable.read_parquet)
    trust = [c for c in rows.columns if c.startswith(TRUST_PREFIX)]
    kept = rows[trust].rename(columns=lambda c: c[len(TRUST_PREFIX):]) if trust else None
    rows = rows.drop(columns=trust)
    return RegressionExplanation(payload["regression"]["family"], table, rows.pop("predicted"), rows, kept)


def _model_folder(folder: Path, entry: dict, listed: set[str]) -> Path:
    """The verified folder of one saved model (``models/<name>``, its manifest listed and intact)."""
    path = entry["path"]
    parts = path.split("/") if isinstance(path, str) else []
    if len(parts) != 2 or parts[0] != "models":
        raise StudyIntegrityError(f"{folder / 'study.json'}: model path {path!r} is not models/<name>; "
                                  "the study was edited")
    _plain_name(parts[1], "model folder", folder / "study.json")
    directory = _member(folder, f"{path}/{MANIFEST}", listed).parent
    try:
        verify_manifest(directory)
    except OutputFolderError as exc:
        raise StudyIntegrityError(f"{exc}; the study is not used") from None
    return directory


def _models(folder: Path, payload: dict, listed: set[str], frame, descriptors, *, load: bool) -> dict:
    loaded = {}
    for key, entry in payload["models"].items():
        directory = _model_folder(folder, entry, listed)  # verified even when not loaded
        if not load:
            continue
        model = load_model(directory)
        if entry["train_rows"]:
            rows = pd.Index(entry["train_rows"], name=descriptors.index.name)
            model.train_X = descriptors.loc[rows, model.feature_names]
            model.train_meta = frame.loc[rows, ["id", "formula", "family"]].astype(object).reset_index(drop=True)
        loaded[key] = model
    return loaded


def load_study(directory: str | os.PathLike, *, models: bool = True) -> Study:
    """Read a study written by :meth:`Study.save` (or the ``study/`` folder of a report), verified.

    Every file is checked against the manifest before anything is read (:func:`verify_study`),
    and every file name built from ``study.json`` must be a listed file inside the folder.

    Parameters
    ----------
    directory : path-like
    models : bool, default True
        Also load the fitted models (verified against their manifests); False is faster when only
        the numbers and explanations are needed (e.g. re-rendering a report). The models' files
        are verified either way.

    Returns
    -------
    Study

    Raises
    ------
    StudyFileError
        When the folder is not a study, is of another format, or a file cannot be read.
    StudyIntegrityError
        When a file does not match the manifest, is not listed, is a symbolic link, or a name in
        ``study.json`` points elsewhere.
    """
    folder = Path(directory)
    manifest = verify_study(folder)
    listed = set(manifest[OUTPUT_KEY]["files"])
    payload = _payload(folder)
    try:
        evaluations = _evaluations(folder, payload, listed)
        schemes = _evaluations(folder, payload, listed, "schemes")  # older studies have none
        explanations = _explanations(folder, payload, listed)
        regression = _regression(folder, payload, listed)
        frame = _table(_member(folder, "frame.parquet", listed))
        descriptors = _table(_member(folder, "descriptors.parquet", listed))
        loaded = _models(folder, payload, listed, frame, descriptors, load=models)
        return Study(config=StudyConfig.from_dict(payload["config"]), frame=frame, descriptors=descriptors,
                     data_card=DataCard.from_dict(payload["data_card"]), evaluations=evaluations, schemes=schemes,
                     models=loaded,
                     explanations=explanations, regression=regression, agreement=payload["agreement"],
                     nasicon=payload["nasicon"], provenance=Provenance.from_dict(payload["provenance"]),
                     structure=payload.get("structure"))
    except ExplainsseError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # a study.json edited with its hashes
        raise StudyFileError(f"{folder / 'study.json'}: missing or malformed entry ({type(exc).__name__}: "
                             f"{exc}); {_RERUN}".replace("\n", " ")) from None


def _copy_file(source: Path, target: Path) -> str:
    """Copy one regular file (never through a link) to the new file ``target``; return the copy's sha256."""
    digest = hashlib.sha256()
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise StudyIntegrityError(f"{source}: cannot be opened as a plain file ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as src, open(target, "xb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            dst.write(block)
    return digest.hexdigest()


def copy_study(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Copy the study in ``source`` to the new folder ``target``: exactly the files its manifest lists.

    The study is verified first (:func:`verify_study`); links are never followed, and each copy
    is checked against the sha256 in the manifest, so the copy is the study that was verified.

    Parameters
    ----------
    source : path-like
        A saved study folder.
    target : path-like
        A folder that does not exist yet (its parent must).

    Returns
    -------
    pathlib.Path
        ``target``.

    Raises
    ------
    StudyFileError, StudyIntegrityError
        As :func:`verify_study`.
    """
    source, target = Path(source), Path(target)
    manifest = verify_study(source)
    digests = manifest[OUTPUT_KEY][FILE_DIGESTS_KEY]
    target.mkdir()
    for name in sorted(manifest[OUTPUT_KEY]["files"]):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        actual = _copy_file(source / name, target / name)
        if name != MANIFEST and actual != digests[name]:
            raise StudyIntegrityError(f"{source / name}: sha256 does not match {MANIFEST} (changed while it "
                                      "was copied)")
    try:
        same = read_manifest(target) == manifest
    except OutputFolderError:
        same = False
    if not same:
        raise StudyIntegrityError(f"{source / MANIFEST}: changed while the study was copied")
    return target


__all__ = ["Study", "StudyFileError", "StudyIntegrityError", "copy_study", "load_study", "verify_study",
           "write_study"]
