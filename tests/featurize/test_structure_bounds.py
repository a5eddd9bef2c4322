"""Structures that would exhaust memory or sink a run (issue 21): refused or contained, row by row.

Every case of the red-team campaign, with small caps (monkeypatched settings) instead of large
files: a 0.01 A cell, too many sites, a cell beyond the BVSE grid limit, invalid occupancies, a
symbolic link in a ``--cifs`` folder, a worker process killed while computing one row.
"""

import math
import os
import signal

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure
from typer.testing import CliRunner

from explainsse import _config
from explainsse.cli import app
from explainsse.datasets.cifs import parse_cifs, read_cif, structure_problem
from explainsse.featurize import structure as structure_module
from explainsse.featurize.structure import HAS_STRUCTURE, LABELS, structure_descriptors
from explainsse.featurize.structure_table import NOTES, StructureFeaturizer

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache

BVSE = [k for k in LABELS if k.startswith("BVSE")]
GEOMETRY = [k for k in LABELS if not k.startswith("BVSE") and k != HAS_STRUCTURE]


def cif(a=4.61, occupancy="1", ops=("x, y, z",), rows=None):
    """A small Li2O-like CIF as text (P1 unless ``ops`` lists more operations)."""
    rows = rows or [("O1", "O", 0.0, 0.0, 0.0, "1"), ("Li1", "Li", 0.25, 0.25, 0.25, occupancy),
                    ("Li2", "Li", 0.75, 0.75, 0.75, "1")]
    lines = ["data_test", "_symmetry_space_group_name_H-M   'P 1'",
             *[f"_cell_length_{k}   {a}" for k in "abc"], *[f"_cell_angle_{k}   90" for k in ("alpha", "beta", "gamma")],
             "loop_", " _symmetry_equiv_pos_as_xyz", *[f"  '{op}'" for op in ops],
             "loop_", " _atom_site_label", " _atom_site_type_symbol", " _atom_site_fract_x", " _atom_site_fract_y",
             " _atom_site_fract_z", " _atom_site_occupancy",
             *[f"  {label} {el} {x} {y} {z} {occ}" for label, el, x, y, z, occ in rows]]
    return "\n".join(lines) + "\n"


def li2o(a=4.61):
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["Li", "O"], [[0.25, 0.25, 0.25], [0, 0, 0]])


def featurize_folder(tmp_path, files: dict, ids=("good", "bad")):
    """``explainsse featurize --cifs`` on a folder of CIFs (name -> text); returns (result, table, notes)."""
    folder = tmp_path / "cifs"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.cif").write_text(text)
    pd.DataFrame({"id": list(ids), "formula": ["Li2O"] * len(ids), "sigma": [1e-9] * len(ids)}).to_csv(
        tmp_path / "t.csv", index=False)
    out = tmp_path / "f.parquet"
    r = CliRunner().invoke(app, ["featurize", "--input", str(tmp_path / "t.csv"), "--cifs", str(folder),
                                 "--preset", "structure-v1", "-o", str(out), "--quiet", "--no-cache"])
    assert r.exit_code == 0, r.output
    notes_file = tmp_path / "f.structure-notes.csv"
    notes = pd.read_csv(notes_file).set_index("id")["reason"].to_dict() if notes_file.exists() else {}
    return r, pd.read_parquet(out).set_index("id"), notes


def assert_row_kept_without_structure(table, row_id):
    """The row is kept: composition descriptors present, structure descriptors NaN."""
    assert table.loc[row_id, "Electrolyte Li atomic fraction"] == pytest.approx(2 / 3)
    assert table.loc[row_id, columns(table, GEOMETRY + BVSE)].isna().all()


def assert_row_has_structure(table, row_id):
    """The row's structure descriptors are those of its CIF (the good Li2O-like cell)."""
    expected = structure_descriptors(Structure.from_str(cif(), fmt="cif")).values
    assert table.loc[row_id, HAS_STRUCTURE] == 1
    for k in columns(table, GEOMETRY + BVSE):
        assert table.loc[row_id, k] == pytest.approx(expected[k], nan_ok=True), k


