"""Agreement between model families: importance ranks and directions of effect."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from .table import ExplanationTable


def cross_family_agreement(tables: dict[str, ExplanationTable], top_k: int = 10) -> dict:
    """Compare global importance and directions across families.

    Parameters
    ----------
    tables : dict
        Family label -> ExplanationTable (same descriptors).
    top_k : int
        Descriptors compared for direction agreement: the union of each family's top ``top_k``.

    Returns
    -------
    dict
        ``rank_correlation`` (family x family Spearman of mean |SHAP|, as nested dict),
        ``direction`` (per descriptor: direction per family and whether all agree), and
        ``direction_agreement`` (share of compared descriptors on which all non-zero
        directions agree).
    """
    names = list(tables)
    importance = {n: t.global_importance()["mean_abs_shap"] for n, t in tables.items()}
    common = sorted(set.intersection(*(set(v.index) for v in importance.values())))
    corr = {a: {b: 1.0 if a == b else np.nan for b in names} for a in names}
    for a, b in itertools.combinations(names, 2):
        x, y = importance[a][common], importance[b][common]
        rho = spearmanr(x, y).statistic if x.nunique() > 1 and y.nunique() > 1 else np.nan
        corr[a][b] = corr[b][a] = float(rho)
    top = list(dict.fromkeys(d for n in names for d in tables[n].top(top_k)))
    directions = {n: tables[n].directions(top).set_index("descriptor")["direction"] for n in names}
    rows, agree = [], []
    for d in top:
        signs = {n: int(directions[n].get(d, 0)) for n in names}
        nonzero = {s for s in signs.values() if s != 0}
        same = len(nonzero) <= 1
        agree.append(same)
        rows.append({"descriptor": d, **{f"direction_{n}": s for n, s in signs.items()}, "agree": same})
    return {"rank_correlation": corr, "direction": pd.DataFrame(rows),
            "direction_agreement": float(np.mean(agree)) if agree else np.nan, "top_k": top_k}
