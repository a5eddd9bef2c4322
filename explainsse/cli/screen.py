"""``explainsse screen``: predict and explain many candidates (a file, or a doping grid), resumably."""

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from ..errors import InputDataError
from ..screen import enumeration_source, file_source, run_screen
from ..screen.run import DEFAULT_BATCH_DISTANCE, DEFAULT_CHUNK_ROWS
from . import options as opt
from ._app import app, echo_err, handle_errors, print_table


@app.command("screen")
@handle_errors
def screen_cmd(
    output: opt.OutputDirOpt,
    input_path: Annotated[Optional[Path], typer.Option("--input", help="CSV or Parquet of candidates (a "
                                                       "formula column; an id column if present), read in chunks.")] = None,
    parent: Annotated[Optional[str], typer.Option("--parent", help="Parent formula of a doping grid, e.g. "
                                                  "Li7La3Zr2O12.")] = None,
    substitute: Annotated[Optional[list[str]], typer.Option("--substitute", help="HOST:DOPANT[,DOPANT...] "
                                                            "(repeatable), e.g. Zr:Ta,Nb; a dopant may carry its "
                                                            "charge (Ta5+).")] = None,
    grid: Annotated[str, typer.Option("--range", help="Dopant amounts per formula unit, start:stop:step "
                                      "(both ends included).")] = "0:0.5:0.05",
    model_dir: Annotated[str, typer.Option("--model", help="A saved model folder, or 'default' (the bundled "
                                           "OBELiX model).")] = "default",
    top: Annotated[Optional[int], typer.Option("--top", help="Shortlist the N best candidates (default 20 "
                                               "unless --min-sigma).")] = None,
    min_sigma: Annotated[Optional[float], typer.Option("--min-sigma", help="Shortlist candidates predicted at "
                                                       "or above this conductivity (S/cm).")] = None,
    in_domain_only: Annotated[bool, typer.Option("--in-domain-only", help="Shortlist only candidates inside "
                                                 "the model's applicability domain.")] = False,
    explain_top: Annotated[int, typer.Option("--explain-top", help="Descriptors explained per shortlisted "
                                             "candidate.")] = 5,
    engine: Annotated[str, typer.Option("--engine", help="local (worker processes) or dask "
                                        "(dask.distributed).")] = "local",
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Address of a running Dask scheduler, "
                                                     "e.g. tcp://HOST:8786 (default: a LocalCluster).")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", help="Worker processes (default: the CPU "
                                                   "count).")] = None,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows per chunk (the unit of work and of "
                                            "resumption).")] = DEFAULT_CHUNK_ROWS,
    rank: Annotated[str, typer.Option("--rank", help="Rank the shortlist by the prediction (mean), the lower bound "
                                      "of its 90% interval (lower), or the expected improvement over --target-sigma "
                                      "(ei).")] = "mean",
    target_sigma: Annotated[Optional[float], typer.Option("--target-sigma", help="Target conductivity (S/cm) of "
                                                          "--rank ei (default 1e-4, the superionic threshold).")] = None,
    batch: Annotated[Optional[int], typer.Option("--batch", help="Also pick N diverse next experiments "
                                                 "(batch.csv): down the ranking, no two picks closer than "
                                                 "--batch-distance.")] = None,
    batch_distance: Annotated[float, typer.Option("--batch-distance", help="Smallest L1 distance of element "
                                                  "fractions between two picks of --batch.")] = DEFAULT_BATCH_DISTANCE,
    force: opt.ForceOpt = False,
    quiet: opt.QuietOpt = False,
) -> None:
    """Screen candidates: predictions, applicability domain, and a shortlist explained by its descriptors.

    Rerun the same command after an interruption: finished chunks are kept and the run continues.
    """
    if (input_path is None) == (parent is None):
        raise InputDataError("give --input FILE or --parent FORMULA --substitute HOST:DOPANTS (one of the two)")
    if parent is not None and not substitute:
        raise InputDataError("--parent needs at least one --substitute HOST:DOPANT[,DOPANT...]")
    source = (file_source(input_path, chunk_rows) if input_path is not None
              else enumeration_source(parent, substitute, grid, chunk_rows))
    m = run_screen(source, model_dir, output, top=top, min_sigma=min_sigma, explain_top=explain_top,
                   engine=engine, workers=workers, scheduler=scheduler, chunk_size=chunk_rows, force=force,
                   progress=not quiet, in_domain_only=in_domain_only, rank=rank, target_sigma=target_sigma,
                   batch=batch, batch_distance=batch_distance)
    c, t = m["counts"], m["timing_s"]
    if not quiet:
        resumed = f", {c['chunks_resumed']} of {c['chunks']} chunks resumed from an earlier run" \
            if c["chunks_resumed"] else ""
        echo_err(f"{c['rows']:,} candidates: {c['screened']:,} screened ({c['outside']:,} outside the training "
                 f"domain), {c['invalid']:,} invalid (invalid.csv); {t['rows_per_s']:,} rows/s{resumed}")
    if not c["shortlisted"]:
        typer.echo(f"shortlist: no candidate (see {output}/invalid.csv for the rows that could not be screened)")
        return

    short = pd.read_csv(Path(output) / "shortlist.csv", nrows=10, keep_default_na=False)
    typer.echo(f"shortlist: {c['shortlisted']} candidates ({m['model']['task']}, "
               f"{'log10 sigma' if m['model']['task'] == 'regression' else 'probability'}); the best:")
    print_table([[r.rank, r.formula, f"{r.prediction:.3g}", _bounds(r.lower, r.upper),
                  "inside" if r.in_domain else "OUTSIDE", r.reasons.split("; ")[0]] for r in short.itertuples()],
                ["rank", "formula", "prediction", "90% interval", "domain", "top descriptor (value, SHAP)"])
    if m.get("batch"):
        typer.echo(f"\nbatch of {len(m['batch'])} next experiments (ranked by {rank}; no two within "
                   f"{batch_distance:g} in element fractions):")
        print_table([[b["batch"], b["formula"], f"{b['prediction']:.3g}", _bounds(b["lower"], b["upper"]),
                      f"{b['score']:.3g}"] for b in m["batch"]], ["pick", "formula", "prediction", "90% interval", rank])
    typer.echo(f"written: {output}/report.html, shortlist.csv, shortlist_explained.csv, "
               f"{'batch.csv, ' if m.get('batch') else ''}invalid.csv, parts/")


def _bounds(lower, upper) -> str:
    """``lower to upper`` or ``none`` (an uncalibrated model)."""
    try:
        lo, hi = float(lower), float(upper)
    except (TypeError, ValueError):
        return "none"
    return f"{lo:.2f} to {hi:.2f}" if lo == lo and hi == hi else "none"
