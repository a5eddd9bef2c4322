"""The screening report: distribution of predictions, the shortlist with its reasons, what pushes candidates up."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..formatting import ordinal
from ..io import write_table
from ..report.document import Report
from ..report.figures import doping_curves, prediction_histogram
from ..report.markdown import md_cell


def _context(payload: dict, short: pd.DataFrame, long: pd.DataFrame, ups: pd.DataFrame) -> dict:
    counts, model = payload["counts"], payload["model"]
    units = "log10 sigma (S/cm)" if model["task"] == "regression" else "probability of sigma >= threshold"
    per_row = {rank: g.to_dict("records") for rank, g in long.groupby("rank")}
    rows = [{**r, "top": per_row.get(r["rank"], []), "interval": _interval(r)} for r in short.to_dict("records")]
    source = payload["source"]
    what = (f"file {source['path']}" if source["kind"] == "file" else
            f"doping grid of {source['parent']}: {'; '.join(source['substitute'])}, x = {source['range']}")
    sentences = [
        f"{counts['rows']:,} candidates from the {what}; {counts['screened']:,} screened, {counts['invalid']:,} "
        "could not be screened (listed with their reason in invalid.csv).",
        f"{counts['outside']:,} screened candidates lie outside the model's training domain: their predictions "
        "are extrapolations.",
        f"The shortlist holds {counts['shortlisted']:,} candidates; each is explained by its "
        f"{payload['shortlist']['explained_descriptors']} descriptors of largest |SHAP| "
        f"({payload['shortlist']['shap_method']}; base value + sum of SHAP reproduces the model output to "
        f"{payload['shortlist']['additivity_max_error']:.1g}).",
    ]
    if "vs_reference" in short and len(short):
        best = short.iloc[0]
        sentences.append(f"Against the parent {source['parent']}, the best candidate {best['formula']} changes the "
                         f"model output by {best['vs_reference']:+.3f} ({payload['shortlist']['shap_units']}); "
                         f"the descriptors whose SHAP changed most: {best['changes_vs_reference']}.")
    if "measured" in short and short["measured"].notna().any():
        known = short[short["measured"].notna()]
        sentences.append(f"{len(known)} shortlisted candidate(s) are already in the model's training data "
                         f"(e.g. {known.iloc[0]['formula']}, measured log10 sigma {known.iloc[0]['measured']:.2f}): "
                         "use the measurement; --batch never picks them.")
    sentence = _interval_sentence(short, model["task"])
    if sentence:
        sentences.append(sentence)
    if len(ups):
        top = ups.iloc[0]
        sentences.append(f"The descriptor that most often pushes shortlisted candidates up is {top['descriptor']} "
                         f"({int(top['candidates'])} of {counts['shortlisted']} candidates).")
    return {"title": "Screening report", "payload": payload, "units": units, "rows": rows,
            "parent": source.get("parent") if "vs_reference" in short else None,
            "ups": ups.to_dict("records"), "sentences": sentences}


def _markdown(c: dict, figure_files: dict) -> str:
    p = c["payload"]
    lines = [f"# {md_cell(c['title'])}", "", f"Model: {md_cell(p['model']['family'])} / {p['model']['task']}, preset "
             f"{md_cell(p['model']['preset'])} (sha256 {p['model']['sha256'][:12]}...).", ""]
    lines += [f"- {md_cell(s)}" for s in c["sentences"]]
    lines += ["", "![distribution](figures/predictions.svg)", "", "## Shortlist", "",
              f"| rank | id | formula | prediction ({c['units']}) | 90% interval | domain | top descriptors (SHAP) | warnings |",
              "|---|---|---|---|---|---|---|---|"]
    for r in c["rows"]:
        dom = "inside" if r["in_domain"] else "OUTSIDE"
        tops = "; ".join(f"{t['descriptor']} = {t['value']:.4g} ({t['shap']:+.3f})" for t in r["top"])
        if c["parent"]:
            tops += f"; vs parent {r['vs_reference']:+.3f}: {r['changes_vs_reference']}"
        lines.append(f"| {r['rank']} | {md_cell(r['id'])} | {md_cell(r['formula'])} | {r['prediction']:.3g} | "
                     f"{r['interval']} | {dom} "
                     f"({ordinal(r['domain_percentile'])} pct) | {md_cell(tops)} | {md_cell(r['warnings'])} |")
    if c["series"]:
        lines += ["", "## Prediction along each doping series", "", "![doping series](figures/doping_series.svg)", "",
                  "| series | amounts | x range | best x | prediction at best x | 90% interval at best x | vs parent | domain |",
                  "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {md_cell(r['series'])} | {r['n']} | {r['x_range']} | {r['best_x']:g} | "
                  f"{r['best_prediction']:.3g} | {r['best_interval']} | "
                  f"{'' if r['vs_parent'] is None else format(r['vs_parent'], '+.3f')} | "
                  f"{'inside' if r['best_in_domain'] else 'OUTSIDE'} |" for r in c["series"]]
    lines += ["", "## Descriptors that most often push candidates up", "",
              "| descriptor | candidates | mean SHAP | unit | meaning |", "|---|---|---|---|---|"]
    lines += [f"| {md_cell(u['descriptor'])} | {u['candidates']} | {u['mean_shap']:+.3f} | {md_cell(u['unit'])} | "
              f"{md_cell(u['meaning'])} |" for u in c["ups"]]
    return "\n".join(lines) + "\n"


def _interval_sentence(short: pd.DataFrame, task: str) -> str:
    """How the spread of the shortlisted predictions compares with the width of their 90% intervals."""
    if task != "regression" or not len(short) or "lower" not in short or short["lower"].isna().all():
        return ""
    width = float((short["upper"] - short["lower"]).mean())
    spread = float(short["prediction"].max() - short["prediction"].min())
    return (f"The shortlisted predictions span {spread:.2f} decades of S/cm, while each 90% interval is "
            f"{width:.1f} decades wide on average (conformal, calibrated on new chemistry): "
            + ("the ranking is far finer than the uncertainty, so treat the shortlist as a set of candidates "
               "to measure, not an order." if spread < width else "the leaders stand out beyond the uncertainty."))


def _interval(r: dict) -> str:
    """``lower to upper`` of a row's 90% interval, or "" without one."""
    lo, hi = r.get("lower"), r.get("upper")
    return "" if lo is None or hi is None or pd.isna(lo) or pd.isna(hi) else f"{lo:.2f} to {hi:.2f}"


