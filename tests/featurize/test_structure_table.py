"""Structure descriptors as a featurizer group: presets, missing structures, CLI with a CIF folder."""

import math

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure
from typer.testing import CliRunner

from explainsse.cli import app
from explainsse.featurize import DescriptorFeaturizer, get_preset
from explainsse.featurize.presets import choose_preset
from explainsse.featurize.structure import HAS_STRUCTURE, LABELS

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache

LI2O = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.61), ["Li", "O"], [[0.25, 0.25, 0.25], [0, 0, 0]])
LI3N = Structure(Lattice.hexagonal(3.648, 3.875), ["N", "Li", "Li", "Li"],
                 [[0, 0, 0], [0, 0, 0.5], [1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0]])


def test_presets_add_the_structure_group():
    assert get_preset("structure-v1").input_kinds == ("composition", "structure")
    full = get_preset("full-v1")
    assert full.input_kinds == ("composition", "lattice", "structure")
    assert set(get_preset("crystal-v1").labels()) | set(LABELS) == set(full.labels())
    frame = pd.DataFrame({"formula": ["Li2O", "Li3N"], "has_cif": [True, False], "space_group_number": [225, 191],
                          **{k: [1.0, np.nan] for k in "a b c alpha beta gamma".split()}})
    assert choose_preset(frame)[0] == "full-v1"
    assert choose_preset(frame.assign(has_cif=False))[0] == "crystal-v1"
    assert full.subset_available(frame.assign(has_cif=False)).name == "full-v1[composition+lattice]"


def test_structures_from_python_with_a_missing_one(tmp_path):
    table = pd.DataFrame({"formula": ["Li2O", "LiCl", "Li3N"], "structure": [LI2O, None, LI3N]},
                         index=["a", "b", "c"])
    f = DescriptorFeaturizer("structure-v1", cache=True, cache_dir=tmp_path, n_jobs=1).fit(table)
    X = f.transform(table)
    assert list(X.index) == ["a", "b", "c"] and "structure notes" not in X
    assert X[HAS_STRUCTURE].tolist() == [1.0, 0.0, 1.0]
    assert X.loc["b", list(LABELS[:-1])].isna().all()
    assert X.loc["a", "Sendek LLSD mean shortest Li-Li distance"] == pytest.approx(4.61 / 2)
    assert f.notes_.to_dict() == {"b": "no crystal structure (CIF) for this row"}
    again = DescriptorFeaturizer("structure-v1", cache=True, cache_dir=tmp_path, n_jobs=1).fit(table)
    pd.testing.assert_frame_equal(again.transform(table), X)
    assert again.last_cache_hit_ and again.notes_.to_dict() == f.notes_.to_dict()  # the notes are cached too
    moved = table.assign(structure=[LI2O, None, LI2O])  # another structure: another key
    third = DescriptorFeaturizer("structure-v1", cache=True, cache_dir=tmp_path, n_jobs=1).fit(moved)
    third.transform(moved)
    assert not third.last_cache_hit_


def test_formula_comes_from_the_structure_when_not_given():
    X = DescriptorFeaturizer("structure-v1", cache=False, n_jobs=1).fit_transform(pd.DataFrame({"structure": [LI2O]}))
    assert X.loc[0, "Electrolyte Li atomic fraction"] == pytest.approx(2 / 3)


def test_featurize_a_csv_with_a_cif_folder(tmp_path):
    cifs = tmp_path / "my_cifs"
    cifs.mkdir()
    (cifs / "m1.cif").write_text(LI2O.to(fmt="cif"))
    (cifs / "m3.cif").write_text("data_broken\n_cell_length_a 3\n")
    pd.DataFrame({"id": ["m1", "m2", "m3"], "formula": ["Li2O", "Li3N", "LiCl"],
                  "sigma": [1e-9, 1e-4, 1e-8]}).to_csv(tmp_path / "my.csv", index=False)
    out = tmp_path / "f.parquet"
    r = CliRunner().invoke(app, ["featurize", "--input", str(tmp_path / "my.csv"), "--cifs", str(cifs),
                                 "--preset", "structure-v1", "-o", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    table = pd.read_parquet(out)
    assert len(table) == 3 and table[HAS_STRUCTURE].tolist() == [1.0, 0.0, 0.0]
    assert math.isclose(table.loc[0, "Sendek LASD mean shortest Li-anion distance"], 4.61 * 3**0.5 / 4)
    notes = pd.read_csv(tmp_path / "f.structure-notes.csv")
    assert notes["id"].tolist() == ["m2", "m3"]
    assert notes["reason"].iloc[0] == f"no m2.cif in {cifs}: the structure descriptors are imputed"  # names the folder
    assert notes["reason"].iloc[1].startswith("CIF not usable")
    assert "2 rows with missing structure descriptors" in r.stderr


def test_descriptors_lists_every_structure_descriptor_with_unit_and_citation():
    r = CliRunner().invoke(app, ["descriptors", "--preset", "structure-v1", "--json"])
    assert r.exit_code == 0, r.output
    import json

    rows = {d["name"]: d for d in json.loads(r.stdout)["descriptors"]}
    for label in LABELS:
        assert rows[label]["unit"] and rows[label]["meaning"] and rows[label]["citation"], label


def test_user_columns_beside_structures_are_cached_too(tmp_path):
    table = pd.DataFrame({"formula": ["Li2O", "Li3N"], "structure": [LI2O, LI3N], "my_radius": [0.7, 0.8]})
    first = DescriptorFeaturizer("structure-v1", passthrough=["my_radius"], cache_dir=tmp_path, n_jobs=1).fit(table)
    X = first.transform(table)
    assert list(X.columns)[-1] == "my_radius"
    again = DescriptorFeaturizer("structure-v1", passthrough=["my_radius"], cache_dir=tmp_path, n_jobs=1).fit(table)
    pd.testing.assert_frame_equal(again.transform(table), X)
    assert again.last_cache_hit_
