"""Safe persistence: exact round trips, pickles and tampering refused, column checks."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from explainsse.errors import InputDataError
from explainsse.io import OutputFolderError
from explainsse.models import make_model
from explainsse.models.persistence import ModelFileError, load_model, save_model
from explainsse.models.train import TrainedModel


def toy(task):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 5)), columns=[f"desc {i}" for i in range(5)])
    X.iloc[3, 2] = np.nan
    y = X["desc 0"] * 1.5 - X["desc 1"] + rng.normal(scale=0.2, size=80) - 4
    return X, (y if task == "regression" else (y > -4).astype(int))


def fitted(family, task):
    X, y = toy(task)
    pipe = make_model(family, task, n_components=2) if family == "pls" else make_model(family, task)
    pipe.fit(X, y)
    return TrainedModel(pipe, family, task, "composition-v1", list(X.columns), 1e-4, {"k": 1},
                        {"selection_metric": "mae"}, {"name": "toy"}, 0), X


@pytest.mark.parametrize("family, task", [("xgb", "regression"), ("xgb", "classification"),
                                          ("pls", "regression"), ("pls", "classification"),
                                          ("logreg", "classification")])
def test_round_trip_predicts_identically(tmp_path, family, task):
    model, X = fitted(family, task)
    directory = save_model(model, tmp_path / "m")
    names = sorted(p.name for p in directory.iterdir())
    assert "manifest.json" in names and not any(n.endswith((".pkl", ".joblib")) for n in names)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["feature_names"] == list(X.columns) and manifest["preset"] == "composition-v1"
    assert {"explainsse", "scikit-learn", "xgboost"} <= set(manifest["versions"])
    loaded = load_model(directory)
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert (loaded.family, loaded.task, loaded.threshold) == (family, task, 1e-4)


def test_existing_directory_needs_overwrite(tmp_path):
    model, _ = fitted("pls", "regression")
    save_model(model, tmp_path / "m")
    with pytest.raises(OutputFolderError, match="not empty"):
        save_model(model, tmp_path / "m")
    save_model(model, tmp_path / "m", overwrite=True)
    (tmp_path / "m" / "notes.txt").write_text("mine")  # a user's file: overwrite refuses, keeps it
    with pytest.raises(OutputFolderError, match="did not write"):
        save_model(model, tmp_path / "m", overwrite=True)
    assert (tmp_path / "m" / "notes.txt").read_text() == "mine"


def test_pickle_in_directory_is_refused(tmp_path):
    model, _ = fitted("pls", "regression")
    directory = save_model(model, tmp_path / "m")
    (directory / "model.pkl").write_bytes(pickle.dumps({"evil": True}))
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(directory)


def resigned(manifest: dict) -> dict:
    """The manifest with its content digest recomputed, as a deliberate tamperer would."""
    from explainsse.io import sha256_json

    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return {**body, "manifest_sha256": sha256_json(body)}


def test_tampering_is_detected(tmp_path):
    model, _ = fitted("xgb", "regression")
    directory = save_model(model, tmp_path / "m")
    with open(directory / "model.json", "a") as fh:
        fh.write(" ")
    with pytest.raises(ModelFileError, match="does not match the manifest"):
        load_model(directory)
    directory = save_model(model, tmp_path / "m2")
    (directory / "manifest.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not readable JSON"):
        load_model(directory)
    directory = save_model(model, tmp_path / "m3")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"]["../outside.json"] = "0" * 64
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="manifest was edited"):
        load_model(directory)
    (directory / "manifest.json").write_text(json.dumps(resigned(manifest)))  # edited with intent
    with pytest.raises(ModelFileError, match="unexpected files"):
        load_model(directory)


def test_untrusted_skops_types_are_refused(tmp_path):
    import skops.io as sio
    from sklearn.ensemble import RandomForestRegressor

    from explainsse.datasets import sha256_file

    model, X = fitted("pls", "regression")
    directory = save_model(model, tmp_path / "m")
    _, y = toy("regression")
    sio.dump(RandomForestRegressor(n_estimators=2).fit(X.fillna(0), y), directory / "model.skops")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"]["model.skops"] = sha256_file(directory / "model.skops")
    (directory / "manifest.json").write_text(json.dumps(resigned(manifest)))
    with pytest.raises(ModelFileError, match="allow-list"):
        load_model(directory)


def test_missing_and_extra_columns_are_named(tmp_path):
    model, X = fitted("pls", "regression")
    with pytest.raises(InputDataError, match=r"missing: \['desc 3'\]"):
        model.predict(X.drop(columns=["desc 3"]))
    with pytest.warns(UserWarning, match="not trained on: \\['extra'\\]"):
        out = model.predict(X.assign(extra=1.0)[["extra", *reversed(X.columns)]])
    assert_allclose(out, model.predict(X), rtol=1e-12)  # same values; memory layout may differ


@pytest.mark.parametrize("name", ["default", "nasicon-default"])
def test_types_skops_trusts_by_default_are_refused(tmp_path, name):
    """The red-team attack: a FunctionTransformer(np.negative) step in preprocess.skops, hashes recomputed.

    skops itself loads it (it trusts scikit-learn transformers and numpy ufuncs by default), and
    the negated descriptors change the predictions; explainsse refuses the file, naming the types.
    """
    import shutil

    import skops.io as sio
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from explainsse.io import sha256_file
    from explainsse.models.bundled import resolve_model_dir

    directory = shutil.copytree(resolve_model_dir(name), tmp_path / name)
    genuine = load_model(directory)
    pre_path = directory / "preprocess.skops"
    pre = sio.load(pre_path, trusted=sio.get_untrusted_types(file=pre_path))
    tampered = Pipeline([("negate", FunctionTransformer(np.negative)), *pre.steps])
    sio.dump(tampered, pre_path)
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"]["preprocess.skops"] = sha256_file(pre_path)
    (directory / "manifest.json").write_text(json.dumps(resigned(manifest)))
    # the attack is real: skops alone trusts every type in the file, and the predictions move
    flagged = sio.get_untrusted_types(file=pre_path)
    assert not {"numpy.negative", "sklearn.preprocessing._function_transformer.FunctionTransformer"} & set(flagged)
    rebuilt = sio.load(pre_path, trusted=flagged)  # what the old code passed: the listed types only
    X = genuine.train_X.head(5)
    attacked = Pipeline([*rebuilt.steps, ("model", genuine.pipeline.steps[-1][1])])
    method = "decision_function" if hasattr(genuine.pipeline, "decision_function") else "predict"
    assert not np.allclose(getattr(attacked, method)(X), getattr(genuine.pipeline, method)(X))
    with pytest.raises(ModelFileError) as info:
        load_model(directory)
    message = str(info.value)
    assert message.startswith(f"{pre_path}: refusing to load types outside the allow-list")
    assert "sklearn.preprocessing._function_transformer.FunctionTransformer" in message
    assert "numpy.negative" in message


def test_a_skops_file_that_is_not_a_zip_is_refused(tmp_path):
    from explainsse.datasets import sha256_file

    model, _ = fitted("pls", "regression")
    directory = save_model(model, tmp_path / "m")
    (directory / "model.skops").write_bytes(b"not a zip archive")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"]["model.skops"] = sha256_file(directory / "model.skops")
    (directory / "manifest.json").write_text(json.dumps(resigned(manifest)))
    with pytest.raises(ModelFileError, match=r"model\.skops: not a readable skops file"):
        load_model(directory)


def test_a_symlinked_model_file_is_refused(tmp_path):
    model, _ = fitted("pls", "regression")
    directory = save_model(model, tmp_path / "m")
    real = tmp_path / "elsewhere.skops"
    (directory / "model.skops").rename(real)
    (directory / "model.skops").symlink_to(real)
    with pytest.raises(ModelFileError, match=r"model\.skops: is a symbolic link"):
        load_model(directory)


@pytest.mark.parametrize("name,schemes", [
    ("default", ["random-kfold", "group-doi", "group-chemsys", "cluster-out"]),
    ("nasicon-default", ["random-kfold", "group-doi", "leave-dopant-out", "cluster-out"]),
])
def test_bundled_model_cards_list_every_cv_scheme(name, schemes):
    """The bundled models' cards score their hyperparameters under every scheme, with intervals."""
    from explainsse.models.bundled import resolve_model_dir
    from explainsse.models.persistence import load_model

    directory = resolve_model_dir(name)
    model = load_model(directory)
    rows = model.metrics["cv_schemes"]
    assert [r["scheme"] for r in rows] == schemes
    card = (directory / "MODEL_CARD.md").read_text()
    for r in rows:
        assert r["ci_low"] <= r["value"] <= r["ci_high"]
        assert f"{r['scheme']} (" in card and f"{r['metric'].upper()} {r['value']:.2f}" in card
    assert model.calibration is not None and "Uncertainty:" in card
