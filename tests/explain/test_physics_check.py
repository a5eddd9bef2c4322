"""The physics check: a model's SHAP direction against the direction the literature expects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from explainsse.explain.physics_check import EXPECTATIONS, physics_check
from explainsse.explain.table import ExplanationTable

LLSD = "Sendek LLSD mean shortest Li-Li distance"
BCC = "Anion framework bcc similarity"
S_SHARE = "Electrolyte S share of anions"


def _table(seed=0, n=80):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({LLSD: rng.uniform(2.2, 4.0, n), BCC: rng.uniform(0, 1, n), S_SHARE: rng.uniform(0, 1, n)})
    shap = np.column_stack([-1.5 * X[LLSD],            # shorter Li-Li -> higher: as expected
                            -2.0 * X[BCC],             # bcc-like -> lower: against the expectation
                            rng.normal(size=n)])       # no relation: unclear
    X.loc[X.index[:10], LLSD] = np.nan                 # imputed rows are left out of the check
    return ExplanationTable.from_arrays(shap, X, 0.0, family="xgb", task="regression")


def test_agrees_disagrees_unclear_and_absent():
    rows = {r["descriptor"]: r for r in physics_check(_table(), n_boot=100)}
    assert rows[LLSD]["verdict"] == "agrees" and rows[LLSD]["n"] == 70
    assert rows[BCC]["verdict"] == "disagrees" and rows[BCC]["ci_high"] < 0
    assert rows[S_SHARE]["verdict"] == "unclear" and rows[S_SHARE]["ci_low"] < 0 < rows[S_SHARE]["ci_high"]
    assert rows["BVSE Li 3D percolation barrier"]["verdict"] == "not in the model"
    for r in rows.values():
        if r["ci_low"] is not None:
            assert r["ci_low"] <= r["observed"] <= r["ci_high"]


def test_at_least_eight_expected_directions_each_with_a_citation():
    assert len(EXPECTATIONS) >= 8
    assert all(e.sign in (-1, 1) and "doi:" in e.citation and e.why for e in EXPECTATIONS)
    assert len({e.descriptor for e in EXPECTATIONS}) == len(EXPECTATIONS)


def test_every_expectation_names_a_descriptor_of_full_v1():
    from explainsse.featurize.descriptors import feature_names

    assert {e.descriptor for e in EXPECTATIONS} <= set(feature_names("full-v1"))
