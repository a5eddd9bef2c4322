"""Safe model persistence: XGBoost JSON / skops files plus a manifest; pickle is never loaded.

Layout of a model directory::

    manifest.json       what the model is, versions, preset, feature names, data sha256, metrics,
                        the sha256 of each file below, and the sha256 of its own content
                        (``manifest_sha256``: editing ``task`` or ``threshold_S_cm`` by hand is
                        detected, the model refused)
    preprocess.skops    imputer [, scaler, clipper] (skops, loaded with an exact allow-list: any
                        other type is refused, also those skops trusts by default)
    model.json          XGBoost's own JSON format (family xgb), or
    model.skops         the linear estimator (families logreg, pls)
    train_descriptors.parquet, train_rows.parquet
                        training descriptors and ids/formulas/measured sigma/DOIs (background
                        for explanations, applicability domain, nearest training materials),
                        when the model was trained by ``train_model``
    calibration.json    conformal calibration (:mod:`explainsse.models.uncertainty`), when the
                        model was calibrated: intervals and prediction sets need no data
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from .._config import DEFAULT_THRESHOLD_S_CM
from ..errors import ExplainsseError
from ..io import (
    OutputFolderError,
    output_directory,
    package_versions,
    read_manifest,
    read_parquet,
    sha256_file,
    write_manifest,
    write_parquet,
)
from .censored import XGBAFTRegressor
from .families import get_family
from .train import TrainedModel
from .uncertainty import Calibration

#: The calibration file of a model directory (JSON; hashed in the manifest like the others).
CALIBRATION_FILE = "calibration.json"

FORMAT = "explainsse-model"
FORMAT_VERSION = 1
VERSIONED = ("explainsse", "scikit-learn", "xgboost", "numpy", "matminer", "pymatgen", "skops")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pck", ".dill")

#: The only types skops may rebuild when loading (everything else is refused).
TRUSTED_TYPES = [
    "explainsse.featurize.nasicon_lattice.NasiconLatticeEstimator",
    "explainsse.models.estimators.Clipper",
    "explainsse.models.estimators.PLSDAClassifier",
    "explainsse.models.estimators.PLSRegressor",
    # the same classes under the module path of model files saved before they moved
    "explainsse.models.factory.Clipper",
    "explainsse.models.factory.PLSDAClassifier",
    "explainsse.models.factory.PLSRegressor",
    "sklearn.cross_decomposition._pls.PLSRegression",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "numpy.dtype",
    "numpy.ndarray",
    "builtins.slice",
]

#: The plain data skops writes around those estimators (containers, JSON values, array scalars).
#: Functions, ufuncs and any other type are refused, also those skops itself trusts by default.
DATA_TYPES = [
    "builtins.bool", "builtins.dict", "builtins.float", "builtins.int", "builtins.list", "builtins.NoneType",
    "builtins.str", "builtins.tuple",
    "numpy.bool", "numpy.bool_", "numpy.float32", "numpy.float64", "numpy.int32", "numpy.int64",
    "numpy.intc", "numpy.str_",
]

#: The skops node kinds that rebuild data or an allowed class; those that rebuild a function,
#: method or ``functools.partial`` (``FunctionNode``, ``MethodNode``, ``PartialNode``, ...) are refused.
SKOPS_NODES = ("CachedNode", "DictNode", "DTypeNode", "JsonNode", "ListNode", "NdArrayNode", "ObjectNode",
               "TupleNode", "TypeNode")


class ModelFileError(ExplainsseError):
    """A model directory that is unsafe, incomplete or tampered with."""


def recorded_versions() -> dict[str, str]:
    """Versions of the packages (:data:`VERSIONED`) recorded in model, study and report manifests."""
    return package_versions(VERSIONED)


def save_model(model: TrainedModel, directory: str | os.PathLike, *, overwrite: bool = False,
               inputs=(), extra_files: dict[str, str] | None = None, training_data: bool = True) -> Path:
    """Write ``model`` to ``directory`` (created; written in a temporary folder, then renamed).

    Parameters
    ----------
    model : TrainedModel
    directory : path-like
    overwrite : bool
        Replace an existing folder; only an earlier, unmodified explainsse output folder is
        replaced (see :func:`explainsse.io.check_output_target`).
    inputs : iterable of path-like
        Input files of the run (a folder holding one is never replaced).
    training_data : bool, default True
        Also write the training descriptors and rows (background for explanations, applicability
        domain); a study leaves them out, as it holds the descriptors already.
    extra_files : dict, optional
        Text files written beside the model (e.g. ``MODEL_CARD.md``).

    Raises
    ------
    OutputFolderError
        When ``directory`` is refused (exists and is not empty without ``overwrite``, etc.).
    """
    import skops.io as sio  # heavy: skops loads only when a model file is read or written

    directory = Path(directory)
    with output_directory(directory, force=overwrite, inputs=inputs) as tmp:
        pre = Pipeline(model.pipeline.steps[:-1])
        sio.dump(pre, tmp / "preprocess.skops")
        estimator = model.pipeline.steps[-1][1]
        extra = {}
        if get_family(model.family).persistence == "xgboost-json":
            if model.censoring == "aft":  # XGBAFTRegressor: the booster plus its base margin
                estimator.booster_.save_model(tmp / "model.json")
                extra = {"aft": {"base_margin": estimator.base_margin_,
                                 "params": estimator.get_params(),
                                 "n_features_in": int(estimator.n_features_in_),
                                 "feature_names_in": [str(c) for c in
                                                      getattr(estimator, "feature_names_in_", [])]}}
            else:
                estimator.save_model(tmp / "model.json")
            model_file = "model.json"
        else:
            sio.dump(estimator, tmp / "model.skops")
            model_file = "model.skops"
        data_files = []
        if model.train_X is not None and training_data:
            write_parquet(model.train_X.reset_index(drop=True), tmp / "train_descriptors.parquet")
            data_files.append("train_descriptors.parquet")
            if model.train_meta is not None:
                write_parquet(model.train_meta.astype(str), tmp / "train_rows.parquet")
                data_files.append("train_rows.parquet")
        if getattr(model, "calibration", None) is not None:
            (tmp / CALIBRATION_FILE).write_text(json.dumps(model.calibration.to_dict()), encoding="utf-8")
            data_files.append(CALIBRATION_FILE)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "family": model.family,
            "task": model.task,
            "threshold_S_cm": model.threshold,
            "preset": model.preset,
            "feature_names": model.feature_names,
            "params": model.params,
            "metrics": model.metrics,
            "dataset": model.dataset,
            "random_state": model.random_state,
            "censoring": model.censoring,
            **extra,
            "versions": recorded_versions(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "model_file": model_file,
            "files": {name: sha256_file(tmp / name)
                      for name in ("preprocess.skops", model_file, *data_files)},
        }
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        write_manifest(tmp, manifest, kind="model")
    return directory


def _skops_nodes(path: Path) -> list[tuple[str, str]]:
    """``(type, node kind)`` of every node in a skops file's schema, as skops reads it.

    A skops file is a zip archive whose ``schema.json`` describes every object to rebuild as a
    node ``{"__module__", "__class__", "__loader__", "content", ...}``; all of them are collected,
    wherever they are nested.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: not a readable skops file ({exc})") from None
    nodes, stack = [], [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item or "__class__" in item:
                nodes.append((f"{item.get('__module__')}.{item.get('__class__')}", str(item.get("__loader__"))))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return nodes


def _load_skops(path: Path, extra_trusted=(), *, family: str = ""):
    """Load a skops file holding only :data:`TRUSTED_TYPES`, the family's own types and :data:`DATA_TYPES`.

    skops trusts every scikit-learn estimator and numpy ufunc it considers safe whatever list
    it is given (``skops.io.load(..., trusted=...)`` only adds to its defaults), so the file's
    schema is read first and any other type, or any node that rebuilds a function, is refused.

    Parameters
    ----------
    path : pathlib.Path
    extra_trusted : iterable of str
        The family's own types (:attr:`~explainsse.models.families.Family.trusted_types`).
    family : str
        Named in the error.

    Raises
    ------
    ModelFileError
        Naming the file and the refused types.
    """
    import skops.io as sio  # heavy: skops loads only when a model file is read or written

    allowed = set(TRUSTED_TYPES) | set(extra_trusted) | set(DATA_TYPES)
    nodes = _skops_nodes(path)
    refused = {t for t, kind in nodes if t not in allowed}
    refused |= {f"{t} ({kind})" for t, kind in nodes if t in allowed and kind not in SKOPS_NODES}
    try:
        refused |= set(sio.get_untrusted_types(file=path)) - allowed  # skops' own view, as a second check
    except Exception as exc:  # a corrupt schema: skops raises many kinds
        raise ModelFileError(f"{path}: not a readable skops file ({type(exc).__name__}: {exc})") from None
    if refused:
        owner = f" of family {family}" if family else ""
        raise ModelFileError(f"{path}: refusing to load types outside the allow-list{owner}: {sorted(refused)}")
    try:
        return sio.load(path, trusted=sorted(allowed))  # nothing else is in the file (checked above)
    except Exception as exc:
        raise ModelFileError(f"{path}: could not be loaded by skops ({type(exc).__name__}: {exc})") from None


def load_model(directory: str | os.PathLike) -> TrainedModel:
    """Load a model written by :func:`save_model`.

    Refuses pickle-like files, a manifest that is not valid or does not match the files
    (sha256), symbolic links, and skops content outside the exact allow-list
    (:data:`TRUSTED_TYPES`, the family's ``trusted_types``, :data:`DATA_TYPES`; see
    :func:`_load_skops`). Warns when library versions differ from those that saved the model.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelFileError(f"{directory}: not a model directory")
    if not (directory / "manifest.json").is_file():  # before looking at anything else (e.g. --model /)
        raise ModelFileError(f"{directory}: not a model directory (no manifest.json)")
    pickles = sorted(p.name for p in directory.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise ModelFileError(f"{directory}: contains pickle files {pickles}; explainsse never loads "
                             "pickles (arbitrary code execution risk). Remove them.")
    try:
        manifest = read_manifest(directory)
    except OutputFolderError as exc:
        raise ModelFileError(f"{exc}; the model is not used") from exc
    required = ("format", "family", "task", "preset", "feature_names", "model_file", "files")
    if manifest.get("format") != FORMAT or any(k not in manifest for k in required):
        raise ModelFileError(f"{directory}/manifest.json is not an explainsse model manifest "
                             f"(needs keys {', '.join(required)})")
    model_file = manifest["model_file"]
    allowed = {"preprocess.skops", model_file, "train_descriptors.parquet", "train_rows.parquet", CALIBRATION_FILE}
    if not {"preprocess.skops", model_file} <= set(manifest["files"]) <= allowed or "/" in model_file:
        raise ModelFileError(f"{directory}/manifest.json lists unexpected files {sorted(manifest['files'])}")
    for name, expected in manifest["files"].items():
        path = directory / name
        if path.is_symlink():
            raise ModelFileError(f"{path}: is a symbolic link; a model directory holds none")
        if not path.is_file():
            raise ModelFileError(f"{path}: missing")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelFileError(f"{path}: sha256 {actual} does not match the manifest ({expected}); "
                                 "the model directory was modified")
    saved = manifest.get("versions", {})
    now = recorded_versions()
    differ = {k: (saved[k], now[k]) for k in saved if k in now and saved[k] != now[k]}
    if differ:
        warnings.warn(f"{directory}: saved with other library versions {differ}; predictions may differ",
                      UserWarning, stacklevel=2)
    censoring = manifest.get("censoring", "floor")
    family = get_family(manifest["family"])
    pre = _load_skops(directory / "preprocess.skops", family=family.name)  # imputer, scaler, clipper only
    if family.persistence == "xgboost-json" and censoring == "aft":
        import xgboost as xgb  # heavy: XGBoost loads only when a tree model is used


        aft = manifest["aft"]
        estimator = XGBAFTRegressor(**aft["params"])
        estimator.booster_ = xgb.Booster(model_file=str(directory / model_file))
        estimator.base_margin_ = float(aft["base_margin"])
        estimator.n_features_in_ = int(aft["n_features_in"])
        if aft.get("feature_names_in"):
            estimator.feature_names_in_ = np.asarray(aft["feature_names_in"], dtype=object)
    elif family.persistence == "xgboost-json":
        import xgboost as xgb  # heavy: XGBoost loads only when a tree model is used

        cls = xgb.XGBRegressor if manifest["task"] == "regression" else xgb.XGBClassifier
        estimator = cls()
        estimator.load_model(directory / model_file)
    else:
        estimator = _load_skops(directory / model_file, family.trusted_types, family=family.name)
    pipeline = Pipeline([*pre.steps, ("model", estimator)])
    train_X = train_meta = None
    if "train_descriptors.parquet" in manifest["files"]:
        train_X = read_parquet(directory / "train_descriptors.parquet")
        if "train_rows.parquet" in manifest["files"]:
            train_meta = read_parquet(directory / "train_rows.parquet")
    calibration = None
    if CALIBRATION_FILE in manifest["files"]:
        try:
            calibration = Calibration.from_dict(json.loads((directory / CALIBRATION_FILE).read_text(encoding="utf-8")))
        except (ValueError, TypeError, ExplainsseError) as exc:
            raise ModelFileError(f"{directory / CALIBRATION_FILE}: not a readable calibration ({exc})") from None
    return TrainedModel(pipeline, manifest["family"], manifest["task"], manifest["preset"],
                        list(manifest["feature_names"]), float(manifest.get("threshold_S_cm", DEFAULT_THRESHOLD_S_CM)),
                        manifest.get("params", {}), manifest.get("metrics", {}),
                        manifest.get("dataset", {}), int(manifest.get("random_state", 0)), censoring,
                        train_X, train_meta, calibration)
