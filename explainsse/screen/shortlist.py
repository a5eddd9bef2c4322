"""The shortlist of a screen: the best candidates, read back from the part files, each with its reasons."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..chemistry import parse_formula
from ..explain import explain, model_output, output_units
from ..featurize import DescriptorFeaturizer, describe
from ..models.splits import element_fractions

#: Most candidates a ``--min-sigma`` shortlist keeps without ``--top`` (the best ones).
MAX_SHORTLIST = 10_000
SHORT_COLUMNS = ["row", "id", "formula", "prediction", "lower", "upper", "measured", "domain_percentile", "in_domain",
                 "warnings"]
#: How a shortlist is ranked: the prediction, the lower bound of its interval, or the expected
#: improvement over a target conductivity (Bayesian-optimization style).
RANKS = ("mean", "lower", "ei")
#: z of the two-sided 90% interval: a Gaussian with this interval has sd = width / (2 z).
Z90 = 1.6448536269514722


def rank_score(part: pd.DataFrame, rank: str, target: float | None) -> np.ndarray:
    """The ranking score of each row (higher is better).

    ``mean``: the prediction. ``lower``: the lower bound of the 90% interval (a cautious pick:
    likely at least this good). ``ei``: expected improvement over ``target`` (log10 S/cm) of a
    Gaussian with the prediction as mean and the 90% interval as its central 90%,
    ``EI = (mu - t) Phi(z) + s phi(z)``, ``z = (mu - t) / s`` (Jones et al. 1998; used for oxide
    electrolytes by Nakayama et al.): it rewards a high prediction and a wide interval alike.
    """
    mu = part["prediction"].to_numpy(float)
    if rank == "mean":
        return mu
    if rank == "lower":
        return part["lower"].to_numpy(float)
    from scipy.stats import norm  # heavy: SciPy loads only when a screen ranks by expected improvement

    sd = np.maximum((part["upper"].to_numpy(float) - part["lower"].to_numpy(float)) / (2 * Z90), 1e-9)
    z = (mu - target) / sd
    return (mu - target) * norm.cdf(z) + sd * norm.pdf(z)


def pick_batch(short: pd.DataFrame, n: int, min_distance: float) -> pd.DataFrame:
    """Greedy diverse batch: down the ranking, keep a candidate when it is at least ``min_distance`` from every pick.

    The distance is the L1 distance of the element fractions (0.02 is about a quarter of a
    dopant atom per formula unit of a garnet with 24 atoms). Candidates whose composition is
    already in the model's training data (``measured`` not NaN) are not next experiments and are
    skipped.
    """
    if "measured" in short:
        short = short[short["measured"].isna()]
    if short.empty:
        return short.assign(batch=[])
    F, _ = element_fractions([parse_formula(f) for f in short["formula"]])
    picks: list[int] = []
    for i in range(len(short)):
        if all(np.abs(F[i] - F[j]).sum() >= min_distance for j in picks):
            picks.append(i)
            if len(picks) == n:
                break
    out = short.iloc[picks].copy()
    out.insert(0, "batch", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)
INVALID_COLUMNS = ["row", "id", "formula", "error"]
LONG_COLUMNS = ["rank", "id", "formula", "order", "descriptor", "value", "shap", "unit", "meaning"]


def read_back(parts: list[Path], *, top: int | None, floor: float | None,
              in_domain_only: bool = False, rank: str = "mean",
              target: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One pass over the part files: the shortlist, and every row that could not be screened.

    The shortlist holds the best screened rows: prediction >= ``floor``, inside the applicability
    domain with ``in_domain_only``, the ``top`` highest by ``rank`` (:func:`rank_score`; column
    ``score``) (:data:`MAX_SHORTLIST` without ``top``).
    Parts are read one at a time, so memory stays bounded by the shortlist and the invalid rows.
    Ties are broken by input position, so the result does not depend on the engine.

    Returns
    -------
    short : pandas.DataFrame
        :data:`SHORT_COLUMNS`, best first.
    invalid : pandas.DataFrame
        ``row, id, formula, error``.
    """
    import pyarrow.parquet as pq  # heavy: pyarrow loads only when a Parquet file is read or written

    limit = top if top is not None else MAX_SHORTLIST
    best = pd.DataFrame(columns=[*SHORT_COLUMNS, "score"])
    invalid = [pd.DataFrame(columns=INVALID_COLUMNS)]
    for path in parts:
        part = pq.read_table(str(path), columns=SHORT_COLUMNS + ["error"], use_threads=False).to_pandas()
        bad = part["error"] != ""
        if bad.any():
            invalid.append(part.loc[bad, INVALID_COLUMNS])
        keep = ~bad & part["prediction"].notna()
        if floor is not None:
            keep &= part["prediction"] >= floor
        if in_domain_only:
            keep &= part["in_domain"]
        part = part.loc[keep, SHORT_COLUMNS]
        part = part.assign(score=rank_score(part, rank, target))
        part = part[np.isfinite(part["score"].to_numpy(float))]
        if len(part):
            both = part if best.empty else pd.concat([best, part], ignore_index=True)
            best = both.sort_values(["score", "row"], ascending=[False, True], kind="mergesort").head(limit)
    invalid = pd.concat(invalid[1:], ignore_index=True) if len(invalid) > 1 else invalid[0]
    return best.reset_index(drop=True), invalid


