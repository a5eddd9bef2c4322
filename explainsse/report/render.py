"""Write a report: index.html (self-contained), report.md, report.json, figures/, manifest.json."""

from __future__ import annotations

import datetime as _dt
import os
import sys
from pathlib import Path

from ..analysis.study import copy_study as copy_saved_study
from ..analysis.study import write_study
from ..io import output_directory, write_manifest
from ..models.persistence import recorded_versions
from .document import Report
from .html import split_text
from .markdown import md_cell, md_table
from .predictions import build_prediction_report, prediction_markdown
from .view import build_view


def _structure_markdown(heading: str, st: dict, preset: str, figure_files: dict) -> list[str]:
    """The structure section in Markdown (same numbers as the HTML)."""
    lines = [heading, ""]
    if st.get("skipped"):
        return lines + [f"Structure section skipped: {md_cell(st['skipped'])}.", ""]
    if not st:
        return lines + [f"No structure descriptors in this study (preset {md_cell(preset)}).", ""]
    lines += [f"{st['n_with_structure']} of {st['n_rows']} rows ({100 * st['share_with_structure']:.0f}%) have a "
              "crystal structure (CIF); the others have none (XGBoost uses the missing values as they are, logistic "
              "regression and PLS impute the training median and see 'Structure available').", ""]
    if st.get("drivers"):
        lines += ["| rank | descriptor | mean abs SHAP | direction | unit |", "|---|---|---|---|---|"]
        lines += [f"| {d['rank']} | {md_cell(d['descriptor'])} | {d['mean_abs_shap']:.3f} | {md_cell(d['direction'])} | "
                  f"{md_cell(d['unit'])} |" for d in st["drivers"]]
        lines.append("")
    for p in st.get("plots", []):
        if p["figure"] in figure_files:
            lines += [f"![{md_cell(p['descriptor'])} vs measured]({figure_files[p['figure']]})", ""]
    pm = st["published_model"]
    if not pm:
        lines += [md_cell(st.get("published_note") or "Sendek et al.'s published model not scored."), ""]
    else:
        acc = pm["intervals"]["accuracy"]
        lines += [f"Sendek et al. 2017 published model on {pm['n']} rows: accuracy {pm['accuracy']:.2f} "
                  f"[{acc['ci_low']:.2f}, {acc['ci_high']:.2f}] vs majority "
                  f"{pm['majority_accuracy']:.2f} ({'beats' if pm['beats_majority'] else 'does not beat'} it), "
                  f"MCC {pm['mcc']:.2f}, ROC AUC {pm['roc_auc']:.2f}.", ""]
    sp = st.get("sparse_logistic")
    if sp:
        lines += ["Sparse L1 logistic regression (at most 5 structure descriptors) keeps: " + "; ".join(
            f"{md_cell(r['descriptor'])} (odds ratio per SD {r['odds_ratio_per_sd']:.2f}, 95% interval "
            f"{r['ci_low']:.2f}-{r['ci_high']:.2f}, bootstrap refits centred on the full fit)"
            for r in sp["selected"]) + ".", ""]
        if sp.get("test"):
            lines += [f"Official test rows with a CIF: accuracy {sp['test']['accuracy']:.2f} vs majority "
                      f"{sp['test']['majority_accuracy']:.2f}, MCC {sp['test']['mcc']:.2f}.", ""]
    else:
        lines += [md_cell(st.get("sparse_note", "")), ""]
    return lines


def _verdict_markdown(evaluations: list[dict]) -> list[str]:
    """The verdict table that opens the summary (same rows as the HTML)."""
    if not evaluations:
        return []
    lines = ["| model | scheme | score (95% interval) | baseline | y-scrambling | verdict |", "|---|---|---|---|---|---|"]
    lines += [f"| {md_cell(v['family'])}/{md_cell(v['task'])} | {md_cell(v['scheme'])} | {v['metric'].upper()} "
              f"{v['value']:.2f} ({v['ci_low']:.2f}-{v['ci_high']:.2f}) | {v['baseline']:.2f} "
              f"({md_cell(v['baseline_name'])}) | {md_cell(v['p_text'])} | **{md_cell(v['verdict'])}** |"
              for v in evaluations]
    return lines + ["", "Verdict: skill = beats the baseline with the whole 95% interval on the better side and "
                    "y-scrambling p <= 0.05; no skill = no better than the baseline, or y-scrambling p > 0.5; "
                    "weak = in between. Only explanations of models with skill are stated as findings.", ""]


