"""Command-line interface: a thin typer layer over the public Python API.

Errors print one line (``error: ...``) and exit with status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__

app = typer.Typer(
    name="explainsse",
    help="Interpretable descriptor-based models of ionic conductivity in Li solid electrolytes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
datasets_app = typer.Typer(help="List, inspect and fetch the registered datasets.",
                           no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")
validate_app = typer.Typer(help="Validate classifiers (NASICON-style) against honest baselines.",
                           no_args_is_help=True)
app.add_typer(validate_app, name="validate")

_STATE = {"debug": False}


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


def handle_errors(fn):
    """Turn expected errors into one line on stderr and exit status 2 (traceback with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import ExplainsseError

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (ExplainsseError, ValueError, OSError, KeyError) as exc:
            if _STATE["debug"]:
                raise
            message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            _echo_err(f"error: {message}".replace("\n", " "))
            raise typer.Exit(2) from None

    return wrapper


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"explainsse {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback,
                                          is_eager=True, help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """explainsse: which descriptors drive ionic conductivity?"""
    _STATE["debug"] = debug


# --- shared options ---------------------------------------------------------------------
DatasetNameArg = Annotated[str, typer.Argument(help="Dataset name, e.g. obelix.")]
DataDirOpt = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="Folder holding <dataset>/<file> (default: EXPLAINSSE_DATA_DIR, "
    "else the platform cache).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or notes.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
DatasetOpt = Annotated[Optional[str], typer.Option("--dataset", help="Registered dataset, e.g. obelix.")]
InputOpt = Annotated[Optional[Path], typer.Option("--input", help="A CSV of your own.")]
FormulaColOpt = Annotated[str, typer.Option("--formula-col", help="Formula column of --input.")]
TargetColOpt = Annotated[Optional[str], typer.Option(
    "--target-col", help="Conductivity column of --input (omit for unmeasured candidates).")]
TargetKindOpt = Annotated[str, typer.Option(
    "--target-kind", help="sigma (S/cm, numbers or '<x' bounds) or log10 (log10 S/cm).")]
IdColOpt = Annotated[Optional[str], typer.Option("--id-col", help="Unique id column of --input.")]
FamilyColOpt = Annotated[Optional[str], typer.Option("--family-col", help="Structural family column.")]
DescriptorColsOpt = Annotated[Optional[str], typer.Option(
    "--descriptor-cols", help="Comma-separated own descriptor columns, passed through untouched.")]
SpaceGroupColOpt = Annotated[Optional[str], typer.Option(
    "--space-group-col", help="Space-group number column.")]
LatticeColsOpt = Annotated[Optional[str], typer.Option(
    "--lattice-cols", help="Six comma-separated columns: a,b,c,alpha,beta,gamma "
    "(auto-detected when named so).")]
ZColOpt = Annotated[Optional[str], typer.Option("--z-col", help="Formula units per cell column.")]
FormulaBasisOpt = Annotated[str, typer.Option(
    "--formula-basis", help="formula_unit (cell holds Z formulas) or cell (formula is the cell content).")]
_FORCE_HELP = ("Replace the output folder if it is an earlier, unmodified explainsse output holding nothing "
               "else (never another folder).")
StrictOpt = Annotated[bool, typer.Option("--strict", help="Fail on the first bad row instead of listing it.")]


def _split_list(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


#: Parameters of the commands that read ``--dataset`` / ``--input`` with the column options.
_INPUT_KEYS = ("dataset", "input_path", "formula_col", "target_col", "target_kind", "id_col",
               "family_col", "descriptor_cols", "space_group_col", "lattice_cols", "z_col",
               "formula_basis", "data_dir", "strict", "cifs", "quiet")


def _input_options(values: dict) -> dict:
    """The input-related arguments of a command (its ``locals()``), for :func:`load_input`."""
    return {k: values[k] for k in _INPUT_KEYS if k in values}


def load_input(dataset, input_path, *, formula_col="formula", target_col=None, target_kind="sigma",
               id_col=None, family_col=None, descriptor_cols=None, space_group_col=None,
               lattice_cols=None, z_col=None, formula_basis="formula_unit", data_dir=None,
               strict=False, cifs=None, quiet=False):
    """Load ``--dataset NAME`` or ``--input FILE.csv`` (exactly one) into a Dataset.

    What was detected while reading (delimiter, byte-order mark, CIFs) is said on stderr.
    """
    from .datasets import load_dataset, load_table
    from .errors import InputDataError

    if (dataset is None) == (input_path is None):
        raise InputDataError("give exactly one of --dataset NAME or --input FILE.csv")
    if dataset is not None:
        if cifs is not None:
            raise InputDataError("--cifs goes with --input FILE.csv; a registered dataset brings its own CIFs")
        ds = load_dataset(dataset, data_dir=data_dir, strict=strict)
    else:
        ds = load_table(
            input_path, formula_col=formula_col, target_col=target_col, target_kind=target_kind,
            id_col=id_col, family_col=family_col, descriptor_cols=_split_list(descriptor_cols),
            space_group_col=space_group_col, lattice_cols=_split_list(lattice_cols) or None,
            z_col=z_col, formula_basis=formula_basis, strict=strict, cif_dir=cifs, find_columns=True,
        )
    if not quiet:
        for note in ds.notes:
            _echo_err(f"note: {note}")
    return ds


def _guard_output(output: Path, force: bool, *inputs) -> list:
    """Refuse an unsafe output folder before any work starts; returns the inputs to protect."""
    from .io import check_output_target

    protected = [Path(str(i)) for i in inputs if i is not None and str(i) != "default"]
    check_output_target(output, force=force, inputs=protected)
    return protected


def _print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    typer.echo(line.rstrip())
    typer.echo("  ".join("-" * w for w in widths))
    for row in rows:
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


# --- datasets ---------------------------------------------------------------------------
@datasets_app.command("list")
@handle_errors
def datasets_list(data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List registered datasets and how many of their files are on disk and pass the sha256 check."""
    from ._config import get_settings
    from .datasets import REGISTRY
    from .io import sha256_file

    settings = get_settings(data_dir=data_dir)
    rows = []
    for spec in REGISTRY.values():
        paths = {f: settings.data_dir / spec.name / f.name for f in spec.files}
        present = [f for f, p in paths.items() if p.is_file()]
        failing = [f.name for f in present if sha256_file(paths[f]) != f.sha256]
        rows.append({"name": spec.name, "title": spec.title, "files": len(spec.files),
                     "on_disk": len(present), "verified": len(present) - len(failing),
                     "failing_sha256": failing, "license": spec.license})
    if as_json:
        typer.echo(json.dumps({"data_dir": str(settings.data_dir), "datasets": rows}, indent=2))
        return
    typer.echo(f"data directory: {settings.data_dir}")
    _print_table([[r["name"], f'{r["verified"]}/{r["files"]}',
                   ", ".join(r["failing_sha256"]) or "-", r["license"].split(" (")[0], r["title"]]
                  for r in rows], ["name", "files verified", "sha256 mismatch", "licence", "title"])


@datasets_app.command("info")
@handle_errors
def datasets_info(
    name: DatasetNameArg,
    data_dir: DataDirOpt = None,
    as_json: JsonOpt = False,
    show_issues: Annotated[bool, typer.Option("--issues", help="List every excluded row.")] = False,
) -> None:
    """Load a dataset (verifying sha256) and report its counts, licence and citation."""
    from .datasets import load_dataset

    ds = load_dataset(name, data_dir=data_dir)
    summary = ds.summary()
    spec = ds.spec
    info = {**summary, "title": spec.title, "version": spec.version, "license": spec.license,
            "citation": spec.citation, "source": spec.source,
            "files": {f.name: {"sha256": f.sha256, "url": f.url} for f in spec.files},
            "data_dir": str(ds.settings.data_dir)}
    if as_json:
        info["issue_rows"] = ds.issues.astype(object).where(ds.issues.notna(), None).to_dict("records")
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(f"{spec.title}")
    typer.echo(f"  version      {spec.version}")
    typer.echo(f"  rows         {summary['rows_input']} in file, {summary['rows_used']} usable, "
               f"{summary['rows_excluded']} excluded")
    typer.echo(f"  split        {summary['train']} train / {summary['test']} test")
    typer.echo(f"  censored     {summary['censored']} (upper bounds, modelled at "
               f"{summary['censored_floor_S_cm']:g} S/cm)")
    typer.echo(f"  CIFs         {summary['with_cif']}")
    top = ", ".join(f"{k} {v}" for k, v in list(summary["families"].items())[:6])
    if top:
        typer.echo(f"  families     {top}, ...")
    typer.echo(f"  licence      {spec.license}")
    typer.echo(f"  cite         {spec.citation}")
    typer.echo(f"  files in     {ds.settings.data_dir / spec.name} (sha256 verified)")
    if show_issues and len(ds.issues):
        _print_table(ds.issues.astype(str).values.tolist(), list(ds.issues.columns))


@datasets_app.command("fetch")
@handle_errors
def datasets_fetch(
    name: DatasetNameArg,
    data_dir: DataDirOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Download missing files from the pinned URLs and verify every file by sha256."""
    from ._config import get_settings
    from .datasets import fetch_dataset

    paths = fetch_dataset(name, settings=get_settings(data_dir=data_dir))
    if not quiet:
        for fname, path in paths.items():
            typer.echo(f"{fname}: verified  {path}")


# --- descriptors ------------------------------------------------------------------------
@app.command("descriptors")
@handle_errors
def descriptors(
    preset: Annotated[Optional[str], typer.Option("--preset", help="Only this preset's columns.")] = None,
    search: Annotated[Optional[str], typer.Option("--search", help="Only names/meanings containing this text.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the descriptor glossary (name, meaning, unit, source) and the presets."""
    from .featurize import PRESETS, get_preset, glossary

    if preset:
        get_preset(preset)
    table = glossary(preset)
    if search:
        mask = table["name"].str.contains(search, case=False) | table["meaning"].str.contains(search, case=False)
        table = table[mask]
    if as_json:
        presets = {k: {"description": p.description, "notes": p.notes, "released": p.released}
                   for k, p in PRESETS.items() if not preset or k == preset}
        typer.echo(json.dumps({"presets": presets, "descriptors": table.to_dict("records")}, indent=2))
        return
    for key, p in PRESETS.items():
        if not preset or key == preset:
            typer.echo(f"{key} (released {p.released}): {p.description}")
    typer.echo(f"{len(table)} descriptors\n")
    _print_table(table[["name", "unit", "source", "meaning"]].values.tolist(),
                 ["name", "unit", "source", "meaning"])


# --- featurize --------------------------------------------------------------------------
@app.command("featurize")
@handle_errors
def featurize(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .parquet or .csv.")],
    dataset: DatasetOpt = None,
    input_path: InputOpt = None,
    preset: Annotated[str, typer.Option("--preset", help="Descriptor preset.")] = "composition-v1",
    formula_col: FormulaColOpt = "formula",
    target_col: TargetColOpt = None,
    target_kind: TargetKindOpt = "sigma",
    id_col: IdColOpt = None,
    family_col: FamilyColOpt = None,
    descriptor_cols: DescriptorColsOpt = None,
    space_group_col: SpaceGroupColOpt = None,
    lattice_cols: LatticeColsOpt = None,
    z_col: ZColOpt = None,
    formula_basis: FormulaBasisOpt = "formula_unit",
    data_dir: DataDirOpt = None,
    n_jobs: Annotated[Optional[int], typer.Option("--n-jobs", help="Worker processes (default 1).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute even if cached.")] = False,
    strict: StrictOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Compute descriptors for a dataset or a CSV and write them with ids and targets.

    Rows that cannot be used are listed (stderr and OUTPUT.issues.csv), never dropped silently.
    """
    from .errors import InputDataError
    from .featurize import featurize_dataset, get_preset
    from .io import write_table

    get_preset(preset)
    issues_path = output.with_name(output.stem + ".issues.csv")
    for target in (output, issues_path):
        if input_path is not None and target.resolve() == input_path.resolve():
            raise InputDataError(f"-o {output}: refusing to overwrite the input file {input_path}")
    if output.exists() and not force:
        raise InputDataError(f"{output} exists (use --force to replace it)")
    ds = load_input(**_input_options(locals()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        features = featurize_dataset(ds, preset, cache=not no_cache, progress=not quiet,
                                     n_jobs=n_jobs)
    for w in caught:  # one line each, instead of Python's two-line warning format
        _echo_err(f"warning: {w.message}")
    meta = ds.frame[["id", "formula", "family", "split", "sigma_S_cm", "log10_sigma", "censored"]]
    out = meta.join(features).reset_index()
    write_table(out, output)
    if len(ds.issues):
        write_table(ds.issues, issues_path)
    elif issues_path.exists():
        issues_path.unlink()
    n_desc = features.shape[1]
    if not quiet:
        typer.echo(f"{len(out)} rows x {n_desc} descriptors ({preset}) -> {output}")
    if len(ds.issues):
        _echo_err(f"{len(ds.excluded_rows)} of {ds.n_input_rows} rows excluded "
                  f"({len(ds.issues)} issues) -> {issues_path}")
        for rec in ds.issues.head(20).itertuples(index=False):
            _echo_err(f"  row {rec.row} (id {rec.id}), column {rec.column!r}: {rec.reason}")
        if len(ds.issues) > 20:
            _echo_err(f"  ... {len(ds.issues) - 20} more in {issues_path}")


# --- models -----------------------------------------------------------------------------
FamilyOpt = Annotated[str, typer.Option("--family", help="logreg, pls or xgb.")]
TaskOpt = Annotated[str, typer.Option("--task", help="regression (log10 sigma) or classification (superionic).")]
ThresholdOpt = Annotated[float, typer.Option("--threshold", help="Superionic threshold in S/cm (classification).")]
ModelPresetOpt = Annotated[Optional[str], typer.Option(
    "--preset", help="Descriptor preset (default: the richest the data supports: crystal-v1 with lattice "
    "columns, else composition-v1).")]
NJobsOpt = Annotated[int, typer.Option("--n-jobs", help="Threads for XGBoost.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random state.")]
CensoringOpt = Annotated[str, typer.Option(
    "--censoring", help="floor (upper bounds at the documented floor) or aft (censoring-aware "
    "XGBoost regression that trains on the bound itself).")]


def _progress(quiet: bool):
    import time

    start = time.perf_counter()
    if quiet:
        return None
    return lambda text: _echo_err(f"[{time.perf_counter() - start:6.1f} s] {text}")


def _write_json(path: Path, payload: dict) -> None:
    from .io import to_jsonable

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(payload), indent=2, default=str))


def _resolve_preset(ds, preset: str | None, quiet: bool) -> str:
    """The named preset, or the richest the data supports (said on the console)."""
    from .featurize import get_preset
    from .featurize.presets import choose_preset

    if preset:
        get_preset(preset)
        return preset
    chosen, reason = choose_preset(ds.frame)
    if not quiet:
        _echo_err(f"descriptor preset {chosen}: {reason} (--preset to choose)")
    return chosen


def _echo_issues(ds, limit: int = 20) -> None:
    """List excluded rows on stderr (row, id, column, reason), at most ``limit`` of them."""
    if not len(ds.issues):
        return
    _echo_err(f"{len(ds.excluded_rows)} of {ds.n_input_rows} rows excluded ({len(ds.issues)} issues):")
    for rec in ds.issues.head(limit).itertuples(index=False):
        _echo_err(f"  row {rec.row} (id {rec.id}), column {rec.column!r}: {rec.reason}")
    if len(ds.issues) > limit:
        _echo_err(f"  ... {len(ds.issues) - limit} more (`explainsse featurize` writes them all to a CSV)")


def _features_for(ds, preset: str | None, quiet: bool):
    """Descriptors of ``ds`` with the named or chosen preset: (X, preset)."""
    from .featurize import featurize_dataset

    preset = _resolve_preset(ds, preset, quiet)
    ds.require_rows("modelling")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        X = featurize_dataset(ds, preset, progress=not quiet)
    for w in caught:
        _echo_err(f"warning: {w.message}")
    ds.require_rows("modelling")
    _echo_issues(ds)
    return X, preset


@app.command("train")
@handle_errors
def train(
    output: Annotated[Path, typer.Option("-o", "--output", help="Model directory to write.")],
    family: FamilyOpt = "xgb",
    task: TaskOpt = "regression",
    dataset: DatasetOpt = None,
    input_path: InputOpt = None,
    preset: ModelPresetOpt = None,
    threshold: ThresholdOpt = 1e-4,
    formula_col: FormulaColOpt = "formula",
    target_col: TargetColOpt = None,
    target_kind: TargetKindOpt = "sigma",
    id_col: IdColOpt = None,
    family_col: FamilyColOpt = None,
    descriptor_cols: DescriptorColsOpt = None,
    space_group_col: SpaceGroupColOpt = None,
    lattice_cols: LatticeColsOpt = None,
    z_col: ZColOpt = None,
    formula_basis: FormulaBasisOpt = "formula_unit",
    data_dir: DataDirOpt = None,
    censoring: CensoringOpt = "floor",
    n_jobs: NJobsOpt = 2,
    seed: SeedOpt = 0,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    quiet: QuietOpt = False,
) -> None:
    """Tune (grouped inner CV on training rows) and fit one model; save it safely with a manifest.

    With an official split (OBELiX) only the train rows are used.
    """
    from .models.persistence import save_model
    from .models.train import train_model

    protected = _guard_output(output, force, input_path, data_dir)
    ds = load_input(**_input_options(locals()))
    X, preset = _features_for(ds, preset, quiet)
    model = train_model(ds.frame, X, family, task, preset=preset, threshold=threshold,
                        dataset_info={"name": ds.name, "files_sha256": ds.files}, random_state=seed,
                        n_jobs=n_jobs, censoring=censoring)
    save_model(model, output, overwrite=force, inputs=protected)
    if not quiet:
        typer.echo(f"{family}/{task} trained on {model.dataset['n_train']} rows "
                   f"({model.dataset['trained_on']}), params {model.params} -> {output}")


@app.command("evaluate")
@handle_errors
def evaluate_cmd(
    family: FamilyOpt = "xgb",
    task: TaskOpt = "regression",
    scheme: Annotated[str, typer.Option("--scheme", help="official, group-chemsys, group-doi, "
                                        "leave-family-out, repeated-kfold, random-kfold or loo.")] = "official",
    dataset: DatasetOpt = None,
    input_path: InputOpt = None,
    preset: ModelPresetOpt = None,
    threshold: ThresholdOpt = 1e-4,
    formula_col: FormulaColOpt = "formula",
    target_col: TargetColOpt = None,
    target_kind: TargetKindOpt = "sigma",
    id_col: IdColOpt = None,
    family_col: FamilyColOpt = None,
    descriptor_cols: DescriptorColsOpt = None,
    space_group_col: SpaceGroupColOpt = None,
    lattice_cols: LatticeColsOpt = None,
    z_col: ZColOpt = None,
    formula_basis: FormulaBasisOpt = "formula_unit",
    data_dir: DataDirOpt = None,
    train_only: Annotated[bool, typer.Option("--train-only", help="CV schemes: use only the official "
                                              "train rows (keeps the test split unseen).")] = False,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples for 95% CIs.")] = 500,
    n_scramble: Annotated[int, typer.Option("--n-scramble", help="y-scrambling refits (0 = off).")] = 19,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write all results as JSON.")] = None,
    predictions_out: Annotated[Optional[Path], typer.Option(
        "--predictions", help="Write out-of-fold / test predictions (.csv or .parquet).")] = None,
    censoring: CensoringOpt = "floor",
    n_jobs: NJobsOpt = 2,
    seed: SeedOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """Validate one family on one task under one scheme: metrics with CIs, baseline, y-scrambling."""
    from .datasets.table import split_mask
    from .io import write_table
    from .models import SCHEMES, evaluate
    from .models.benchmark import summary_table

    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    ds = load_input(**_input_options(locals()))
    X, preset = _features_for(ds, preset, quiet)
    frame = ds.frame
    if train_only and scheme != "official":
        keep = split_mask(frame, "train")
        frame, X = frame[keep], X[keep]
    ev = evaluate(frame, X, family, task, scheme, threshold=threshold, n_boot=n_boot,
                  n_scramble=n_scramble, random_state=seed, n_jobs=n_jobs, censoring=censoring,
                  progress=_progress(quiet))
    table = summary_table(ev.results)
    typer.echo(f"{family} / {task} / {scheme}: {SCHEMES[scheme].description}")
    _print_table(table.astype(str).values.tolist(), list(table.columns))
    if task == "classification":
        typer.echo(f"confusion matrix (threshold {threshold:g} S/cm): {ev.confusion}")
    typer.echo(f"selected hyperparameters: {ev.params}")
    if json_out:
        _write_json(json_out, {"dataset": ds.name, "preset": preset, "family": family, "task": task,
                               "scheme": scheme, "scheme_description": SCHEMES[scheme].description,
                               "threshold_S_cm": threshold, "params": ev.params,
                               "confusion": ev.confusion, "y_scramble": ev.scramble,
                               "results": ev.results.to_dict("records")})
    if predictions_out:
        write_table(ev.predictions, predictions_out)


@app.command("benchmark")
@handle_errors
def benchmark(
    name: DatasetNameArg = "obelix",
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write all results as JSON.")] = None,
    preset: ModelPresetOpt = None,
    threshold: ThresholdOpt = 1e-4,
    families: Annotated[str, typer.Option("--families", help="Comma-separated families.")] = "logreg,pls,xgb",
    cv_scheme: Annotated[str, typer.Option("--cv-scheme", help="CV scheme on the training rows.")] = "group-chemsys",
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples for 95% CIs.")] = 300,
    n_scramble: Annotated[int, typer.Option("--n-scramble", help="y-scrambling refits on the official split.")] = 19,
    data_dir: DataDirOpt = None,
    n_jobs: NJobsOpt = 2,
    seed: SeedOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """All families, both tasks: official test split (scored once) and grouped CV on train, with anchors."""
    from .datasets import load_dataset
    from .models.benchmark import PUBLISHED_ANCHORS, run_benchmark, summary_table
    from .models.families import family_names
    FAMILIES = family_names()
    from .models.persistence import _versions

    chosen = _split_list(families)
    unknown = [f for f in chosen if f not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown families {unknown}; choose from {', '.join(FAMILIES)}")
    ds = load_dataset(name, data_dir=data_dir)
    if ds.frame["split"].isna().all():
        raise ValueError(f"dataset {name!r} has no official train/test split to benchmark on")
    X, preset = _features_for(ds, preset, quiet)
    out = run_benchmark(ds.frame, X, families=chosen, threshold=threshold, cv_scheme=cv_scheme,
                        n_boot=n_boot, n_scramble=n_scramble, random_state=seed, n_jobs=n_jobs,
                        progress=_progress(quiet))
    typer.echo(f"{name} benchmark, preset {preset}, threshold {threshold:g} S/cm, "
               f"{out['seconds']:.0f} s; 95% bootstrap CIs in brackets")
    for task in ("regression", "classification"):
        table = summary_table(out["results"], task)
        if len(table):
            typer.echo("")
            _print_table(table.astype(str).values.tolist(), list(table.columns))
    typer.echo("")
    typer.echo("published anchors (official test split): " + "; ".join(
        f"{a['model']} {a['metric'].upper()} {a['value']}" for a in PUBLISHED_ANCHORS))
    if json_out:
        _write_json(json_out, {
            "dataset": name, "preset": preset, "threshold_S_cm": threshold, "seed": seed,
            "seconds": out["seconds"], "versions": _versions(), "anchors": list(PUBLISHED_ANCHORS),
            "params": {f"{e.family}/{e.task}/{e.scheme}": e.params for e in out["evaluations"]},
            "y_scramble": {f"{e.family}/{e.task}/{e.scheme}": e.scramble for e in out["evaluations"]
                           if e.scramble},
            "confusion": {f"{e.family}/{e.task}/{e.scheme}": e.confusion for e in out["evaluations"]
                          if e.confusion},
            "results": out["results"].to_dict("records"),
        })


# --- explanations -----------------------------------------------------------------------
@app.command("explain")
@handle_errors
def explain_cmd(
    formulas: Annotated[Optional[list[str]], typer.Argument(help="Formulas to explain.")] = None,
    model_dir: Annotated[str, typer.Option("--model", help="Model directory from `explainsse train`, "
                                           "or 'default' for the bundled OBELiX model.")] = "default",
    input_path: InputOpt = None,
    formula_col: FormulaColOpt = "formula",
    id_col: IdColOpt = None,
    space_group_col: SpaceGroupColOpt = None,
    lattice_cols: LatticeColsOpt = None,
    z_col: ZColOpt = None,
    formula_basis: FormulaBasisOpt = "formula_unit",
    top: Annotated[int, typer.Option("--top", help="Descriptors shown per material.")] = 5,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Predict and explain materials with a saved model: top descriptors, SHAP, domain warnings."""
    from .datasets import from_formulas, load_table
    from .explain.material import explain_materials
    from .featurize import featurize_dataset, get_preset
    from .models.bundled import resolve_model_dir
    from .models.persistence import load_model

    if bool(formulas) == (input_path is not None):
        raise ValueError("give formulas as arguments or --input FILE.csv (one of the two)")
    model = load_model(resolve_model_dir(model_dir))
    if formulas:
        ds = from_formulas(formulas)
    else:
        ds = load_table(input_path, formula_col=formula_col, id_col=id_col, space_group_col=space_group_col,
                        lattice_cols=_split_list(lattice_cols) or None, z_col=z_col,
                        formula_basis=formula_basis)
    ds.require_rows("explanation")
    notes = list(ds.notes)
    if get_preset(model.preset).crystal and ds.frame[["a", "b", "c"]].isna().all().all():
        notes.append(f"model preset {model.preset} uses lattice data, none given: crystal descriptors "
                     "are imputed with training medians (give --input with lattice columns)")
        featurize_preset = "composition-v1"
        X = featurize_dataset(ds, featurize_preset, progress=False)
        for col in model.feature_names:
            if col not in X.columns:
                X[col] = float("nan")
    else:
        X = featurize_dataset(ds, model.preset, progress=False)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        results = explain_materials(model, ds.frame, X, top=top)
    if not as_json:
        _echo_issues(ds)
    if as_json:
        from .io import to_jsonable

        typer.echo(json.dumps(to_jsonable({"model": str(model_dir), "family": model.family, "task": model.task,
                                         "preset": model.preset, "notes": notes, "issues":
                                         ds.issues.astype(str).to_dict("records"), "materials": results}),
                              indent=2))
        return
    for note in notes:
        _echo_err(f"note: {note}")
    for r in results:
        typer.echo(f"\n{r['formula']}  ({r['id']})")
        typer.echo(f"  prediction   {r['prediction']:.3g} {r['prediction_units']}")
        if "domain" in r:
            d = r["domain"]
            typer.echo(f"  domain       {'inside' if d['inside'] else 'OUTSIDE'} (nearest-neighbour distance at the "
                       f"{d['percentile']:.0f}th percentile of training; nearest: {d['nearest_training']})")
        for w in r["warnings"]:
            typer.echo(f"  WARNING      {w}")
        typer.echo(f"  base value   {r['base_value']:.3g} {r['output_units']}")
        _print_table([[t["descriptor"], "nan" if t["value"] is None else f"{t['value']:.4g}", f"{t['shap']:+.3f}",
                       t["unit"]] for t in r["top_descriptors"]], ["descriptor", "value", "SHAP", "unit"])


def _native_views(model, frame, top: int, seed: int, interactions: bool) -> dict:
    """Each family's own interpretable view, for the importance JSON."""
    from .explain import native
    from .models import make_target

    if model.family == "logreg":
        odds = native.logreg_odds_ratios(model, model.train_X, make_target(frame, model.task, model.threshold),
                                         random_state=seed)
        return {"odds_ratios_per_sd": odds.head(top).reset_index(names="descriptor").to_dict("records")}
    if model.family == "pls":
        views = native.pls_views(model, model.train_X)
        return {"vip": views["vip"].head(top).to_dict(),
                "loadings": views["loadings"].loc[views["vip"].index[:top]].to_dict("index")}
    out = {"gain_secondary_view": native.xgb_gain(model).head(top).to_dict()}
    if interactions:
        out["interactions"] = native.xgb_interactions(model, model.train_X, random_state=seed)
    return out


@app.command("importance")
@handle_errors
def importance_cmd(
    family: Annotated[str, typer.Option("--family", help="logreg, pls, xgb or all.")] = "all",
    task: TaskOpt = "classification",
    dataset: DatasetOpt = None,
    input_path: InputOpt = None,
    preset: ModelPresetOpt = None,
    threshold: ThresholdOpt = 1e-4,
    formula_col: FormulaColOpt = "formula",
    target_col: TargetColOpt = None,
    target_kind: TargetKindOpt = "sigma",
    id_col: IdColOpt = None,
    family_col: FamilyColOpt = None,
    descriptor_cols: DescriptorColsOpt = None,
    space_group_col: SpaceGroupColOpt = None,
    lattice_cols: LatticeColsOpt = None,
    z_col: ZColOpt = None,
    formula_basis: FormulaBasisOpt = "formula_unit",
    data_dir: DataDirOpt = None,
    top: Annotated[int, typer.Option("--top", help="Descriptors listed.")] = 10,
    n_bootstrap: Annotated[int, typer.Option("--n-bootstrap", help="Bootstrap refits for stability.")] = 5,
    correlation: Annotated[float, typer.Option("--correlation", help="|Spearman| grouping threshold.")] = 0.9,
    interactions: Annotated[bool, typer.Option("--interactions", help="XGBoost SHAP interaction values "
                                               "for the top descriptor pairs (slow; on a row sample).")] = False,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write everything as JSON.")] = None,
    n_jobs: NJobsOpt = 2,
    seed: SeedOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """Global descriptor importance (mean |SHAP|) with stability CIs, correlated groups, agreement."""
    from .explain import explain
    from .explain.agreement import cross_family_agreement
    from .explain.groups import correlated_groups
    from .explain.stability import explanation_stability
    from .featurize import describe
    from .models.families import family_names
    FAMILIES = family_names()
    from .models.train import train_model

    families = [f for f in FAMILIES if task == "classification" or f != "logreg"] if family == "all" else [family]
    ds = load_input(**_input_options(locals()))
    X, preset = _features_for(ds, preset, quiet)
    progress = _progress(quiet)
    payload, tables = {"dataset": ds.name, "preset": preset, "task": task, "threshold_S_cm": threshold,
                       "families": {}}, {}
    for fam in families:
        model = train_model(ds.frame, X, fam, task, preset=preset, threshold=threshold,
                            random_state=seed, n_jobs=n_jobs)
        rows = model.train_X.index
        frame_tr = ds.frame.loc[rows]
        table = explain(model, model.train_X, model.train_X, ids=frame_tr["id"], formulas=frame_tr["formula"])
        stab = explanation_stability(model, frame_tr, model.train_X, n_bootstrap=n_bootstrap, top_k=top,
                                     random_state=seed, n_jobs=n_jobs)
        tables[fam] = table
        imp = table.global_importance().join(stab["importance"][["ci_low", "ci_high", "share_runs_in_top_k",
                                                                  "unstable"]])
        groups = correlated_groups(model.train_X, correlation, importance=imp["mean_abs_shap"])
        grouped = table.grouped(groups).global_importance()
        directions = table.directions(table.top(top)).set_index("descriptor")
        payload["families"][fam] = {
            "method": table.method, "notes": list(table.notes), "params": model.params,
            "output_units": table.output_units,
            "importance": [{"descriptor": d, **imp.loc[d].to_dict(), "unit": describe(d).unit,
                            "meaning": describe(d).meaning,
                            "direction": directions["sentence"].get(d)} for d in imp.index],
            "stability": {"rank_stability": stab["rank_stability"], "top_k_jaccard": stab["top_k_jaccard"],
                          "runs": stab["runs"], "scheme": stab["scheme"], "n_bootstrap": n_bootstrap,
                          "unstable": imp.index[imp["unstable"].astype(bool)].tolist()},
            "groups": [{"group": g, "members": m} for g, m in groups.items()],
            "grouped_importance": grouped["mean_abs_shap"].to_dict(),
        }
        payload["families"][fam]["native"] = _native_views(model, frame_tr, top, seed, interactions)
        if progress:
            progress(f"{fam}: explained {len(rows)} training rows, {stab['runs']} stability runs")
        typer.echo(f"\n{fam} / {task}: mean |SHAP| on the {len(rows)} training rows ({table.method}); "
                   f"rank stability {stab['rank_stability']:.2f}, top-{top} Jaccard {stab['top_k_jaccard']:.2f}")
        _print_table([[d, f"{r.mean_abs_shap:.3f}", f"[{r.ci_low:.3f}, {r.ci_high:.3f}]",
                       "unstable" if r.unstable else "", describe(d).unit,
                       directions["sentence"].get(d, "")]
                      for d, r in imp.head(top).iterrows()],
                     ["descriptor", "mean |SHAP|", "95% CI (refits)", "stability", "unit", "direction"])
        typer.echo(f"{len(groups)} groups of correlated descriptors (|Spearman| >= {correlation})")
    if len(tables) > 1:
        agreement = cross_family_agreement(tables, top_k=top)
        payload["agreement"] = {"rank_correlation": agreement["rank_correlation"],
                                "direction_agreement": agreement["direction_agreement"],
                                "direction": agreement["direction"].to_dict("records"), "top_k": top}
        typer.echo("\ncross-family rank correlation of mean |SHAP|:")
        names = list(tables)
        _print_table([[a, *[f"{agreement['rank_correlation'][a][b]:.2f}" for b in names]] for a in names],
                     ["", *names])
        typer.echo(f"direction of effect agrees across families for {agreement['direction_agreement']:.0%} "
                   f"of the union of top-{top} descriptors")
    if json_out:
        _write_json(json_out, payload)


@app.command("report")
@handle_errors
def report_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Report folder to write.")],
    dataset: DatasetOpt = None,
    input_path: InputOpt = None,
    preset: ModelPresetOpt = None,
    families: Annotated[str, typer.Option("--families", help="Comma-separated families.")] = "logreg,pls,xgb",
    threshold: ThresholdOpt = 1e-4,
    scheme: Annotated[Optional[str], typer.Option("--scheme", help="Validation scheme (default: official "
                                                  "split when the data has one, else group-chemsys).")] = None,
    formula_col: FormulaColOpt = "formula",
    target_col: TargetColOpt = None,
    target_kind: TargetKindOpt = "sigma",
    id_col: IdColOpt = None,
    family_col: FamilyColOpt = None,
    descriptor_cols: DescriptorColsOpt = None,
    space_group_col: SpaceGroupColOpt = None,
    lattice_cols: LatticeColsOpt = None,
    z_col: ZColOpt = None,
    formula_basis: FormulaBasisOpt = "formula_unit",
    data_dir: DataDirOpt = None,
    n_scramble: Annotated[int, typer.Option("--n-scramble", help="y-scrambling refits.")] = 5,
    cifs: Annotated[Optional[Path], typer.Option(
        "--cifs", help="Folder or tar archive of <id>.cif files for --input (counted in the data card; "
        "structure descriptors come in a later preset).")] = None,
    model_dir: Annotated[Optional[str], typer.Option(
        "--model", help="Predict and explain candidates with a saved model ('default' = bundled) "
        "instead of validating models on measured data.")] = None,
    n_jobs: NJobsOpt = 2,
    seed: SeedOpt = 0,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    quiet: QuietOpt = False,
) -> None:
    """The main job: descriptors -> validation of the families -> explanations -> HTML/Markdown/JSON report."""
    import matplotlib

    matplotlib.use("Agg")
    from tqdm.auto import tqdm

    from .models.families import family_names
    FAMILIES = family_names()
    from .report import build_report, write_report

    chosen = _split_list(families)
    unknown = [f for f in chosen if f not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown families {unknown}; choose from {', '.join(FAMILIES)}")
    protected = _guard_output(output, force, input_path, cifs, model_dir, data_dir)
    ds = load_input(**_input_options(locals()))
    if model_dir is None and preset is None and not quiet:
        _resolve_preset(ds, None, quiet)  # says which preset the report will use, and why
    if model_dir is not None:
        from .models.bundled import resolve_model_dir
        from .models.persistence import load_model
        from .report.predictions import build_prediction_report, prediction_markdown

        model = load_model(resolve_model_dir(model_dir))
        context, figures = build_prediction_report(ds, model, model_dir)
        write_report(context, figures, output, force=force, template="predictions.html.j2",
                     markdown=prediction_markdown, inputs=protected)
        if not quiet:
            typer.echo(f"prediction report for {len(context['materials'])} materials -> {output / 'index.html'}")
        return
    stages = 2 + 2 * len(chosen) - ("logreg" in chosen) + len(chosen) + 1
    with tqdm(total=stages, desc="report", unit="stage", disable=quiet) as bar:
        def step(text):
            bar.set_postfix_str(text)
            bar.update(1)

        context, figures = build_report(ds, preset=preset, families=tuple(chosen), threshold=threshold,
                                        scheme=scheme, n_scramble=n_scramble, seed=seed, n_jobs=n_jobs,
                                        progress=step)
        write_report(context, figures, output, force=force, inputs=protected)
        step("written")
    if not quiet:
        typer.echo(f"report -> {output / 'index.html'} (also report.md, report.json, figures/, manifest.json)")

def _test_options(options: dict, path: Path) -> dict:
    """Column options for a --test CSV: the input's own (when the input is a CSV too and its
    columns exist there), else the usual column names found in that file."""
    from .datasets.table import guess_columns, read_csv_strict

    header = list(read_csv_strict(path, nrows=0).columns)
    out = {**options, "dataset": None, "input_path": path}
    if options.get("dataset") is None and options.get("target_col") in header \
            and options.get("formula_col") in header:
        return out
    found = guess_columns(header, short_names=True)
    if found["target_col"] is None or found["formula_col"] is None:
        raise ValueError(f"{path}: no {'conductivity' if found['target_col'] is None else 'formula'} column found "
                         f"(columns: {header}); name them sigma_S_cm and formula, or pass --input with its "
                         "column options")
    out.update(found, space_group_col=None, lattice_cols=None, z_col=None)
    return out


@validate_app.command("nasicon")
@handle_errors
def validate_nasicon_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Report folder to write.")],
    dataset: DatasetOpt = None,
    input_path: InputOpt = None,
    test: Annotated[Optional[str], typer.Option(
        "--test", help="Test CSV (read with the same column options) or a registered dataset name: "
        "external test set, or the other alkali for cross-domain.")] = None,
    predictions: Annotated[Optional[Path], typer.Option(
        "--predictions", help="CSV of id + probability (or label) you already have: scored against the "
        "input's labels without refitting anything.")] = None,
    protocol: Annotated[Optional[str], typer.Option(
        "--protocol", help="within | cross-family | cross-domain | external (default: external with "
        "--test/--predictions, else within).")] = None,
    threshold: ThresholdOpt = 1e-4,
    family: Annotated[str, typer.Option("--family", help="logreg | pls | xgb (explainsse defaults).")] = "logreg",
    model_dir: Annotated[Optional[Path], typer.Option(
        "--model", help="A saved explainsse classifier to validate instead of --family.")] = None,
    preset: Annotated[Optional[str], typer.Option(
        "--preset", help="Descriptor preset (default: composition-v1, which any formula allows).")] = None,
    all_nasicon: Annotated[bool, typer.Option(
        "--all-nasicon", help="Declare every input row NASICON (a NASICON-only file such as Xu's).")] = False,
    test_all_nasicon: Annotated[bool, typer.Option(
        "--test-all-nasicon", help="Declare every row of the --test file NASICON.")] = False,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the JSON result here.")] = None,
    n_repeats: Annotated[int, typer.Option("--n-repeats", help="Repeats of stratified k-fold.")] = 5,
    n_permutations: Annotated[int, typer.Option("--n-permutations", help="Permutation-test refits.")] = 19,
    loo: Annotated[bool, typer.Option("--loo/--no-loo", help="Also leave-one-out (within).")] = True,
    tune: Annotated[bool, typer.Option(
        "--tune", help="Tune the family by inner CV inside every training part (nested; slow with LOO).")] = False,
    formula_col: FormulaColOpt = "formula",
    target_col: TargetColOpt = None,
    target_kind: TargetKindOpt = "sigma",
    id_col: IdColOpt = None,
    family_col: FamilyColOpt = None,
    descriptor_cols: DescriptorColsOpt = None,
    space_group_col: SpaceGroupColOpt = None,
    lattice_cols: LatticeColsOpt = None,
    z_col: ZColOpt = None,
    formula_basis: FormulaBasisOpt = "formula_unit",
    data_dir: DataDirOpt = None,
    seed: SeedOpt = 0,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    quiet: QuietOpt = False,
) -> None:
    """Validate a NASICON-style classifier: within NASICON, cross-family, cross-domain (Na -> Li) or external."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    from .datasets import load_dataset
    from .datasets.registry import REGISTRY
    from .datasets.table import read_csv_strict
    from .featurize.presets import DEFAULT_PRESET
    from .report import write_report
    from .report.nasicon import build_nasicon_report, nasicon_markdown
    from .validation import validate_nasicon, validation_descriptors

    protected = _guard_output(output, force, input_path, model_dir, test if test and Path(test).exists() else None,
                              predictions, data_dir)
    protocol = protocol or ("external" if (test or predictions) else "within")
    options = _input_options(locals())
    ds = load_input(**options)
    model = None
    if model_dir is not None:
        from .models.persistence import load_model

        model = load_model(model_dir)
    cols = _split_list(descriptor_cols)
    X = validation_descriptors(ds, preset=preset, descriptor_cols=cols, model=model)
    test_ds = test_X = None
    if test is not None:
        if Path(test).exists():
            test_ds = load_input(**_test_options(options, Path(test)))
        elif test in REGISTRY:
            test_ds = load_dataset(test, data_dir=data_dir)
        else:
            raise ValueError(f"--test {test!r} is neither a file nor a registered dataset ({', '.join(REGISTRY)})")
        test_X = validation_descriptors(test_ds, preset=preset, descriptor_cols=cols, model=model)
    preds = read_csv_strict(predictions) if predictions is not None else None
    if not quiet:
        refits = ("no refit: the predictions are scored as given" if preds is not None else
                  "the saved model predicts the test file as it is" if model is not None and protocol == "external"
                  else f"this refits the classifier {'many' if protocol == 'within' else 'a few'} times")
        _echo_err(f"validating {model_dir or family} on {ds.name} ({protocol}); {refits}")
    result = validate_nasicon(ds.frame, X, model if model is not None else family, protocol=protocol,
                              threshold=threshold, all_nasicon=all_nasicon,
                              test_frame=None if test_ds is None else test_ds.frame, test_X=test_X,
                              predictions=preds, n_repeats=n_repeats, n_permutations=n_permutations, loo=loo,
                              random_state=seed, tune=tune, test_all_nasicon=test_all_nasicon)
    files = {**ds.files, **(test_ds.files if test_ds is not None else {})}
    descriptors = ("the descriptor columns " + ", ".join(cols) if cols
                   else "preset " + (model.preset if model else preset or DEFAULT_PRESET))
    what = (f"{result.classifier} on {descriptors}"
            f"; data {ds.name}" + (f", test {test_ds.name}" if test_ds is not None else "")
            + (f", predictions {predictions.name}" if predictions is not None else "") + ".")
    context, figures = build_nasicon_report(result, dataset=ds.name, files=files, description=what, seed=seed)
    write_report(context, figures, output, force=force, template="nasicon.html.j2", markdown=nasicon_markdown,
                 inputs=protected)
    if json_out is not None:
        json_out.write_text(json.dumps(context["result"], indent=1, default=str), encoding="utf-8")
    if not quiet:
        for row in context["rows"]:
            typer.echo(f"{row['evaluation']}: accuracy {row['accuracy']}, MCC {row['MCC']}, "
                       f"majority baseline {row['majority baseline']} -> {row['verdict']}")
        for w in result.warnings:
            _echo_err(f"warning: {w}")
        typer.echo(f"report -> {output / 'index.html'}")


@app.command("bundle-model")
@handle_errors
def bundle_model(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the bundled model.")] = Path(
        "explainsse/data/models/default"),
    data_dir: DataDirOpt = None,
    seed: SeedOpt = 0,
    n_jobs: NJobsOpt = 2,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
) -> None:
    """Rebuild the bundled default model from OBELiX (train split; test split scored once)."""
    from .models.bundled import build_bundled_model

    _guard_output(output, force, data_dir)
    metrics = build_bundled_model(output, data_dir=data_dir, seed=seed, n_jobs=n_jobs, force=force)
    typer.echo(f"bundled model -> {output}; official test MAE {metrics['mae']:.2f}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. ``--debug`` is accepted anywhere on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        args = ["--debug", *[a for a in args if a != "--debug"]]
    app(args=args, prog_name="explainsse")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
