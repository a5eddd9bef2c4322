"""Integration tests on the real OBELiX and Xu 2020 files."""

import pandas as pd
import pytest

from explainsse.datasets import NORMALIZED_COLUMNS, REGISTRY, load_dataset, sha256_file

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache


def test_registry_hashes_match_the_shared_copies(shared_data):
    for spec in REGISTRY.values():
        for f in spec.files:
            assert sha256_file(shared_data / spec.name / f.name) == f.sha256, f.name
            assert f.url.startswith("https://") and len(f.sha256) == 64


def test_obelix_counts(obelix):
    s = obelix.summary()
    assert (s["rows_input"], s["rows_used"], s["train"], s["test"], s["censored"], s["with_cif"]) == (
        599, 599, 478, 121, 37, 321)
    assert s["rows_excluded"] == 0 and len(obelix.issues) == 0
    assert s["families"]["NASICON"] == 134 and s["families"]["garnet"] == 105
    assert obelix.spec.expected["censored"] == s["censored"]


def test_obelix_schema_and_values(obelix):
    f = obelix.frame
    assert list(f.columns[: len(NORMALIZED_COLUMNS)]) == list(NORMALIZED_COLUMNS)
    assert f["id"].is_unique
    # 'Reduced Composition' of na5 does not parse; the cell composition does
    na5 = f[f["id"] == "na5"].iloc[0]
    assert na5["formula"] == "Li6.0Mo16.0S16.0O80.0H94.0W2.0"
    assert na5["composition"]["H"] == 94
    cens = f[f["censored"]]
    assert (cens["sigma_S_cm"] == 1e-15).all() and (cens["log10_sigma"] == -15).all()
    assert set(cens["sigma_bound_S_cm"]) == {1e-10, 1e-8}
    assert f.loc[~f["censored"], "sigma_S_cm"].gt(0).all()
    assert f[["a", "b", "c", "alpha", "beta", "gamma", "space_group_number", "Z"]].notna().all().all()
    assert (f["formula_units_per_cell"] == 1).all()  # True Composition is the cell content
    raw = pd.read_csv(obelix.settings.data_dir / "obelix" / "test.csv")
    assert set(obelix.split("test")["id"]) == set(raw["ID"])
    assert obelix.split("test")["censored"].sum() == 8


def test_censored_floor_is_configurable(shared_data):
    ds = load_dataset("obelix", data_dir=shared_data, censored_floor=1e-12, download=False)
    assert (ds.frame.loc[ds.frame["censored"], "log10_sigma"] == -12).all()


def test_obelix_structures_are_parsed_into_the_cache(obelix, tmp_path):
    structures = obelix.structures()
    assert len(structures) == 321
    assert len(obelix.structure_issues) == 0
    assert set(structures) == set(obelix.frame.loc[obelix.frame["has_cif"], "id"])
    disordered = sum(not s.is_ordered for s in structures.values())
    assert disordered > 50  # many OBELiX CIFs have partial occupancies
    extracted = list((obelix.settings.cache_dir / "obelix" / "cifs").rglob("*.cif"))
    assert len(extracted) == 321


def test_xu2020_descriptors_pass_through(shared_data):
    ds = load_dataset("xu2020", data_dir=shared_data, download=False)
    assert len(ds.frame) == 70 and len(ds.issues) == 0
    assert int(ds.frame["Sclass"].sum()) == 40
    for col in ("a", "c", "h", "d", "D1ionicr", "D2ionicr", "PO4", "D1eneg", "D2eneg", "D3eneg"):
        assert col in ds.descriptors.columns
    assert not {"S", "Slog", "Sclass", "Ea"} & set(ds.descriptors.columns)
    raw = pd.read_csv(shared_data / "xu2020" / "TrainingData.csv", encoding="latin-1")
    assert ds.descriptors["D1ionicr"].tolist() == raw["D1ionicr"].tolist()
    # classes consistent with sigma >= 1e-6 S/cm
    assert ((ds.frame["sigma_S_cm"] >= 1e-6).astype(int) == ds.frame["Sclass"]).mean() == pytest.approx(1.0)
