"""Sendek et al.'s published model and the sparse L1 refit, on synthetic rows with a known answer."""

import numpy as np
import pandas as pd
import pytest

from explainsse.analysis.sendek import published_model, sparse_logistic
from explainsse.featurize.structure import HAS_STRUCTURE, LABELS, SENDEK_BIAS, SENDEK_MODEL, SENDEK_WEIGHTS

ELEMENTS = ["Al", "Ga", "In", "Sc", "Y", "La", "B", "Ti", "Zr", "Nb", "Ta", "Ge", "Si", "Sn", "Mg", "Zn"]


def synthetic(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, len(LABELS))), columns=list(LABELS))
    X[HAS_STRUCTURE] = 1.0
    signal = "Sendek LLSD mean shortest Li-Li distance"
    superionic = X[signal] + 0.3 * rng.normal(size=n) < 0  # shorter Li-Li distance: better conductor
    frame = pd.DataFrame({
        "sigma_S_cm": np.where(superionic, 1e-3, 1e-7), "log10_sigma": np.where(superionic, -3.0, -7.0),
        "censored": False, "split": np.where(np.arange(n) < 0.75 * n, "train", "test"), "has_cif": True,
        "composition": [f"Li{ELEMENTS[k % len(ELEMENTS)]}O3" for k in range(n)],
    })
    from pymatgen.core import Composition

    frame["composition"] = [Composition(c) for c in frame["composition"]]
    return frame, X, signal


def test_published_model_uses_the_published_weights():
    frame, X, _ = synthetic()
    r = published_model(frame, X, n_boot=50)
    z = SENDEK_BIAS + X[list(SENDEK_MODEL)].to_numpy() @ np.array(SENDEK_WEIGHTS)
    assert r["predicted_superionic_share"] == pytest.approx(np.mean(z >= 0))
    assert r["n"] == len(X) and r["majority_accuracy"] >= 0.5
    assert r["weights"]["Sendek LASD mean shortest Li-anion distance"] == 8.70


@pytest.mark.slow
def test_sparse_model_finds_the_signal_with_at_most_five_descriptors():
    frame, X, signal = synthetic()
    r = sparse_logistic(frame, X, n_boot=30)
    picked = [s["descriptor"] for s in r["selected"]]
    assert 1 <= len(picked) <= 5 and picked[0] == signal
    lead = r["selected"][0]
    assert lead["odds_ratio_per_sd"] < 1 and lead["odds_ratio_ci"][1] < 1  # shorter LLSD -> higher odds
    assert r["test"]["n"] == 60 and r["test"]["accuracy"] > r["test"]["majority_accuracy"]
    assert HAS_STRUCTURE not in picked
