"""`explain_families` (the `importance` command's engine): every family validated and gated by its verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explainsse.models.scoring import MIN_PERMUTATIONS

from ..report.test_report import make_csv

pytestmark = pytest.mark.slow


def _importance(tmp_path, *, shuffle: bool):
    from explainsse.analysis import explain_families
    from explainsse.datasets import load_table
    from explainsse.featurize import dataset_descriptors

    path = make_csv(tmp_path / "table.csv")
    if shuffle:
        table = pd.read_csv(path)
        table["sigma"] = np.random.default_rng(1).permutation(table["sigma"].to_numpy())
        table.to_csv(path, index=False)
    ds = load_table(path, target_col="sigma", id_col="id", family_col="family")
    ds, X = dataset_descriptors(ds, "composition-v1", progress=False)
    # validated on 5 random folds rather than the 10 composition clusters of the default scheme (the gate is tested)
    return explain_families(ds, X, ["pls"], "regression", preset="composition-v1", threshold=1e-4, top=5,
                            n_bootstrap=2, n_scramble=MIN_PERMUTATIONS, n_boot=100, seed=0, scheme="random-kfold")


def test_shuffled_targets_are_not_a_finding(tmp_path):
    result = _importance(tmp_path, shuffle=True)
    assert result.verdict("pls")["verdict"] == "no skill" and not result.finding("pls")
    j = result.to_dict()["families"]["pls"]
    assert j["verdict"] == "no skill" and j["finding"] is False
    assert j["heading"].startswith("pls: this model does not beat the median; its SHAP values describe noise")
    ev = j["evaluation"]
    assert ev["n_permutations"] == MIN_PERMUTATIONS and ev["p_value"] >= 1 / (MIN_PERMUTATIONS + 1)
    assert ev["value"] >= ev["baseline"] or ev["p_value"] > 0.5
    for row in j["importance"]:
        assert row["ci_low"] <= row["mean_abs_shap"] <= row["ci_high"]
    # no skilled family: no headline ranking, and it says why
    c = result.to_dict()["consensus"]
    assert c["families"] == [] and c["groups"] == [] and "no family has skill" in c["note"]


def test_learnable_targets_have_skill_and_unvalidated_families_are_not_findings(tmp_path):
    from explainsse.analysis.importance import consensus

    result = _importance(tmp_path, shuffle=False)
    assert result.verdict("pls")["verdict"] == "skill" and result.finding("pls")
    assert result.heading("pls") == "pls: skill against the median; its explanation is a finding"
    unvalidated = type(result)(result.explanations, result.models, None, result.config)
    assert unvalidated.verdict("pls")["verdict"] == "weak" and not unvalidated.finding("pls")
    # the headline: named groups ranked by share of mean |SHAP| (they sum to one), then descriptors
    j = result.to_dict()
    c = j["consensus"]
    assert c["families"] == ["pls"] and abs(sum(g["share"] for g in c["groups"]) - 1) < 1e-9
    assert [g["group"] for g in c["groups"]][:3] == list(j["families"]["pls"]["named_groups"])[:3]
    assert all({"descriptor", "share", "group", "flag"} <= set(d) for d in c["descriptors"])
    assert set(j["named_groups"]) == set(j["families"]["pls"]["named_groups"])  # top level, by their names
    first = c["groups"][0]["group"]
    assert j["named_groups"][first]["pls"] == j["families"]["pls"]["named_groups"][first]
    # how far the ranking can be trusted: the driver-recovery measurement of this family
    assert c["reliability"]["measured"] and c["reliability"]["group_credited"][0] < 0.8
    assert "pls (near-copies merged)" in c["reliability"]["note"]  # one skilled family: its merged ranking
    # each set of near-copies takes one place in the descriptor ranking
    member_of = {d: g["group"] for g in j["families"]["pls"]["groups"] for d in g["members"]}
    places = [member_of.get(d["descriptor"], d["descriptor"]) for d in c["descriptors"]]
    assert len(places) == len(set(places))
    assert all(member_of.get(x) == member_of[d["descriptor"]] for d in c["descriptors"] for x in d["near_copies"])
    every = consensus(result, top=10**6)["descriptors"]  # all places: every descriptor once, copies beside their lead
    listed = [x for d in every for x in (d["descriptor"], *d["near_copies"])]
    assert sorted(listed) == sorted(result.explanations["pls"].importance.index)
    assert len(every) < len(listed)  # composition-v1 has near-copies (e.g. the stoichiometry p-norms)
    assert "driver_recovery.py" in c["reliability"]["note"]
    assert {r["verdict"] for r in j["physics_check"]} <= {"agrees", "disagrees", "unclear", "not in the model"}
    assert len(j["physics_check"]) >= 8 and all(r["citation"] and r["family"] == "pls" for r in j["physics_check"])
