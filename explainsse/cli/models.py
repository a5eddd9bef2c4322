"""``explainsse train | evaluate | benchmark | bundle-model``."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from .._config import DEFAULT_N_SCRAMBLE, get_settings
from ..analysis import descriptors_for
from ..analysis.bundled import build_bundled_model, build_nasicon_model
from ..analysis.cards import trained_card
from ..analysis.run import structure_section
from ..datasets import load_dataset
from ..errors import InputDataError
from ..io import write_table
from ..models import SCHEMES, evaluate
from ..models.benchmark import (
    DEFAULT_EXTRA_SCHEMES,
    PUBLISHED_ANCHORS,
    benchmark_payload,
    extrapolation_penalty,
    run_benchmark,
    scheme_lines,
    scheme_scores,
    summary_table,
)
from ..models.bundled import BUNDLED_NAMES, NASICON_NAME
from ..models.factory import check_family_task
from ..models.families import check_families
from ..models.persistence import save_model
from ..models.splits import check_scheme
from ..models.train import final_model
from ..models.uncertainty import calibrate
from ._app import (
    app,
    echo_err,
    echo_issues,
    guard_output,
    handle_errors,
    print_table,
    progress_printer,
    split_list,
    write_json,
)
from .options import (
    FAMILIES_DEFAULT,
    THRESHOLD_DEFAULT,
    WORKERS_DEFAULT,
    CensoringOpt,
    DataDirOpt,
    DatasetNameArg,
    FamiliesOpt,
    FamilyOpt,
    ForceOpt,
    InputSpec,
    NJobsOpt,
    PresetOpt,
    QuietOpt,
    SeedOpt,
    TaskOpt,
    ThresholdOpt,
    with_inputs,
)


def features(ds, preset, quiet: bool):
    """Descriptors of ``ds`` (said on stderr: the chosen preset, warnings, excluded rows); ``d.dataset`` holds the usable rows."""
    d = descriptors_for(ds, preset, progress=not quiet)
    if not quiet and not preset:
        echo_err(f"descriptor preset {d.preset}: {d.reason} (--preset to choose)")
    for w in d.warnings:
        echo_err(f"warning: {w}")
    d.dataset.require_rows("modelling")
    echo_issues(d.dataset)
    return d


def seed_or_default(seed):
    """The ``--seed`` given, or the settings' random state."""
    return get_settings().random_state if seed is None else seed


@app.command("train")
@handle_errors
@with_inputs()
def train(
    inputs: InputSpec,
    output: Annotated[Path, typer.Option("-o", "--output", help="Model directory to write.")],
    family: FamilyOpt = "xgb",
    task: TaskOpt = "regression",
    preset: PresetOpt = None,
    threshold: ThresholdOpt = THRESHOLD_DEFAULT,
    censoring: CensoringOpt = "floor",
    n_jobs: NJobsOpt = WORKERS_DEFAULT,
    seed: SeedOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    schemes: Annotated[bool, typer.Option(
        "--schemes/--no-schemes", help="Score the chosen hyperparameters under random, leave-papers-out, grouped "
        "and cluster-out folds of the training rows for the model card (MODEL_CARD.md).")] = True,
) -> None:
    """Tune (grouped inner CV on training rows) and fit one model; save it safely with a manifest and a model card.

    With an official split (OBELiX) only the train rows are used. The card lists the same
    hyperparameters scored under every CV scheme (random folds to cluster-out) and the calibration.
    """
    check_family_task(family, task)  # before loading and featurizing the data
    protected = guard_output(output, force, *inputs.protected())
    ds = inputs.load()
    d = features(ds, preset, quiet)
    ds = d.dataset
    model = final_model(ds.frame, d.X, family, task, preset=d.preset, threshold=threshold,
                        dataset_info={"name": ds.name, "files_sha256": ds.files}, random_state=seed_or_default(seed),
                        n_jobs=n_jobs, censoring=censoring)
    for note in model.dataset.get("notes", []):
        echo_err(f"note: {note}")
    if censoring == "aft":
        echo_err("note: censoring-aware (aft) models are not calibrated: `explain` gives them no interval")
    else:
        if not quiet:
            echo_err("calibrating on cluster-out CV over the training rows (intervals and probabilities)")
        try:
            rows = model.train_X.index
            model.calibration = calibrate(model, ds.frame.loc[rows], d.X.loc[rows], random_state=seed_or_default(seed))
        except InputDataError as exc:
            echo_err(f"note: not calibrated ({exc}): `explain` gives this model no interval")
    if schemes:
        rows = model.train_X.index
        model.metrics["cv_schemes"] = scheme_scores(ds.frame.loc[rows], d.X.loc[rows], family, task, model.params,
                                                    threshold=threshold, random_state=seed_or_default(seed),
                                                    n_jobs=n_jobs, progress=None if quiet else echo_err)
    save_model(model, output, overwrite=force, inputs=protected, extra_files={"MODEL_CARD.md": trained_card(model)})
    if not quiet:
        for line in scheme_lines(model.metrics.get("cv_schemes", [])):
            typer.echo(line.strip())
        typer.echo(f"{family}/{task} trained on {model.dataset['n_train']} rows "
                   f"({model.dataset['trained_on']}), params {model.params} -> {output}")


