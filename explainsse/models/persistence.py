"""Safe model persistence: XGBoost JSON / skops files plus a manifest; pickle is never loaded.

Layout of a model directory::

    manifest.json       what the model is, versions, preset, feature names, data sha256, metrics,
                        the sha256 of each file below, and the sha256 of its own content
                        (``manifest_sha256``: editing ``task`` or ``threshold_S_cm`` by hand is
                        detected, the model refused)
    preprocess.skops    imputer [, scaler, clipper] (skops, loaded with an explicit allow-list)
    model.json          XGBoost's own JSON format (family xgb), or
    model.skops         the linear estimator (families logreg, pls)
    train_descriptors.parquet, train_rows.parquet
                        training descriptors and ids/formulas (background for explanations,
                        applicability domain), when the model was trained by ``train_model``
"""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from pathlib import Path

from sklearn.pipeline import Pipeline

from ..errors import ExplainsseError
from ..io import (
    OutputFolderError,
    output_directory,
    package_versions,
    read_manifest,
    sha256_file,
    write_manifest,
)
from .families import get_family
from .train import TrainedModel

FORMAT = "explainsse-model"
FORMAT_VERSION = 1
VERSIONED = ("explainsse", "scikit-learn", "xgboost", "numpy", "matminer", "pymatgen", "skops")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pck", ".dill")

#: The only types skops may rebuild when loading (everything else is refused).
TRUSTED_TYPES = [
    "explainsse.featurize.nasicon_lattice.NasiconLatticeEstimator",
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


class ModelFileError(ExplainsseError):
    """A model directory that is unsafe, incomplete or tampered with."""


def _versions() -> dict[str, str]:
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
    import skops.io as sio

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
            from ..io import write_parquet

            write_parquet(model.train_X.reset_index(drop=True), tmp / "train_descriptors.parquet")
            data_files.append("train_descriptors.parquet")
            if model.train_meta is not None:
                write_parquet(model.train_meta.astype(str), tmp / "train_rows.parquet")
                data_files.append("train_rows.parquet")
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
            "versions": _versions(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "model_file": model_file,
            "files": {name: sha256_file(tmp / name)
                      for name in ("preprocess.skops", model_file, *data_files)},
        }
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        write_manifest(tmp, manifest, kind="model")
    return directory


def _load_skops(path: Path, extra_trusted=()):
    """Load a skops file, refusing any type outside :data:`TRUSTED_TYPES` (+ the family's own)."""
    import skops.io as sio

    trusted = set(TRUSTED_TYPES) | set(extra_trusted)
    untrusted = sio.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - trusted)
    if unexpected:
        raise ModelFileError(f"{path}: refusing to load types outside the allow-list: {unexpected}")
    return sio.load(path, trusted=[t for t in untrusted if t in trusted])


def load_model(directory: str | os.PathLike) -> TrainedModel:
    """Load a model written by :func:`save_model`.

    Refuses pickle-like files, a manifest that is not valid or does not match the files
    (sha256), and skops content outside :data:`TRUSTED_TYPES`. Warns when library versions
    differ from those that saved the model.
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
    allowed = {"preprocess.skops", model_file, "train_descriptors.parquet", "train_rows.parquet"}
    if not {"preprocess.skops", model_file} <= set(manifest["files"]) <= allowed or "/" in model_file:
        raise ModelFileError(f"{directory}/manifest.json lists unexpected files {sorted(manifest['files'])}")
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise ModelFileError(f"{path}: missing")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelFileError(f"{path}: sha256 {actual} does not match the manifest ({expected}); "
                                 "the model directory was modified")
    saved = manifest.get("versions", {})
    now = _versions()
    differ = {k: (saved[k], now[k]) for k in saved if k in now and saved[k] != now[k]}
    if differ:
        warnings.warn(f"{directory}: saved with other library versions {differ}; predictions may differ",
                      UserWarning, stacklevel=2)
    pre = _load_skops(directory / "preprocess.skops")
    censoring = manifest.get("censoring", "floor")
    family = get_family(manifest["family"])
    if family.persistence == "xgboost-json" and censoring == "aft":
        import xgboost as xgb

        from .censored import XGBAFTRegressor

        aft = manifest["aft"]
        estimator = XGBAFTRegressor(**aft["params"])
        estimator.booster_ = xgb.Booster(model_file=str(directory / model_file))
        estimator.base_margin_ = float(aft["base_margin"])
        estimator.n_features_in_ = int(aft["n_features_in"])
        if aft.get("feature_names_in"):
            import numpy as np

            estimator.feature_names_in_ = np.asarray(aft["feature_names_in"], dtype=object)
    elif family.persistence == "xgboost-json":
        import xgboost as xgb

        cls = xgb.XGBRegressor if manifest["task"] == "regression" else xgb.XGBClassifier
        estimator = cls()
        estimator.load_model(directory / model_file)
    else:
        estimator = _load_skops(directory / model_file, family.trusted_types)
    pipeline = Pipeline([*pre.steps, ("model", estimator)])
    train_X = train_meta = None
    if "train_descriptors.parquet" in manifest["files"]:
        from ..io import read_parquet

        train_X = read_parquet(directory / "train_descriptors.parquet")
        if "train_rows.parquet" in manifest["files"]:
            train_meta = read_parquet(directory / "train_rows.parquet")
    return TrainedModel(pipeline, manifest["family"], manifest["task"], manifest["preset"],
                        list(manifest["feature_names"]), float(manifest.get("threshold_S_cm", 1e-4)),
                        manifest.get("params", {}), manifest.get("metrics", {}),
                        manifest.get("dataset", {}), int(manifest.get("random_state", 0)), censoring,
                        train_X, train_meta)
