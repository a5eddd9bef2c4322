"""``explainsse explain`` (materials, with a saved model) and ``explainsse importance`` (global)."""

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .._config import DEFAULT_FAMILIES
from ..analysis import explain_candidates, explain_families
from ..datasets import from_formulas
from ..errors import InputDataError
from ..explain.named_groups import named_group_importance, ranking_reliability
from ..explain.physics_check import physics_check, short_citation
from ..explain.trust import interval_text, neighbour_text
from ..featurize import describe
from ..formatting import ordinal
from ..io import to_jsonable
from ..models.bundled import resolve_model_dir
from ..models.families import check_families, get_family
from ..models.persistence import load_model
from ..report.predictions import model_verdict
from . import options as opt
from ._app import app, echo_err, echo_issues, handle_errors, print_table, progress_printer, write_json
from .models import features, seed_or_default


@app.command("explain")
@handle_errors
@opt.with_inputs(target=False, cifs=True)
def explain_cmd(
    inputs: opt.InputSpec,
    formulas: Annotated[Optional[list[str]], typer.Argument(help="Formulas to explain.")] = None,
    model_dir: Annotated[str, typer.Option("--model", help="Model directory from `explainsse train`, "
                                           "or 'default' for the bundled OBELiX model.")] = "default",
    top: Annotated[int, typer.Option("--top", help="Descriptors shown per material: the largest contributions of "
                                     "measured values, then any imputed ones among the largest (flagged).")] = 5,
    json_out: Annotated[Optional[str], typer.Option(
        "--json", help="Write everything as JSON to this file ('-' for stdout): per material the prediction, its "
        "interval(s), nearest training materials, measured value when in the training data, top descriptors.")] = None,
    quiet: opt.QuietOpt = False,
) -> None:
    """Predict and explain materials with a saved model: interval, nearest training materials, top descriptors."""
    if bool(formulas) == (inputs.path is not None):
        raise InputDataError("give formulas as arguments or --input FILE.csv (one of the two)")
    if formulas and (inputs.dataset is not None or inputs.cifs is not None or inputs.cif_col is not None):
        raise InputDataError("--dataset, --cifs and --cif-col go with --input FILE.csv, not with formulas as "
                             "arguments (a CIF is matched to its row by the id column)")
    model = load_model(resolve_model_dir(model_dir))
    ds = from_formulas(formulas) if formulas else inputs.load()
    result = explain_candidates(ds, model, top=top)
    ds = result.dataset  # without the rows that could not be featurized (now in its issues)
    body = {"model": str(model_dir), "family": model.family, "task": model.task, "preset": model.preset,
            "validation": model_validation(model), "notes": result.notes,
            "issues": ds.issues.astype(str).to_dict("records"), "materials": result.materials}
    if ds.has_structures:  # CIFs that were missing or failed to parse, per row (their rows are still explained)
        body["structure_issues"] = ds.structure_issues.astype(str).to_dict("records")
    if json_out == "-":
        typer.echo(json.dumps(to_jsonable(body), indent=2))
        return
    if json_out:
        write_json(Path(json_out), body)
    echo_issues(ds)
    for note in result.notes:
        if note not in ds.notes:  # the loader's own notes were printed by inputs.load() (or silenced by --quiet)
            echo_err(f"note: {note}")
    for r in result.materials:
        typer.echo(f"\n{r['formula']}  ({r['id']})")
        if r["prediction"] is None:
            typer.echo(f"  prediction   none: {r['not_applicable']}")
            continue
        typer.echo(f"  prediction   {r['prediction']:.3g} {r['prediction_units']}")
        for line in trust_lines(r, model):
            typer.echo(f"  {line}")
        if r.get("domain"):
            d = r["domain"]
            typer.echo(f"  domain       {'inside' if d['inside'] else 'OUTSIDE'} (nearest-neighbour distance at the "
                       f"{ordinal(d['percentile'])} percentile of training; nearest: {d['nearest_training']})")
        if r.get("structure", {}).get("cif"):
            typer.echo("  structure    from its CIF")
        for w in r["warnings"]:
            typer.echo(f"  WARNING      {w}")
        typer.echo(f"  base value   {r['base_value']:.3g} {r['output_units']}")
        if r.get("imputed_shap", {}).get("n"):
            typer.echo(f"  imputed      {r['imputed_shap']['n']} descriptor(s) missing for this material, together "
                       f"{r['imputed_shap']['total']:+.3f}; listed after the measured ones, never first")
        print_table([[t["descriptor"], "missing (imputed)" if t["value"] is None else f"{t['value']:.4g}", f"{t['shap']:+.3f}",
                      t["unit"], (t.get("flag") or "").split(":")[0]] for t in r["top_descriptors"]],
                    ["descriptor", "value", "SHAP", "unit", "flag"])
        for why in dict.fromkeys(t["flag"] for t in r["top_descriptors"] if t.get("flag")):
            typer.echo(f"  flag         {why}")


