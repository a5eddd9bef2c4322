"""The wide ExplanationTable core: long form, additivity check, grouping, Parquet round trip."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from explainsse.explain import COLUMNS, ExplanationTable


def table(n=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, k)), columns=[f"d{j} [A]" for j in range(k)], index=range(10, 10 + n))
    X.iloc[0, 1] = np.nan
    return ExplanationTable.from_arrays(rng.normal(size=(n, k)), X, rng.normal(size=n), family="xgb",
                                        task="regression", ids=[f"m{i}" for i in range(n)],
                                        formulas=[f"Li{i}O" for i in range(n)], method="test")


def test_wide_core_and_long_form_agree():
    t = table()
    long = t.to_long()
    assert list(long.columns) == list(COLUMNS) and len(long) == t.values.size
    wide = long.pivot(index="sample", columns="descriptor", values="shap")[t.feature_names]
    assert_allclose(wide.to_numpy(), t.values)
    assert t.output_units == "predicted log10 sigma (S/cm)" and long["output_units"].eq(t.output_units).all()
    one = t.sample("m3")  # by id, or by index label
    assert one.equals(t.sample(13)) and one["shap"].abs().is_monotonic_decreasing
    assert_allclose(one["base_value"].iloc[0] + one["shap"].sum(), t.output()[13])


def test_check_additivity_passes_and_names_the_worst_sample():
    t = table()
    out = t.base_values + t.values.sum(axis=1)
    assert t.check_additivity(out) < 1e-12
    out[2] += 0.1
    with pytest.raises(AssertionError, match="worst m2"):
        t.check_additivity(out)


def test_grouped_sums_members_and_keeps_the_output():
    t = table()
    g = t.grouped({"pair": ["d0 [A]", "d2 [A]"]})
    assert g.feature_names == ["pair", "d1 [A]"]
    assert_allclose(g.values[:, 0], t.values[:, 0] + t.values[:, 2])
    assert_allclose(g.output(), t.output()) and np.isnan(g.data).all()


def test_parquet_round_trip_is_exact(tmp_path):
    t = table()
    t.to_parquet(tmp_path / "t.parquet")
    back = ExplanationTable.read_parquet(tmp_path / "t.parquet")
    assert back.feature_names == t.feature_names and back.method == "test" and back.family == "xgb"
    assert np.array_equal(back.values, t.values) and np.array_equal(back.data, t.data, equal_nan=True)
    assert list(back.samples) == list(t.samples) and list(back.ids) == list(t.ids)
    pd.testing.assert_frame_equal(back.global_importance(), t.global_importance())
