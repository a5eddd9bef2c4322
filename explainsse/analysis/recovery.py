"""Can the pipeline find true drivers? Simulated conductivities on a real descriptor matrix.

A *truth* is a handful of descriptors, each with a functional form (linear, monotone non-linear,
threshold) and a weight. The simulated log10 sigma of every row is the sum of their effects on the
standardized descriptor, plus noise, censored below a bound as OBELiX is (``<1e-10`` stored at
the floor). A structural descriptor that is missing where a row has no CIF still acts on that
row's conductivity through a latent value the model cannot see (the material has a structure;
only the CIF is missing), exactly the situation of OBELiX.

The toolkit's own pipeline then runs unchanged on the real descriptors and the simulated target
(:func:`~explainsse.models.train.final_model`: grouped inner-CV tuning, fit; SHAP on the rows;
correlated groups), and the ranking is scored against the truth: precision at k, the rank of each
true driver, and whether a true driver's correlated group is credited.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..explain import explain
from ..explain.correlation import correlated_groups, merge_near_copies
from ..featurize.meaning import physical_group, proxy_flag
from ..models.train import final_model

#: Functional forms of a true driver's effect on the standardized descriptor z.
FORMS = {
    "linear": lambda z: z,
    "monotone": lambda z: np.tanh(1.5 * z) * 1.3,
    "threshold": lambda z: np.where(z > 0.0, 1.0, -1.0),
}
#: Repeat-measurement spread of OBELiX (MAD of log10 sigma about 0.4 decades) as a Gaussian sd.
OBELIX_NOISE = 0.4 * 1.4826
#: Upper bound below which a simulated conductivity is censored (as OBELiX's ``<1E-10``), and the floor it is stored at.
CENSOR_LOG10, FLOOR_LOG10 = -10.0, -15.0


@dataclass(frozen=True)
class Truth:
    """Drivers (descriptor names), their forms and signed weights (decades of S/cm per unit effect)."""

    drivers: tuple
    forms: tuple
    weights: tuple


def draw_truth(X: pd.DataFrame, k: int, rng: np.random.Generator, *, structural: list[str] | None = None,
               max_correlation: float = 0.7) -> Truth:
    """Draw ``k`` true drivers with forms and signs at random.

    At least one comes from ``structural`` (when given), none is a flagged proxy, and no two have
    |Spearman| above ``max_correlation`` (so the truth is identifiable).
    """
    usable = [c for c in X.columns if proxy_flag(c) is None and X[c].nunique(dropna=True) > 5]
    rank = X[usable].rank()
    picks: list[str] = []
    pools = ([c for c in (structural or []) if c in usable], usable)
    for pool in pools:
        for c in rng.permutation(pool):
            if len(picks) >= (1 if pool is pools[0] and structural else k):
                break
            if all(abs(rank[c].corr(rank[p])) <= max_correlation for p in picks):
                picks.append(str(c))
    forms = tuple(rng.choice(list(FORMS), size=len(picks)))
    weights = tuple(float(w) for w in rng.choice([-1, 1], size=len(picks)) * rng.uniform(0.8, 1.6, len(picks)))
    return Truth(tuple(picks), forms, weights)


def simulate(frame: pd.DataFrame, X: pd.DataFrame, truth: Truth, *, noise: float = OBELIX_NOISE,
             seed: int = 0, centre: float = -5.0) -> pd.DataFrame:
    """The frame with a simulated ``log10_sigma`` (censored below :data:`CENSOR_LOG10`)."""
    rng = np.random.default_rng(seed)
    y = np.full(len(X), centre)
    for name, form, w in zip(truth.drivers, truth.forms, truth.weights):
        x = X[name].to_numpy(float)
        seen = np.isfinite(x)
        z = np.where(seen, (x - np.nanmean(x)) / (np.nanstd(x) or 1.0), rng.normal(size=len(x)))  # latent if missing
        y += w * 1.5 * FORMS[form](z)
    y += rng.normal(scale=noise, size=len(y))
    censored = y < CENSOR_LOG10
    out = frame.copy()
    out["log10_sigma"] = np.where(censored, FLOOR_LOG10, y)
    out["censored"] = censored
    out["sigma_bound_S_cm"] = np.where(censored, 10.0 ** CENSOR_LOG10, np.nan)
    out["sigma_S_cm"] = 10.0 ** out["log10_sigma"]  # censored rows at the floor, as OBELiX stores them
    out["split"] = pd.NA  # every row trains: the question is recovery, not prediction
    return out


def recover(frame: pd.DataFrame, X: pd.DataFrame, family: str, *, preset: str, seed: int = 0,
            n_jobs: int = 1) -> tuple[pd.Series, dict]:
    """The pipeline, unchanged: tuned final model, SHAP on the rows, correlated groups.

    Returns the mean |SHAP| per descriptor (largest first) and the correlated groups.
    """
    model = final_model(frame, X, family, "regression", preset=preset, random_state=seed, n_jobs=n_jobs)
    Xt = model.train_X
    table = explain(model, Xt, Xt, ids=frame.loc[Xt.index, "id"], formulas=frame.loc[Xt.index, "formula"])
    importance = table.global_importance()["mean_abs_shap"]
    return importance, correlated_groups(Xt, importance=importance)


def score(importance: pd.Series, groups: dict, truth: Truth, *, merge: bool = False) -> dict:
    """Precision at k (k = number of true drivers), with and without group credit, and ranks.

    Group credit: a true driver counts as found when a member of its correlated group (|Spearman|
    >= 0.9 with it) is in the top k, since SHAP splits credit among near-copies arbitrarily.
    ``merge``: score the ranking in which each group of near-copies takes one place
    (:func:`~explainsse.explain.correlation.merge_near_copies`, as the consensus headline does); a
    true driver's rank is then the place of the entry that holds it.
    ``precision_named_groups``: the share of the true drivers' named physical groups among the
    same number of top named groups (importance summed within each group).
    """
    k = len(truth.drivers)
    group_of = {d: members for members in groups.values() for d in members}
    if merge:
        merged = merge_near_copies(importance, groups)
        place = {d: i + 1 for i, (lead, copies) in enumerate(merged["near_copies"].items()) for d in (lead, *copies)}
        order = list(merged.index)
    else:
        order = list(importance.index)
        place = {d: i + 1 for i, d in enumerate(order)}
    top = set(order[:k])
    hits = [d in top for d in truth.drivers]
    credited = [bool(set(group_of.get(d, [d])) & top) for d in truth.drivers]
    named = importance.groupby(physical_group).sum().sort_values(ascending=False)
    true_named = {physical_group(d) for d in truth.drivers}
    named_hits = len(set(named.index[:len(true_named)]) & true_named) / len(true_named)
    return {"k": k, "precision_at_k": sum(hits) / k, "precision_at_k_grouped": sum(credited) / k,
            "precision_named_groups": named_hits, "ranks": {d: place.get(d) for d in truth.drivers}}


__all__ = ["CENSOR_LOG10", "FORMS", "OBELIX_NOISE", "Truth", "draw_truth", "recover", "score", "simulate"]
