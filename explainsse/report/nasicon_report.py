"""View model, figures and Markdown of a NASICON validation report (rendered by :func:`write_report`)."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from ..featurize import describe
from ..models.scoring import STATUS_TO_VERDICT, format_p_value
from . import figures as fig
from .document import Report
from .markdown import md_cell, md_table

CITATIONS = [
    "Xu, Zong & Hippalgaonkar, J. Phys. Commun. 4, 055015 (2020), doi:10.1088/2399-6528/ab92d8.",
    "OBELiX: F. Therrien et al., arXiv:2502.14234 (2025).",
    "scikit-learn: F. Pedregosa et al., JMLR 12, 2825 (2011).",
    "SHAP: S. M. Lundberg, S.-I. Lee, NeurIPS 30 (2017).",
    "matminer: L. Ward et al., Comput. Mater. Sci. 152, 60-69 (2018).",
]


def _ci(e: dict, metric: str) -> str:
    lo, hi = (e["ci"].get(metric) or (None, None))
    value = f"{e['metrics'][metric]:.2f}"
    return value + (f" [{lo:.2f}, {hi:.2f}]" if lo is not None and np.isfinite(lo) else "")


def evaluation_rows(evaluations: list[dict]) -> list[dict]:
    """Display rows (strings with CIs) of evaluations in their JSON form (``NasiconValidation.to_dict()``).

    ``verdict`` is the skill verdict (``"skill"``, ``"weak"``, ``"no skill"``), ``status`` the NASICON
    status it maps from (``passes``, ``weak``, ``fails``); the permutation p is printed with the number
    of permutations it rests on (:func:`~explainsse.models.scoring.format_p_value`).
    """
    rows = []
    for e in evaluations:
        rows.append({"evaluation": e["name"], "n": e["n"], "superionic": e["n_positive"],
                     "accuracy": _ci(e, "accuracy"), "balanced accuracy": _ci(e, "balanced_accuracy"),
                     "MCC": _ci(e, "mcc"), "ROC AUC": _ci(e, "roc_auc"), "F1": _ci(e, "f1"),
                     "majority baseline": f"{e['baseline']['best_constant_accuracy']:.2f} "
                                          f"({e['baseline']['best_constant_class']})",
                     "permutation p": format_p_value(e["permutation"]),
                     "status": e["verdict"]["status"],
                     "verdict": e["verdict"].get("verdict") or STATUS_TO_VERDICT[e["verdict"]["status"]]})
    return rows


def build_nasicon_report(result, *, dataset: str, files: dict, description: str, seed: int = 0,
                         started: str | None = None) -> tuple[dict, dict]:
    """Context and figures for a NASICON validation report.

    Parameters
    ----------
    result : NasiconValidation
    dataset : str
        Name shown in the title.
    files : dict
        Input file name -> sha256 (for the manifest).
    description : str
        What was validated on what, in one sentence (shown under the title).
    """
    started = started or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    figures = {}
    for i, e in enumerate(result.evaluations):
        figures[f"confusion_{i}"] = fig.confusion(e.confusion, title=e.name).figure
    curves = {e.name: e.calibration for e in result.evaluations if e.calibration}
    if curves:
        figures["calibration"] = fig.calibration(curves).figure
    scored = {e.name: e.predictions.rename(columns={"score": "y_pred"}) for e in result.evaluations
              if e.score_kind != "label" and e.predictions["y_true"].nunique() == 2}
    if scored:
        figures["roc"] = fig.roc(scored).figure
    figures["baseline"] = fig.versus_baseline([
        {"name": e.name, "accuracy": e.metrics["accuracy"], "ci_low": e.ci.get("accuracy", (np.nan,))[0],
         "ci_high": e.ci.get("accuracy", (np.nan, np.nan))[1], "baseline": e.baseline["best_constant_accuracy"]}
        for e in result.evaluations]).figure
    ex = result.explanation
    if ex.get("top"):
        imp = pd.DataFrame(ex["top"]).set_index("descriptor")
        figures["importance"] = fig.importance_bar(imp, top=len(imp), title="mean |SHAP| on NASICON materials").figure
    dependence = []
    if result.table is not None and ex.get("top"):
        sites = [t["descriptor"] for t in (ex.get("sites") or {}).get("top", [])]
        for i, name in enumerate(sites or [t["descriptor"] for t in ex["top"][:3]]):
            labels = result.alkali if result.alkali is not None else pd.Series(dtype=str)
            figures[f"dependence_{i}"] = fig.dependence(result.table, name, labels.map(
                {"Li": "Li compound", "Na": "Na compound"}).fillna("mixed / other"), unit=describe(name).unit).figure
            dependence.append(f"dependence_{i}")
    summary = [f"{e.name}: {e.verdict['text']}." for e in result.evaluations]
    if (ex.get("sites") or {}).get("sentence"):
        summary.append(ex["sites"]["sentence"])
    if ex.get("top"):
        summary.append("Drivers of the NASICON predictions: " + "; ".join(t["direction"] for t in ex["top"][:3]) + ".")
    summary += _transfer_sentences(result)
    summary += [f"Warning: {w}" for w in result.warnings]
    data = result.to_dict()
    context = {
        "title": f"NASICON classifier validation: {dataset}", "dataset": dataset, "seed": seed, "started": started,
        "description": description, "summary_sentences": summary, "rows": evaluation_rows(data["evaluations"]),
        "result": data, "fig_confusions": [f"confusion_{i}" for i in range(len(result.evaluations))],
        "fig_dependence": dependence,
        "data": {"files": files}, "citations": CITATIONS,
    }
    return context, figures


def _transfer_sentences(result) -> list[str]:
    """Say plainly whether the Na -> Li transfer beats the majority baseline, and which descriptors shift."""
    out = []
    for e in result.evaluations:
        if e.name != "Na -> Li":
            continue
        beats = e.verdict["status"] == "passes"
        out.append(f"Na -> Li transfer {'beats' if beats else 'does not beat'} the majority baseline (accuracy "
                   f"{e.metrics['accuracy']:.2f} against {e.baseline['best_constant_accuracy']:.2f}, MCC "
                   f"{e.metrics['mcc']:.2f}).")
        if result.domain_shift and not beats:
            parts = [f"{d['descriptor']} ({d['note']}; {d['outside_range']:.0%} of the Li rows outside the Na range)"
                     for d in result.domain_shift[:3]]
            out.append("Why: the Li compounds lie outside what the Na training rows cover, so the model "
                       "extrapolates: " + "; ".join(parts) + ".")
    return out


def nasicon_markdown(c: dict, figure_files: dict[str, str]) -> str:
    """Markdown twin of the NASICON validation report."""
    r = c["result"]
    lines = [f"# {md_cell(c['title'])}", "", md_cell(c["description"]), "",
             f"Protocol **{md_cell(r['protocol'])}**; classifier {md_cell(r['classifier'])}; threshold "
             f"{r['threshold_S_cm']:g} S/cm; NASICON membership from {md_cell(r['membership_source'])}; "
             f"seed {c['seed']}.",
             "", "## Summary", ""]
    lines += [f"- {md_cell(s)}" for s in c["summary_sentences"]]
    lines += ["", "## Results", ""]
    lines += md_table(c["rows"])
    for name in ("baseline", "calibration", "roc"):
        if name in figure_files:
            lines += ["", f"![{name}]({figure_files[name]})"]
    if r.get("selected_hyperparameters"):
        lines += ["", "Hyperparameters chosen in the training parts: " + "; ".join(
            f"{md_cell(k)} ({md_cell(v)})" for k, v in r["selected_hyperparameters"].items())]
    if r["warnings"]:
        lines += ["", "Warnings:", ""] + [f"- {md_cell(w)}" for w in r["warnings"]]
    ex = r["explanation"]
    lines += ["", "## Explanations", ""]
    if ex.get("top"):
        lines += [f"{md_cell(ex['method'])}; model fitted on {md_cell(ex['fitted_on'])}; SHAP in "
                  f"{md_cell(ex['units'])}.", "",
                  "| descriptor | mean abs SHAP | direction | meaning |", "|---|---|---|---|"]
        lines += [f"| {md_cell(t['descriptor'])} | {t['mean_abs_shap']:.3f} | {md_cell(t['direction'])} | "
                  f"{md_cell(t['meaning'])} |" for t in ex["top"]]
        for name in c.get("fig_dependence", []):
            if name in figure_files:
                lines += ["", f"![{name}]({figure_files[name]})"]
        lines += ["", "### Misclassified materials", "", md_cell(ex.get("misclassified_note", "")) + ".", "", "| id | formula | sigma (S/cm) | measured | predicted | "
                  "p(superionic) | top contributions |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {md_cell(m['id'])} | {md_cell(m['formula'])} | {m['sigma_S_cm']:.2g} | {md_cell(m['measured'])} | {md_cell(m['predicted'])} | "
                  f"{m['score']:.2f} | {md_cell(m['top_contributions'])} |" for m in ex["misclassified"]]
    else:
        lines.append(md_cell(ex.get("note", "")))
    if r.get("domain_shift"):
        lines += ["", "## Descriptors that shift between the Na and Li compounds", "",
                  "| descriptor | Na mean | Na SD | Li mean | shift (Na SD) | Li rows outside the Na range | note |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {md_cell(d['descriptor'])} | {d['train_mean']:.3g} | {d['train_sd']:.3g} | {d['test_mean']:.3g} | "
                  f"{'constant' if d['shift_sd'] is None else format(d['shift_sd'], '.1f')} | {d['outside_range']:.0%} | "
                  f"{md_cell(d['note'])} |" for d in r["domain_shift"]]
    if r["excluded"]:
        lines += ["", "## Rows not used", "", "| id | formula | reason |", "|---|---|---|"]
        lines += [f"| {md_cell(x['id'])} | {md_cell(x['formula'])} | {md_cell(x['reason'])} |" for x in r["excluded"]]
    d = r.get("detector")
    if d:
        lines += ["", "## NASICON detector vs the dataset's labels", "",
                  f"precision {d['precision']:.3f}, recall {d['recall']:.3f} over {d['n_labelled']} labelled rows "
                  f"(tp {d['tp']}, fp {d['fp']}, fn {d['fn']}, tn {d['tn']})."]
    lines += ["", "Citations:", ""] + [f"- {md_cell(ct)}" for ct in c["citations"]]
    return "\n".join(lines) + "\n"


def nasicon_report(result, *, dataset: str, files: dict, description: str, seed: int = 0,
                   started: str | None = None) -> Report:
    """The NASICON validation report (:func:`build_nasicon_report`'s view and figures, its template and Markdown)."""
    context, figures = build_nasicon_report(result, dataset=dataset, files=files, description=description, seed=seed,
                                            started=started)
    return Report(context, figures, "nasicon.html.j2", nasicon_markdown)


__all__ = ["build_nasicon_report", "evaluation_rows", "nasicon_markdown", "nasicon_report"]
