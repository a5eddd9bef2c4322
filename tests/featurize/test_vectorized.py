"""The vectorized composition backend against matminer's own featurizers (golden values, 1e-9).

Both backends run through :class:`DescriptorFeaturizer` from formula strings, so the fast
parser is part of what is compared. ``benchmarks/screen.py`` repeats the comparison on 20,000
random compositions (too slow for the suite on matminer's side).
"""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Composition

from explainsse.featurize import DescriptorFeaturizer
from explainsse.featurize.groups import GROUPS
from explainsse.featurize.vectorized import composition_descriptors, element_table

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache


def random_formulas(n: int, seed: int = 0) -> list[str]:
    """Formulas of 1-6 elements (Z <= 94) with 0-3 decimals, often with Li and an anion, some mode ties."""
    symbols = [s for s in element_table()[0] if Composition(s).elements[0].Z <= 94]
    anions = ["O", "S", "N", "F", "Cl", "Br", "I", "Se", "Te"]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 7))
        els = list(rng.choice(symbols, size=k, replace=False))
        if rng.random() < 0.6:
            els[0] = "Li"
        if rng.random() < 0.6:
            els[-1] = str(rng.choice(anions))
        els = list(dict.fromkeys(els))
        amounts = np.round(rng.uniform(0.05, 12, size=len(els)), int(rng.integers(0, 4)))
        amounts[amounts == 0] = 1
        if len(els) > 1 and rng.random() < 0.2:
            amounts[1] = amounts[0]  # ties for the mode: the smallest value wins, as in matminer
        out.append("".join(f"{el}{a:g}" for el, a in zip(els, amounts)))
    return out


def check_backends_agree(formulas, preset="composition-v1") -> int:
    """Both backends on ``formulas``: same columns, same missing values, values within 1e-9."""
    ours = DescriptorFeaturizer(preset, cache=False, errors="nan").fit_transform(formulas)
    ref = DescriptorFeaturizer(preset, cache=False, errors="nan", backend="matminer").fit_transform(formulas)
    assert list(ours.columns) == list(ref.columns)
    a, b = ours.to_numpy(float), ref.to_numpy(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(np.nan_to_num(a), np.nan_to_num(b), rtol=1e-9, atol=1e-9)
    return a.size


@pytest.mark.slow
def test_random_formulas_match_matminer_on_every_composition_descriptor():
    assert check_backends_agree(random_formulas(2000)) > 2000 * 160


def test_special_cases_match_matminer():
    cases = ["Li", "Ar", "LiH", "H2O", "Li3N", "LiCl", "Li2O2", "Li7La3Zr2O12", "Li3PS4.2H2O", "LiBH4",
             "Li6PS5Cl", "Li10Ge(PS6)2", "Li0.33La0.56TiO3", "LiPF6", "Li2Te", "He2Li"]
    check_backends_agree(cases)


def test_bad_rows_fail_alike_in_both_backends():
    formulas = ["Li2O", "Xx2O", "Li3N", "", "Li2O)"]
    fast = DescriptorFeaturizer(cache=False, errors="nan").fit(formulas)
    slow = DescriptorFeaturizer(cache=False, errors="nan", backend="matminer").fit(formulas)
    with pytest.warns(RuntimeWarning):
        fast.transform(formulas)
    with pytest.warns(RuntimeWarning):
        slow.transform(formulas)
    assert fast.failures_ == slow.failures_ and sorted(fast.failures_) == [1, 3, 4]


def test_columns_follow_matminers_labels():
    labels = [label for g in ("magpie", "stoichiometry", "valence_orbital") for label in GROUPS[g].labels()]
    assert composition_descriptors([Composition("Li2O")]).shape == (1, len(labels))


def test_cache_key_names_the_backend(tmp_path):
    formulas = ["Li2O", "Li3N"]
    DescriptorFeaturizer(cache_dir=tmp_path).fit_transform(formulas)
    ref = DescriptorFeaturizer(cache_dir=tmp_path, backend="matminer").fit(formulas)
    ref.transform(formulas)
    assert not ref.last_cache_hit_  # the matminer backend does not reuse the vectorized values
    assert len(list((tmp_path / "features" / "composition-v1").glob("*.parquet"))) == 2


@pytest.mark.integration
def test_every_obelix_formula_matches_matminer(obelix):
    check_backends_agree(list(obelix.frame["formula"]))
