"""Explanations gated by skill, coherent intervals, p-values as the permutations allow (issue 23, part 3).

One small study on a table whose conductivities are shuffled (no descriptor can predict them) and one on the
same table unshuffled; both rendered as HTML, Markdown and report.json, and every interval and p-value checked.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from explainsse.models.scoring import MIN_PERMUTATIONS, VERDICTS

from .test_report import make_csv

pytestmark = pytest.mark.slow

#: Keys that hold the point estimate beside a ci_low / ci_high pair, in order of preference.
ESTIMATE_KEYS = ("value", "estimate", "mean_abs_shap", "odds_ratio_per_sd", "predicted", "observed")


def _study_report(tmp_path, *, shuffle: bool):
    import matplotlib

    matplotlib.use("Agg")
    from explainsse.analysis import run_study
    from explainsse.datasets import load_table
    from explainsse.report import render_study_report

    path = make_csv(tmp_path / "table.csv")
    if shuffle:
        table = pd.read_csv(path)
        table["sigma"] = np.random.default_rng(1).permutation(table["sigma"].to_numpy())
        table.to_csv(path, index=False)
    ds = load_table(path, target_col="sigma", id_col="id", family_col="family", space_group_col="sg", z_col="Z")
    # two workers: the two tasks, their y-scrambling refits and side schemes run side by side
    study = run_study(ds, families=("pls",), n_scramble=MIN_PERMUTATIONS, n_boot=100, seed=0, nasicon=False,
                      n_jobs=2)
    out = render_study_report(study, tmp_path / "rep")
    return (json.loads((out / "report.json").read_text()), (out / "report.md").read_text(),
            (out / "index.html").read_text(), out)


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory):
    return _study_report(tmp_path_factory.mktemp("shuffled"), shuffle=True)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    return _study_report(tmp_path_factory.mktemp("real"), shuffle=False)


def _intervals(node, path="$"):
    """Every (path, estimate, ci_low, ci_high) in a JSON tree (dicts holding both ci_low and ci_high)."""
    if isinstance(node, dict):
        if "ci_low" in node and "ci_high" in node:
            key = next((k for k in ESTIMATE_KEYS if k in node), None)
            yield path, key, (node[key] if key else None), node["ci_low"], node["ci_high"]
        for k, v in node.items():
            yield from _intervals(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _intervals(v, f"{path}[{i}]")


def _finite(*values) -> bool:
    return all(isinstance(v, (int, float)) and v is not None and math.isfinite(v) for v in values)


def assert_intervals_contain_estimates(report: dict) -> int:
    """Assert ci_low <= estimate <= ci_high wherever all three are numbers; return how many were checked."""
    checked, bad = 0, []
    for path, key, est, lo, hi in _intervals(report):
        assert key is not None, f"{path}: ci_low / ci_high without an estimate beside them"
        if _finite(est, lo, hi):
            checked += 1
            if not lo - 1e-9 <= est <= hi + 1e-9:
                bad.append(f"{path}: {key} {est} outside [{lo}, {hi}]")
    assert not bad, "\n".join(bad[:20])
    return checked


def _p_values(node, path="$"):
    if isinstance(node, dict):
        if "p_value" in node and ("n_permutations" in node or "scores" in node):
            n = node.get("n_permutations", len(node.get("scores") or ()))
            yield path, node["p_value"], n
        for k, v in node.items():
            yield from _p_values(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _p_values(v, f"{path}[{i}]")


def assert_p_values_respect_the_floor(report: dict, *texts: str) -> int:
    """No p-value below 1/(n+1) for its n permutations, in report.json or in the printed text."""
    checked = 0
    for path, p, n in _p_values(report):
        if _finite(p) and n:
            checked += 1
            assert p >= 1 / (n + 1) - 1e-12, f"{path}: p {p} < 1/({n}+1)"
    for text in texts:
        for value, n in re.findall(r"p = ([0-9.]+) \((\d+) (?:refits|label permutations)", text):
            checked += 1
            assert float(value) >= 1 / (int(n) + 1) - 1e-9, f"printed p = {value} with {n} permutations"
    return checked


def test_shuffled_targets_give_no_skill_and_no_strongest_drivers(shuffled):
    j, md, html, _ = shuffled
    verdicts = {(e["family"], e["task"]): e["verdict"] for e in j["evaluations"]}
    assert set(verdicts) == {("pls", "regression"), ("pls", "classification")}
    assert set(verdicts.values()) == {"no skill"}, j["evaluations"]
    assert all(e["verdict_reason"] for e in j["evaluations"])
    for text in (md, html, json.dumps(j["summary_sentences"])):
        assert "strongest drivers" not in text
    # the summary opens with the verdicts, in all three renderings
    assert j["summary_sentences"][0].startswith("pls/regression (") and "NO SKILL" in j["summary_sentences"][0]
    summary_md = md.split("## 1. Summary")[1].split("## 2.")[0]
    assert summary_md.lstrip().startswith("| model | scheme |") and "**no skill**" in summary_md
    summary_html = html.split('id="summary"')[1].split("<h2")[0]
    assert summary_html.index("no skill") < summary_html.index("<ul>")
    # the explanation moves under the marked heading, in HTML, Markdown and JSON alike
    pls = j["explanations"]["pls"]
    assert pls["verdict"] == "no skill" and pls["finding"] is False
    heading = "pls: this model does not beat chance (the majority class); its SHAP values describe noise"
    assert pls["heading"].startswith(heading)
    assert f"### {heading}" in md and heading in html
    assert any(s.startswith(heading) for s in j["summary_sentences"])
    # the regression model behind the dependence plots and materials says so too
    assert j["regression_verdict"]["verdict"] == "no skill"
    assert "this model does not beat the median; its SHAP values describe noise" in md


def test_real_targets_state_drivers_only_with_skill(real):
    j, md, html, _ = real
    assert {e["verdict"] for e in j["evaluations"]} <= set(VERDICTS)
    assert j["explanations"]["pls"]["verdict"] == "skill"  # the unshuffled toy table is learnable
    for name, info in j["explanations"].items():
        stated = f"{name}: the strongest drivers are" in " ".join(j["summary_sentences"])
        assert stated == (info["verdict"] == "skill")
        assert (f"{name}: the strongest drivers are" in md) == stated


@pytest.mark.parametrize("which", ["shuffled", "real"])
def test_every_interval_in_report_json_contains_its_estimate(which, request):
    j, _, _, out = request.getfixturevalue(which)
    assert assert_intervals_contain_estimates(j) > 20
    # the importance table says which distribution its interval comes from
    assert "centred on the full-fit value" in j["explanations"]["pls"]["stability"]["interval"]
    # no interval spelled another way is left in report.json
    text = (out / "report.json").read_text()
    assert not re.search(r'"(or_ci_low|or_ci_high|odds_ratio_ci|accuracy_ci|mcc_ci|ci95)"', text)


@pytest.mark.parametrize("which", ["shuffled", "real"])
def test_no_p_value_below_what_the_refits_allow(which, request):
    j, md, html, _ = request.getfixturevalue(which)
    assert assert_p_values_respect_the_floor(j, md, html) >= 2
    for e in j["evaluations"]:
        assert e["n_permutations"] == MIN_PERMUTATIONS and e["p_value"] >= 1 / (MIN_PERMUTATIONS + 1)
        assert e["p_text"].endswith(f"({MIN_PERMUTATIONS} refits)")
        if math.isclose(e["p_value"], 0.05):
            assert e["p_text"] == "p <= 0.05 (19 refits)"


def test_cv_schemes_side_by_side_with_verdicts(real):
    """The study's own scheme (cluster-out for a user table) beside random and grouped folds, same hyperparameters."""
    j, md, html, _ = real
    side = j["cv_schemes"]
    assert [s["name"] for s in side["schemes"]] == ["cluster-out", "random-kfold", "group-chemsys"]
    assert {(r["family"], r["task"]) for r in side["rows"]} == {(e["family"], e["task"]) for e in j["evaluations"]}
    assert all(r["verdict"] in VERDICTS and r["ci_low"] <= r["value"] <= r["ci_high"] for r in side["rows"])
    # side schemes run no y-scrambling, so none of them can claim skill
    assert all(r["verdict"] != "skill" for r in side["rows"] if r["scheme"] != "cluster-out")
    assert "CV schemes side by side" in md and "CV schemes side by side" in html
    for row in side["table"]:
        assert row["cluster-out"].split(" [")[0] in md
    assert [p["sentence"] in md for p in side["penalties"]] == [True] * len(side["penalties"])


def test_shown_materials_carry_interval_and_neighbours(real):
    j, md, html, _ = real
    for m in j["materials"]:
        assert len(m["neighbours"]) == 3 and all(set(n) >= {"id", "formula", "measured", "distance", "doi"}
                                                 for n in m["neighbours"])
        if m["interval"] is not None:
            assert m["interval"]["level"] == 0.9 and m["interval"]["lower"] < m["interval"]["upper"]
            assert m["trust"]["interval"] in html
    # no official split: the explained rows are the training rows, so no coverage is claimed on them
    assert j["interval_coverage"] is None
