"""``explainsse report``: the main job (a study rendered as HTML, Markdown and JSON)."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from .._config import DEFAULT_N_SCRAMBLE, SIDE_SCHEMES
from ..analysis import load_study, run_study
from ..errors import InputDataError
from ..models.bundled import resolve_model_dir
from ..models.families import check_families
from ..models.persistence import load_model
from ..report import render_prediction_report, render_study_report
from . import options as opt
from ._app import app, guard_output, handle_errors, split_list, stage_bar
from .models import seed_or_default


@app.command("report")
@handle_errors
@opt.with_inputs(cifs=True)
def report_cmd(
    inputs: opt.InputSpec,
    output: Annotated[Path, typer.Option("-o", "--output", help="Report folder to write.")],
    from_study: Annotated[Optional[Path], typer.Option(
        "--from-study", help="Re-render the study saved in an earlier report (its study/ folder) without "
        "refitting anything; every file is checked against the study's manifest first.")] = None,
    preset: opt.PresetOpt = None,
    families: opt.FamiliesOpt = opt.FAMILIES_DEFAULT,
    threshold: opt.ThresholdOpt = opt.THRESHOLD_DEFAULT,
    scheme: Annotated[Optional[str], typer.Option("--scheme", help="Validation scheme (default: official "
                                                  "split when the data has one, else cluster-out: clusters of compositions held out in turn).")] = None,
    n_scramble: Annotated[int, typer.Option(
        "--n-scramble", help="y-scrambling refits per model (19 or more let p reach 0.05).")] = DEFAULT_N_SCRAMBLE,
    model_dir: Annotated[Optional[str], typer.Option(
        "--model", help="Predict and explain candidates with a saved model ('default' = bundled) "
        "instead of validating models on measured data.")] = None,
    side_schemes: Annotated[str, typer.Option(
        "--side-schemes", help="CV schemes run beside the validation scheme with its chosen hyperparameters "
        "(comma-separated; 'none' to skip): the report's side-by-side table and extrapolation penalty.")] = ",".join(
        SIDE_SCHEMES),
    n_jobs: opt.NJobsOpt = opt.WORKERS_DEFAULT,
    seed: opt.SeedOpt = None,
    force: opt.ForceOpt = False,
    quiet: opt.QuietOpt = False,
) -> None:
    """The main job: descriptors -> validation of the families -> explanations -> HTML/Markdown/JSON report.

    The study behind the report is saved in OUTPUT/study/ (Parquet + JSON + the fitted models);
    ``--from-study OUTPUT/study`` renders it again in seconds. A study whose files do not match its
    manifest (edited, truncated, unlisted, a symbolic link) is refused (exit 2), and only its listed
    files are copied into the new report.
    """
    import matplotlib  # heavy: matplotlib loads only when a figure is drawn

    matplotlib.use("Agg")

    if from_study is not None:
        if inputs.dataset is not None or inputs.path is not None:
            raise InputDataError("--from-study re-renders a saved study: give no --dataset / --input with it")
        guard_output(output, force, from_study)

        study = load_study(from_study, models=False)
        render_study_report(study, output, force=force, inputs=[from_study], save_study=False, copy_study=from_study)
        if not quiet:
            typer.echo(f"report -> {output / 'index.html'} (re-rendered from {from_study})")
        return
    chosen = check_families(split_list(families))
    protected = guard_output(output, force, *inputs.protected(), model_dir)
    ds = inputs.load()
    if model_dir is not None:
        model = load_model(resolve_model_dir(model_dir))
        n = render_prediction_report(ds, model, model_dir, output, force=force, inputs=protected)
        if not quiet:
            typer.echo(f"prediction report for {n} materials -> {output / 'index.html'}")
        return
    with stage_bar(quiet, extra=1) as say:
        study = run_study(ds, preset=preset, families=chosen, scheme=scheme, threshold=threshold,
                          seed=seed_or_default(seed), n_scramble=n_scramble, n_jobs=n_jobs, progress=say,
                          side_schemes=[] if side_schemes.strip().lower() == "none" else split_list(side_schemes))
        render_study_report(study, output, force=force, inputs=protected)
        say("written")
    if not quiet:
        typer.echo(f"report -> {output / 'index.html'} (also report.md, report.json, figures/, study/, "
                   "manifest.json)")
