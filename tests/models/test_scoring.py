"""One scoring module: permutation p-values, baselines and verdicts (used by evaluate and NASICON)."""

import numpy as np
import pytest

from explainsse.models.scoring import (
    MIN_PERMUTATIONS,
    baseline_scores,
    is_resolvable,
    majority_baseline,
    permutation_test,
    scramble_sentence,
)


def test_permutation_p_value_counts_null_scores_at_least_as_good():
    assert permutation_test(0.5, [0.6, 0.1, 0.5], metric="mcc", kind="x")["p_value"] == pytest.approx(3 / 4)
    assert permutation_test(1.0, [0.9, 2.0, 3.0], metric="mae", kind="x")["p_value"] == pytest.approx(2 / 4)
    best = permutation_test(0.9, np.zeros(MIN_PERMUTATIONS), metric="mcc", kind="x")
    assert best["p_value"] == pytest.approx(0.05) and is_resolvable(best)
    few = permutation_test(0.9, np.zeros(5), metric="mcc", kind="x")
    assert few["p_value"] == pytest.approx(1 / 6) and not is_resolvable(few)
    assert "cannot reach 0.05" in scramble_sentence("m", few)
    assert np.isnan(permutation_test(0.9, [], metric="mcc", kind="x")["p_value"])


def test_baselines():
    assert baseline_scores("regression", [1.0, 2.0, 10.0], 2).tolist() == [2.0, 2.0]
    assert baseline_scores("classification", [0, 0, 1, 1], 3).tolist() == [0.5, 0.5, 0.5]
    b = majority_baseline(np.array([1, 1, 1, 0]), train_majority=0)
    assert b["best_constant_class"] == "superionic" and b["best_constant_accuracy"] == 0.75
    assert b["train_majority_accuracy"] == 0.25
