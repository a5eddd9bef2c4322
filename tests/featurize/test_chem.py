"""The physical composition preset ``chem-v1`` (issue 24): hand-computed values, both backends equal,
every descriptor physical (a named group, no proxy flag, a citation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymatgen.core import Composition

from explainsse.featurize import DescriptorFeaturizer, describe
from explainsse.featurize.descriptors import feature_names
from explainsse.featurize.meaning import PHYSICAL_GROUPS, USER_GROUP, proxy_flag
from explainsse.featurize.physical_composition import LI_RADIUS, PhysicalComposition, physical_composition
from explainsse.featurize.vectorized import amount_matrix


def values(formula: str) -> dict[str, float]:
    f = PhysicalComposition()
    return dict(zip(f.feature_labels(), f.featurize(Composition(formula))))


def test_li_content_and_charge_balance_by_hand():
    llzo = values("Li7La3Zr2O12")
    assert llzo["Chem Li per anion"] == pytest.approx(7 / 12)
    assert llzo["Chem Li atomic fraction"] == pytest.approx(7 / 24)
    assert llzo["Chem Li charge share"] == pytest.approx(7 / 24)  # 7 Li+ against 12 O2-
    assert llzo["Chem Li excess over charge balance"] == pytest.approx(0.0)  # La3+ Zr4+: balanced
    assert llzo["Chem non-integer share"] == 0.0
    # Li-stuffed: one extra Li per formula over La3 Zr2 O12 balance -> +1/12 Li per anion
    assert values("Li8La3Zr2O12")["Chem Li excess over charge balance"] == pytest.approx(1 / 12)
    doped = values("Li6.4La3Zr1.4Ta0.6O12")
    assert doped["Chem Li excess over charge balance"] == pytest.approx(0.0)  # Ta5+ for Zr4+ balances 0.6 Li
    assert doped["Chem non-integer share"] == pytest.approx((6.4 + 1.4 + 0.6) / 23.4)


def test_ambiguous_roles_follow_the_charge_balance():
    sulfate = values("Li2SO4")  # S6+ beside O, not a sulfide
    assert sulfate["Chem S share of anions"] == 0.0 and sulfate["Chem mean cation charge"] == pytest.approx(6.0)
    assert sulfate["Chem Li excess over charge balance"] == pytest.approx(0.0)
    assert values("LiNO3")["Chem N share of anions"] == 0.0  # N5+
    argyrodite = values("Li6PS5Cl")  # S2- beside the more electronegative Cl-: still an anion
    assert argyrodite["Chem S share of anions"] == pytest.approx(5 / 6)
    hydrate = values("Li7La3Zr2O12H2O")  # H+ in water
    assert hydrate["Chem Li excess over charge balance"] == pytest.approx(0.0)
    assert values("LiCe(BH4)3Cl")["Chem Li excess over charge balance"] < 2  # H- in BH4-, not +13 as with H+
    assert math.isnan(values("Li2NeO")["Chem Li excess over charge balance"])  # Ne has no charge: undefined
    assert values("LiMn2O4")["Chem Li excess over charge balance"] > 0  # Mn7+ nominal: mixed valence shows


def test_anion_and_cation_chemistry_by_hand():
    argyrodite = values("Li6PS5Cl")
    x = np.array([5 / 6, 1 / 6])
    assert argyrodite["Chem S share of anions"] == pytest.approx(5 / 6)
    assert argyrodite["Chem anion mixing entropy"] == pytest.approx(float(-(x * np.log(x)).sum()))
    assert argyrodite["Chem mean anion charge"] == pytest.approx((5 * 2 + 1) / 6)
    assert argyrodite["Chem mean cation charge"] == pytest.approx(5.0)  # P5+
    halide = values("Li3YCl6")
    assert halide["Chem cation field strength"] == pytest.approx(3 / 1.04 ** 2, rel=1e-3)  # Y3+ VI 1.04 A
    assert halide["Chem Li-anion radius ratio"] == pytest.approx(LI_RADIUS / 1.67, rel=1e-3)  # Cl- 1.67 A
    assert halide["Chem cation mixing entropy"] == 0.0
    oxide = values("Li2O")
    assert oxide["Chem Li-anion ionic character"] == pytest.approx(1 - math.exp(-((3.44 - 0.98) ** 2) / 4))
    assert math.isnan(oxide["Chem mean cation radius"])  # no cation besides Li: undefined, not zero
    assert math.isnan(values("LiBH4")["Chem Li per anion"])  # H counted apart: no anion


def test_single_composition_and_vectorized_paths_agree_on_padded_batches():
    formulas = ["Li7La3Zr2O12", "Li3N", "Li10GeP2S12", "Li6PS5Cl", "Li0.33La0.56TiO3", "LiBH4", "Li2SO4",
                "LiCe(BH4)3Cl", "LiNH2", "Li"]
    comps = [Composition(f) for f in formulas]
    batch = physical_composition(*amount_matrix(comps))
    single = np.array([PhysicalComposition().featurize(c) for c in comps])
    np.testing.assert_allclose(batch, single, rtol=0, atol=1e-12, equal_nan=True)
    fast = DescriptorFeaturizer("chem-v1", cache=False, errors="nan").fit_transform(formulas)
    ref = DescriptorFeaturizer("chem-v1", cache=False, errors="nan", backend="matminer").fit_transform(formulas)
    np.testing.assert_allclose(fast.to_numpy(float), ref.to_numpy(float), rtol=0, atol=1e-9, equal_nan=True)


def test_every_chem_descriptor_is_physical_and_cited():
    names = feature_names("chem-v1")
    assert 25 <= len(names) <= 40  # "a few dozen"
    for name in names:
        info = describe(name)
        assert info.group in PHYSICAL_GROUPS and info.group != USER_GROUP, name
        assert proxy_flag(name) is None and info.flag is None, name
        assert info.citation and info.meaning, name
    assert {describe(n).group for n in names} >= {"Li content and site filling", "anion chemistry",
                                                  "cation chemistry", "Li-anion bonding", "doping and mixing"}


def test_physical_v1_is_chem_v1_plus_unflagged_matminer_statistics():
    """physical-v1 = chem-v1 + the magpie statistics of physical properties + valence orbitals: no flagged
    descriptor, every one in a named group, and the vectorized values equal matminer's own (golden values)."""
    from matminer.featurizers.composition import ElementProperty, ValenceOrbital

    names = feature_names("physical-v1")
    assert names[: len(feature_names("chem-v1"))] == feature_names("chem-v1")
    assert not [n for n in names if proxy_flag(n)] and all(describe(n).group in PHYSICAL_GROUPS for n in names)
    magpie = [n for n in feature_names("composition-v1") if n.startswith("MagpieData")]
    kept = [n for n in magpie if n in names]
    assert kept == [n for n in magpie if proxy_flag(n) is None] and "MagpieData mean CovalentRadius" in kept
    formulas = ["Li7La3Zr2O12", "Li10GeP2S12", "Li1.3Al0.3Ti1.7(PO4)3", "Li3YCl6", "Li0.33La0.56TiO3"]
    fast = DescriptorFeaturizer("physical-v1", cache=False, errors="nan").fit_transform(formulas)
    full = ElementProperty.from_preset("magpie", impute_nan=False)
    ref = {}
    for f in formulas:
        comp = Composition(f)
        ref[f] = {**dict(zip(full.feature_labels(), full.featurize(comp))),
                  **dict(zip(ValenceOrbital(impute_nan=False).feature_labels(),
                             ValenceOrbital(impute_nan=False).featurize(comp)))}
    matminer_part = [n for n in names if not n.startswith("Chem ")]
    expected = np.array([[ref[f][n] for n in matminer_part] for f in formulas], float)
    np.testing.assert_allclose(fast[matminer_part].to_numpy(float), expected, rtol=0, atol=1e-9, equal_nan=True)
