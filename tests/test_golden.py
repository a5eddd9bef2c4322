"""Behaviour is preserved: the key numbers of the OBELiX report and benchmark match the golden file.

The golden numbers were written before the analysis-layer redesign (see the file's ``note``);
``benchmarks/golden.py`` rewrites them from a report and a benchmark JSON. The report study is
run once, saved, loaded back, and re-rendered: both views must give the same numbers.
"""

import json
import math

import pytest

from .conftest import DATA

GOLDEN = json.loads((DATA / "golden_obelix.json").read_text())
#: Relative tolerance: mean |SHAP| is summed in another order since the wide ExplanationTable
#: (differences ~1e-15); every other number is reproduced bit for bit.
RTOL = 1e-9


def _close(a, b) -> bool:
    a, b = (float("nan") if v is None else float(v) for v in (a, b))  # JSON writes NaN as null
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= RTOL * max(1.0, abs(b))


def _results_match(got: list[dict], expected: list[dict]) -> list[str]:
    index = {(r["family"], r["task"], r["subset"], r["metric"]): r for r in got}
    bad = []
    for e in expected:
        r = index.get((e["family"], e["task"], e["subset"], e["metric"]))
        if r is None:
            bad.append(f"missing {e}")
        elif not all(_close(r[k], e[k]) for k in ("value", "ci_low", "ci_high")):
            bad.append(f"{e['family']}/{e['task']}/{e['subset']}/{e['metric']}: {r['value']} vs {e['value']}")
    return bad


@pytest.fixture(scope="module")
def study_and_views(obelix, tmp_path_factory):
    import matplotlib

    matplotlib.use("Agg")
    from explainsse.analysis import load_study, run_study
    from explainsse.io import to_jsonable
    from explainsse.report.view import build_view

    # the golden numbers belong to their preset (crystal-v1); OBELiX's default is now full-v1
    study = run_study(obelix, preset=GOLDEN["preset"], seed=GOLDEN["seed"], n_jobs=2)
    folder = study.save(tmp_path_factory.mktemp("study") / "s")
    fresh = to_jsonable(build_view(study)[0].to_dict())
    loaded = to_jsonable(build_view(load_study(folder, models=False))[0].to_dict())
    return study, fresh, loaded, folder


@pytest.mark.integration
def test_report_numbers_match_the_golden_file(study_and_views):
    study, fresh, _, _ = study_and_views
    assert study.config.preset == GOLDEN["preset"]
    g = GOLDEN["report"]
    assert _results_match(fresh["results"], g["results"]) == []
    for family, top in g["top"].items():
        got = [[t["descriptor"], t["mean_abs_shap"]] for t in fresh["explanations"][family]["top"][:5]]
        assert [d for d, _ in got] == [d for d, _ in top]
        assert all(_close(a, b) for (_, a), (_, b) in zip(got, top)), family
    assert _close(fresh["agreement"]["direction_agreement"], g["direction_agreement"])
    assert [m["id"] for m in fresh["materials"]] == [m for m, _ in g["materials"]]
    assert all(_close(m["predicted"], p) for m, (_, p) in zip(fresh["materials"], g["materials"]))
    # 19 y-scrambling refits: p can reach 0.05, and every model gets there or close
    scramble = fresh["models"]["y_scramble"]
    assert all(len(s["scores"]) == 19 for s in scramble.values())
    assert min(s["p_value"] for s in scramble.values()) == pytest.approx(0.05)


@pytest.mark.integration
def test_a_saved_study_renders_the_same_numbers(study_and_views):
    _, fresh, loaded, folder = study_and_views
    fresh = {k: v for k, v in fresh.items() if k != "started"}
    loaded = {k: v for k, v in loaded.items() if k != "started"}
    assert loaded == fresh
    assert (folder / "study.json").is_file() and not list(folder.rglob("*.pkl"))


@pytest.mark.integration
@pytest.mark.parametrize("family,task", [("xgb", "regression"), ("logreg", "classification")])
def test_benchmark_numbers_match_the_golden_file(study_and_views, family, task):
    from explainsse.models import evaluate

    study = study_and_views[0]  # its descriptors: OBELiX with the golden preset, featurized once
    ev = evaluate(study.frame, study.descriptors, family, task, "official", n_boot=300, n_scramble=0, random_state=GOLDEN["seed"],
                  n_jobs=1)
    expected = [r for r in GOLDEN["benchmark"] if r["task"] == task
                and r["family"] in (family, "baseline-median", "baseline-majority")]
    assert len(expected) > 5
    assert _results_match(ev.results.to_dict("records"), expected) == []


@pytest.mark.integration
def test_official_report_has_intervals_coverage_and_schemes(study_and_views):
    """OBELiX: the test materials carry 90% conformal intervals whose test coverage is stated with its
    interval, and every model is scored under random, grouped and cluster-out folds beside the official split."""
    _, fresh, _, _ = study_and_views
    cov = fresh["interval_coverage"]
    assert cov["n"] > 100 and cov["ci_low"] <= cov["coverage"] <= cov["ci_high"]
    assert 0.7 <= cov["coverage"] <= 1.0  # calibrated on cluster-out folds of the training rows only
    assert all(m["interval"]["lower"] <= m["predicted"] <= m["interval"]["upper"] for m in fresh["materials"])
    side = fresh["cv_schemes"]
    assert [s["name"] for s in side["schemes"]] == ["official", "random-kfold", "group-chemsys", "cluster-out"]
    xgb = next(p for p in side["penalties"] if (p["family"], p["task"]) == ("xgb", "regression"))
    assert xgb["penalty"] > 0  # new chemistry is harder than random folds suggest
