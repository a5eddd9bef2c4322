"""Vectorized composition descriptors against matminer's own featurizers (golden values, 1e-9)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pymatgen.core import Composition

from explainsse.featurize.groups import GROUPS
from explainsse.featurize.vectorized import composition_descriptors, element_table


def _matminer(compositions) -> np.ndarray:
    featurizers = [GROUPS[g].featurizer() for g in ("magpie", "stoichiometry", "valence_orbital")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([[float(v) for f in featurizers for v in f.featurize(c)] for c in compositions])


def _check(compositions):
    ours, ref = composition_descriptors(compositions), _matminer(compositions)
    assert ours.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(np.nan_to_num(ours), np.nan_to_num(ref), rtol=1e-9, atol=1e-9)


def test_random_compositions_match_matminer():
    symbols = [s for s in element_table()[0] if Composition(s).elements[0].Z <= 94]
    rng = np.random.default_rng(0)
    comps = []
    for _ in range(300):
        k = int(rng.integers(1, 6))
        els = rng.choice(symbols, size=k, replace=False)
        amounts = np.round(rng.uniform(0.05, 12, size=k), int(rng.integers(0, 4)))
        amounts[amounts == 0] = 1
        if k > 1 and rng.random() < 0.2:
            amounts[1] = amounts[0]  # ties for the mode: the smallest value wins, as in matminer
        comps.append(Composition(dict(zip(els, amounts))))
    _check(comps)


def test_columns_follow_matminers_labels():
    labels = [label for g in ("magpie", "stoichiometry", "valence_orbital") for label in GROUPS[g].labels()]
    assert composition_descriptors([Composition("Li2O")]).shape == (1, len(labels))


@pytest.mark.integration
def test_every_obelix_formula_matches_matminer(obelix):
    _check(list(obelix.frame["composition"]))