def model_validation(model) -> dict:
    """What the model card says of the model's accuracy, with units (for the JSON and the text)."""
    m, cal = model.metrics, getattr(model, "calibration", None)
    out = {}
    if model.task == "regression":
        for key, label in (("official_test_mae", "official test split"), ("inner_cv_mae", "grouped inner CV")):
            if isinstance(m.get(key), (int, float)):
                out[key] = {"value": float(m[key]), "units": "decades of S/cm (log10 sigma)", "scheme": label}
        scored = {r["scheme"]: r for r in m.get("cv_schemes", []) if "value" in r}
        if "cluster-out" in scored:  # the model card's score: all training rows, with its interval and baseline
            r = scored["cluster-out"]
            out["cluster_out_mae"] = {"value": r["value"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                                      "baseline": r["baseline"], "units": "decades of S/cm (log10 sigma)",
                                      "scheme": "leave-cluster-out CV (new chemistry), all training rows"}
        elif cal is not None and "mae_out_of_fold" in cal.summary:
            out["cluster_out_mae"] = {"value": cal.summary["mae_out_of_fold"], "units": "decades of S/cm (log10 sigma)",
                                      "scheme": f"leave-cluster-out CV ({cal.n_folds} composition clusters), "
                                                "uncensored training rows"}
    elif cal is not None:
        out["cluster_out_calibration"] = dict(cal.summary)
    out["verdict"] = {k: v for k, v in model_verdict(model).items() if k in ("verdict", "verdict_reason")}
    return out


def trust_lines(r: dict, model) -> list[str]:
    """Text lines: interval or prediction set, measured value in training, nearest training materials."""
    lines = []
    units = "decades of S/cm"
    if r.get("measured_in_training") is not None:
        if r.get("measured_in_training_censored"):
            lines.append(f"MEASURED     below the bound: log10 sigma < {r['measured_in_training']:.2f} in the training "
                         f"data ({len(r.get('training_matches', []))} row(s)); the measurement is only an upper bound")
        else:
            lines.append(f"MEASURED     log10 sigma {r['measured_in_training']:.2f} in the training data "
                         f"({len(r.get('training_matches', []))} row(s)): use the measurement, not the prediction")
    iv = r.get("interval")
    if iv and model.task == "regression":
        others = ", ".join(f"{o['level']:.0%}: {o['lower']:.1f} to {o['upper']:.1f}" for o in r.get("intervals", []))
        lines.append(f"interval     {interval_text(r)} log10 sigma; {others}; conformal, cluster-out calibrated")
    elif iv:
        lines.append(f"probability  {interval_text(r, model.task)}; model's own {r['probability_raw']:.2f}")
    else:
        lines.append("interval     none (the model was saved without calibration)")
    val = model_validation(model)
    for key in ("official_test_mae", "cluster_out_mae"):
        if key in val:
            v = val[key]
            extra = (f" (95% CI {v['ci_low']:.2f}-{v['ci_high']:.2f}; median predictor {v['baseline']:.2f})"
                     if "ci_low" in v else "")
            lines.append(f"model MAE    {v['value']:.2f} {units} on the {v['scheme']}{extra}")
    lines.append(f"model        {val['verdict']['verdict'].upper()}: {val['verdict']['verdict_reason']}")
    for n in r.get("neighbours", []):
        lines.append(f"nearest      {neighbour_text(n)}")
    return lines


@app.command("importance")
@handle_errors
@opt.with_inputs()
def importance_cmd(
    inputs: opt.InputSpec,
    family: Annotated[str, typer.Option("--family", help="A registered family (logreg, pls, xgb) or all.")] = "all",
    task: opt.TaskOpt = "classification",
    preset: opt.PresetOpt = None,
    threshold: opt.ThresholdOpt = opt.THRESHOLD_DEFAULT,
    top: Annotated[int, typer.Option("--top", help="Descriptors listed.")] = 10,
    n_bootstrap: Annotated[int, typer.Option("--n-bootstrap", help="Bootstrap refits for stability.")] = 5,
    correlation: Annotated[float, typer.Option("--correlation", help="|Spearman| grouping threshold.")] = 0.9,
    interactions: Annotated[bool, typer.Option("--interactions", help="XGBoost SHAP interaction values "
                                               "for the top descriptor pairs (slow; on a row sample).")] = False,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write everything as JSON.")] = None,
    n_jobs: opt.NJobsOpt = opt.WORKERS_DEFAULT,
    seed: opt.SeedOpt = None,
    quiet: opt.QuietOpt = False,
) -> None:
    """Global descriptor importance (mean |SHAP|) with stability CIs, correlated groups, agreement."""
    families = ([f for f in DEFAULT_FAMILIES if get_family(f).supports(task)] if family == "all"
                else check_families([family]))
    ds = inputs.load()
    d = features(ds, preset, quiet)
    ds = d.dataset
    result = explain_families(ds, d.X, families, task, preset=d.preset, threshold=threshold, top=top,
                              n_bootstrap=n_bootstrap, correlation=correlation, interactions=interactions,
                              seed=seed_or_default(seed), n_jobs=n_jobs, progress=progress_printer(quiet))
    for fam, ex in result.explanations.items():
        imp, directions = ex.importance, ex.directions(top)
        v = result.verdict(fam)
        typer.echo(f"\n{fam} / {task}: {v['verdict'].upper()}: {v['verdict_reason']}")
        if not result.finding(fam):
            typer.echo(f"  {result.heading(fam)}")
        named = named_group_importance(ex.table)
        typer.echo(f"\n{fam} / {task}: named physical groups (mean |sum of the members' SHAP|, 95% bootstrap "
                   "interval over the rows):")
        print_table([[r.group, f"{r.mean_abs_shap:.3f}", f"[{r.ci_low:.3f}, {r.ci_high:.3f}]", f"{r.share:.0%}",
                      ", ".join(r.top_members)] for r in named.itertuples()],
                    ["group", "mean |SHAP|", "95% interval", "share", "largest members"])
        typer.echo(f"\n{fam} / {task}: mean |SHAP| on the {len(ex.table)} training rows ({ex.table.method}); "
                   f"rank stability {ex.stability['rank_stability']:.2f}, top-{top} Jaccard "
                   f"{ex.stability['top_k_jaccard']:.2f}")
        print_table([[name, f"{r.mean_abs_shap:.3f}", f"[{r.ci_low:.3f}, {r.ci_high:.3f}]",
                      "unstable" if r.unstable else "", describe(name).unit, "proxy" if describe(name).flag else "",
                      directions["sentence"].get(name, "")]
                     for name, r in imp.head(top).iterrows()],
                    ["descriptor", "mean |SHAP|", "95% interval (refits, centred on the full fit)", "stability", "unit",
                     "flag", "direction"])
        typer.echo(f"{len(ex.groups)} groups of correlated descriptors (|Spearman| >= {correlation})")
        if result.finding(fam):
            typer.echo(f"how far to trust this ranking: {ranking_reliability(fam, task)['note']}")
        checked = [r for r in physics_check(ex.table) if r["verdict"] != "not in the model"]
        if checked:
            typer.echo(f"\n{fam} / {task}: physics check (Spearman of value with SHAP, 95% bootstrap interval):")
            print_table([[r["descriptor"], r["expected"],
                          "" if r["ci_low"] is None else f"{r['observed']:+.2f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]",
                          r["verdict"], short_citation(r["citation"])] for r in checked],
                        ["descriptor", "expected", "observed", "verdict", "source"])
    if result.agreement and sum(bool(result.finding(f)) for f in result.explanations) < 2:
        typer.echo("\ncross-family agreement not summarised: fewer than two families have skill")
    elif result.agreement:
        names = list(result.explanations)
        rc = result.agreement["rank_correlation"]
        typer.echo("\ncross-family rank correlation of mean |SHAP|:")
        print_table([[a, *[f"{rc[a][b]:.2f}" for b in names]] for a in names], ["", *names])
        typer.echo(f"direction of effect agrees across families for {result.agreement['direction_agreement']:.0%} "
                   f"of the union of top-{top} descriptors")
    if json_out:
        write_json(json_out, result.to_dict())
