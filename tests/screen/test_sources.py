"""Candidate sources: chunked files and aliovalent doping grids with charge balance through Li."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explainsse.errors import InputDataError
from explainsse.screen.sources import (
    enumerate_substitutions,
    enumeration_chunks,
    parse_range,
    parse_substitution,
    read_chunks,
)


def test_range_includes_both_ends():
    assert parse_range("0:0.5:0.05").tolist() == pytest.approx([0.05 * k for k in range(11)])
    assert len(parse_range("0:1:0.05")) == 21
    for bad in ("0:1", "1:0:0.1", "0:1:0", "a:b:c"):
        with pytest.raises(InputDataError):
            parse_range(bad)


def test_substitution_syntax():
    assert parse_substitution("Zr:Ta,Nb") == ("Zr", ["Ta", "Nb"])
    with pytest.raises(InputDataError, match="HOST:DOPANT"):
        parse_substitution("Zr")


def test_llzo_grid_keeps_the_charge_balance_through_li():
    table = enumerate_substitutions("Li7La3Zr2O12", ["Zr:Ta,Nb"], parse_range("0:1:0.25"))
    assert len(table) == 1 + 2 * 4 and (table["error"] == "").all()
    row = table.set_index("id").loc["Zr->Ta x=0.5"]
    assert row["formula"] == "Li6.5La3Zr1.5Ta0.5O12"  # Ta5+ for Zr4+: one Li less per Ta
    # every candidate is neutral with Li+ La3+ Zr4+ Ta5+/Nb5+ O2-
    from explainsse.featurize.formula import parse_amounts

    charges = {"Li": 1, "La": 3, "Zr": 4, "Ta": 5, "Nb": 5, "O": -2}
    for formula in table["formula"]:
        assert sum(charges[el] * n for el, n in parse_amounts(formula).items()) == pytest.approx(0, abs=1e-9)


def test_impossible_charge_balance_is_listed_not_dropped():
    table = enumerate_substitutions("Li0.5La0.5TiO3", ["Ti:Nb", "La:Sr"], parse_range("0:1:0.25"))
    reasons = table.set_index("id")["error"]
    assert "impossible" in reasons["Ti->Nb x=0.75"] and "Li -0.25 < 0" in reasons["Ti->Nb x=0.75"]
    assert "no Li" in reasons["Ti->Nb x=0.5"]
    assert "exceeds the 0.5 La" in reasons["La->Sr x=0.75"]
    assert reasons["Ti->Nb x=0.25"] == "" and len(table) == 9
    assert (table.loc[table["error"] != "", "formula"] == "").all()


def test_explicit_dopant_charge_and_bad_parents():
    table = enumerate_substitutions("Li7La3Zr2O12", ["Zr:Ga3+"], parse_range("0:0.5:0.5"))
    assert table.iloc[1]["formula"] == "Li7.5La3Zr1.5Ga0.5O12"  # Ga3+ for Zr4+: one Li more per Ga
    li_on_zr = enumerate_substitutions("Li7La3Zr2O12", ["Zr:Li"], parse_range("0:0.5:0.5"))
    assert li_on_zr.iloc[1]["formula"] == "Li9La3Zr1.5O12"  # 0.5 Li on Zr + 1.5 mobile Li: neutral
    for parent, sub, match in [("La2Zr2O7", "Zr:Ta", "no Li"), ("Li7La3Zr2O12", "Ti:Ta", "not in the parent"),
                               ("Xx2O", "Zr:Ta", "--parent")]:
        with pytest.raises(InputDataError, match=match):
            enumerate_substitutions(parent, [sub], parse_range("0:0.5:0.5"))


def test_li_site_doping_with_vacancy_compensation():
    # Ga3+ on the Li site of LLZO: one Li replaced and two Li vacancies per Ga -> Li(7-3x)Ga(x)La3Zr2O12
    table = enumerate_substitutions("Li7La3Zr2O12", ["Li:Ga,Al"], "0:0.4:0.05")
    assert len(table) == 1 + 2 * 8 and (table["error"] == "").all()
    by_id = table.set_index("id")["formula"]
    assert by_id["Li->Ga x=0.2"] == "Li6.4Ga0.2La3Zr2O12"
    assert by_id["Li->Al x=0.4"] == "Li5.8Al0.4La3Zr2O12"
    assert by_id["Li->Ga x=0.05"] == "Li6.85Ga0.05La3Zr2O12"
    # isovalent Na+ on the Li site: no vacancy
    assert enumerate_substitutions("Li7La3Zr2O12", ["Li:Na"], "0:0.5:0.5").iloc[1]["formula"] == \
        "Li6.5Na0.5La3Zr2O12"
    # too much Ga empties the Li sites: listed with its reason
    over = enumerate_substitutions("Li7La3Zr2O12", ["Li:Ga"], "0:3:1").set_index("id")["error"]
    assert "impossible" in over["Li->Ga x=3"] and over["Li->Ga x=2"] == ""
    from explainsse.featurize.formula import parse_amounts

    charges = {"Li": 1, "La": 3, "Zr": 4, "Ga": 3, "Al": 3, "O": -2}
    for formula in table["formula"]:
        assert sum(charges[el] * n for el, n in parse_amounts(formula).items()) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("subs, match", [
    (["Zr:Zr"], "the dopant Zr is the host itself"),
    (["Zr:Ta0+"], r"Ta0\+ \(\+0\) cannot replace Zr"),
    (["Zr:F-"], "cannot replace Zr"),
    (["Zr:Ta,Ta"], "names Ta more than once"),
    (["Zr:Ta", "Zr:Nb,Ta"], "Ta on the Zr site is named more than once"),
])
def test_doping_grid_refuses_meaningless_substitutions(subs, match):
    with pytest.raises(InputDataError, match=match):
        enumerate_substitutions("Li7La3Zr2O12", subs, "0:0.5:0.25")


@pytest.mark.parametrize("grid, match", [
    ("0:1e12:1", "1,000,000,000,001 values, more than"),
    ("0:2:1e-7", "20,000,001 values, more than"),
    ("0:1e300:1e-300", "inf values, more than"),
    ("0:inf:1", "finite"),
    ("nan:1:0.1", "finite"),
])
def test_huge_ranges_are_counted_and_refused_before_anything_is_built(grid, match):
    from explainsse.screen.sources import doping_grid, range_count

    with pytest.raises(InputDataError, match=match):
        range_count(grid)
    with pytest.raises(InputDataError, match=match):
        doping_grid("Li7La3Zr2O12", ["Zr:Ta"], grid)


def test_grid_cap_counts_every_dopant(monkeypatch):
    from explainsse import _config
    from explainsse.screen.sources import doping_grid

    monkeypatch.setattr(_config, "MAX_GRID_CANDIDATES", 30)
    assert len(doping_grid("Li7La3Zr2O12", ["Zr:Ta"], "0:2:0.1")) == 21
    with pytest.raises(InputDataError, match="holds 41 candidates .2 series x 20 amounts."):
        doping_grid("Li7La3Zr2O12", ["Zr:Ta,Nb"], "0:2:0.1")


def test_grid_is_built_chunk_by_chunk_and_matches_the_whole_table():
    from explainsse.screen.sources import doping_grid, grid_chunks

    grid = doping_grid("Li7La3Zr2O12", ["Zr:Ta,Nb", "Li:Ga"], "0.1:0.5:0.1")  # start > 0: no x = 0 row
    whole = grid.rows(0, len(grid))
    assert len(whole) == 1 + 3 * 5 and whole.iloc[1]["id"] == "Zr->Ta x=0.1"
    parts = [c for _, c in grid_chunks(grid, 4)]
    assert [len(p) for p in parts] == [4, 4, 4, 4]
    joined = pd.concat(parts, ignore_index=True)
    assert joined["row"].tolist() == list(range(16))
    assert joined[["id", "formula", "error"]].equals(whole[["id", "formula", "error"]])


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_files_are_read_in_chunks(tmp_path, suffix):
    frame = pd.DataFrame({"material_id": [f"m{i}" for i in range(25)], "formula": ["Li2O"] * 24 + [""]})
    path = tmp_path / f"c.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    chunks = list(read_chunks(path, 10))
    assert [len(c) for _, c in chunks] == [10, 10, 5] and [n for n, _ in chunks] == [0, 1, 2]
    last = chunks[-1][1]
    assert last["row"].tolist() == list(range(20, 25)) and last["id"].iloc[-1] == "m24"
    assert last["formula"].iloc[-1] == ""


def test_file_without_formula_column_is_refused(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"x": [1]}).to_csv(path, index=False)
    with pytest.raises(InputDataError, match="no formula column"):
        list(read_chunks(path, 10))


def test_enumeration_chunks_number_the_rows():
    table = enumerate_substitutions("Li7La3Zr2O12", ["Zr:Ta"], parse_range("0:1:0.1"))
    chunks = list(enumeration_chunks(table, 4))
    assert np.concatenate([c["row"].to_numpy() for _, c in chunks]).tolist() == list(range(len(table)))


def test_dopant_charge_follows_the_host_site():
    # Ge, Si, Sn on the P5+ site of Li3PS4 are 4+ (pymatgen lists Ge4- first): one more Li per dopant
    table = enumerate_substitutions("Li3PS4", ["P:Ge,Si,Sn"], "0:0.5:0.5").set_index("id")
    assert table.loc["P->Ge x=0.5", "formula"] == "Li3.5P0.5Ge0.5S4"
    assert table.loc["P->Sn x=0.5", "formula"] == "Li3.5P0.5Sn0.5S4" and (table["error"] == "").all()
    # F- on the O2- site: one Li less per F
    assert enumerate_substitutions("Li7La3Zr2O12", ["O:F"], "0:0.5:0.5").iloc[1]["formula"] == \
        "Li6.5La3Zr2O11.5F0.5"


def test_unknown_dopant_elements_are_refused_up_front():
    for sub in ("Zr:Xx", "Zr:Xx3+"):
        with pytest.raises(InputDataError, match="'Xx' is not an element"):
            enumerate_substitutions("Li7La3Zr2O12", [sub], "0:0.5:0.5")
