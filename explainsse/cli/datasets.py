"""``explainsse datasets list | info | fetch``."""

import json
from typing import Annotated

import typer

from .._config import get_settings
from ..datasets import dataset_status, fetch_dataset, load_dataset
from ._app import datasets_app, handle_errors, print_table
from .options import DataDirOpt, DatasetNameArg, JsonOpt, QuietOpt


@datasets_app.command("list")
@handle_errors
def datasets_list(data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List registered datasets and how many of their files are on disk and pass the sha256 check."""
    data_dir, rows = dataset_status(data_dir)
    if as_json:
        typer.echo(json.dumps({"data_dir": str(data_dir), "datasets": rows}, indent=2))
        return
    typer.echo(f"data directory: {data_dir}")
    print_table([[r["name"], f'{r["verified"]}/{r["files"]}', ", ".join(r["failing_sha256"]) or "-",
                  r["license"].split(" (")[0], r["title"]] for r in rows],
                ["name", "files verified", "sha256 mismatch", "licence", "title"])


@datasets_app.command("info")
@handle_errors
def datasets_info(
    name: DatasetNameArg,
    data_dir: DataDirOpt = None,
    as_json: JsonOpt = False,
    show_issues: Annotated[bool, typer.Option("--issues", help="List every excluded row.")] = False,
) -> None:
    """Load a dataset (verifying sha256) and report its counts, licence and citation."""
    ds = load_dataset(name, data_dir=data_dir)
    info = ds.info()
    if as_json:
        info["issue_rows"] = ds.issues.astype(object).where(ds.issues.notna(), None).to_dict("records")
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(info["title"])
    typer.echo(f"  version      {info['version']}")
    typer.echo(f"  rows         {info['rows_input']} in file, {info['rows_used']} usable, "
               f"{info['rows_excluded']} excluded")
    typer.echo(f"  split        {info['train']} train / {info['test']} test")
    typer.echo(f"  censored     {info['censored']} (upper bounds, modelled at {info['censored_floor_S_cm']:g} S/cm)")
    typer.echo(f"  CIFs         {info['with_cif']}")
    top = ", ".join(f"{k} {v}" for k, v in list(info["families"].items())[:6])
    if top:
        typer.echo(f"  families     {top}, ...")
    typer.echo(f"  licence      {info['license']}")
    typer.echo(f"  cite         {info['citation']}")
    typer.echo(f"  files in     {info['data_dir']}/{ds.spec.name} (sha256 verified)")
    if show_issues and len(ds.issues):
        print_table(ds.issues.astype(str).values.tolist(), list(ds.issues.columns))


@datasets_app.command("fetch")
@handle_errors
def datasets_fetch(name: DatasetNameArg, data_dir: DataDirOpt = None, quiet: QuietOpt = False) -> None:
    """Download missing files from the pinned URLs and verify every file by sha256."""
    paths = fetch_dataset(name, settings=get_settings(data_dir=data_dir))
    if not quiet:
        for fname, path in paths.items():
            typer.echo(f"{fname}: verified  {path}")
