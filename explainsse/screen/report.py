"""The screening report: distribution of predictions, the shortlist with its reasons, what pushes candidates up."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from ..io import write_text_atomic


def _context(payload: dict, short: pd.DataFrame, long: pd.DataFrame, ups: pd.DataFrame) -> dict:
    counts, model = payload["counts"], payload["model"]
    units = "log10 sigma (S/cm)" if model["task"] == "regression" else "probability of sigma >= threshold"
    per_row = {rank: g.to_dict("records") for rank, g in long.groupby("rank")}
    rows = [{**r, "top": per_row.get(r["rank"], [])} for r in short.to_dict("records")]
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
    if len(ups):
        top = ups.iloc[0]
        sentences.append(f"The descriptor that most often pushes shortlisted candidates up is {top['descriptor']} "
                         f"({int(top['candidates'])} of {counts['shortlisted']} candidates).")
    return {"title": "Screening report", "payload": payload, "units": units, "rows": rows,
            "parent": source.get("parent") if "vs_reference" in short else None,
            "ups": ups.to_dict("records"), "sentences": sentences}


def _markdown(c: dict) -> str:
    p = c["payload"]
    lines = [f"# {c['title']}", "", f"Model: {p['model']['family']} / {p['model']['task']}, preset "
             f"{p['model']['preset']} (sha256 {p['model']['sha256'][:12]}...).", ""]
    lines += [f"- {s}" for s in c["sentences"]]
    lines += ["", "![distribution](figures/predictions.svg)", "", "## Shortlist", "",
              f"| rank | id | formula | prediction ({c['units']}) | domain | top descriptors (SHAP) | warnings |",
              "|---|---|---|---|---|---|---|"]
    for r in c["rows"]:
        dom = "inside" if r["in_domain"] else "OUTSIDE"
        tops = "; ".join(f"{t['descriptor']} = {t['value']:.4g} ({t['shap']:+.3f})" for t in r["top"])
        if c["parent"]:
            tops += f"; vs parent {r['vs_reference']:+.3f}: {r['changes_vs_reference']}"
        lines.append(f"| {r['rank']} | {_md(r['id'])} | {_md(r['formula'])} | {r['prediction']:.3g} | {dom} "
                     f"({r['domain_percentile']:.0f}th pct) | {_md(tops)} | {_md(r['warnings'])} |")
    lines += ["", "## Descriptors that most often push candidates up", "",
              "| descriptor | candidates | mean SHAP | unit | meaning |", "|---|---|---|---|---|"]
    lines += [f"| {u['descriptor']} | {u['candidates']} | {u['mean_shap']:+.3f} | {u['unit']} | {_md(u['meaning'])} |"
              for u in c["ups"]]
    return "\n".join(lines) + "\n"


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def write_report(out: Path, payload: dict, short: pd.DataFrame, long: pd.DataFrame, ups: pd.DataFrame) -> None:
    """Write ``report.html`` (self-contained, every user string escaped), ``report.md`` and the figure."""
    from markupsafe import Markup

    from ..report.figures import prediction_histogram
    from ..report.render import _svg, template_environment

    context = _context(payload, short, long, ups)
    svg = _svg(prediction_histogram(payload["histogram"]["edges"], payload["histogram"]["counts"],
                                    payload["model"]["task"], payload["counts"]["screened"]))
    (out / "figures").mkdir(exist_ok=True)
    (out / "figures" / "predictions.svg").write_bytes(svg)
    figure = Markup('<figure><img alt="distribution of predictions" src="data:image/svg+xml;base64,{}"></figure>'
                    ).format(base64.b64encode(svg).decode("ascii"))
    html = template_environment().get_template("screen.html.j2").render(c=context, figure=figure)
    write_text_atomic(out / "report.html", html)
    write_text_atomic(out / "report.md", _markdown(context))


__all__ = ["write_report"]
