"""SHAP explanations: additivity per family, tree cross-check, table helpers, groups, domain, CLI."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from explainsse.cli import app
from explainsse.explain import ExplanationTable, explain, model_output
from explainsse.explain.agreement import cross_family_agreement
from explainsse.explain.correlation import correlated_groups, merge_near_copies
from explainsse.explain.domain import ApplicabilityDomain
from explainsse.featurize import featurize_dataset
from explainsse.models import make_model, make_target
from explainsse.models.train import TrainedModel

FAMILY_TASKS = [("logreg", "classification"), ("pls", "regression"), ("pls", "classification"),
                ("xgb", "regression"), ("xgb", "classification")]


@pytest.fixture(scope="module")
def obelix_X(obelix):
    return obelix.frame, featurize_dataset(obelix, "crystal-v1", cache=False).X


def fit(frame, X, family, task, **params):
    pipe = make_model(family, task, **params).fit(X, make_target(frame, task))
    return TrainedModel(pipe, family, task, "crystal-v1", list(X.columns))


@pytest.mark.integration
@pytest.mark.parametrize("family, task", FAMILY_TASKS)
def test_additivity_on_obelix(obelix_X, family, task):
    frame, X = obelix_X
    model = fit(frame, X, family, task, **({"n_estimators": 100} if family == "xgb" else {}))
    table = explain(model, X, X, ids=frame["id"], formulas=frame["formula"])
    assert len(table.to_long()) == len(X) * X.shape[1] and table.values.shape == X.shape
    tol = 1e-4 if family == "xgb" else 1e-9
    assert_allclose(table.output().to_numpy(), model_output(model.pipeline, family, task, X), atol=tol)
    if family != "xgb":
        # exact linear SHAP: background-mean contributions are zero on average
        assert_allclose(table.matrix().mean().to_numpy(), 0, atol=1e-9)


@pytest.mark.integration
def test_tree_shap_matches_xgboost_pred_contribs(obelix_X):
    import xgboost as xgb

    frame, X = obelix_X
    model = fit(frame, X, "xgb", "regression", n_estimators=100)
    table = explain(model, X, X)
    assert table.method.startswith("shap.TreeExplainer") and not table.notes
    Z = model.pipeline[:-1].transform(X).astype(np.float32)
    native = model.pipeline[-1].get_booster().predict(xgb.DMatrix(Z), pred_contribs=True)
    assert_allclose(table.matrix().to_numpy(), native[:, :-1], atol=1e-4)


@pytest.mark.integration
def test_censoring_aware_model_is_explained_in_log10_units(obelix_X):
    from explainsse.models.censored import encode_censored

    frame, X = obelix_X
    pipe = make_model("xgb", "regression", censoring="aft", n_estimators=60).fit(X, encode_censored(frame))
    model = TrainedModel(pipe, "xgb", "regression", "crystal-v1", list(X.columns), censoring="aft")
    table = explain(model, X.iloc[:50])
    assert "pred_contribs" in table.method and "AFT" in table.notes[0]
    assert_allclose(table.output().to_numpy(), model.predict(X.iloc[:50]), atol=1e-4)


def toy_table():
    X = pd.DataFrame({"up": [1.0, 2, 3, 4], "down": [4.0, 3, 2, 1], "flat": [1.0, 1, 1, 1]})
    shap_values = np.column_stack([X["up"] - 2.5, (X["down"] - 2.5) * -0.5, np.zeros(4)])
    return ExplanationTable.from_arrays(shap_values, X, -5.0, family="pls", task="regression",
                                        ids=list("abcd"), formulas=list("ABCD"))


def test_table_helpers():
    t = toy_table()
    imp = t.global_importance()
    assert imp.index.tolist() == ["up", "down", "flat"] and imp["rank"].tolist() == [1, 2, 3]
    assert_allclose(imp["share"].sum(), 1)
    assert t.top(1) == ["up"]
    d = t.directions(["up", "down", "flat"]).set_index("descriptor")
    assert d.loc["up", "direction"] == 1 and d.loc["down", "direction"] == -1 and d.loc["flat", "direction"] == 0
    assert d.loc["up", "sentence"] == "higher up -> higher predicted conductivity"
    assert t.sample("b")["descriptor"].iloc[0] in ("up", "down")
    up, down = np.array([1.0, 2, 3, 4]), np.array([4.0, 3, 2, 1])
    assert_allclose(t.output().to_numpy(), -5 + (up - 2.5) - 0.5 * (down - 2.5))
    g = t.grouped({"pair": ["up", "down"]})
    assert set(g.feature_names) == {"pair", "flat"}
    assert_allclose(g.output().to_numpy(), t.output().to_numpy())


def test_correlated_groups():
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    X = pd.DataFrame({"a": a, "a_copy": a * 3 + 1, "a_rank": np.exp(a), "b": rng.normal(size=200),
                      "const": 1.0})
    groups = correlated_groups(X, 0.9, importance=pd.Series({"a_rank": 5.0, "a": 1.0}))
    assert list(groups) == ["a_rank (+2 correlated)"]
    assert sorted(groups["a_rank (+2 correlated)"]) == ["a", "a_copy", "a_rank"]
    assert correlated_groups(X, 1.0) != {} and correlated_groups(X[["b", "const"]]) == {}
    with pytest.raises(ValueError, match="threshold"):
        correlated_groups(X, 0)


def test_merge_near_copies_keeps_one_place_per_group_and_every_descriptor():
    imp = pd.Series({"a": 0.40, "a2": 0.35, "b": 0.30, "a3": 0.05, "c": 0.01})
    merged = merge_near_copies(imp, {"a (+2 correlated)": ["a3", "a", "a2"]})
    assert list(merged.index) == ["a", "b", "c"]
    assert merged.at["a", "importance"] == 0.40 and merged.at["a", "near_copies"] == ["a2", "a3"]
    listed = [d for lead, copies in merged["near_copies"].items() for d in (lead, *copies)]
    assert sorted(listed) == sorted(imp.index)  # nothing lost
    assert merge_near_copies(pd.Series(dtype=float), {}).empty


def test_agreement():
    t = toy_table()
    flipped = dataclasses.replace(t, values=-t.values, family="xgb")
    same = cross_family_agreement({"pls": t, "pls2": t}, top_k=2)
    assert same["rank_correlation"]["pls"]["pls2"] == pytest.approx(1.0) and same["direction_agreement"] == 1
    assert cross_family_agreement({"pls": t, "xgb": flipped}, top_k=2)["direction_agreement"] == 0


def test_applicability_domain():
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    dom = ApplicabilityDomain(train)
    out = dom.assess(pd.DataFrame([[0, 0, 0, 0], [25, -25, 25, 25], [np.nan, 0, 0, 0]], columns=list("abcd")))
    assert out["inside"].tolist() == [True, False, True]
    assert out["percentile"].iloc[1] == 100
    # a material without Li is outside however close it is (a Li-conductor model's domain)
    no_li = dom.assess(pd.DataFrame([[0, 0, 0, 0], [0, 0, 0, 0]], columns=list("abcd")), has_li=[True, False])
    assert no_li["inside"].tolist() == [True, False] and no_li["percentile"].iloc[0] == no_li["percentile"].iloc[1]


@pytest.mark.integration
def test_cli_explain_and_importance(shared_data, tmp_path):
    runner = CliRunner()
    model_dir = tmp_path / "m"
    r = runner.invoke(app, ["train", "--dataset", "obelix", "--family", "pls", "--task", "regression",
                            "--preset", "composition-v1", "-o", str(model_dir), "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["explain", "--model", str(model_dir), "Li7La3Zr2O12", "Li3InCl6", "Cs2PuO3",
                            "--json", "-"])
    assert r.exit_code == 0, r.output
    j = json.loads(r.stdout)
    mats = {m["formula"]: m for m in j["materials"]}
    llzo = mats["Li7La3Zr2O12"]
    assert llzo["domain"]["inside"] and llzo["measured_in_training"] is not None  # LLZO is in the training split
    assert [w for w in llzo["warnings"] if "in the training data" not in w] == []
    assert any("Pu" in w for w in mats["Cs2PuO3"]["warnings"])
    assert not mats["Cs2PuO3"]["domain"]["inside"]
    for m in mats.values():
        assert m["model_output"] == pytest.approx(m["prediction"], abs=1e-9)
        assert len(m["top_descriptors"]) == 5 and m["top_descriptors"][0]["unit"]
    r = runner.invoke(app, ["explain", "--model", str(model_dir), "Li7Qq3"])
    assert r.exit_code == 2 and "unknown element" in r.stderr
    out = tmp_path / "imp.json"
    r = runner.invoke(app, ["importance", "--dataset", "obelix", "--family", "pls", "--task", "regression",
                            "--preset", "composition-v1", "--n-bootstrap", "2", "--json", str(out), "-q"])
    assert r.exit_code == 0, r.output
    j = json.loads(out.read_text())["families"]["pls"]
    assert {"rank_stability", "top_k_jaccard", "unstable"} <= set(j["stability"])
    assert j["groups"] and j["importance"][0]["meaning"]
    assert j["importance"][0]["ci_low"] <= j["importance"][0]["mean_abs_shap"] * 1.5


@pytest.mark.integration
def test_native_views(obelix_X):
    from explainsse.explain.native import logreg_odds_ratios, pls_views, xgb_gain, xgb_interactions

    frame, X = obelix_X
    y = make_target(frame, "classification")
    m = fit(frame, X, "logreg", "classification", C=0.1)
    odds = logreg_odds_ratios(m, X, y, n_bootstrap=3)
    assert_allclose(odds["odds_ratio_per_sd"], np.exp(odds["coef_per_sd"]))
    assert (odds["or_ci_low"] <= odds["or_ci_high"]).all() and odds["n_bootstrap"].iloc[0] == 3
    for task in ("regression", "classification"):
        views = pls_views(fit(frame, X, "pls", task, n_components=3), X)
        assert_allclose((views["vip"] ** 2).mean(), 1.0)  # VIP's defining normalization
        assert views["scores"].shape == (len(X), 3) and views["loadings"].shape == (X.shape[1], 3)
    xm = fit(frame, X, "xgb", "regression", n_estimators=30)
    gain = xgb_gain(xm)
    assert gain.index.isin(X.columns).all() and gain.iloc[0] > 0
    inter = xgb_interactions(xm, X, top=4, max_rows=10)
    assert inter["computed_on_rows"] == 10 and len(inter["pairs"]) == 6 and "10 rows" in inter["note"]


@pytest.mark.integration
def test_large_inputs_use_the_native_tree_path(obelix_X, monkeypatch):
    import explainsse.explain.explainers as ex

    frame, X = obelix_X
    monkeypatch.setattr(ex, "NATIVE_PATH_ROWS", 100)
    monkeypatch.setattr(ex, "CROSS_CHECK_ROWS", 50)
    model = fit(frame, X, "xgb", "classification", n_estimators=30)
    table = explain(model, X)
    assert "fast native path for 599 rows" in table.method and "agrees on 50 rows" in table.method
    assert_allclose(table.output().to_numpy(), model_output(model.pipeline, "xgb", "classification", X),
                    atol=1e-4)


@pytest.mark.slow
def test_bundled_model_works_offline_without_data(tmp_path):
    """`explainsse explain "Li7La3Zr2O12"` on a machine with no dataset at all."""
    import subprocess
    import sys
    from pathlib import Path

    from explainsse.models.bundled import bundled_model_dir
    from explainsse.models.persistence import load_model

    bundle = bundled_model_dir()
    assert (bundle / "MODEL_CARD.md").is_file()
    assert sum(p.stat().st_size for p in bundle.iterdir()) < 5 * 1024**2
    model = load_model(bundle)
    assert model.preset == "physical-v1" and model.dataset["n_train"] == 478
    exe = Path(sys.executable).with_name("explainsse")
    env = {"PATH": "", "HOME": str(tmp_path), "EXPLAINSSE_DATA_DIR": str(tmp_path / "no-data"),
           "EXPLAINSSE_CACHE_DIR": str(tmp_path / "cache"), "HTTPS_PROXY": "http://127.0.0.1:9"}
    p = subprocess.run([str(exe), "explain", "Li7La3Zr2O12", "--json", "-"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    m = json.loads(p.stdout)["materials"][0]
    assert -8 < m["prediction"] < -1 and m["domain"]["inside"]
    assert not (tmp_path / "no-data").exists()


def test_explain_json_has_intervals_neighbours_and_the_measured_value(tmp_path):
    out = tmp_path / "p.json"
    r = CliRunner().invoke(app, ["explain", "--model", "default", "Li3InCl6", "Li10GeP2S12", "--json", str(out)])
    assert r.exit_code == 0, r.output
    mats = {m["formula"]: m for m in json.loads(out.read_text())["materials"]}
    for m in mats.values():
        iv = m["interval"]
        assert iv["level"] == 0.9 and iv["lower"] < m["prediction"] < iv["upper"]
        assert sorted(o["level"] for o in m["intervals"]) == [0.8, 0.95]
        wide = {o["level"]: o["upper"] - o["lower"] for o in m["intervals"]}
        assert wide[0.8] < iv["upper"] - iv["lower"] < wide[0.95]
        assert len(m["neighbours"]) == 3
        assert all(set(n) >= {"id", "formula", "measured", "distance", "doi"} for n in m["neighbours"])
        assert [n["distance"] for n in m["neighbours"]] == sorted(n["distance"] for n in m["neighbours"])
    lgps, lic = mats["Li10GeP2S12"], mats["Li3InCl6"]
    assert lgps["measured_in_training"] == pytest.approx(-1.92, abs=0.05)  # LGPS is in OBELiX's training split
    assert lic["measured_in_training"] is None
    assert any("in the training data" in w for w in lgps["warnings"])


def test_explain_classifier_json_has_calibrated_probability_and_prediction_set():
    r = CliRunner().invoke(app, ["explain", "--model", "nasicon-default", "Li1.3Al0.3Ti1.7(PO4)3", "--json", "-"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)["materials"][0]
    assert 0 <= m["interval"]["lower"] <= m["probability"] <= m["interval"]["upper"] <= 1
    assert set(m["prediction_set"]) <= {"superionic", "not superionic"} and m["prediction_set"]


def test_explain_censored_training_match_and_calibrated_classifier():
    """An upper bound in the training data is said as a bound; a classifier's prediction is its calibrated
    probability, inside its Venn-Abers pair, and the model's verdict comes from its card."""
    runner = CliRunner()
    r = runner.invoke(app, ["explain", "--model", "default", "Li4P2O7", "--json", "-"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)["materials"][0]
    assert m["measured_in_training_censored"] is True and m["measured_in_training"] == pytest.approx(-10.0)
    text = runner.invoke(app, ["explain", "--model", "default", "Li4P2O7"]).stdout
    assert "only an upper bound" in text and "use the measurement" not in text
    r = runner.invoke(app, ["explain", "--model", "nasicon-default", "Li1.3Al0.3Ti1.7(PO4)3", "--json", "-"])
    j = json.loads(r.stdout)
    m = j["materials"][0]
    assert m["prediction"] == pytest.approx(m["probability"])
    assert m["interval"]["lower"] <= m["prediction"] <= m["interval"]["upper"] and m["interval"]["kind"] == "Venn-Abers"
    assert j["validation"]["verdict"]["verdict"] in ("skill", "weak", "no skill")
    assert "cluster-out" in j["validation"]["verdict"]["verdict_reason"]
