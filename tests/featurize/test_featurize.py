"""Descriptors: golden values against matminer, electrolyte/crystal values by hand, cache, errors."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone

from explainsse.datasets import load_table
from explainsse.errors import FeaturizationError, InputDataError
from explainsse.featurize import (
    PRESETS,
    DescriptorFeaturizer,
    describe,
    feature_names,
    featurize_dataset,
    glossary,
)
from explainsse.featurize.crystal import cell_volume

from ..conftest import DATA

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache

GOLDEN = ["Li7La3Zr2O12", "Li10GeP2S12", "Li1.3Al0.3Ti1.7(PO4)3"]


def matminer_reference():
    from matminer.featurizers.composition import ElementProperty, Stoichiometry, ValenceOrbital
    from matminer.featurizers.conversions import StrToComposition

    df = StrToComposition().featurize_dataframe(pd.DataFrame({"formula": GOLDEN}), "formula",
                                                pbar=False)
    for f in (ElementProperty.from_preset("magpie", impute_nan=False), Stoichiometry(),
              ValenceOrbital(impute_nan=False)):
        df = f.featurize_dataframe(df, "composition", pbar=False)
    return df


@pytest.mark.parametrize("backend, tol", [("matminer", 0.0), ("vectorized", 1e-9)])
def test_golden_values_equal_matminer_output(backend, tol):
    ours = DescriptorFeaturizer(cache=False, backend=backend).fit_transform(GOLDEN)
    ref = matminer_reference()
    magpie = [c for c in ref.columns if c.startswith("MagpieData")]
    assert len(magpie) == 132
    assert_allclose(ours[magpie].to_numpy(), ref[magpie].to_numpy(), rtol=tol, atol=tol)
    stoich = ["0-norm", "2-norm", "3-norm", "5-norm", "7-norm", "10-norm"]
    assert_allclose(ours[[f"Stoichiometry {c}" for c in stoich]].to_numpy(), ref[stoich].to_numpy())
    orbital = [c for c in ref.columns if "valence electrons" in c]
    assert len(orbital) == 8
    assert_allclose(ours[orbital].to_numpy(), ref[orbital].to_numpy())
    # a couple of physically checkable values
    assert ours.loc[0, "MagpieData maximum Number"] == 57  # La
    assert ours.loc[1, "Stoichiometry 0-norm"] == 4


def test_electrolyte_descriptors_by_hand():
    X = DescriptorFeaturizer(cache=False).fit_transform(["Li7La3Zr2O12", "Li10GeP2S12", "Li3N", "Li6PS5Cl"])
    llzo, lgps, li3n, argy = (X.loc[i] for i in range(4))
    e = "Electrolyte "
    assert llzo[e + "Li atomic fraction"] == pytest.approx(7 / 24)
    assert llzo[e + "Li per non-Li cation"] == pytest.approx(7 / 5)
    assert llzo[e + "Li per anion"] == pytest.approx(7 / 12)
    assert llzo[e + "O share of anions"] == 1 and llzo[e + "S share of anions"] == 0
    assert llzo[e + "Li charge share"] == pytest.approx(7 / 24)
    assert llzo[e + "distinct non-Li cations"] == 2
    assert llzo[e + "mean anion radius"] == pytest.approx(1.26)  # Shannon O2-
    assert llzo[e + "mean anion electronegativity"] == pytest.approx(3.44)
    assert lgps[e + "S share of anions"] == 1
    assert lgps[e + "Li share of cations"] == pytest.approx(10 / 13)
    assert lgps[e + "anion-cation electronegativity difference"] == pytest.approx(
        2.58 - (10 * 0.98 + 2.01 + 2 * 2.19) / 13)
    assert li3n[e + "Li charge share"] == pytest.approx(1.0)  # Li3N is charge balanced by Li alone
    assert np.isnan(li3n[e + "Li per non-Li cation"])  # Li is the only cation
    assert argy[e + "distinct anions"] == 2
    assert argy[e + "Cl share of anions"] == pytest.approx(1 / 6)


def test_cell_volume():
    assert cell_volume(2, 3, 4, 90, 90, 90) == pytest.approx(24)
    hexagonal = cell_volume(3, 3, 5, 90, 90, 120)
    assert hexagonal == pytest.approx(3 * 3 * 5 * np.sqrt(3) / 2)


def test_crystal_descriptors_on_a_user_table():
    ds = load_table(DATA / "candidates.csv", id_col="id", space_group_col="sg", z_col="Z")
    X = featurize_dataset(ds, "crystal-v1", cache=False).X
    llzo = X.loc[0]
    volume = 12.97**3
    assert llzo["Crystal cell volume"] == pytest.approx(volume)
    assert llzo["Crystal atoms per cell"] == 8 * 24
    assert llzo["Crystal volume per atom"] == pytest.approx(volume / 192)
    assert llzo["Crystal volume per anion"] == pytest.approx(volume / 96)
    assert llzo["Crystal Li number density"] == pytest.approx(1000 * 56 / volume)
    assert llzo["Crystal system is cubic"] == 1 and llzo["Crystal system is triclinic"] == 0
    assert X.loc[2, "Crystal system is trigonal"] == 1  # R-3c, no. 167
    assert list(X.columns) == feature_names("crystal-v1")


def test_featurizer_is_a_clean_sklearn_transformer():
    f = DescriptorFeaturizer("crystal-v1", cache=False, errors="nan")
    assert clone(f).get_params() == f.get_params()
    assert f.get_params()["preset"] == "crystal-v1"
    with pytest.raises(InputDataError, match="needs input columns"):
        f.fit(["Li2O"])  # crystal preset needs lattice columns
    g = DescriptorFeaturizer(cache=False).fit(pd.Series(["Li2O"], index=[7]))
    out = g.transform(pd.Series(["Li2O", "Li3N"], index=["a", "b"]))
    assert list(out.index) == ["a", "b"]
    assert list(g.get_feature_names_out()) == list(out.columns) == feature_names("composition-v1")
    with pytest.raises(ValueError, match="errors must be one of"):
        DescriptorFeaturizer(errors="ignore").fit(["Li2O"])


def test_repeated_formulas_are_featurized_once(monkeypatch):
    import explainsse.featurize.transformer as t

    seen = []
    real = t._featurize_chunk
    monkeypatch.setattr(t, "_featurize_chunk", lambda chunk, preset: seen.extend(chunk) or real(chunk, preset))
    X = DescriptorFeaturizer(cache=False, backend="matminer").fit_transform(["Li2O", "Li3N", "Li2O"] * 50)
    assert sorted(seen) == ["Li2O", "Li3N"] and len(X) == 150
    assert_allclose(X.iloc[0].to_numpy(), X.iloc[2].to_numpy())


def test_cache_roundtrip(tmp_path):
    f = DescriptorFeaturizer(cache_dir=tmp_path).fit(GOLDEN)
    first = f.transform(GOLDEN)
    assert not f.last_cache_hit_
    second = f.transform(GOLDEN)
    assert f.last_cache_hit_
    pd.testing.assert_frame_equal(first, second)
    files = list((tmp_path / "features" / "composition-v1").glob("*.parquet"))
    assert len(files) == 1
    f.transform(GOLDEN[:2])  # other content, other key
    assert len(list((tmp_path / "features" / "composition-v1").glob("*.parquet"))) == 2


def test_errors_raise_with_row_or_give_nan():
    with pytest.raises(FeaturizationError, match=r"row 1 \(formula 'Xx2'\)"):
        DescriptorFeaturizer(cache=False).fit_transform(["Li2O", "Xx2"])
    with pytest.warns(RuntimeWarning, match="1 rows could not be featurized"):
        X = DescriptorFeaturizer(cache=False, errors="nan").fit_transform(["Li2O", "Xx2"])
    assert X.loc[1].isna().all() and X.loc[0].notna().sum() > 100


def test_passthrough_columns(tmp_path):
    ds = load_table(DATA / "bad_rows.csv", formula_col="composition", target_col="sigma_S_cm",
                    id_col="sample", descriptor_cols=["site_radius"])
    X = featurize_dataset(ds, cache=False).X
    assert X["site_radius"].tolist() == [1.02, 0.9, 0.3]
    table = pd.DataFrame({"formula": ["Li2O"], "note": ["x"]})
    with pytest.raises(InputDataError, match="'note' is not numeric"):
        DescriptorFeaturizer(passthrough=["note"], cache=False).fit_transform(table)


def test_every_descriptor_has_a_glossary_entry():
    for name in PRESETS:
        names = feature_names(name)
        assert len(names) == len(set(names))
        g = glossary(name)
        assert g["name"].tolist() == names
        assert g[["meaning", "unit", "source", "citation"]].ne("").all().all()
    assert describe("MagpieData mean Electronegativity").unit == "Pauling units"
    assert describe("Crystal Li number density").unit == "nm^-3"
    assert describe("my own column").source == "user input"
    assert len(feature_names("composition-v1")) == 132 + 6 + 8 + 23
    assert len(feature_names("crystal-v1")) == len(feature_names("composition-v1")) + 19


@pytest.mark.integration
def test_obelix_crystal_features_have_no_silent_drops(obelix):
    X = featurize_dataset(obelix, "crystal-v1").X
    assert X.shape == (599, len(feature_names("crystal-v1")))
    assert list(X.index) == list(obelix.frame.index)
    # every column is populated for (nearly) every row; the NaNs that exist are explained
    nan_cols = X.isna().sum()
    assert nan_cols[nan_cols > 0].index.str.startswith(("Electrolyte", "Crystal volume per anion")).all()
    assert X["Crystal cell volume"].notna().all() and X["MagpieData mean Number"].notna().all()


def test_glossary_names_match_the_featurizers_own_labels():
    from explainsse.featurize import make_featurizers
    from explainsse.featurize.descriptors import composition_feature_names

    labels = [prefix + label for f, prefix in make_featurizers("composition-v1") for label in f.feature_labels()]
    assert labels == composition_feature_names("composition-v1")


def test_presets_are_ordered_featurizer_groups_with_their_own_labels():
    from explainsse.featurize import get_preset
    from explainsse.featurize.cache import key_inputs
    from explainsse.featurize.groups import GROUPS

    crystal = get_preset("crystal-v1")
    assert [g.name for g in crystal.groups] == ["magpie", "stoichiometry", "valence_orbital", "electrolyte", "lattice"]
    assert crystal.input_kinds == ("composition", "lattice") and crystal.crystal
    # labels come from each featurizer's own feature_labels(), in preset order
    assert crystal.labels() == [GROUPS["stoichiometry"].prefix + lab if g.name == "stoichiometry" else lab
                                for g in crystal.groups for lab in g.featurizer().feature_labels()]
    assert all(e.name == lab and e.meaning for g in crystal.groups for e, lab in zip(g.entries(), g.labels()))
    # the composition part of a preset, by name (what a lattice model screens formulas with)
    comp = get_preset("crystal-v1[composition]")
    assert comp.labels() == get_preset("composition-v1").labels() and not comp.crystal
    assert crystal.subset_available(pd.DataFrame({"formula": ["Li2O"]})).name == "crystal-v1[composition]"
    # the cache key depends on the groups and their labels, not only on the preset's name
    inputs = pd.DataFrame({"formula": ["Li2O"]})
    assert key_inputs(comp, inputs)["labels"] != key_inputs(crystal, inputs)["labels"]
    assert key_inputs(comp, inputs)["groups"] == [[g.name, g.input_kind] for g in comp.groups]


def test_machine_dependent_structure_results_are_not_cached_and_caps_key_the_cache(monkeypatch):
    import pandas as pd

    from explainsse import _config
    from explainsse.featurize.cache import key_inputs
    from explainsse.featurize.transformer import NOTES, _transient

    ok = pd.DataFrame({"x": [1.0, 2.0], NOTES: ["", "oxidation states guessed"]})
    lost = ok.assign(**{NOTES: ["", "structure descriptors lost: worker process died (out of memory?)"]})
    slow = ok.assign(**{NOTES: ["time limit of 60 s per structure reached during BVSE: not computed", ""]})
    assert not _transient(ok) and _transient(lost) and _transient(slow)
    inputs = pd.DataFrame({"formula": ["Li2O"]})
    before = key_inputs("composition-v1", inputs)
    monkeypatch.setattr(_config, "MAX_STRUCTURE_SITES", 10)
    after = key_inputs("composition-v1", inputs)
    assert before["limits"]["MAX_STRUCTURE_SITES"] == 2000 and after != before