def study_markdown(c: dict, figure_files: dict[str, str]) -> str:
    h = {k: f"## {md_cell(v)}" for k, v in c["headings"].items()}
    lines = [f"# {md_cell(c['title'])}", "",
             f"Preset {md_cell(c['preset'])}; threshold {c['threshold_S_cm']:g} S/cm; scheme {md_cell(c['models']['scheme'])} "
             f"({md_cell(c['models']['scheme_description'])}); seed {c['seed']}.", "", h["summary"], ""]
    lines += _verdict_markdown(c.get("evaluations") or [])
    lines += [f"- {md_cell(s)}" for s in c["summary_sentences"]]
    s = c["data"]["summary"]
    lines += ["", h["data"], "", f"Source: {md_cell(c['data']['source'])}  ", f"Licence: {md_cell(c['data']['license'])}", "",
              "| rows in input | rows used | rows excluded | train / test split | censored | with CIF |", "|---|---|---|---|---|---|",
              f"| {s['rows_input']} | {s['rows_used']} | {s['rows_excluded']} | {split_text(s)} | {s['censored']} | {s['with_cif']} |", ""]
    lines += [f"- {md_cell(n)}" for n in c["data"].get("notes", [])]
    if c["data"]["issues"]:
        lines.append("")  # a table right after the notes would continue the last list item
        lines += ["| row | id | column | value | reason |", "|---|---|---|---|---|"]
        lines += [f"| {md_cell(r['row'])} | {md_cell(r['id'])} | {md_cell(r['column'])} | {md_cell(r['value'])} | "
                  f"{md_cell(r['reason'])} |" for r in c["data"]["issues"]]
    if "data_distribution" in figure_files:
        lines += ["", f"![log10 sigma by family]({figure_files['data_distribution']})"]
    lines += ["", h["models"], ""]
    for task, rows in c["models"]["tables"].items():
        if rows:
            lines += [f"### {task}", "", *md_table(rows), ""]
    side = c.get("cv_schemes") or {}
    if side:
        lines += ["### CV schemes side by side", "",
                  "The same models (hyperparameters as chosen above) under other folds: "
                  + md_cell("; ".join(f"{s['name']} = {s['description']} ({s['split']})" for s in side["schemes"]))
                  + ". Each cell: score [95% bootstrap interval] vs the baseline on the same rows, and the verdict (the side "
                  "schemes run without y-scrambling, so their verdict is at most \"weak\").", "",
                  *md_table(side["table"]), "", *(f"- {md_cell(p['sentence'])}" for p in side["penalties"]), ""]
    if c["models"].get("y_scramble_sentences"):
        lines += ["y-scrambling: " + md_cell("; ".join(c["models"]["y_scramble_sentences"])) + ".", ""]
    lines += [h["explanations"], ""]
    if (c.get("skipped") or {}).get("classification"):
        lines += ["No classification model, so no global explanation: "
                  f"{md_cell(c['skipped']['classification'])}.", ""]
    for family, e in c["explanations"].items():
        finding = e.get("finding", True)
        lines += [f"### {md_cell(family if finding else e['heading'])}", ""]
        if "verdict" in e:
            lines += [f"Verdict of the explained model: **{md_cell(e['verdict'])}** ({md_cell(e['verdict_reason'])}).", ""]
        lines += [f"{md_cell(e['method'])}; SHAP in {md_cell(e['output_units'])}.", ""]
        if e.get("named_groups"):
            lines += ["Named physical groups (SHAP summed over each group's members, exact; 95% bootstrap interval "
                      "over the rows):", "", "| group | mean abs SHAP | 95% interval | share | largest members |",
                      "|---|---|---|---|---|"]
            lines += [f"| {md_cell(g['group'])} | {g['mean_abs_shap']:.3f} | {g['ci_low']:.3f}-{g['ci_high']:.3f} | "
                      f"{g['share']:.0%} | {md_cell('; '.join(g['top_members']))} |" for g in e["named_groups"]]
            lines += [""]
        checked = [r for r in e.get("physics_check") or [] if r["verdict"] != "not in the model"]
        if checked:
            lines += ["Physics check (Spearman of value with SHAP, 95% bootstrap interval; imputed values left out):", "",
                      "| descriptor | expected | observed | verdict | citation |", "|---|---|---|---|---|"]
            lines += [f"| {md_cell(r['descriptor'])} | {md_cell(r['expected'])} | "
                      + ("" if r["ci_low"] is None else f"{r['observed']:+.2f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]")
                      + f" | {r['verdict']} | {md_cell(r['citation'])} |" for r in checked]
            lines += [""]
        lines += [f"| descriptor | mean abs SHAP (full fit) | {md_cell(e['stability'].get('interval', '95% interval'))} "
                  "| direction | unit | group | flag |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {md_cell(t['descriptor'])}{' (unstable)' if t['unstable'] else ''} | {t['mean_abs_shap']:.3f} | "
                  f"{t['ci_low']:.3f}-{t['ci_high']:.3f} | {md_cell(t['direction'])} | {md_cell(t['unit'])} | "
                  f"{md_cell(t.get('group', ''))} | {md_cell(t.get('flag') or '')} |" for t in e["top"]]
        if f"importance_{family}" in figure_files:
            lines += ["", f"![importance]({figure_files['importance_' + family]})"]
        lines.append("")
    lines += [h["dependence"], ""]
    rv = c.get("regression_verdict") or {}
    if rv and rv["verdict"] != "skill":
        lines += [f"**{md_cell(rv['heading'])}** ({md_cell(rv['verdict_reason'])}). The dependence plots, structural "
                  "drivers and per-material explanations below come from this model.", ""]
    for d in c.get("dependence", []):
        lines += [f"**{md_cell(d['descriptor'])}** ({md_cell(d['unit'])}): {md_cell(d['meaning'])}", ""]
        if d.get("figure") in figure_files:
            lines += [f"![dependence of {md_cell(d['descriptor'])}]({figure_files[d['figure']]})", ""]
    lines += _structure_markdown(h["structure"], c.get("structure") or {}, c["preset"], figure_files)
    lines += [h["materials"], ""]
    if c.get("materials_note"):
        lines += [md_cell(c["materials_note"]), ""]
    if c.get("interval_coverage"):
        lines += [md_cell(c["interval_coverage"]["sentence"]), ""]
    lines += ["| why | id | formula | predicted | conformal interval (log10 S/cm) | measured | same composition in training "
              "| nearest training materials | domain |", "|---|---|---|---|---|---|---|---|---|"]
    for m in c["materials"]:
        t = m.get("trust") or {"interval": "", "measured": "", "neighbours": []}
        lines.append(f"| {md_cell(m['why'])} | {md_cell(m['id'])} | {md_cell(m['formula'])} | {m['predicted']:.2f} | "
                     f"{md_cell(t['interval'])} | {md_cell(m.get('measured_text') or format(m['measured'], '.2f'))} | "
                     f"{md_cell(t['measured'])} | {md_cell('; '.join(t['neighbours']))} | "
                     f"{'inside' if m['inside_domain'] else 'outside'} |")
    nz = c.get("nasicon") or {}
    lines += ["", h["nasicon"], "", md_cell(nz.get("note", ""))]
    if nz.get("rows"):
        lines += ["", *md_table(nz["rows"]), ""]
        lines += [f"- {md_cell(v)}" for v in nz.get("verdicts", [])]
        if nz.get("sites"):
            lines += ["", f"By site: {md_cell(nz['sites'])}"]
    if nz.get("detector"):
        d = nz["detector"]
        lines += ["", f"NASICON detector vs family labels: precision {d['precision']:.3f}, recall {d['recall']:.3f}."]
    lines += ["", h["glossary"], "", "| descriptor | meaning | unit | group | flag |", "|---|---|---|---|---|"]
    lines += [f"| {md_cell(g['descriptor'])} | {md_cell(g['meaning'])} | {md_cell(g['unit'])} | "
              f"{md_cell(g.get('group', ''))} | {md_cell(g.get('flag') or '')} |" for g in c["glossary"]]
    lines += ["", "Citations:", ""] + [f"- {md_cell(ct)}" for ct in c["citations"]]
    return "\n".join(lines) + "\n"


