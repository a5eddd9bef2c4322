"""The prediction report's gate: a saved model's explanations are findings only when its card shows skill."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from explainsse.report.markdown import md_cell
from explainsse.report.predictions import model_verdict


def _model(task="regression", **metrics):
    return SimpleNamespace(family="xgb", task=task, metrics=metrics)


def test_model_card_scores_give_the_verdict():
    skill = model_verdict(_model(official_test_mae=1.2, official_test_mae_ci95=[1.0, 1.4],
                                 official_test_mae_median_baseline=2.5,
                                 y_scramble={"p_value": 0.05, "n_permutations": 19, "kind": "refit"}))
    assert skill["verdict"] == "skill" and skill["heading"].endswith("its explanation is a finding")
    none = model_verdict(_model(official_test_mae=3.6, official_test_mae_ci95=[3.1, 4.0],
                                official_test_mae_median_baseline=2.5))
    assert none["verdict"] == "no skill"
    assert none["heading"] == ("xgb: this model does not beat the median; its SHAP values describe noise, "
                               "not drivers of conductivity")
    # no y-scrambling on the card: better than the median but not proven, so weak
    assert model_verdict(_model(official_test_mae=1.2, official_test_mae_ci95=[1.0, 1.4],
                                official_test_mae_median_baseline=2.5))["verdict"] == "weak"
    unknown = model_verdict(_model(task="classification", inner_cv_mcc=0.6))
    assert unknown["verdict"] == "weak" and "skill is unknown" in unknown["verdict_reason"]
    assert model_verdict(_model(verdict="no skill"))["verdict"] == "no skill"


@pytest.mark.slow
def test_prediction_report_says_whether_its_explanations_are_findings(tmp_path):
    from typer.testing import CliRunner

    from explainsse.cli import app

    src = tmp_path / "cands.csv"
    src.write_text("id,formula\nllzo,Li7La3Zr2O12\nlgps,Li10GeP2S12\n")
    out = tmp_path / "pred"
    r = CliRunner().invoke(app, ["report", "--input", str(src), "--id-col", "id", "--model", "default",
                                 "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    j = json.loads((out / "report.json").read_text())
    assert j["verdict"] in ("skill", "weak", "no skill") and j["verdict_reason"]
    assert j["summary_sentences"][0].startswith(f"Model default: {j['verdict'].upper()}")
    html, md = (out / "index.html").read_text(), (out / "report.md").read_text()
    assert j["finding"] == (j["verdict"] == "skill")
    if not j["finding"]:
        assert j["explanation_heading"] in html.replace("&#39;", "'") and j["explanation_heading"] in md
    # every prediction carries its interval, the training measurement of a known composition, its neighbours
    lgps = next(m for m in j["materials"] if m["id"] == "lgps")
    assert lgps["interval"]["lower"] < lgps["prediction"] < lgps["interval"]["upper"]
    assert lgps["measured_in_training"] is not None and len(lgps["neighbours"]) == 3
    assert lgps["trust"]["interval"].startswith("90%: ") and "measured" in lgps["trust"]["measured"]
    for text in (lgps["trust"]["interval"], lgps["trust"]["measured"], lgps["trust"]["neighbours"][0]):
        assert text in html and md_cell(text) in md  # Markdown escapes the '|' between two DOIs
