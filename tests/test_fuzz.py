"""Property-based tests (hypothesis) of the formula and conductivity parsers and the per-row path.

Every input either parses or raises the project's documented error (``FormulaError``, an
``ExplainsseError``); never another exception type, never a hang (a deadline per example).
"""

import math
import re
import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymatgen.core import Composition

from explainsse.chemistry import parse_formula
from explainsse.datasets import ColumnMap, normalize_table, parse_conductivity
from explainsse.errors import ExplainsseError, FormulaError

# database=None: no .hypothesis/ folder is written into the checkout
FAST = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow], database=None)
ELEMENTS = ["Li", "Na", "K", "La", "Zr", "Ta", "Ti", "Al", "Ge", "P", "S", "O", "Cl", "Br", "I", "N", "Se", "B",
            "H", "Ga", "Y", "In", "Sc", "Si", "F", "Nb", "Mg", "Zn", "Hf", "Sn", "Fe", "Te", "Ce", "Be"]
FORMULA_CHARS = string.ascii_letters + string.digits + "().[]{}·*+-_ eE,/\\'\"<>\u2212\u00b7\u2022"


@pytest.mark.slow
@FAST
@given(st.one_of(st.text(alphabet=FORMULA_CHARS, max_size=40), st.text(max_size=30)))
def test_fuzz_formula_parser_parses_or_raises_formula_error(text):
    try:
        comp = parse_formula(text)
    except FormulaError as exc:
        assert isinstance(exc, ExplainsseError) and str(exc)
        return
    assert comp.num_atoms > 0
    assert all(math.isfinite(v) and v > 0 for v in comp.values())


amount = st.one_of(st.just(""), st.integers(1, 120).map(str),
                   st.decimals(min_value="0.01", max_value="99.99", places=2).map(lambda d: format(d, "f")))
part = st.tuples(st.sampled_from(ELEMENTS), amount)


@st.composite
def formulas(draw):
    """A formula text built from element/amount pairs, sometimes with a bracketed group times n."""
    head = "".join(e + a for e, a in draw(st.lists(part, min_size=1, max_size=5)))
    if draw(st.booleans()):
        group = "".join(e + a for e, a in draw(st.lists(part, min_size=1, max_size=3)))
        head += f"({group}){draw(st.integers(1, 6))}"
    return head


@pytest.mark.slow
@FAST
@given(formulas())
def test_fuzz_generated_formulas_match_pymatgen(text):
    expected = Composition(text, strict=True)
    got = parse_formula(text)
    assert set(got.as_dict()) == set(expected.as_dict())
    for element, value in expected.as_dict().items():
        assert got[element] == pytest.approx(value, rel=1e-12)


@pytest.mark.slow
@FAST
@given(formulas(), st.integers(1, 12), st.sampled_from(["·", ".", "*", "•"]))
def test_fuzz_hydrates_are_base_plus_water(base, n, sep):
    # "." after a digit is a hydrate separator when a whole number of waters ends the formula; after a
    # decimal amount it is ambiguous (Li3PS4.0.5H2O: Li3PS4.0 + 5 H2O or Li3PS4 + 0.5 H2O) and refused
    if sep == "." and re.search(r"\d\.\d+$", base):
        with pytest.raises(FormulaError, match="ambiguous"):
            parse_formula(f"{base}{sep}{n}H2O")
        return
    got = parse_formula(f"{base}{sep}{n}H2O")
    expected = Composition(base, strict=True) + Composition("H2O") * n
    assert got.almost_equals(expected, rtol=1e-12)


CONDUCTIVITY_CHARS = string.digits + ".eE+-<>≤≥ _,x\u2212infa"


@pytest.mark.slow
@FAST
@given(st.one_of(st.text(alphabet=CONDUCTIVITY_CHARS, max_size=16), st.text(max_size=12),
                 st.floats(allow_nan=True, allow_infinity=True), st.none()),
       st.sampled_from(["sigma", "log10"]))
def test_fuzz_conductivity_parser_never_raises(raw, kind):
    parsed = parse_conductivity(raw, kind)
    if parsed.error is None:
        assert 1e-40 <= parsed.sigma < 10 and math.isfinite(parsed.log10_sigma)
    else:
        assert math.isnan(parsed.sigma) and parsed.error


@FAST
@given(st.floats(min_value=1e-39, max_value=9.99, allow_nan=False))
def test_fuzz_plain_numbers_round_trip(value):
    for text in (repr(value), f"{value:.6e}", f"{value:.17g}"):
        parsed = parse_conductivity(text)
        assert parsed.error is None and parsed.sigma == pytest.approx(float(text), rel=0)


@pytest.mark.slow
@settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(st.tuples(st.one_of(formulas(), st.text(alphabet=FORMULA_CHARS, max_size=12)),
                          st.one_of(st.text(alphabet=CONDUCTIVITY_CHARS, max_size=8), st.just("1e-4"))),
                min_size=1, max_size=8))
def test_fuzz_per_row_path_lists_every_bad_row(rows):
    raw = pd.DataFrame(rows, columns=["formula", "sigma"], dtype=object)
    frame, _, issues = normalize_table(raw, ColumnMap("formula", "sigma"), source="fuzz.csv")
    assert set(frame.index) | set(issues["row"]) == set(range(len(raw)))
    assert not set(frame.index) & set(issues["row"])
    for row in issues.itertuples():
        assert row.reason and row.column in ("formula", "sigma")
