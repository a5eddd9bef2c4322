"""The typer applications, error handling and console helpers shared by every command."""

import contextlib
import functools
import json
import sys
import time
from pathlib import Path

import typer

from ..errors import ExplainsseError
from ..io import check_output_target, to_jsonable, write_text_atomic

app = typer.Typer(
    name="explainsse",
    help="Interpretable descriptor-based models of ionic conductivity in Li solid electrolytes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
datasets_app = typer.Typer(help="List, inspect and fetch the registered datasets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")
validate_app = typer.Typer(help="Validate classifiers (NASICON-style) against honest baselines.",
                           no_args_is_help=True)
app.add_typer(validate_app, name="validate")

STATE = {"debug": False}

#: Exit status of a user error (bad input, refused output folder) and of an internal error (a bug).
USER_ERROR, INTERNAL_ERROR = 2, 3


def echo_err(message: str) -> None:
    """One line on stderr."""
    typer.echo(message, err=True)


def handle_errors(fn):
    """Report errors on one line: user errors exit 2, anything else is a bug (exit 3).

    User errors are :class:`~explainsse.errors.ExplainsseError` and files that cannot be read or
    written; anything else is said to be a bug in explainsse. ``--debug`` shows the traceback of both.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (ExplainsseError, OSError) as exc:
            if STATE["debug"]:
                raise
            echo_err(f"error: {exc}".replace("\n", " "))
            raise typer.Exit(USER_ERROR) from None
        except Exception as exc:
            if STATE["debug"]:
                raise
            echo_err(f"internal error (this is a bug in explainsse, please report it): {type(exc).__name__}: "
                     f"{exc}".replace("\n", " ") + " -- run again with --debug for the traceback")
            raise typer.Exit(INTERNAL_ERROR) from None

    return wrapper


def print_table(rows: list[list], header: list[str]) -> None:
    """A plain, aligned text table on stdout."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    typer.echo("  ".join("-" * w for w in widths))
    for row in rows:
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


def progress_printer(quiet: bool):
    """A progress callback printing ``[  12.3 s] text`` on stderr (None when quiet)."""
    start = time.perf_counter()
    if quiet:
        return None
    return lambda text: echo_err(f"[{time.perf_counter() - start:6.1f} s] {text}")


def write_json(path: Path, payload: dict) -> None:
    """Write ``payload`` as strict JSON (NaN -> null) atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(to_jsonable(payload), indent=2, default=str))


def echo_issues(ds, limit: int = 20) -> None:
    """List excluded rows on stderr (row, id, column, reason), at most ``limit`` of them."""
    if not len(ds.issues):
        return
    echo_err(f"{len(ds.excluded_rows)} of {ds.n_input_rows} rows excluded ({len(ds.issues)} issues):")
    for rec in ds.issues.head(limit).itertuples(index=False):
        echo_err(f"  row {rec.row} (id {rec.id}), column {rec.column!r}: {rec.reason}")
    if len(ds.issues) > limit:
        echo_err(f"  ... {len(ds.issues) - limit} more (`explainsse featurize` writes them all to a CSV)")


def split_list(text: str | None) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``."""
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def guard_output(output: Path, force: bool, *inputs) -> list:
    """Refuse an unsafe output folder before any work starts; returns the inputs to protect."""
    protected = [Path(str(i)) for i in inputs if i is not None and str(i) != "default"]
    check_output_target(output, force=force, inputs=protected)
    return protected


@contextlib.contextmanager
def stage_bar(quiet: bool, desc: str = "report", extra: int = 0):
    """A progress bar over the stages of a long job; yields ``say(text)`` (one call per finished stage).

    ``say("note: ...")`` prints a line of its own; ``say("total: N")`` sets the number of stages
    (plus ``extra`` stages the caller adds after the job), so the bar shows a total and an ETA;
    any other text names the stage just finished.
    """
    from tqdm.auto import tqdm  # optional display: tqdm loads only when a progress bar is shown

    with tqdm(desc=desc, unit="stage", disable=quiet, file=sys.stderr,
              bar_format="{desc}: {n_fmt}/{total_fmt} stages [{elapsed}<{remaining}] {postfix}") as bar:
        def say(text: str) -> None:
            if text.startswith("note: "):  # a line of its own, not a stage
                if not quiet:
                    bar.write(text, file=sys.stderr)
                return
            if text.startswith("total: "):
                bar.total = int(text.split(":", 1)[1]) + extra
                bar.refresh()
                return
            bar.set_postfix_str(f"done: {text}", refresh=False)
            bar.update(1)

        say.quiet = quiet  # inner progress bars (structures) follow the same choice
        yield say
