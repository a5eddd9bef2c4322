"""Importance of the named physical groups: the exact sum of the members' SHAP values, per material.

A group's SHAP value for one material is the sum of its members' SHAP values, so the groups still
add up to the model output (additivity is kept); its importance is the mean absolute grouped
SHAP over the rows, with a bootstrap interval over the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._config import DRIVER_RECOVERY
from ..featurize.meaning import PHYSICAL_GROUPS, physical_group

#: Bootstrap resamples of the rows for a group's interval.
GROUP_BOOTSTRAP = 200


def named_group_table(table):
    """The explanation table with SHAP summed within each named physical group (additivity kept)."""
    groups: dict[str, list[str]] = {}
    for name in table.feature_names:
        groups.setdefault(physical_group(name), []).append(name)
    return table.grouped(groups), groups


def named_group_importance(table, *, n_boot: int = GROUP_BOOTSTRAP, seed: int = 0) -> pd.DataFrame:
    """Importance of each named group, largest first.

    Per group: ``mean_abs_shap`` with a 95% bootstrap interval over the rows
    (``ci_low``, ``ci_high``; percentile interval, widened to contain the estimate when it does not),
    ``share`` of the total, ``n_members``, ``top_members`` (the 3 members of largest mean |SHAP|),
    and ``meaning`` (what the group measures).

    Parameters
    ----------
    table : ExplanationTable
    n_boot : int
    seed : int
    """
    grouped, members = named_group_table(table)
    values = np.abs(np.asarray(grouped.values, float))
    point = values.mean(axis=0)
    rng = np.random.default_rng(seed)
    n = len(values)
    boots = np.array([values[rng.integers(0, n, n)].mean(axis=0) for _ in range(n_boot)]) if n else np.zeros((0, 0))
    low = np.minimum(np.percentile(boots, 2.5, axis=0), point) if n else point
    high = np.maximum(np.percentile(boots, 97.5, axis=0), point) if n else point
    member_imp = pd.Series(np.abs(np.asarray(table.values, float)).mean(axis=0), index=table.feature_names)
    rows = []
    for j, name in enumerate(grouped.feature_names):
        top = member_imp[members[name]].sort_values(ascending=False).head(3)
        rows.append({"group": name, "mean_abs_shap": float(point[j]), "ci_low": float(low[j]),
                     "ci_high": float(high[j]), "n_members": len(members[name]),
                     "top_members": [str(d) for d in top.index],
                     "meaning": PHYSICAL_GROUPS.get(name, "descriptors supplied by the user")})
    out = pd.DataFrame(rows).sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(drop=True)
    total = out["mean_abs_shap"].sum()
    out["share"] = out["mean_abs_shap"] / total if total > 0 else 0.0
    return out




def ranking_reliability(family: str | None = None, task: str = "regression", *, merged: bool = False) -> dict:
    """How often a ranking of this family finds true drivers (:data:`~explainsse._config.DRIVER_RECOVERY`).

    Parameters
    ----------
    family : str, optional
        ``pls`` or ``xgb`` (the families the benchmark covers); None for the headline ranking.
    task : {"regression", "classification"}
        The benchmark simulates log10 sigma, so only regression rankings are measured.
    merged : bool
        The family's ranking with near-copies merged (as the consensus headline shows a single
        skilled family), rather than its own table.

    Returns
    -------
    dict
        ``measured`` (bool), ``precision_at_k`` and ``group_credited`` as [mean, low, high] (when measured),
        ``target`` (met when ``group_credited`` reaches it: a near-copy of a true driver counts), ``benchmark``
        and ``note`` (one sentence for reports).

    Examples
    --------
    >>> ranking_reliability("xgb")["group_credited"]
    [0.63, 0.49, 0.78]
    >>> ranking_reliability()["group_credited"], ranking_reliability("xgb", merged=True)["group_credited"]
    ([0.71, 0.55, 0.87], [0.7, 0.53, 0.87])
    >>> ranking_reliability("logreg")["measured"], ranking_reliability("xgb", "classification")["measured"]
    (False, False)
    """
    R = DRIVER_RECOVERY
    key = f"{family} merged" if family and merged else family or "headline"
    who = (f"{family} (near-copies merged)" if family and merged else family) or "the headline ranking"
    base = {"benchmark": R["benchmark"], "target": R["target"], "noise_sd_decades": R["noise_sd_decades"]}
    if key not in R["precision_at_k"] or task != "regression":
        return {**base, "measured": False,
                "note": f"driver recovery is not measured for {who} on {task} ({R['benchmark']} covers PLS and "
                        "XGBoost regression, where the headline ranking found "
                        f"{R['group_credited']['headline'][0]:.2f} of the true drivers or a near-copy): how often "
                        "this ranking finds a true driver is unknown"}
    p, g = R["precision_at_k"][key], R["group_credited"][key]
    verdict = "reaches" if g[0] >= R["target"] else "does not reach"
    note = (f"on {R['truths']} simulated truths over OBELiX's own descriptor matrix ({R['benchmark']}, noise sd "
            f"{R['noise_sd_decades']} decades), {who} put {g[0]:.2f} [{g[1]:.2f}, {g[2]:.2f}] of the true drivers "
            f"(or a near-copy) in its top k ({p[0]:.2f} [{p[1]:.2f}, {p[2]:.2f}] the driver itself); it {verdict} "
            f"the {R['target']} target" + (f", so expect about {1 - g[0]:.0%} of its top places not to be true "
                                            "drivers" if g[0] < R["target"] else ""))
    return {**base, "measured": True, "precision_at_k": list(p), "group_credited": list(g), "note": note}


__all__ = ["GROUP_BOOTSTRAP", "named_group_importance", "named_group_table", "ranking_reliability"]
