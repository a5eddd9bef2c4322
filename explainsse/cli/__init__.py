"""Command-line interface: a thin typer layer over the public Python API.

Each command parses its options once (the input options through
:func:`~explainsse.cli.options.with_inputs`) and calls one public function of
:mod:`explainsse.analysis`, :mod:`explainsse.report`, :mod:`explainsse.models` or
:mod:`explainsse.validation`. User errors print one line (``error: ...``) and exit with status 2;
anything else is reported as a bug (exit 3); ``--debug`` shows the traceback.
"""

import sys
from typing import Annotated

import typer

from .. import __version__
from . import datasets, descriptors, explain, models, report, screen, validate  # noqa: F401  (registers the commands)
from ._app import STATE, app, handle_errors


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
    """Explainsse tells which descriptors drive ionic conductivity (run a command below)."""
    STATE["debug"] = debug


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. ``--debug`` is accepted anywhere on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        args = ["--debug", *[a for a in args if a != "--debug"]]
    app(args=args, prog_name="explainsse")


__all__ = ["app", "handle_errors", "main"]
