"""nasicon-v1 in use: golden values against Xu's own table, validation explained by site, the bundled
NASICON classifier, and the acceptance commands through the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from explainsse.cli import app
from explainsse.validation.drivers import domain_shift

P = "NASICON "


@pytest.fixture(scope="module")
def xu_sites(tmp_path_factory):
    from explainsse.datasets import load_dataset
    from explainsse.featurize import featurize_dataset

    from ..conftest import _shared

    path = _shared()
    if path is None:
        pytest.fail("real datasets not found: set EXPLAINSSE_DATA_DIR=../shared/datasets")
    ds = load_dataset("xu2020", data_dir=path, download=False, cache_dir=tmp_path_factory.mktemp("xu-cache"))
    return ds, featurize_dataset(ds, "nasicon-v1", cache=False).X


@pytest.mark.integration
def test_site_descriptors_match_xus_own_table(xu_sites):
    ds, X = xu_sites
    assert (X[P + "framework"] == 1).all()
    # alkali per unit = Xu's Na count (their table has 1.2 for Na1.25Sn0.25Ge1.75(PO4)3; the formula says 1.25);
    # the hexagonal a and Xu's h = sqrt(2) a agree with the authors' columns
    typo = ds.frame["formula"].eq("Na1.25Sn0.25Ge1.75(PO4)3")
    assert ds.descriptors.loc[typo, "Na"].tolist() == [1.2] and X.loc[typo, P + "A per unit"].tolist() == [1.25]
    np.testing.assert_allclose(X.loc[~typo, P + "A per unit"], ds.descriptors.loc[~typo, "Na"], atol=1e-9)
    hexagonal = X[P + "a (hexagonal)"].notna()
    assert hexagonal.sum() == 69  # the one row whose c/a is not a hexagonal cell's is left to the estimate
    np.testing.assert_allclose(X.loc[hexagonal, P + "a (hexagonal)"], ds.descriptors.loc[hexagonal, "a"])
    np.testing.assert_allclose(X.loc[hexagonal, P + "h (Xu)"], ds.descriptors.loc[hexagonal, "h"], atol=2e-3)
    np.testing.assert_allclose(X.loc[hexagonal, P + "d (Xu)"], ds.descriptors.loc[hexagonal, "d"], atol=2e-3)
    # silicate share: Xu's SiO4 count over 3 tetrahedra
    np.testing.assert_allclose(X[P + "X share Si"], ds.descriptors["SiO4"] / 3, atol=1e-9)


@pytest.mark.integration
def test_obelix_nasicon_rows_get_site_descriptors_and_others_the_reason(obelix):
    from explainsse.featurize import featurize_dataset

    result = featurize_dataset(obelix, "nasicon-v1")
    X = result.X
    labelled = obelix.frame["family"].str.casefold().eq("nasicon")
    assert (X.loc[labelled, P + "framework"] == 1).sum() >= 133
    other = X[P + "framework"] == 0
    notes = result.notes.set_index("row")["reason"]
    assert other.sum() > 400 and notes.loc[X.index[other]].str.contains("not NASICON").all()
    assert X.loc[labelled & (X[P + "framework"] == 1), P + "volume per unit"].between(190, 270).all()


def test_domain_shift_flags_descriptors_constant_in_training():
    train = pd.DataFrame({"radius": [1.02] * 5, "a": [8.7, 8.8, 8.9, 8.8, 8.7], "same": [1.0] * 5})
    test = pd.DataFrame({"radius": [0.76] * 4, "a": [8.5, 8.5, 8.6, 8.9], "same": [1.0] * 4})
    rows = domain_shift(train, test)
    assert [r["descriptor"] for r in rows] == ["radius", "a"]  # 'same' does not shift
    assert rows[0]["shift_sd"] is None and "constant in training" in rows[0]["note"]
    assert rows[1]["outside_range"] == pytest.approx(0.75) and rows[1]["shift_sd"] < 0


# -- acceptance, through the CLI -------------------------------------------------------------------

def test_descriptors_lists_the_nasicon_preset():
    r = CliRunner().invoke(app, ["descriptors", "--preset", "nasicon-v1"])
    assert r.exit_code == 0, r.output
    assert "NASICON A-site filling" in r.stdout and "Shannon" in r.stdout and "Xu" in r.stdout


def test_bundled_nasicon_classifier_explains_a_formula_offline(tmp_path, monkeypatch):
    monkeypatch.delenv("EXPLAINSSE_DATA_DIR", raising=False)
    r = CliRunner().invoke(app, ["explain", "--model", "nasicon-default", "Li1.3Al0.3Ti1.7(PO4)3", "--json", "-"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)["materials"][0]
    assert 0 <= m["prediction"] <= 1 and "probability" in m["prediction_units"]
    assert all(t["descriptor"].startswith(P) for t in m["top_descriptors"])
    # the model's output is the log-odds of its own probability (the prediction is the calibrated one) ...
    raw = m["probability_raw"]
    assert m["model_output"] == pytest.approx(math.log(raw / (1 - raw)), abs=1e-6)
    assert m["prediction"] == pytest.approx(m["probability"]) and m["interval"]["lower"] <= m["prediction"]
    # ... and the base value plus every descriptor's SHAP adds up to it (exact linear SHAP)
    from explainsse.analysis import explain_candidates
    from explainsse.datasets import from_formulas
    from explainsse.models.bundled import resolve_model_dir
    from explainsse.models.persistence import load_model

    ex = explain_candidates(from_formulas(["Li1.3Al0.3Ti1.7(PO4)3", "LiZr2(PO4)3"]),
                            load_model(resolve_model_dir("nasicon-default")))
    np.testing.assert_allclose(ex.table.values.sum(axis=1) + ex.table.base_values, ex.table.output(), atol=1e-6)
    csv = tmp_path / "c.csv"
    csv.write_text("id,formula\nlagp,Li1.5Al0.5Ge1.5(PO4)3\nllzo,Li7La3Zr2O12\n")
    r = CliRunner().invoke(app, ["explain", "--model", "nasicon-default", "--input", str(csv), "--id-col", "id",
                                 "--json", "-"])
    assert r.exit_code == 0, r.output
    mats = {m["id"]: m for m in json.loads(r.stdout)["materials"]}
    assert not any("NASICON framework" in w for w in mats["lagp"]["warnings"])
    assert any("not an A(1+x)M2(XO4)3 NASICON framework" in w for w in mats["llzo"]["warnings"])


@pytest.mark.integration
def test_cli_cross_domain_says_whether_na_to_li_transfers_and_why(tmp_path, shared_data):
    out, js = tmp_path / "na2li", tmp_path / "na2li.json"
    r = CliRunner().invoke(app, ["validate", "nasicon", "--dataset", "xu2020", "--all-nasicon", "--preset", "nasicon-v1",
                                 "--test", "obelix", "--protocol", "cross-domain", "--threshold", "1e-6", "-o", str(out),
                                 "--json", str(js), "--n-permutations", "0", "--data-dir", str(shared_data)])
    assert r.exit_code == 0, r.output
    result = json.loads(js.read_text())
    names = [e["name"] for e in result["evaluations"]]
    assert names[0] == "Na -> Li"
    shift = {d["descriptor"]: d for d in result["domain_shift"]}
    assert shift[P + "A-site ionic radius"]["shift_sd"] is None  # Na only in training: constant
    assert result["explanation"]["sites"]["sentence"].startswith("The ")
    md = (out / "report.md").read_text()
    assert "Na -> Li transfer" in md and "Descriptors that shift between the Na and Li compounds" in md
    assert (out / "figures" / "dependence_0.svg").exists()
    html = (out / "index.html").read_text()
    assert "Li compound" in html and "Na compound" in html  # dependence points carry their alkali


@pytest.mark.integration
def test_cli_within_obelix_explains_by_site(tmp_path, shared_data):
    js = tmp_path / "v.json"
    r = CliRunner().invoke(app, ["validate", "nasicon", "--dataset", "obelix", "--preset", "nasicon-v1", "--json",
                                 str(js), "-o", str(tmp_path / "v"), "--n-permutations", "0", "--n-repeats", "1",
                                 "--no-loo", "--data-dir", str(shared_data)])
    assert r.exit_code == 0, r.output
    ex = json.loads(js.read_text())["explanation"]
    assert set(ex["sites"]["shares"]) <= {"A site", "M site", "X site", "lattice"}
    assert sum(ex["sites"]["shares"].values()) == pytest.approx(1.0)
    assert all(t["descriptor"].startswith(P) for t in ex["top"])