#: Points drawn per doping series at most (longer series are thinned evenly; the CSV keeps them all).
MAX_CURVE_POINTS = 400
_SERIES_ID = re.compile(r"^(?P<series>[A-Z][a-z]?->[A-Z][a-z]?) x=(?P<x>\S+)$")


def doping_series(parts: list[Path]) -> tuple[pd.DataFrame, float | None]:
    """Every screened candidate of a doping grid as ``series, x, prediction, lower, upper, in_domain``
    (one part at a time; ``lower`` / ``upper``: the 90% interval, NaN without a calibration).

    Returns
    -------
    curves : pandas.DataFrame
        Sorted by series and x; rows that could not be screened are left out (they are in invalid.csv).
    parent : float or None
        The parent's prediction (its row ``parent ...``).
    """
    import pyarrow.parquet as pq  # heavy: pyarrow loads only when a Parquet file is read or written

    frames, parent = [], None
    for path in parts:
        names = set(pq.read_schema(str(path)).names)
        bounds = [c for c in ("lower", "upper") if c in names]  # parts written before intervals have none
        part = pq.read_table(str(path), columns=["id", "prediction", *bounds, "in_domain", "error"],
                             use_threads=False).to_pandas()
        for c in ("lower", "upper"):
            if c not in part:
                part[c] = float("nan")
        part = part[(part["error"] == "") & part["prediction"].notna()]
        first = part["id"].str.startswith("parent ")
        if first.any():
            parent = float(part.loc[first, "prediction"].iloc[0])
        found = part["id"].str.extract(_SERIES_ID)
        keep = found["series"].notna()
        frames.append(pd.DataFrame({"series": found.loc[keep, "series"], "x": found.loc[keep, "x"].astype(float),
                                    "prediction": part.loc[keep, "prediction"],
                                    "lower": part.loc[keep, "lower"], "upper": part.loc[keep, "upper"],
                                    "in_domain": part.loc[keep, "in_domain"].astype(bool)}))
    columns = ["series", "x", "prediction", "lower", "upper", "in_domain"]
    curves = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return curves.sort_values(["series", "x"], kind="stable").reset_index(drop=True)[columns], parent


def _thinned(curves: pd.DataFrame) -> dict:
    out = {}
    for name, g in curves.groupby("series", sort=False):
        step = max(1, -(-len(g) // MAX_CURVE_POINTS))
        out[name] = g.iloc[::step]
    return out


def screening_report(payload: dict, short: pd.DataFrame, long: pd.DataFrame, ups: pd.DataFrame,
                     curves: pd.DataFrame | None = None, parent: float | None = None) -> Report:
    """The screening report: the shortlist, the distribution of predictions and, for a doping grid, each series.

    Written as ``report.html`` (self-contained, every user string escaped) and ``report.md``; the
    screening's own JSON is its ``summary.json`` and parts.
    """
    context = _context(payload, short, long, ups)
    figures = {"predictions": prediction_histogram(payload["histogram"]["edges"], payload["histogram"]["counts"],
                                                   payload["model"]["task"], payload["counts"]["screened"])}
    context["series"] = []
    if curves is not None and len(curves):
        figures["doping_series"] = doping_curves(_thinned(curves), payload["model"]["task"], parent)
        context["series"] = _series_rows(curves, parent)
    return Report(context, figures, "screen.html.j2", _markdown, html_name="report.html", json_name=None)


def write_report(out: Path, payload: dict, short: pd.DataFrame, long: pd.DataFrame, ups: pd.DataFrame,
                 curves: pd.DataFrame | None = None, parent: float | None = None) -> None:
    """Write the screening report into ``out`` (:func:`screening_report`); a grid's series also go to ``doping_series.csv``."""
    if curves is not None and len(curves):
        write_table(curves, out / "doping_series.csv")
    screening_report(payload, short, long, ups, curves, parent).write(out)


def _series_rows(curves: pd.DataFrame, parent: float | None) -> list[dict]:
    """Per doping series: amounts screened, the best x and its prediction, the change from the parent."""
    rows = []
    for name, g in curves.groupby("series", sort=False):
        best = g.loc[g["prediction"].idxmax()]
        rows.append({"series": name, "n": int(len(g)), "x_range": f"{g['x'].min():g}-{g['x'].max():g}",
                     "best_x": float(best["x"]), "best_prediction": float(best["prediction"]),
                     "best_interval": _interval(best.to_dict()),
                     "vs_parent": None if parent is None else float(best["prediction"] - parent),
                     "best_in_domain": bool(best["in_domain"])})
    return rows


__all__ = ["doping_series", "screening_report", "write_report"]
