"""User tables: normalization, the issues table, strict mode, passthrough descriptors."""

import math

import pandas as pd
import pytest

from explainsse.datasets import ISSUE_COLUMNS, NORMALIZED_COLUMNS, load_table
from explainsse.errors import InputDataError

from ..conftest import DATA

BAD = DATA / "bad_rows.csv"


def load_bad(**kw):
    return load_table(BAD, formula_col="composition", target_col="sigma_S_cm", id_col="sample",
                      family_col="family", descriptor_cols=["site_radius"], **kw)


def test_bad_rows_are_listed_with_row_id_column_and_reason():
    ds = load_bad()
    issues = ds.issues
    assert list(issues.columns) == list(ISSUE_COLUMNS)
    by_row = {r.row: r for r in issues.itertuples()}
    expected = {
        2: ("s3", "composition", "unknown element"),
        3: ("s4", "sigma_S_cm", "empty conductivity"),
        4: ("s5", "sigma_S_cm", "non-positive"),
        5: ("s6", "sigma_S_cm", "non-numeric"),
        6: ("s2", "sample", "duplicate id"),
        7: ("s8", "composition", "cannot parse formula"),
        9: (None, "sample", "empty id"),
        10: ("s11", "sigma_S_cm", "lower bound"),
    }
    assert set(by_row) == set(expected)
    for row, (row_id, column, reason) in expected.items():
        rec = by_row[row]
        assert (rec.column, reason in rec.reason) == (column, True), rec
        if row_id:
            assert rec.id == row_id
    assert ds.excluded_rows == sorted(expected)
    # the usable rows are exactly the others, nothing silently dropped
    assert sorted(ds.frame.index) == [0, 1, 8]
    assert len(ds.frame) + len(ds.excluded_rows) == ds.n_input_rows == 11
    s = ds.summary()
    assert (s["rows_input"], s["rows_used"], s["rows_excluded"], s["issues"]) == (11, 3, 8, 8)


def test_strict_raises_on_first_bad_row():
    with pytest.raises(InputDataError, match=r"row 2 \(id 's3'\), column 'composition'.*unknown element"):
        load_bad(strict=True)


def test_normalized_schema_and_censoring():
    ds = load_bad()
    f = ds.frame
    assert list(f.columns) == list(NORMALIZED_COLUMNS)
    latp = f.loc[8]
    assert latp["censored"] and latp["sigma_bound_S_cm"] == 1e-10 and latp["sigma_S_cm"] == 1e-15
    assert latp["log10_sigma"] == -15
    assert f.loc[0, "composition"].reduced_formula == "Li7La3Zr2O12"
    assert f.loc[0, "family"] == "garnet"
    assert math.isnan(f.loc[0, "a"])  # no lattice columns in this file


def test_descriptor_columns_pass_through_untouched():
    ds = load_bad()
    assert list(ds.descriptors.columns) == ["site_radius"]
    raw = pd.read_csv(BAD)
    assert ds.descriptors["site_radius"].tolist() == raw.loc[[0, 1, 8], "site_radius"].tolist()


def test_log10_target_lattice_autodetect_and_candidates():
    ds = load_table(DATA / "candidates.csv", target_col="log10_sigma", target_kind="log10",
                    id_col="id", space_group_col="sg", z_col="Z")
    f = ds.frame.set_index("id")
    assert len(ds.issues) == 0
    assert f.loc["llzo", "sigma_S_cm"] == pytest.approx(10**-3.5)
    assert f.loc["=cmd", "censored"] and f.loc["=cmd", "sigma_bound_S_cm"] == pytest.approx(1e-9)
    assert f.loc["lgps", "a"] == 8.72 and f.loc["lgps", "space_group_number"] == 137
    assert f.loc["llzo", "formula_units_per_cell"] == 8  # formula-unit basis: Z copies per cell
    # candidates without measurements: no target column needed (find_columns=False, else the
    # log10_sigma column would be found by its name)
    cand = load_table(DATA / "candidates.csv", id_col="id", find_columns=False)
    assert cand.frame["sigma_S_cm"].isna().all() and len(cand.issues) == 0


def test_default_finds_conductivity_id_and_family_by_name_as_the_cli_does(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("id,formula,sigma,family\nllzo,Li7La3Zr2O12,3e-4,garnet\nlps,Li3PS4,<1e-8,thio\n")
    ds = load_table(p)
    assert ds.frame["id"].tolist() == ["llzo", "lps"]
    assert ds.frame["sigma_S_cm"].tolist()[0] == pytest.approx(3e-4) and ds.frame["censored"].tolist() == [False, True]
    assert ds.frame["family"].tolist() == ["garnet", "thio"]
    assert sum("found by name" in n for n in ds.notes) == 1
    assert "conductivity column 'sigma'" in ds.notes[0] and "id column 'id'" in ds.notes[0]
    # explicit arguments win; find_columns=False reads only the named columns
    own = load_table(p, id_col="formula", family_col=None)
    assert own.frame["id"].tolist() == ["Li7La3Zr2O12", "Li3PS4"] and "id column" not in own.notes[0]
    plain = load_table(p, find_columns=False)
    assert plain.frame["id"].tolist() == ["row0", "row1"] and plain.frame["sigma_S_cm"].isna().all()
    assert plain.notes == []


def test_missing_columns_are_named():
    with pytest.raises(InputDataError, match="missing target column 'sigma'.*available columns"):
        load_table(BAD, formula_col="composition", target_col="sigma")
    with pytest.raises(InputDataError, match="file not found"):
        load_table(DATA / "nope.csv")
    with pytest.raises(InputDataError, match="target kind"):
        load_table(BAD, formula_col="composition", target_col="sigma_S_cm", target_kind="mS")


def test_invalid_lattice_values_are_issues(tmp_path):
    p = tmp_path / "lat.csv"
    p.write_text("formula,a,b,c,alpha,beta,gamma,sg\nLi2O,4.6,4.6,4.6,90,90,90,225\n"
                 "Li3N,-1,3.6,3.9,90,90,120,191\nLiCl,5.1,5.1,5.1,90,90,90,999\n")
    ds = load_table(p, space_group_col="sg")
    assert ds.issues["reason"].tolist() == ["invalid lattice a '-1' (expected 1-1000 A)",
                                            "space-group number must be an integer 1-230"]
    assert ds.frame["formula"].tolist() == ["Li2O"]
