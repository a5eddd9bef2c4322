"""NASICON validation: detector, the four protocols, the Xu 2020 reproduction, verdicts, the CLI."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from explainsse.cli import app
from explainsse.errors import InputDataError
from explainsse.models.scoring import verdict
from explainsse.validation import detect_formula, detector_agreement, validate_nasicon, validation_descriptors
from explainsse.validation.nasicon import alkali_domain, label_permutation_test

from ..conftest import DATA

XU_FEATURES = ["a", "c", "h", "d", "D1ionicr", "D2ionicr", "PO4", "D1eneg", "D2eneg", "D3eneg"]


# -- detector ----------------------------------------------------------------------------------

@pytest.mark.parametrize("formula", ["Na3Zr2Si2PO12", "NaZr2(PO4)3", "Li1.5Al0.5Ge1.5(PO4)3",
                                     "Li1.3Al0.3Ti1.7(PO4)3", "Na3V2(PO4)3", "Li3Fe2(PO4)3", "Na4Zr2(SiO4)3"])
def test_detector_finds_nasicon_frameworks(formula):
    d = detect_formula(formula)
    assert d.nasicon, d.reason
    assert d.o_per_unit == pytest.approx(12) and d.x_per_unit == pytest.approx(3)


@pytest.mark.parametrize("formula, reason", [
    ("Li7La3Zr2O12", "no XO4 polyanion former"),        # garnet
    ("Li10GeP2S12", "no oxygen"),                      # LGPS
    ("Li14Zn(GeO4)4", "16.00 O per"),                  # LISICON
    ("Na3V2(PO4)2F3", "contains F"),                   # fluorophosphate
    ("La2Zr2O7", "no A-site alkali"),
    ("Li3PO4", "O per"),
])
def test_detector_rejects_other_families_with_a_reason(formula, reason):
    d = detect_formula(formula)
    assert not d.nasicon and reason in d.reason


def test_detector_checks_the_space_group_when_known():
    assert detect_formula("LiTi2(PO4)3", 167).nasicon
    wrong = detect_formula("LiTi2(PO4)3", 225)
    assert not wrong.nasicon and "space group 225" in wrong.reason


def test_detector_precision_and_recall_against_obelix_labels(obelix):
    r = detector_agreement(obelix.frame)
    assert r["tp"] + r["fn"] == 134  # OBELiX labels 134 rows NASICON
    assert r["n_labelled"] == r["tp"] + r["fp"] + r["fn"] + r["tn"]
    assert r["precision"] >= 0.95 and r["recall"] >= 0.90
    assert len(r["disagreements"]) == r["fp"] + r["fn"]


def test_alkali_domain():
    assert [alkali_domain(f) for f in ("LiTi2(PO4)3", "NaZr2(PO4)3", "LiNaZr2(PO4)3", "La2Zr2O7")] == [
        "Li", "Na", "mixed", "none"]


# -- verdicts and tests of significance --------------------------------------------------------

def _verdict(acc, best, lo=np.nan, p=np.nan, share=0.5):
    metrics = {"accuracy": acc, "balanced_accuracy": 0.5, "mcc": 0.1}
    baseline = {"best_constant_accuracy": best, "best_constant_class": "superionic"}
    return verdict(metrics, {"accuracy": (lo, 1.0)}, baseline, {"p_value": p, "n_permutations": 19}, share)


def test_verdict_calls_weak_classifiers_weak():
    assert _verdict(0.76, 0.79)["status"] == "fails"  # Xu's published Li test: 0.76 vs 0.79
    assert "does NOT beat" in _verdict(0.76, 0.79)["text"]
    assert _verdict(0.80, 0.79, lo=0.70, p=0.01)["status"] == "weak"
    assert _verdict(0.90, 0.60, lo=0.80, p=0.3)["status"] == "weak"
    assert _verdict(0.90, 0.60, lo=0.80, p=0.01)["status"] == "passes"
    collapsed = _verdict(0.69, 0.69, share=0.0)
    assert collapsed["collapsed"] and "collapsed to one class" in collapsed["text"]


@pytest.mark.slow
def test_label_permutation_test_separates_signal_from_noise():
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 20)
    assert label_permutation_test(y, y * 0.8 + 0.1)["p_value"] <= 0.002
    assert label_permutation_test(y, rng.random(40))["p_value"] > 0.05


# -- protocols ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def xu(shared_data_module):
    from explainsse.datasets import load_dataset

    return load_dataset("xu2020", data_dir=shared_data_module, download=False)


@pytest.fixture(scope="module")
def shared_data_module():
    from ..conftest import _shared

    path = _shared()
    if path is None:
        pytest.fail("real datasets not found: set EXPLAINSSE_DATA_DIR=../shared/datasets")
    return path


def test_reproduces_xu_2020_leave_one_out_accuracy(xu):
    """The published protocol: unscaled features, LogisticRegression(sag, C=1.0006, max_iter=80), LOOCV ~0.83."""
    X = xu.descriptors[XU_FEATURES].astype(float)
    paper = LogisticRegression(solver="sag", C=1.0006, max_iter=80)
    r = validate_nasicon(xu.frame, X, paper, threshold=1e-6, all_nasicon=True, n_repeats=2, n_permutations=0,
                         n_boot=100)
    assert (xu.frame["sigma_S_cm"] >= 1e-6).astype(int).tolist() == xu.frame["Sclass"].astype(int).tolist()
    loo = next(e for e in r.evaluations if e.name == "leave-one-out")
    assert loo.n == 70 and loo.n_positive == 40
    assert loo.metrics["accuracy"] == pytest.approx(0.83, abs=0.02)
    assert loo.baseline["best_constant_accuracy"] == pytest.approx(40 / 70)
    # calibration curve: quantile bins of the predicted probability, with the Brier score
    cal = loo.calibration
    assert len(cal["mean_predicted"]) == len(cal["fraction_positive"]) >= 2
    assert cal["brier"] == pytest.approx(np.mean((loo.predictions["score"] - loo.predictions["y_true"]) ** 2))
    assert loo.confusion["tp"] + loo.confusion["fn"] == 40
    assert loo.verdict["status"] == "passes"
    # the paper's setting does not converge, and the report says why
    assert any("did not converge" in w for w in r.warnings)
    assert any("unscaled descriptors" in w for w in r.warnings)
    # explanations restricted to the NASICON rows, with directions; misclassified rows explained
    assert r.explanation["top"][0]["direction"]
    first = r.evaluations[0]  # misclassified rows are those of the first evaluation, each explained
    assert len(r.explanation["misclassified"]) == first.confusion["fp"] + first.confusion["fn"] > 0
    assert all(m["top_contributions"].count("(") == 3 for m in r.explanation["misclassified"])


def test_within_nasicon_on_obelix_reports_three_schemes_and_catches_a_collapse(obelix):
    X = validation_descriptors(obelix)
    r = validate_nasicon(obelix.frame, X, "logreg", n_repeats=2, loo=False, n_permutations=0, n_boot=100)
    names = [e.name for e in r.evaluations]
    assert names == ["repeated stratified 5-fold", "leave-papers-out", "leave-dopant-out"]
    dopant = r.evaluations[-1]  # a new M-site substitution is new chemistry: scored beside leave-papers-out
    assert "substituent" in dopant.description and 0.5 < dopant.metrics["accuracy"] <= 1
    # 134 rows labelled NASICON (72 superionic at 1e-4) plus one unlabelled row the detector
    # recognises: Li1.2Sc0.2Ti1.8(PO4)3, R-3c, 9.98e-5 S/cm (just below the threshold)
    assert r.subset["n"] == 135 and r.subset["positive"] == 72
    assert r.membership_source == "family labels, the detector for unlabelled rows"
    assert r.evaluations[0].metrics["accuracy"] > r.evaluations[0].baseline["best_constant_accuracy"]
    # a classifier that always answers the majority class is called out
    dummy = validate_nasicon(obelix.frame, X, DummyClassifier(strategy="most_frequent"), n_repeats=1, loo=False,
                             n_permutations=0, n_boot=0)
    assert all(e.verdict["status"] == "fails" for e in dummy.evaluations)
    # within stratified folds it always answers "superionic"; leaving papers out flips the training
    # majority in some folds, which makes it worse than the baseline rather than constant
    assert dummy.evaluations[0].verdict["collapsed"] and "collapsed to one class" in dummy.evaluations[0].verdict["text"]
    assert dummy.explanation["note"].startswith("no SHAP explainer")


def test_cross_family_trains_on_other_families_and_tests_on_nasicon(obelix):
    X = validation_descriptors(obelix)
    r = validate_nasicon(obelix.frame, X, "logreg", protocol="cross-family", n_permutations=3, n_boot=50)
    fwd, back = r.evaluations
    assert fwd.name == "non-NASICON -> NASICON" and back.name == "NASICON -> non-NASICON"
    assert fwd.n + back.n == len(obelix.frame)
    assert fwd.permutation["n_permutations"] == 3
    assert r.detector["precision"] > 0.9


def test_cross_domain_needs_both_alkali_and_runs_na_to_li(obelix, xu):
    X = validation_descriptors(obelix)
    with pytest.raises(InputDataError, match="Na and Li NASICON"):
        validate_nasicon(obelix.frame, X, "logreg", protocol="cross-domain")
    r = validate_nasicon(xu.frame, validation_descriptors(xu), "logreg", protocol="cross-domain", threshold=1e-6,
                         all_nasicon=True, test_frame=obelix.frame, test_X=X, n_permutations=2, n_boot=50)
    assert r.evaluations[0].name == "Na -> Li" and r.subset["Na"]["n"] == 70
    assert r.subset["Li"]["n"] >= 134
    assert (r.excluded["reason"].str.contains("mixed")).sum() == 10  # Li+Na compounds listed, not dropped


def test_external_predictions_are_scored_without_refit_and_bad_files_are_named(tmp_path):
    from explainsse.datasets import load_table

    ds = load_table(DATA / "li_nasicon_heldout.csv", target_col="sigma_S_cm", id_col="id")
    X = validation_descriptors(ds)
    preds = pd.read_csv(DATA / "li_nasicon_predictions.csv", dtype=str)
    r = validate_nasicon(ds.frame, X, protocol="external", predictions=preds, n_boot=50)
    e = r.evaluations[0]
    assert e.n == 11 and list(r.excluded["id"]) == ["ext-12"]  # no prediction for it: listed
    assert e.permutation["kind"].startswith("true labels permuted")
    bad = preds.copy()
    bad.loc[3, "probability"] = "1.7"
    with pytest.raises(InputDataError, match=r"row 5 \(id 'ext-4'\).*probability in \[0, 1\]"):
        validate_nasicon(ds.frame, X, protocol="external", predictions=bad)
    unknown = pd.concat([preds, pd.DataFrame({"id": ["nope"], "probability": ["0.5"]})])
    with pytest.raises(InputDataError, match="predictions for id values not in the input.*nope"):
        validate_nasicon(ds.frame, X, protocol="external", predictions=unknown)


# -- CLI -----------------------------------------------------------------------------------------

def test_cli_validate_nasicon_external_test_file_and_escaping(tmp_path, shared_data):
    runner = CliRunner()
    evil = tmp_path / "evil.csv"
    rows = pd.read_csv(DATA / "li_nasicon_heldout.csv", dtype=str)
    rows.loc[0, "id"] = "<script>alert(1)</script>"
    rows.to_csv(evil, index=False)
    out = tmp_path / "rep"
    res = runner.invoke(app, ["validate", "nasicon", "--dataset", "obelix", "--test", str(evil), "--family", "logreg",
                              "--n-permutations", "2", "-o", str(out), "--json", str(tmp_path / "v.json"), "-q"])
    assert res.exit_code == 0, res.output
    html = (out / "index.html").read_text()
    assert "<script>alert(1)</script>" not in html
    for name in ("index.html", "report.md", "report.json", "manifest.json"):
        assert (out / name).is_file()
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["protocol"] == "external" and data["evaluations"][0]["name"] == "input -> test file"
    assert json.loads((out / "report.json").read_text())["result"]["evaluations"][0]["metrics"] == \
        data["evaluations"][0]["metrics"]


@pytest.mark.integration
def test_cli_validate_nasicon_errors_are_one_line(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["validate", "nasicon", "--dataset", "obelix", "--protocol", "sideways",
                              "-o", str(tmp_path / "x")])
    assert res.exit_code == 2 and "protocol must be one of" in res.output


def test_descriptor_columns_must_exist(xu):
    with pytest.raises(InputDataError, match="descriptor columns not found: \\['nope'\\]"):
        validation_descriptors(xu, descriptor_cols=["a", "nope"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(validation_descriptors(xu, descriptor_cols=XU_FEATURES).columns) == XU_FEATURES


def test_tuned_family_is_nested_and_reports_its_choices(xu):
    X = validation_descriptors(xu, descriptor_cols=XU_FEATURES)
    r = validate_nasicon(xu.frame, X, "logreg", tune=True, threshold=1e-6, all_nasicon=True, n_repeats=1,
                         loo=False, n_permutations=2, n_boot=0)
    # one selection per outer training part (5 folds + 5 leave-dopant-out folds; leave-papers-out is
    # absent: no DOI), plus the final fit for the explanation; permutation refits are not counted
    assert [e.name for e in r.evaluations][-1] == "leave-dopant-out"
    assert sum(r.selected.values()) == 5 + 5 + 1
    assert "tuned by inner 3-fold CV" in r.classifier
    assert r.explanation["top"]


def test_a_fitted_model_is_used_as_is_on_an_external_test_file(obelix):
    from explainsse.datasets import load_table
    from explainsse.models import make_model, make_target
    from explainsse.models.train import TrainedModel

    X = validation_descriptors(obelix)
    pipe = make_model("logreg", "classification").fit(X, make_target(obelix.frame, "classification", 1e-4))
    model = TrainedModel(pipe, "logreg", "classification", "composition-v1", list(X.columns))
    test = load_table(DATA / "li_nasicon_heldout.csv", target_col="sigma_S_cm", id_col="id")
    r = validate_nasicon(obelix.frame, X, model, protocol="external", test_frame=test.frame,
                         test_X=validation_descriptors(test), n_boot=50)
    e = r.evaluations[0]
    assert e.name == "saved model -> test file" and e.n == 12
    assert e.permutation["kind"].startswith("true labels permuted")  # nothing refitted
    assert r.explanation["explained_rows"] == 12


@pytest.mark.integration
def test_test_file_rows_that_are_not_nasicon_are_listed_and_headers_are_found(tmp_path):
    """A held-out file with Xu-style headers (Formula, S) and one garnet row."""
    runner = CliRunner()
    rows = pd.read_csv(DATA / "li_nasicon_heldout.csv", dtype=str).rename(
        columns={"formula": "Formula", "sigma_S_cm": "S"})
    rows.loc[len(rows)] = ["ext-garnet", "Li7La3Zr2O12", "3e-4", ""]
    path = tmp_path / "heldout.csv"
    rows.to_csv(path, index=False)
    res = runner.invoke(app, ["validate", "nasicon", "--dataset", "obelix", "--test", str(path), "--n-permutations",
                              "0", "-o", str(tmp_path / "r"), "--json", str(tmp_path / "v.json"), "-q"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["subset"]["test"]["n"] == 12
    (garnet,) = [x for x in data["excluded"] if x["id"] == "ext-garnet"]
    assert "not NASICON" in garnet["reason"] and "XO4" in garnet["reason"]
    # declaring the whole file NASICON scores the garnet too
    res = runner.invoke(app, ["validate", "nasicon", "--dataset", "obelix", "--test", str(path), "--test-all-nasicon",
                              "--n-permutations", "0", "-o", str(tmp_path / "r2"), "--json", str(tmp_path / "v2.json"),
                              "-q"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "v2.json").read_text())["subset"]["test"]["n"] == 13


def test_predictions_for_non_nasicon_rows_are_listed_not_scored():
    from explainsse.datasets import load_table

    ds = load_table(DATA / "li_nasicon_heldout.csv", target_col="sigma_S_cm", id_col="id")
    frame = ds.frame.copy()
    from explainsse.chemistry import parse_formula

    first = frame.index[0]  # not a NASICON any more (formula and its parsed composition)
    frame.loc[first, "formula"] = "Li7La3Zr2O12"
    frame.at[first, "composition"] = parse_formula("Li7La3Zr2O12")
    preds = pd.read_csv(DATA / "li_nasicon_predictions.csv", dtype=str).rename(columns={"probability": "Prob"})
    r = validate_nasicon(frame, validation_descriptors(ds), protocol="external", predictions=preds, n_boot=0)
    assert r.evaluations[0].n == 10
    reasons = dict(zip(r.excluded["id"], r.excluded["reason"]))
    assert reasons["ext-1"].startswith("not NASICON") and reasons["ext-1"].endswith("(prediction ignored)")
    assert reasons["ext-12"] == "no prediction supplied"
