"""Validation schemes that estimate performance on new chemistry: near-duplicates grouped, clusters held out."""

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Composition

from explainsse.models.splits import (
    composition_groups,
    groups_for,
    iter_folds,
    m_site_substituent,
    reduced_composition,
)

FORMULAS = ["Li7La3Zr2O12", "Li14La6Zr4O24", "Li6.5La3Zr1.5Ta0.5O12", "Li10GeP2S12", "Li20Ge2P4S24",
            "Li3InCl6", "Li3YCl6", "Li3YBr6", "Li1.3Al0.3Ti1.7(PO4)3", "LiTi2(PO4)3", "Li1.5Al0.5Ge1.5(PO4)3",
            "Li3PS4", "Li7P3S11", "Li6PS5Cl", "Li6PS5Br", "LiPON", "Li2S", "Li3N", "LiI", "Li3OCl"]


def _frame(formulas=FORMULAS, doi=None):
    comps = [Composition(f) if f != "LiPON" else Composition("Li3PO4") for f in formulas]
    return pd.DataFrame({"formula": formulas, "composition": comps,
                         "doi": doi if doi is not None else [f"10.1/p{i % 7}" for i in range(len(formulas))],
                         "family": ["f"] * len(formulas)})


def test_reduced_composition_ignores_multiples():
    assert reduced_composition(Composition("Li7La3Zr2O12")) == reduced_composition(Composition("Li14La6Zr4O24"))
    assert reduced_composition(Composition("Li7La3Zr2O12")) != reduced_composition(Composition("Li6.5La3Zr1.5Ta0.5O12"))


def test_composition_groups_join_duplicates_and_optionally_near_ones():
    f = _frame()
    g = composition_groups(f)
    assert g[0] == g[1] and g[3] == g[4] and g[0] != g[2]
    near = composition_groups(f, distance=0.1)  # LLZO and its Ta-doped sibling differ by 0.083 in fractions
    assert near[0] == near[2]


@pytest.mark.parametrize("scheme", ["group-doi", "group-composition", "cluster-out", "group-chemsys"])
def test_no_reduced_composition_on_both_sides_of_any_split(scheme):
    f = _frame(FORMULAS * 2, doi=[f"10.1/p{i}" for i in range(len(FORMULAS) * 2)])  # every measurement its own paper
    y = np.arange(len(f), dtype=float)
    keys = np.array([reduced_composition(c) for c in f["composition"]])
    n = 0
    for _, train, test in iter_folds(scheme, f, y, task="regression"):
        assert not set(keys[train]) & set(keys[test])
        n += 1
    assert n >= 2


def test_cluster_out_holds_out_whole_clusters():
    f = _frame()
    clusters = groups_for(f, "cluster")
    assert len(set(clusters)) >= 2
    for _, train, test in iter_folds("cluster-out", f, np.zeros(len(f)), task="regression"):
        assert len(set(clusters[test])) == 1  # one whole cluster per fold ...
        assert set(np.flatnonzero(clusters == clusters[test][0])) == set(test)  # ... and all of it
        assert not set(clusters[train]) & set(clusters[test])


def test_m_site_substituent_names_the_dopant():
    assert m_site_substituent(Composition("Li1.3Al0.3Ti1.7(PO4)3")) == "Al"
    assert m_site_substituent(Composition("Li1.5Al0.5Ge1.5(PO4)3")) == "Al"
    assert m_site_substituent(Composition("LiTi2(PO4)3")) == "none"
    assert m_site_substituent(Composition("Li7La3Zr2O12")).startswith("not NASICON")
    f = _frame(["Li1.3Al0.3Ti1.7(PO4)3", "Li1.5Al0.5Ge1.5(PO4)3", "LiTi2(PO4)3", "LiGe2(PO4)3",
                "Li1.2Sc0.2Ti1.8(PO4)3", "Li1.4Sc0.4Ti1.6(PO4)3"])
    g = groups_for(f, "dopant")
    assert g[0] == g[1] and g[2] == g[3] and g[4] == g[5] and len(set(g)) == 3
