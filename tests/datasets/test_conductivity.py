import math

import pytest

from explainsse.datasets import parse_conductivity


@pytest.mark.parametrize(
    "raw, sigma",
    [("1.2e-3", 1.2e-3), (3e-4, 3e-4), (" 5E-2 ", 5e-2), ("1\u22122", None)],
)
def test_numbers(raw, sigma):
    p = parse_conductivity(raw)
    if sigma is None:
        assert p.error and "non-numeric" in p.error
    else:
        assert p.error is None and p.sigma == pytest.approx(sigma) and not p.censored
        assert p.log10_sigma == pytest.approx(math.log10(sigma))


def test_censored_upper_bound_uses_configurable_floor():
    p = parse_conductivity("<1E-10")
    assert p.censored and p.bound == 1e-10 and p.sigma == 1e-15 and p.log10_sigma == -15
    q = parse_conductivity("< 1e-8", floor=1e-12)
    assert q.censored and q.bound == 1e-8 and q.sigma == 1e-12
    assert parse_conductivity("<=1e-9").censored


@pytest.mark.parametrize(
    "raw, reason",
    [(None, "empty"), ("", "empty"), (float("nan"), "empty"), ("abc", "non-numeric"),
     ("-1e-3", "non-positive"), (0, "non-positive"), (">1e-3", "lower bound"),
     ("inf", "non-numeric")],
)
def test_bad_values_carry_a_reason(raw, reason):
    p = parse_conductivity(raw)
    assert p.error is not None and reason in p.error
    assert math.isnan(p.sigma) and math.isnan(p.log10_sigma)


def test_log10_targets():
    assert parse_conductivity("-4", kind="log10").sigma == pytest.approx(1e-4)
    c = parse_conductivity("<-9", kind="log10")
    assert c.censored and c.bound == pytest.approx(1e-9)
    assert "outside" in parse_conductivity("-99", kind="log10").error
    with pytest.raises(ValueError, match="target kind"):
        parse_conductivity("1", kind="mS")
