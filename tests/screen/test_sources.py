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
                               ("Li7La3Zr2O12", "Li:Na", "cannot be the host"), ("Xx2O", "Zr:Ta", "--parent")]:
        with pytest.raises(InputDataError, match=match):
            enumerate_substitutions(parent, [sub], parse_range("0:0.5:0.5"))


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
