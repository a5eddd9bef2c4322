"""The fast formula reader against the strict pymatgen reader (same amounts, same errors)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainsse.chemistry import parse_formula
from explainsse.errors import FormulaError
from explainsse.featurize.formula import parse_amounts, parse_many

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache

SYMBOLS = ["Li", "La", "Zr", "O", "P", "S", "Ge", "Ti", "Al", "Na", "Cl", "Br", "I", "N", "H", "B", "Si", "Ta",
           "Nb", "Y", "C", "F", "Ga", "In", "Sc", "W", "Mo", "Se", "Te", "Zn"]


def _reference(formula):
    """pymatgen via chemistry.parse_formula, as {symbol: amount} or the error text."""
    try:
        return {el: float(n) for el, n in parse_formula(formula).get_el_amt_dict().items()}
    except FormulaError as exc:
        return ("error", str(exc))


def _ours(formula):
    try:
        return parse_amounts(formula)
    except FormulaError as exc:
        return ("error", str(exc))


amount = st.one_of(st.just(""), st.integers(1, 40).map(str),
                   st.decimals(min_value="0.001", max_value="30", places=3, allow_nan=False).map(
                       lambda d: f"{d.normalize():f}"))
term = st.tuples(st.sampled_from(SYMBOLS), amount).map("".join)


def _group(children):
    return st.tuples(st.sampled_from(["()", "[]"]), st.lists(children, min_size=1, max_size=3), amount).map(
        lambda t: t[0][0] + "".join(t[1]) + t[0][1] + t[2])


formula = st.recursive(term, _group, max_leaves=8)
formulas = st.lists(formula, min_size=1, max_size=4).map("".join)
hydrates = st.tuples(formulas, st.sampled_from([".", "·", "*", ".2", "·0.5", "*3"]), st.just("H2O")).map("".join)
noise = st.text(alphabet="LiOPSZrla()[]0123456789.·* eHX-", min_size=0, max_size=14)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(formulas)
def test_plain_formulas_give_pymatgens_amounts_bit_for_bit(text):
    assert _ours(text) == _reference(text)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(hydrates)
def test_hydrates_and_adducts_are_read_as_the_strict_reader_does(text):
    assert _ours(text) == _reference(text)


@settings(max_examples=400, deadline=None)
@given(noise)
def test_any_text_gives_the_same_amounts_or_the_same_error(text):
    assert _ours(text) == _reference(text)


@pytest.mark.parametrize("bad", ["", "Xx2O", "Li(O", "2Li", "Li1e-3O", "()Li", "Li2O)", "Li2O-", None, float("nan")])
def test_bad_input_raises_the_strict_readers_error(bad):
    with pytest.raises(FormulaError) as ours:
        parse_amounts(bad)
    with pytest.raises(FormulaError) as ref:
        parse_formula(bad)
    assert str(ours.value) == str(ref.value)


def test_parse_many_lists_each_bad_row_and_keeps_the_rest():
    elements, amounts, errors = parse_many(["Li2O", "Li2Xx", "Li3N", "LiH"], ["Li", "O", "N"])
    assert sorted(errors) == [1, 3]
    assert "Xx" in errors[1] and "no elemental data for H" in errors[3]
    assert elements[0].tolist()[:2] == [0, 1] and amounts[2].tolist()[:2] == [3.0, 1.0]
    assert (elements[1] == -1).all() and (amounts[1] == 0).all()


@pytest.mark.integration
def test_every_obelix_formula_reads_as_pymatgen_reads_it(obelix):
    for text in obelix.frame["formula"]:
        assert parse_amounts(text) == _reference(text), text


@pytest.mark.parametrize("text, match", [
    ("Li7\x00La3Zr2O12", "control character"),
    ("Li7La3Zr2O12La-1", "negative amount"),
    ("Li2Li-1O", "negative amount"),
    ("Li3PS4.0.5H2O", r"ambiguous.*Li3PS4\.0·5H2O or Li3PS4·0\.5H2O"),
    ("Li" * 2**21, "4,194,304 characters is longer than the 256 accepted"),
    ("LiCl0", "amount of zero"),  # would be read as pure Li
    ("Li0Cl", "amount of zero"),
    ("Li3(PO4)0", "amount of zero"),
    ("Li3PS4.2H2O.2H2O", "water that does not end the formula"),  # was Li3 P S4.2 H6 O3
])
def test_formulas_that_would_be_misread_or_hang_are_refused(text, match):
    import time

    start = time.perf_counter()
    for reader in (parse_amounts, parse_formula):
        with pytest.raises(FormulaError, match=match):
            reader(text)
    assert time.perf_counter() - start < 5  # the 2**21 repeat once hung for minutes


def test_unambiguous_hydrates_still_read():
    assert parse_amounts("Li3PS4.2H2O") == {"Li": 3.0, "P": 1.0, "S": 4.0, "H": 4.0, "O": 2.0}
    assert parse_amounts("Li3PS4·0.5H2O") == {"Li": 3.0, "P": 1.0, "S": 4.0, "H": 1.0, "O": 0.5}


def test_formula_length_cap_is_a_setting(monkeypatch):
    from explainsse import _config

    monkeypatch.setattr(_config, "MAX_FORMULA_LENGTH", 10)
    assert parse_amounts("Li2O") == {"Li": 2.0, "O": 1.0}
    with pytest.raises(FormulaError, match="longer than the 10 accepted"):
        parse_amounts("Li7La3Zr2O12")