def study_report(study) -> Report:
    """The validation-and-explanation report of ``study`` (view, figures, template, Markdown writer)."""
    view, figures = build_view(study)
    return Report(view, figures, "report.html.j2", study_markdown)


def prediction_report(ds, model, model_name: str) -> Report:
    """The prediction report of ``ds``'s candidates with ``model``."""
    context, figures = build_prediction_report(ds, model, model_name)
    return Report(context, figures, "predictions.html.j2", prediction_markdown)


def write_report(report: Report, output: str | os.PathLike, *, force: bool = False,
                 manifest_extra: dict | None = None, inputs=(), study=None, copy_study=None) -> Path:
    """Write a report folder atomically: the report's files (:meth:`Report.write`), its study, a manifest.

    ``study`` (a :class:`~explainsse.analysis.Study`) is saved in ``study/`` beside the report, so
    ``explainsse report --from-study`` can re-render it (``copy_study``: copy an already saved
    study folder there instead, exactly the files its manifest lists, each checked against its
    sha256; see :func:`explainsse.analysis.study.copy_study`).

    A non-empty ``output`` is refused unless ``force``, and even then only an earlier, unmodified
    explainsse output folder is replaced (:func:`explainsse.io.check_output_target`);
    ``inputs`` are the run's input files (a folder holding one is never replaced).

    Parameters
    ----------
    report : Report
        Any kind (:func:`study_report`, :func:`prediction_report`, the NASICON validation report).
    output : path-like
    force : bool
    manifest_extra : dict, optional
        Added to ``manifest.json``.
    inputs : iterable of path-like
    study : Study, optional
    copy_study : path-like, optional
    """
    output = Path(output)
    with output_directory(output, force=force, inputs=inputs) as tmp:
        context = report.write(tmp)
        if copy_study is not None:  # exactly the files its manifest lists, verified, never through a link
            copy_saved_study(copy_study, tmp / "study")
        elif study is not None:
            (tmp / "study").mkdir()
            write_study(study, tmp / "study")
        manifest = {"command": sys.argv, "versions": recorded_versions(), "seed": context["seed"],
                    "dataset": context["dataset"], "dataset_sha256": context["data"]["files"],
                    "model": context.get("model", {}).get("name") if isinstance(context.get("model"), dict) else None,
                    "started": context["started"],
                    "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    **(manifest_extra or {})}
        write_manifest(tmp, manifest, kind="report")
    return output


def render_study_report(study, output: str | os.PathLike, *, force: bool = False, inputs=(), save_study: bool = True,
                        copy_study=None) -> Path:
    """Write the validation-and-explanation report of ``study`` (with the study in ``study/``).

    Parameters
    ----------
    study : Study
    output : path-like
        Report folder (refused if unsafe; see :func:`write_report`).
    force : bool
    inputs : iterable of path-like
        Input files of the run.
    save_study : bool
        Save ``study`` in ``output/study``.
    copy_study : path-like, optional
        Copy this saved study folder to ``output/study`` instead (re-rendering): only the files
        its manifest lists, verified (a link, an unlisted or a modified file is refused).

    Returns
    -------
    pathlib.Path
    """
    extra = {"preset": study.config.preset,
             "study_seconds": study.provenance.seconds if study.provenance else None}
    return write_report(study_report(study), output, force=force, inputs=inputs, manifest_extra=extra,
                        study=study if save_study else None, copy_study=copy_study)


def render_prediction_report(ds, model, model_name: str, output: str | os.PathLike, *, force: bool = False,
                             inputs=()) -> int:
    """Write the prediction report of ``ds``'s candidates with ``model``; returns how many were explained.

    Parameters
    ----------
    ds : Dataset
        Candidates.
    model : TrainedModel
    model_name : str
        Shown in the report.
    output : path-like
    force : bool
    inputs : iterable of path-like
    """
    report = prediction_report(ds, model, model_name)
    write_report(report, output, force=force, inputs=inputs)
    return len(report.view["materials"])