@app.command("evaluate")
@handle_errors
@with_inputs()
def evaluate_cmd(
    inputs: InputSpec,
    family: FamilyOpt = "xgb",
    task: TaskOpt = "regression",
    scheme: Annotated[str, typer.Option("--scheme", help="official, group-chemsys, group-doi, "
                                        "leave-family-out, repeated-kfold, random-kfold or loo.")] = "official",
    preset: PresetOpt = None,
    threshold: ThresholdOpt = THRESHOLD_DEFAULT,
    train_only: Annotated[bool, typer.Option("--train-only", help="CV schemes: use only the official "
                                              "train rows (keeps the test split unseen).")] = False,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples for 95% CIs.")] = 500,
    n_scramble: Annotated[int, typer.Option("--n-scramble", help="y-scrambling refits (0 = off).")] = DEFAULT_N_SCRAMBLE,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write all results as JSON.")] = None,
    predictions_out: Annotated[Optional[Path], typer.Option(
        "--predictions", help="Write out-of-fold / test predictions (.csv or .parquet).")] = None,
    censoring: CensoringOpt = "floor",
    n_jobs: NJobsOpt = WORKERS_DEFAULT,
    seed: SeedOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Validate one family on one task under one scheme: metrics with CIs, baseline, y-scrambling."""
    check_scheme(scheme)
    ds = inputs.load()
    d = features(ds, preset, quiet)
    ds = d.dataset
    frame, X = ds.train_rows(d.X) if train_only and scheme != "official" else (ds.frame, d.X)
    ev = evaluate(frame, X, family, task, scheme, threshold=threshold, n_boot=n_boot, n_scramble=n_scramble,
                  random_state=seed_or_default(seed), n_jobs=n_jobs, censoring=censoring,
                  progress=progress_printer(quiet))
    table = summary_table(ev.results)
    typer.echo(f"{family} / {task} / {scheme}: {SCHEMES[scheme].description}")
    print_table(table.astype(str).values.tolist(), list(table.columns))
    if task == "classification":
        typer.echo(f"confusion matrix (threshold {threshold:g} S/cm): {ev.confusion}")
    typer.echo(f"selected hyperparameters: {ev.params}")
    if json_out:
        write_json(json_out, {"dataset": ds.name, "preset": d.preset, **ev.to_dict()})
    if predictions_out:
        write_table(ev.predictions, predictions_out)


@app.command("benchmark")
@handle_errors
def benchmark(
    name: DatasetNameArg = "obelix",
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write all results as JSON.")] = None,
    preset: PresetOpt = None,
    threshold: ThresholdOpt = THRESHOLD_DEFAULT,
    families: FamiliesOpt = FAMILIES_DEFAULT,
    cv_scheme: Annotated[str, typer.Option("--cv-scheme", help="CV scheme on the training rows.")] = "group-chemsys",
    extra_schemes: Annotated[str, typer.Option("--extra-schemes", help="Comma-separated schemes run beside it with "
                                               "the hyperparameters it chose ('' for none).")] = ",".join(
                                                   DEFAULT_EXTRA_SCHEMES),
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples for 95% CIs.")] = 300,
    n_scramble: Annotated[int, typer.Option(
        "--n-scramble", help="y-scrambling refits on the official split.")] = DEFAULT_N_SCRAMBLE,
    data_dir: DataDirOpt = None,
    n_jobs: NJobsOpt = WORKERS_DEFAULT,
    seed: SeedOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """All families, both tasks: official test split (scored once) and grouped CV on train, with anchors."""
    chosen = check_families(split_list(families))
    ds = load_dataset(name, data_dir=data_dir)
    ds.require_split("a benchmark")
    d = features(ds, preset, quiet)
    ds = d.dataset
    seed = seed_or_default(seed)
    out = run_benchmark(ds.frame, d.X, families=chosen, threshold=threshold, cv_scheme=cv_scheme, n_boot=n_boot,
                        n_scramble=n_scramble, random_state=seed, n_jobs=n_jobs, progress=progress_printer(quiet),
                        extra_schemes=split_list(extra_schemes) if extra_schemes else ())
    typer.echo(f"{name} benchmark, preset {d.preset}, threshold {threshold:g} S/cm, "
               f"{out['seconds']:.0f} s; 95% bootstrap CIs in brackets")
    for task in ("regression", "classification"):
        table = summary_table(out["results"], task)
        if len(table):
            typer.echo("")
            print_table(table.astype(str).values.tolist(), list(table.columns))
    typer.echo("")
    for line in extrapolation_penalty(out["results"]):
        typer.echo(line["sentence"])
    typer.echo("published anchors (official test split): " + "; ".join(
        f"{a['model']} {a['metric'].upper()} {a['value']}" for a in PUBLISHED_ANCHORS))
    payload = benchmark_payload(out, dataset=name, preset=d.preset, threshold=threshold, seed=seed)
    if "Sendek LLSD mean shortest Li-Li distance" in d.X:
        payload["sendek"] = _sendek_checks(ds.frame, d.X, threshold, seed)
    if json_out:
        write_json(json_out, payload)


def _sendek_checks(frame, X, threshold: float, seed: int) -> dict:
    """Sendek et al.'s published model and the sparse L1 refit, printed and returned for the JSON."""
    section = structure_section(frame, X, threshold, seed)
    published, sparse = section["published_model"], section["sparse_logistic"]
    if published is None:
        typer.echo(f"\n{section['published_note']}")
    else:
        _echo_published(published)
    if sparse is None:
        typer.echo(section["sparse_note"])
        return section
    picks = ", ".join(f"{r['descriptor']} (OR/SD {r['odds_ratio_per_sd']:.2f} [{r['odds_ratio_ci'][0]:.2f}, "
                      f"{r['odds_ratio_ci'][1]:.2f}])" for r in sparse["selected"])
    test = sparse["test"]
    typer.echo(f"sparse L1 logistic regression (at most 5 structure descriptors, penalty by grouped inner CV) "
               f"keeps {len(sparse['selected'])}: {picks}; official test rows with a CIF: accuracy "
               f"{test.get('accuracy', float('nan')):.2f} vs majority {test.get('majority_accuracy', float('nan')):.2f},"
               f" MCC {test.get('mcc', float('nan')):.2f}")
    return section


def _echo_published(published: dict) -> None:
    typer.echo(f"\nSendek et al. 2017 published model on the {published['n']} rows with a CIF: accuracy "
               f"{published['accuracy']:.2f} [{published['accuracy_ci'][0]:.2f}, {published['accuracy_ci'][1]:.2f}]"
               f" vs majority {published['majority_accuracy']:.2f} "
               f"({'beats' if published['beats_majority'] else 'does not beat'} it), MCC {published['mcc']:.2f}, "
               f"ROC AUC {published['roc_auc']:.2f}, predicts {published['predicted_superionic_share']:.0%} superionic")


@app.command("bundle-model")
@handle_errors
def bundle_model(
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", help="Where to write the bundled model (default: explainsse/data/models/NAME).")] = None,
    data_dir: DataDirOpt = None,
    seed: SeedOpt = None,
    n_jobs: NJobsOpt = WORKERS_DEFAULT,
    force: ForceOpt = False,
    name: Annotated[str, typer.Option("--name", help="Which bundled model: default (regression on composition, "
                                      "OBELiX train split), structure-default (regression on CIF descriptors, train "
                                      "rows with a CIF) or nasicon-default (NASICON classifier).")] = "default",
) -> None:
    """Rebuild a bundled model from OBELiX: default, structure-default (test split scored once) or nasicon-default."""
    if name not in BUNDLED_NAMES:
        raise InputDataError(f"--name must be one of {', '.join(BUNDLED_NAMES)}, got {name!r}")
    output = output or Path("explainsse/data/models") / name
    guard_output(output, force, data_dir)
    if name == NASICON_NAME:
        r = build_nasicon_model(output, data_dir=data_dir, seed=seed_or_default(seed), n_jobs=n_jobs, force=force)
        cv = r["leave_papers_out_cv"]
        typer.echo(f"bundled model -> {output}; leave-papers-out balanced accuracy {cv['obelix']['balanced_accuracy']:.2f} "
                   f"(OBELiX only) vs {cv['obelix+xu2020']['balanced_accuracy']:.2f} (+ Xu's Na rows); Xu rows "
                   f"{'added' if r['xu2020_added'] else 'not added'}")
        return
    metrics = build_bundled_model(output, data_dir=data_dir, seed=seed_or_default(seed), n_jobs=n_jobs, force=force,
                                  name=name)
    typer.echo(f"bundled model -> {output}; official test MAE {metrics['mae']:.2f}")
