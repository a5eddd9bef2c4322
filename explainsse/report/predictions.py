"""Prediction report for candidate materials without measurements, from a saved (or bundled) model."""

from __future__ import annotations

import datetime as _dt

from ..analysis import explain_candidates
from ..featurize import describe
from . import figures as fig
from .markdown import md_cell


def build_prediction_report(ds, model, model_name: str, *, top: int = 5, max_figures: int = 12):
    """Predict and explain every usable row of ``ds`` with ``model``.

    Returns
    -------
    context : dict
    figures : dict
    """
    started = _dt.datetime.now(_dt.timezone.utc)
    candidates = explain_candidates(ds, model, top=top)
    ds = candidates.dataset  # without the rows that could not be featurized (now in its issues)
    table, results, notes = candidates.table, candidates.materials, candidates.notes
    figures = {}
    scored = [i for i in range(len(results)) if results[i]["prediction"] is not None]
    order = sorted(scored, key=lambda i: -results[i]["prediction"]) + [i for i in range(len(results))
                                                                        if results[i]["prediction"] is None]
    for rank, i in enumerate(order[:min(max_figures, len(scored))]):  # the scored rows come first
        name = f"waterfall_{rank}"
        figures[name] = fig.waterfall(table.sample(ds.frame.index[i]), title=results[i]["formula"]).figure
        results[i]["figure"] = name
    for r in results:
        r.setdefault("figure", None)
        r.setdefault("domain", None)
    ranked = [results[i] for i in order]
    outside = [r for r in ranked if r["domain"] and not r["domain"]["inside"]]
    units = ranked[0]["prediction_units"] if ranked else ""
    sentences = [f"{len(ranked)} candidates explained with model {model_name} ({model.family}, {model.task})."]
    if scored:
        best = ", ".join(f"{r['formula']} ({r['prediction']:.2f})" for r in ranked[:3] if r["prediction"] is not None)
        sentences.append(f"Highest predictions ({units}): {best}.")
    if len(scored) < len(ranked):
        sentences.append(f"{len(ranked) - len(scored)} of them get no prediction: the model cannot speak for them "
                         "(the reason is given per material).")
    if outside:
        verb = "lies" if len(outside) == 1 else "lie"
        sentences.append(f"{len(outside)} of them {verb} outside the training domain; treat those predictions "
                         "as extrapolations.")
    else:
        sentences.append("All lie inside the training domain.")
    names = sorted({t["descriptor"] for r in ranked for t in r["top_descriptors"]})
    summary = ds.summary()
    context = {
        "title": f"explainsse predictions: {ds.name}", "started": started.isoformat(timespec="seconds"),
        "model": {"name": model_name, "family": model.family, "task": model.task, "preset": model.preset,
                  "trained_on": f"{model.dataset.get('name', '?')} ({model.dataset.get('n_train', '?')} rows)",
                  "params": model.params, "metrics": model.metrics},
        "summary_sentences": sentences, "notes": notes, "prediction_units": units,
        "data": {"summary": summary, "issues": ds.issues.astype(str).to_dict("records"), "files": ds.files},
        "materials": ranked,
        "glossary": [{"descriptor": d, "meaning": describe(d).meaning, "unit": describe(d).unit,
                      "source": describe(d).source} for d in names],
        "dataset": ds.name, "seed": model.random_state,
    }
    return context, figures


def prediction_markdown(c: dict, figure_files: dict) -> str:
    """Markdown twin of the prediction report."""
    m = c["model"]
    lines = [f"# {md_cell(c['title'])}", "",
             f"Model {md_cell(m['name'])}: {md_cell(m['family'])} / {md_cell(m['task'])}, "
             f"preset {md_cell(m['preset'])}.", ""] + [f"- {md_cell(s)}" for s in c["summary_sentences"]]
    lines += ["", f"| id | formula | prediction ({md_cell(c['prediction_units'])}) | domain | warnings |",
              "|---|---|---|---|---|"]
    for m in c["materials"]:
        dom = "" if not m["domain"] else ("inside" if m["domain"]["inside"] else "outside")
        value = "none" if m["prediction"] is None else f"{m['prediction']:.3g}"
        lines.append(f"| {md_cell(m['id'])} | {md_cell(m['formula'])} | {value} | {dom} | "
                     f"{md_cell('; '.join(m['warnings']))} |")
    for m in c["materials"]:
        if m["figure"]:
            lines += ["", f"![{md_cell(m['formula'])}]({figure_files[m['figure']]})"]
    return "\n".join(lines) + "\n"
