"""``explainsse validate nasicon``."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from .._config import DEFAULT_N_SCRAMBLE
from ..datasets.table import read_csv_strict
from ..models.persistence import load_model
from ..report import write_report
from ..report.nasicon_report import nasicon_report
from ..validation import load_test_set, validate_datasets
from ._app import echo_err, guard_output, handle_errors, validate_app, write_json
from .models import seed_or_default
from .options import THRESHOLD_DEFAULT, ForceOpt, InputSpec, QuietOpt, SeedOpt, ThresholdOpt, with_inputs


@validate_app.command("nasicon")
@handle_errors
@with_inputs()
def validate_nasicon_cmd(
    inputs: InputSpec,
    output: Annotated[Path, typer.Option("-o", "--output", help="Report folder to write.")],
    test: Annotated[Optional[str], typer.Option(
        "--test", help="Test CSV (read with the same column options) or a registered dataset name: "
        "external test set, or the other alkali for cross-domain.")] = None,
    predictions: Annotated[Optional[Path], typer.Option(
        "--predictions", help="CSV of id + probability (or label) you already have: scored against the "
        "input's labels without refitting anything.")] = None,
    protocol: Annotated[Optional[str], typer.Option(
        "--protocol", help="within | cross-family | cross-domain | external (default: external with "
        "--test/--predictions, else within).")] = None,
    threshold: ThresholdOpt = THRESHOLD_DEFAULT,
    family: Annotated[str, typer.Option("--family", help="A registered family (explainsse defaults).")] = "logreg",
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
    n_permutations: Annotated[int, typer.Option("--n-permutations", help="Permutation-test refits.")] = DEFAULT_N_SCRAMBLE,
    loo: Annotated[bool, typer.Option("--loo/--no-loo", help="Also leave-one-out (within).")] = True,
    tune: Annotated[bool, typer.Option(
        "--tune", help="Tune the family by inner CV inside every training part (nested; slow with LOO).")] = False,
    seed: SeedOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Validate a NASICON-style classifier: within NASICON, cross-family, cross-domain (Na -> Li) or external."""
    import matplotlib  # heavy: matplotlib loads only when a figure is drawn

    matplotlib.use("Agg")

    test_path = Path(test) if test and Path(test).exists() else None
    protected = guard_output(output, force, *inputs.protected(), model_dir, test_path, predictions)
    ds = inputs.load()
    model = None
    if model_dir is not None:
        model = load_model(model_dir)
    test_ds = None if test is None else load_test_set(test, like=inputs.columns if inputs.path else None,
                                                      data_dir=inputs.data_dir)
    preds = read_csv_strict(predictions) if predictions is not None else None
    seed = seed_or_default(seed)
    if not quiet:
        echo_err(f"validating {model_dir or family} on {ds.name} ({protocol or 'default protocol'})")
    result, description = validate_datasets(
        ds, family, model=model, test_ds=test_ds, predictions=preds, preset=preset,
        descriptor_cols=list(inputs.columns.descriptor_cols), protocol=protocol,
        predictions_name=predictions.name if predictions is not None else "", threshold=threshold,
        all_nasicon=all_nasicon, n_repeats=n_repeats, n_permutations=n_permutations, loo=loo, random_state=seed,
        tune=tune, test_all_nasicon=test_all_nasicon)
    files = {**ds.files, **(test_ds.files if test_ds is not None else {})}
    report = nasicon_report(result, dataset=ds.name, files=files, description=description, seed=seed)
    context = report.view
    write_report(report, output, force=force, inputs=protected)
    if json_out is not None:
        write_json(json_out, context["result"])
    if not quiet:
        for row in context["rows"]:
            typer.echo(f"{row['evaluation']}: accuracy {row['accuracy']}, MCC {row['MCC']}, "
                       f"majority baseline {row['majority baseline']} -> {row['verdict']}")
        for w in result.warnings:
            echo_err(f"warning: {w}")
        typer.echo(f"report -> {output / 'index.html'}")