def explain_shortlist(model, short: pd.DataFrame, k: int = 5, reference: str | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """SHAP for every shortlisted row: its top-``k`` descriptors (value, SHAP, unit, meaning).

    With a ``reference`` formula (a doping grid's parent), each row also gets ``vs_reference``
    (its model output minus the parent's) and ``changes_vs_reference``: the 3 descriptors whose
    SHAP changed most from the parent's, i.e. what the substitution did in the model's eyes.

    Returns
    -------
    short : pandas.DataFrame
        The shortlist with ``rank``, ``base_value`` and ``reasons`` (the top descriptors as text).
    long : pandas.DataFrame
        ``rank, id, formula, order, descriptor, value, shap, unit, meaning`` (``k`` rows per candidate).
    info : dict
        ``method`` of the SHAP values, their ``units``, and the largest additivity error.
    """
    short = short.copy()
    short.insert(0, "rank", np.arange(1, len(short) + 1))
    if short.empty:  # nothing could be screened, or nothing passed the rule
        long = pd.DataFrame(columns=LONG_COLUMNS)
        return short.assign(base_value=[], reasons=[]), long, {
            "method": "none (empty shortlist)", "units": output_units(model.family, model.task),
            "additivity_max_error": 0.0}
    formulas = short["formula"].tolist() + ([reference] if reference else [])
    X = DescriptorFeaturizer(model.preset, cache=False).fit_transform(formulas)
    table = explain(model, X, model.train_X, ids=[*short["id"], *(["reference"] if reference else [])],
                    formulas=formulas)
    shap, values = table.values[:len(short)], table.data[:len(short)]
    if reference:
        _changes(short, table, model)
        X = X.iloc[:len(short)]
    output = model_output(model.pipeline, model.family, model.task, model.align(X))
    gap = float(np.max(np.abs(table.output().to_numpy()[:len(short)] - output))) if len(short) else 0.0
    order = np.argsort(-np.abs(shap), axis=1, kind="stable")[:, :k]
    names = np.asarray(table.feature_names, dtype=object)
    rows, reasons = [], []
    for i in range(len(short)):
        text = []
        for j, col in enumerate(order[i]):
            info = describe(names[col])
            value = float(values[i, col])
            rows.append((int(short.at[i, "rank"]), short.at[i, "id"], short.at[i, "formula"], j + 1, names[col],
                         value, float(shap[i, col]), info.unit, info.meaning))
            shown = "missing" if not math.isfinite(value) else f"{value:.4g}"
            text.append(f"{names[col]} = {shown} ({float(shap[i, col]):+.3f})")
        reasons.append("; ".join(text))
    short["base_value"] = table.base_values[:len(short)]
    short["reasons"] = reasons
    long = pd.DataFrame(rows, columns=LONG_COLUMNS)
    return short, long, {"method": table.method, "units": table.output_units, "additivity_max_error": gap}


def _changes(short: pd.DataFrame, table, model, n: int = 3) -> None:
    """``vs_reference`` and ``changes_vs_reference`` columns from the last row of ``table`` (the reference)."""
    delta = table.values[:-1] - table.values[-1]
    output = table.output().to_numpy()
    short["vs_reference"] = output[:-1] - output[-1]
    names = table.feature_names
    order = np.argsort(-np.abs(delta), axis=1, kind="stable")[:, :n]
    short["changes_vs_reference"] = ["; ".join(f"{names[j]} {delta[i, j]:+.3f}" for j in order[i])
                                     for i in range(len(short))]


def push_up(long: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Descriptors that most often push a shortlisted candidate up (positive SHAP among its top ones)."""
    up = long[long["shap"] > 0]
    if up.empty:
        return pd.DataFrame(columns=["descriptor", "candidates", "mean_shap", "unit", "meaning"])
    grouped = up.groupby("descriptor").agg(candidates=("id", "nunique"), mean_shap=("shap", "mean"),
                                           unit=("unit", "first"), meaning=("meaning", "first"))
    return grouped.sort_values(["candidates", "mean_shap"], ascending=False).head(n).reset_index()


__all__ = ["MAX_SHORTLIST", "RANKS", "explain_shortlist", "pick_batch", "push_up", "rank_score", "read_back"]
