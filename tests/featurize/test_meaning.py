"""Named physical groups and proxy flags (issue 24): every descriptor in exactly one named group,
grouped SHAP additive, flags where a descriptor is a proxy or a value was imputed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from explainsse.featurize import describe
from explainsse.featurize.descriptors import feature_names
from explainsse.featurize.meaning import (
    IMPUTED,
    LI_LI_CONTACT,
    PHYSICAL_GROUPS,
    physical_group,
    proxy_flag,
    value_flag,
)
from explainsse.featurize.presets import PRESETS


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_descriptor_of_every_preset_is_in_exactly_one_named_group(preset):
    names = feature_names(preset)
    groups = {n: physical_group(n) for n in names}
    assert set(groups.values()) <= set(PHYSICAL_GROUPS), {n: g for n, g in groups.items() if g not in PHYSICAL_GROUPS}
    assert all(describe(n).group == groups[n] for n in names)  # the glossary carries the same group


def test_structural_descriptors_land_in_their_physical_groups():
    assert physical_group("Sendek LLSD mean shortest Li-Li distance") == "Li-Li spacing"
    assert physical_group("BVSE Li 3D percolation barrier") == "bond-valence landscape"
    assert physical_group("Anion framework bcc similarity") == "anion framework"
    assert physical_group("Electrolyte S share of anions") == "anion chemistry"
    assert physical_group("Li mean site occupancy") == "Li content and site filling"
    assert physical_group("MagpieData mean CovalentRadius") == "element size and electronegativity"
    assert physical_group("my own column") == "user descriptors"


def test_proxies_are_flagged_and_physics_is_not():
    for name in ("MagpieData avg_dev SpaceGroupNumber", "MagpieData mean MendeleevNumber", "Stoichiometry 0-norm",
                 "Crystal space group number", "MagpieData maximum GSmagmom", "Electrolyte distinct non-Li cations"):
        assert proxy_flag(name).startswith("proxy:"), name
        assert describe(name).flag == proxy_flag(name)
    for name in ("Sendek LLSD mean shortest Li-Li distance", "BVSE Li 3D percolation barrier",
                 "MagpieData mean Electronegativity", "Electrolyte Li per anion"):
        assert proxy_flag(name) is None, name
    assert value_flag("Sendek LLSD mean shortest Li-Li distance", float("nan")) == IMPUTED
    assert value_flag("Sendek LLSD mean shortest Li-Li distance", LI_LI_CONTACT - 0.8).startswith("split sites")
    assert value_flag("Sendek LLSD mean shortest Li-Li distance", 3.1) is None


def test_named_group_shap_is_the_exact_sum_of_its_members():
    from explainsse.explain.named_groups import named_group_importance, named_group_table
    from explainsse.explain.table import ExplanationTable

    rng = np.random.default_rng(0)
    names = ["Sendek LLSD mean shortest Li-Li distance", "Li percolation 3D hop distance",
             "BVSE Li 3D percolation barrier", "Stoichiometry 0-norm"]
    X = pd.DataFrame(rng.normal(size=(30, 4)), columns=names)
    shap = rng.normal(size=(30, 4))
    table = ExplanationTable.from_arrays(shap, X, 0.5, family="xgb", task="regression")
    grouped, members = named_group_table(table)
    assert members["Li-Li spacing"] == names[:2]
    np.testing.assert_allclose(grouped.values.sum(axis=1), shap.sum(axis=1), atol=1e-12)  # additivity kept
    j = grouped.feature_names.index("Li-Li spacing")
    np.testing.assert_allclose(grouped.values[:, j], shap[:, 0] + shap[:, 1], atol=1e-12)
    imp = named_group_importance(table, n_boot=50)
    assert list(imp["group"]) == sorted(imp["group"], key=lambda g: -imp.set_index("group").at[g, "mean_abs_shap"])
    assert ((imp["ci_low"] <= imp["mean_abs_shap"]) & (imp["mean_abs_shap"] <= imp["ci_high"])).all()
    assert imp["share"].sum() == pytest.approx(1.0)


def test_an_imputed_value_never_leads_a_material_explanation():
    from explainsse.explain.material import led_by_measured

    contrib = pd.DataFrame({"descriptor": ["a", "b", "c"], "value": [np.nan, 1.0, 2.0], "shap": [0.9, -0.5, 0.1]})
    out = led_by_measured(contrib)
    assert list(out["descriptor"]) == ["b", "c", "a"] and out["shap"].sum() == pytest.approx(contrib["shap"].sum())


def test_explain_json_gives_every_top_descriptor_a_flag():
    from typer.testing import CliRunner

    from explainsse.cli import app

    r = CliRunner().invoke(app, ["explain", "--model", "nasicon-default", "Li1.3Al0.3Ti1.7(PO4)3",
                                 "Li7La3Zr2O12", "--json", "-"])
    assert r.exit_code == 0, r.output
    materials = json.loads(r.stdout)["materials"]
    tops = [t for m in materials for t in m["top_descriptors"]]
    assert tops and all({"descriptor", "value", "shap", "flag"} <= set(t) for t in tops)
    for m in materials:
        if m["top_descriptors"]:
            assert m["top_descriptors"][0]["flag"] != IMPUTED  # the NASICON cell of LATP is imputed: not first
    latp = materials[0]["top_descriptors"]
    assert any(t["flag"] == IMPUTED and t["value"] is None for t in latp)
