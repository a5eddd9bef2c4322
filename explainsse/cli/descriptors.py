"""``explainsse descriptors`` (the glossary) and ``explainsse featurize``."""

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..analysis import descriptors_for
from ..featurize import PRESETS, get_preset, glossary
from ..featurize.export import check_feature_output, notes_path, write_features
from ._app import app, echo_err, handle_errors, print_table
from .options import InputSpec, JsonOpt, QuietOpt, with_inputs


@app.command("descriptors")
@handle_errors
def descriptors(
    preset: Annotated[Optional[str], typer.Option("--preset", help="Only this preset's columns.")] = None,
    search: Annotated[Optional[str], typer.Option("--search", help="Only names/meanings containing this text.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the descriptor glossary (name, named group, proxy flag, unit, source, meaning) and the presets."""
    if preset:
        get_preset(preset)
    table = glossary(preset, search=search)
    presets = {k: p for k, p in PRESETS.items() if not preset or k == preset}
    if as_json:
        typer.echo(json.dumps({"presets": {k: p.summary() for k, p in presets.items()},
                               "descriptors": table.to_dict("records")}, indent=2))
        return
    for key, p in presets.items():
        typer.echo(f"{key} (released {p.released}; inputs: {', '.join(p.input_kinds)}): {p.description}")
    typer.echo(f"{len(table)} descriptors\n")
    refs = {c: i for i, c in enumerate(dict.fromkeys(table["citation"]), start=1)}
    rows = [[r.name, r.group, "proxy" if r.flag else "", r.unit, r.source, f"[{refs[r.citation]}]", r.meaning]
            for r in table.itertuples(index=False)]
    print_table(rows, ["name", "group", "flag", "unit", "source", "ref", "meaning"])
    flagged = table[table["flag"].notna()]
    if len(flagged):
        typer.echo(f"\n{len(flagged)} descriptor(s) flagged as proxies (what they most likely stand for):")
        for why, names in flagged.groupby("flag", sort=False)["name"]:
            typer.echo(f"- {', '.join(names)}: {why}")
    typer.echo("\nreferences:")
    for citation, i in refs.items():
        typer.echo(f"[{i}] {citation}")


@app.command("featurize")
@handle_errors
@with_inputs(cifs=True)
def featurize(
    inputs: InputSpec,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .parquet or .csv.")],
    preset: Annotated[Optional[str], typer.Option(
        "--preset", help="Descriptor preset (default: the richest the data supports).")] = None,
    n_jobs: Annotated[Optional[int], typer.Option("--n-jobs", help="Worker processes (default: settings, 1).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute even if cached.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Compute descriptors for a dataset or a CSV and write them with ids and targets.

    Rows that cannot be used are listed (stderr and OUTPUT.issues.csv), never dropped silently;
    with a structure or NASICON preset, rows whose structure or site descriptors are missing keep NaN and
    the reason goes to OUTPUT.structure-notes.csv.
    """
    check_feature_output(output, force=force, input_path=inputs.path)
    ds = inputs.load()
    d = descriptors_for(ds, preset, progress=not quiet, cache=not no_cache, n_jobs=n_jobs, modelling=False)
    ds = d.dataset  # without the rows that could not be featurized (now in its issues)
    for w in d.warnings:
        echo_err(f"warning: {w}")
    out, issues = write_features(ds, d.X, output)
    if not quiet:
        typer.echo(f"{len(out)} rows x {d.X.shape[1]} descriptors ({d.preset}) -> {output}")
    notes = ds.descriptor_notes
    if notes is not None and len(notes):
        counts = notes["reason"].value_counts()
        echo_err(f"{len(notes)} rows with missing structure descriptors (kept) -> {notes_path(output)}")
        for reason, n in counts.head(8).items():
            echo_err(f"  {n} x {reason}")
    if issues is not None:
        echo_err(f"{len(ds.excluded_rows)} of {ds.n_input_rows} rows excluded ({len(ds.issues)} issues) -> {issues}")
        for rec in ds.issues.head(20).itertuples(index=False):
            echo_err(f"  row {rec.row} (id {rec.id}), column {rec.column!r}: {rec.reason}")
        if len(ds.issues) > 20:
            echo_err(f"  ... {len(ds.issues) - 20} more in {issues}")
