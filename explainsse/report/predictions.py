"""Prediction report for candidate materials without measurements, from a saved (or bundled) model."""

from __future__ import annotations

import datetime as _dt

import math

from ..analysis import explain_candidates
from ..analysis.importance import gate_heading
from ..explain.trust import trust_texts
from ..featurize import describe
from ..models.scoring import SKILL, VERDICTS, WEAK, skill_verdict
from . import figures as fig
from .markdown import md_cell


def model_verdict(model) -> dict:
    """The skill verdict of a saved model, from the scores in its model card (``model.metrics``).

    A card that records a ``verdict`` (one of :data:`~explainsse.models.scoring.VERDICTS`) is
    taken as it is. Otherwise a card with the official test MAE, its 95% interval
    (``official_test_mae_ci95``) and the median predictor's MAE is judged by
    :func:`~explainsse.models.scoring.skill_verdict` (with a y-scrambling record when the card
    has one, ``y_scramble``); else the card's leave-cluster-out score (``cv_schemes``) decides; a
    card without a baseline comparison gives ``"weak"``: its skill is unknown, so its explanations
    are not findings.

    Returns
    -------
    dict
        ``verdict``, ``verdict_reason`` and ``heading`` (the line the explanations are shown under).
    """
    m = model.metrics or {}
    if m.get("verdict") in VERDICTS:
        v = {"verdict": m["verdict"], "verdict_reason": m.get("verdict_reason", "from the model card")}
    elif model.task == "regression" and "official_test_mae" in m and "official_test_mae_median_baseline" in m:
        ci = m.get("official_test_mae_ci95") or (math.nan, math.nan)
        v = skill_verdict(m["official_test_mae"], tuple(ci), m["official_test_mae_median_baseline"],
                          m.get("y_scramble"), metric="mae")
        v["verdict_reason"] = "official test split: " + v["verdict_reason"]
    elif any(r.get("scheme") == "cluster-out" and "verdict" in r for r in m.get("cv_schemes", [])):
        r = next(r for r in m["cv_schemes"] if r.get("scheme") == "cluster-out" and "verdict" in r)
        v = {"verdict": r["verdict"], "verdict_reason": "leave-cluster-out CV on its training rows: " + r["verdict_reason"]}
    else:
        v = {"verdict": WEAK, "verdict_reason": "the model card records no score against a baseline, so the "
                                                "model's skill is unknown"}
    return {**v, "heading": gate_heading(model.family, model.task, v)}


#: Column heading of the interval column, per task.
INTERVAL_HEADINGS = {
    "regression": "conformal interval (log10 S/cm, cluster-out calibrated)",
    "classification": "calibrated probability and prediction set",
}


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
        r["trust"] = trust_texts(r, model.task)
    ranked = [results[i] for i in order]
    outside = [r for r in ranked if r["domain"] and not r["domain"]["inside"]]
    units = ranked[0]["prediction_units"] if ranked else ""
    verdict = model_verdict(model)
    sentences = [f"Model {model_name}: {verdict['verdict'].upper()} ({verdict['verdict_reason']}).",
                 f"{len(ranked)} candidates explained with model {model_name} ({model.family}, {model.task})."]
    if verdict["verdict"] != SKILL:
        sentences.append(f"{verdict['heading']}: the descriptors listed per material are not findings.")
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
        "interval_heading": INTERVAL_HEADINGS[model.task],
        "verdict": verdict["verdict"], "verdict_reason": verdict["verdict_reason"],
        "finding": verdict["verdict"] == SKILL, "explanation_heading": verdict["heading"],
        "data": {"summary": summary, "issues": ds.issues.astype(str).to_dict("records"), "files": ds.files},
        "materials": ranked,
        "glossary": [{"descriptor": d, "meaning": describe(d).meaning, "unit": describe(d).unit,
                      "group": describe(d).group, "flag": describe(d).flag,
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
    if not c.get("finding", True):
        lines += ["", f"### {md_cell(c['explanation_heading'])}", ""]
    lines += ["", f"| id | formula | prediction ({md_cell(c['prediction_units'])}) | {md_cell(c['interval_heading'])} | "
              "measured in training | nearest training materials | domain | warnings |",
              "|---|---|---|---|---|---|---|---|"]
    for m in c["materials"]:
        dom = "" if not m["domain"] else ("inside" if m["domain"]["inside"] else "outside")
        value = "none" if m["prediction"] is None else f"{m['prediction']:.3g}"
        t = m["trust"]
        lines.append(f"| {md_cell(m['id'])} | {md_cell(m['formula'])} | {value} | {md_cell(t['interval'])} | "
                     f"{md_cell(t['measured'])} | {md_cell('; '.join(t['neighbours']))} | {dom} | "
                     f"{md_cell('; '.join(m['warnings']))} |")
    for m in c["materials"]:
        if m["figure"]:
            lines += ["", f"![{md_cell(m['formula'])}]({figure_files[m['figure']]})"]
    return "\n".join(lines) + "\n"