def columns(table, labels):
    """The labels the output has (constant columns may be left out of a table)."""
    present = [k for k in labels if k in table]
    assert len(present) > 0.8 * len(labels)
    return present


# --- cells -----------------------------------------------------------------------------------------------


def test_a_cell_of_0_01_angstrom_is_a_row_issue_naming_the_file(tmp_path):
    r, table, notes = featurize_folder(tmp_path, {"good": cif(), "bad": cif(a=0.01)})
    assert notes["bad"] == ("CIF not usable: refused: bad.cif: cell length a = 0.01 A is outside the accepted range "
                            "2-100 A (MIN_CELL_LENGTH_A, MAX_CELL_LENGTH_A)")
    assert_row_kept_without_structure(table, "bad")
    assert_row_has_structure(table, "good")
    assert "good" not in notes


def test_a_tiny_or_huge_cell_built_in_python_is_refused_before_anything_is_computed():
    tiny = Structure(Lattice.cubic(0.01), ["Li", "Li", "O"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0]])
    r = structure_descriptors(tiny)
    assert r.reasons == ["structure refused: cell length a = 0.01 A is outside the accepted range 2-100 A "
                         "(MIN_CELL_LENGTH_A, MAX_CELL_LENGTH_A)"]
    assert r.values[HAS_STRUCTURE] == 0 and all(math.isnan(r.values[k]) for k in GEOMETRY + BVSE)
    assert r.seconds == {}
    huge = Structure(Lattice.cubic(150.0), ["Li", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert structure_problem(huge).startswith("cell length a = 150 A is outside the accepted range 2-100 A")
    # a flattened cell (edges in range, angles nearly 180): the volume per site catches it
    flat = Structure(Lattice.from_parameters(5, 5, 5, 179.9, 90.05, 90.05), ["Li", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert "below the physical floor of 2 A^3 (MIN_VOLUME_PER_SITE_A3)" in structure_problem(flat)


@pytest.mark.slow
def test_a_big_cell_beyond_the_grid_limit_keeps_its_other_descriptors(monkeypatch):
    monkeypatch.setattr(_config, "MAX_BVSE_GRID_POINTS", 100_000)  # Li2O at 0.3 A: 15^3 points, padded 61^3
    r = structure_descriptors(li2o())
    assert r.reasons == ["BVSE: grid of 226,981 points (15x15x15 at 0.3 A, padded by the 6 A cutoff) is over the "
                         "limit of 100,000 (MAX_BVSE_GRID_POINTS)"]
    assert all(math.isnan(r.values[k]) for k in BVSE)
    assert all(math.isfinite(r.values[k]) for k in GEOMETRY) and r.values[HAS_STRUCTURE] == 1
    monkeypatch.setattr(_config, "MAX_BVSE_GRID_POINTS", 230_000)
    assert all(math.isfinite(v) for v in structure_descriptors(li2o()).values.values())


@pytest.mark.slow
def test_too_many_sites_in_a_cif_or_a_structure(tmp_path, monkeypatch):
    monkeypatch.setattr(_config, "MAX_STRUCTURE_SITES", 8)  # the conventional Li2O cell has 12
    r = structure_descriptors(li2o())
    assert r.reasons == ["structure refused: 12 sites in the cell, over the limit of 8 (MAX_STRUCTURE_SITES)"]
    path = tmp_path / "big.cif"
    path.write_text(li2o().to(fmt="cif"))
    with pytest.raises(ValueError, match=r"^big.cif: 12 sites in the cell, over the limit of 8 \(MAX_STRUCTURE_SITES\)$"):
        read_cif(path)
    # rows x symmetry operations are counted on the text, before pymatgen expands them
    monkeypatch.setattr(_config, "MAX_CIF_EXPANDED_SITES", 10)
    path.write_text(cif(ops=["x, y, z", "-x, -y, -z", "-x, y, z", "x, -y, z"]))
    with pytest.raises(ValueError, match=r"big.cif: 3 atom-site rows x 4 symmetry operations = 12 possible sites, "
                                         r"over the limit of 10 \(MAX_CIF_EXPANDED_SITES\)"):
        read_cif(path)


@pytest.mark.slow
def test_the_bounds_reach_worker_processes(monkeypatch):
    """Bounds patched in the parent apply in the workers too (they are passed with each row)."""
    monkeypatch.setattr(_config, "MAX_STRUCTURE_SITES", 8)
    column = pd.Series([None] * 5, dtype=object)
    for k, s in enumerate([li2o(), li2o(4.7), li2o(4.8), li2o(4.9),
                           Structure(Lattice.cubic(4.0), ["Li", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])]):
        column[k] = s
    table = pd.DataFrame({"structure": column})
    out = StructureFeaturizer(n_jobs=2).featurize_table(table)
    assert out[NOTES].iloc[:4].tolist() == ["structure refused: 12 sites in the cell, over the limit of 8 "
                                            "(MAX_STRUCTURE_SITES)"] * 4
    assert out[HAS_STRUCTURE].tolist() == [0, 0, 0, 0, 1]


# --- occupancies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("occupancy, shown", [("-0.5", "-0.5"), ("nan", "'nan'"), ("NaN", "'NaN'"), ("0", "0"),
                                              (".", "'.'"), ("1.2", "1.2")])
def test_an_invalid_occupancy_refuses_the_cif_with_the_reason(tmp_path, occupancy, shown):
    path = tmp_path / "occ.cif"
    path.write_text(cif(occupancy=occupancy))
    structures, failures = parse_cifs({"occ": path})
    assert structures == {}
    assert failures.to_dict("records") == [{
        "id": "occ", "file": str(path),
        "reason": f"refused: occ.cif: atom site Li1 (row 2) has occupancy {shown}; an occupancy must be a number "
                  f"in (0, 1] (up to 1.05 is read as 1)"}]


def test_occupancy_minus_half_and_nan_are_row_issues_in_featurize(tmp_path):
    r, table, notes = featurize_folder(tmp_path, {"good": cif(), "neg": cif(occupancy="-0.5"),
                                                  "notnum": cif(occupancy="nan")}, ids=("good", "neg", "notnum"))
    assert notes["neg"].startswith("CIF not usable: refused: neg.cif: atom site Li1 (row 2) has occupancy -0.5;")
    assert notes["notnum"].startswith("CIF not usable: refused: notnum.cif: atom site Li1 (row 2) has occupancy 'nan';")
    assert "2 rows with missing structure descriptors" in r.stderr
    for row_id in ("neg", "notnum"):
        assert_row_kept_without_structure(table, row_id)
    assert_row_has_structure(table, "good")


def test_rounding_above_one_and_unknown_occupancies_are_read_as_before(tmp_path):
    path = tmp_path / "ok.cif"
    path.write_text(cif(occupancy="1.02"))  # within the tolerance: scaled to 1
    assert [round(sum(s.species.values()), 6) for s in read_cif(path)] == [1.0, 1.0, 1.0]
    path.write_text(cif(occupancy="?"))  # unknown: the CIF default, 1
    assert len(read_cif(path)) == 3
    path.write_text(cif(occupancy="0.5(2)"))
    assert sorted(sum(s.species.values()) for s in read_cif(path)) == [0.5, 1.0, 1.0]


def test_a_python_structure_with_a_coordinate_that_is_not_a_number_is_refused():
    # (pymatgen itself refuses negative occupancies and sums above 1, and drops NaN ones)
    s = Structure(Lattice.cubic(4.61), ["Li", "O"], [[float("nan"), 0, 0], [0.5, 0.5, 0.5]])
    assert structure_descriptors(s).reasons == ["structure refused: site 1 (Li1) has a coordinate that is not a number"]


# --- links --------------------------------------------------------------------------------------------------


def test_a_symlink_in_a_cif_folder_is_refused_naming_the_file(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.cif").write_text(cif())
    folder = tmp_path / "cifs"
    folder.mkdir()
    (folder / "bad.cif").symlink_to(outside / "secret.cif")
    r, table, notes = featurize_folder(tmp_path, {"good": cif()})
    assert notes["bad"] == (f"CIF not usable: refused: bad.cif is a symbolic link (to {outside / 'secret.cif'}); links "
                            f"are refused in a CIF folder or column, as in CIF archives (they can lead outside the folder): "
                            f"copy "
                            f"the file instead")
    assert_row_kept_without_structure(table, "bad")
    assert_row_has_structure(table, "good")


def test_a_fifo_named_cif_is_refused_without_being_read(tmp_path):
    fifo = tmp_path / "pipe.cif"
    os.mkfifo(fifo)  # reading it would block for ever
    structures, failures = parse_cifs({"pipe": fifo})
    assert failures["reason"].tolist() == ["refused: pipe.cif is not a regular file (folder, device or fifo)"]


# --- time limit ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_time_limit_covers_every_descriptor():
    r = structure_descriptors(li2o(), time_limit=0.0)
    assert r.reasons == ["time limit of 0 s per structure reached during preparation: Sendek, Li sublattice, "
                         "anion framework, BVSE descriptors not computed (STRUCTURE_TIME_LIMIT_S)"]
    assert all(math.isnan(r.values[k]) for k in GEOMETRY + BVSE) and r.values[HAS_STRUCTURE] == 1


@pytest.mark.slow
def test_time_running_out_half_way_keeps_what_was_finished(monkeypatch):
    import time

    original = structure_module._li_sublattice

    def slow(*args, **kwargs):
        out = original(*args, **kwargs)
        time.sleep(0.5)
        return out

    monkeypatch.setattr(structure_module, "_li_sublattice", slow)
    r = structure_descriptors(li2o(), time_limit=0.4)
    assert r.reasons == ["time limit of 0.4 s per structure reached during anion framework: anion framework, BVSE "
                         "descriptors not computed (STRUCTURE_TIME_LIMIT_S)"]
    done = [k for k in GEOMETRY if k.startswith(("Sendek", "Li ")) or k == "Anion framework shortest anion-anion distance"]
    assert all(math.isfinite(r.values[k]) for k in done)
    assert all(math.isnan(r.values[k]) for k in BVSE + [k for k in GEOMETRY if k not in done])


# --- a worker killed ----------------------------------------------------------------------------------------


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


class KillsItsWorker:
    """Stands in for a structure whose descriptors exhaust memory: the worker that receives it is killed."""

    def __reduce__(self):
        return (_die, ())


@pytest.mark.slow
def test_a_killed_worker_costs_only_its_row():
    # the killer comes last, so the test starts few pools (tests/test_parallel.py has one in the middle)
    ids = ["a", "b", "c", "d", "killer"]
    structures = [li2o(4.5 + 0.05 * k) for k in range(4)]
    column = pd.Series([None] * 5, index=ids, dtype=object)
    for idx, s in zip(ids, structures + [KillsItsWorker()]):
        column[idx] = s
    out = StructureFeaturizer(n_jobs=2).featurize_table(pd.DataFrame({"structure": column}))
    assert out.loc["killer", NOTES].startswith("structure descriptors lost: worker process died (out of memory?)")
    assert "SIGKILL" in out.loc["killer", NOTES]
    assert out.loc["killer", GEOMETRY + BVSE].isna().all()
    others = out.drop(index="killer")
    assert others[GEOMETRY + BVSE].notna().all().all() and (others[NOTES] == "").all()
    expected = [structure_descriptors(s).values["Sendek LLSD mean shortest Li-Li distance"] for s in structures]
    np.testing.assert_allclose(others["Sendek LLSD mean shortest Li-Li distance"], expected)
