"""Option types shared by the commands, and the one input-options bundle (:func:`with_inputs`).

Commands that read ``--dataset NAME`` or ``--input FILE.csv`` declare an ``inputs: InputSpec``
parameter and the :func:`with_inputs` decorator; the column options are added to the command
once, here, and parsed into a :class:`~explainsse.datasets.table.ColumnMap`.
"""

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from .._config import DEFAULT_FAMILIES, DEFAULT_THRESHOLD_S_CM, DEFAULT_WORKERS
from ..datasets import load_dataset, load_table
from ..datasets.table import ColumnMap
from ..errors import InputDataError
from ._app import echo_err, split_list


def _plain_flags_in_help() -> None:
    """Show boolean flags in ``--help`` as plain flags (``--quiet``, not ``--quiet <bool>``).

    typer 0.29 prints the value type ``<bool>`` next to every flag in its rich help panels, even its
    own ``--help``, as if the flag took a value (typer 0.27 and typer's plain help print none). This
    hides the type of flags only, for every command at once; parsing is unchanged. Idempotent.
    """
    try:
        from typer.core import TyperOption  # CLI only
    except ImportError:  # pragma: no cover - another typer layout: leave its help alone
        return
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "_explainsse_plain_flags", False):
        return

    @functools.wraps(shown)
    def display_type_rich(self, ctx):
        if getattr(self, "is_flag", False) and not getattr(self, "count", False):
            return None
        return shown(self, ctx)

    display_type_rich._explainsse_plain_flags = True
    TyperOption.display_type_rich = display_type_rich


_plain_flags_in_help()

DatasetNameArg = Annotated[str, typer.Argument(help="Dataset name, e.g. obelix.")]
DataDirOpt = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="Folder holding <dataset>/<file> (default: EXPLAINSSE_DATA_DIR, else the platform cache).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or notes.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
OutputDirOpt = Annotated[Path, typer.Option("-o", "--output", help="Folder to write.")]
FORCE_HELP = ("Replace the output folder if it is an earlier, unmodified explainsse output holding nothing "
              "else (never another folder).")
ForceOpt = Annotated[bool, typer.Option("--force", help=FORCE_HELP)]
FamilyOpt = Annotated[str, typer.Option("--family", help="A registered model family: logreg, pls or xgb.")]
FamiliesOpt = Annotated[str, typer.Option("--families", help="Comma-separated families.")]
TaskOpt = Annotated[str, typer.Option("--task", help="regression (log10 sigma) or classification (superionic).")]
ThresholdOpt = Annotated[float, typer.Option("--threshold", help="Superionic threshold in S/cm (classification).")]
PresetOpt = Annotated[Optional[str], typer.Option(
    "--preset", help="Descriptor preset (default: the richest the data supports: crystal-v1 with lattice "
    "columns, else composition-v1).")]
NJobsOpt = Annotated[int, typer.Option("--n-jobs", help="Worker processes (threads for a single XGBoost fit).")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Random state (default: EXPLAINSSE_RANDOM_STATE, 0).")]
CensoringOpt = Annotated[str, typer.Option(
    "--censoring", help="floor (upper bounds at the documented floor) or aft (censoring-aware XGBoost "
    "regression that trains on the bound itself).")]

#: Defaults of the commands, from :mod:`explainsse._config` (the one place for defaults).
FAMILIES_DEFAULT = ",".join(DEFAULT_FAMILIES)
THRESHOLD_DEFAULT = DEFAULT_THRESHOLD_S_CM
WORKERS_DEFAULT = DEFAULT_WORKERS


@dataclass(frozen=True)
class InputSpec:
    """What a command reads: a registered dataset, or a CSV with its column map.

    Attributes
    ----------
    dataset : str or None
    path : pathlib.Path or None
    columns : ColumnMap or None
        Column options of ``--input`` (columns are guessed where not named).
    data_dir, cifs : pathlib.Path or None
    strict, quiet : bool
    """

    dataset: str | None
    path: Path | None
    columns: object = None
    data_dir: Path | None = None
    cifs: Path | None = None
    strict: bool = False
    quiet: bool = False
    cif_col: str | None = None

    def protected(self) -> list:
        """Input files and folders an output folder must never replace."""
        return [p for p in (self.path, self.cifs, self.data_dir) if p is not None]

    def load(self):
        """Load the dataset or CSV; notes from reading (delimiter, CIFs found) go to stderr."""
        if (self.dataset is None) == (self.path is None):
            raise InputDataError("give exactly one of --dataset NAME or --input FILE.csv")
        if self.dataset is not None:
            if self.cifs is not None or self.cif_col is not None:
                raise InputDataError("--cifs / --cif-col go with --input FILE.csv; a registered dataset brings its "
                                     "own CIFs")
            ds = load_dataset(self.dataset, data_dir=self.data_dir, strict=self.strict)
        else:
            c = self.columns
            ds = load_table(self.path, formula_col=c.formula_col, target_col=c.target_col,
                            target_kind=c.target_kind, id_col=c.id_col, family_col=c.family_col,
                            descriptor_cols=c.descriptor_cols, space_group_col=c.space_group_col,
                            lattice_cols=c.lattice_cols, z_col=c.z_col, formula_basis=c.formula_basis,
                            strict=self.strict, cif_dir=self.cifs, cif_col=self.cif_col, find_columns=True)
        if not self.quiet:
            for note in ds.notes:
                echo_err(f"note: {note}")
        return ds

    def for_file(self, path: Path) -> "InputSpec":
        """The same options for another CSV (e.g. a ``--test`` file)."""
        return InputSpec(None, path, self.columns, self.data_dir, None, self.strict, self.quiet)


def _option(name: str, annotation, default) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def _input_parameters(target: bool, cifs: bool) -> list[inspect.Parameter]:
    params = [
        _option("dataset", Annotated[Optional[str], typer.Option("--dataset", help="Registered dataset, e.g. obelix.")], None),
        _option("input_path", Annotated[Optional[Path], typer.Option("--input", help="A CSV of your own.")], None),
        _option("formula_col", Annotated[str, typer.Option("--formula-col", help="Formula column of --input.")], "formula"),
    ]
    if target:
        params += [
            _option("target_col", Annotated[Optional[str], typer.Option(
                "--target-col", help="Conductivity column of --input (default: found by name, e.g. sigma or sigma_S_cm; "
                "none for unmeasured candidates).")], None),
            _option("target_kind", Annotated[str, typer.Option(
                "--target-kind", help="sigma (S/cm, numbers or '<x' bounds) or log10 (log10 S/cm).")], "sigma"),
        ]
    params += [
        _option("id_col", Annotated[Optional[str], typer.Option(
            "--id-col", help="Unique id column of --input (default: id, material_id or name if present, "
            "else row0, row1, ...).")], None),
        _option("family_col", Annotated[Optional[str], typer.Option(
            "--family-col", help="Structural family column (default: a column named family, if present).")], None),
        _option("descriptor_cols", Annotated[Optional[str], typer.Option(
            "--descriptor-cols", help="Comma-separated own descriptor columns, passed through untouched.")], None),
        _option("space_group_col", Annotated[Optional[str], typer.Option(
            "--space-group-col", help="Space-group number column.")], None),
        _option("lattice_cols", Annotated[Optional[str], typer.Option(
            "--lattice-cols", help="Six comma-separated columns: a,b,c,alpha,beta,gamma (auto-detected when named so).")],
            None),
        _option("z_col", Annotated[Optional[str], typer.Option("--z-col", help="Formula units per cell column.")], None),
        _option("formula_basis", Annotated[str, typer.Option(
            "--formula-basis", help="formula_unit (cell holds Z formulas) or cell (formula is the cell content).")],
            "formula_unit"),
        _option("data_dir", DataDirOpt, None),
        _option("strict", Annotated[bool, typer.Option("--strict", help="Fail on the first bad row instead of listing it.")],
                False),
    ]
    if cifs:
        params.append(_option("cifs", Annotated[Optional[Path], typer.Option(
            "--cifs", help="Folder or tar archive of <id>.cif files for --input.")], None))
        params.append(_option("cif_col", Annotated[Optional[str], typer.Option(
            "--cif-col", help="Column of --input holding each row's CIF file (path relative to the CSV; default: "
            "found by name, e.g. cif or structure, when its values name .cif files).")], None))
    return params


def with_inputs(*, target: bool = True, cifs: bool = False):
    """Add the input options to a command that takes ``inputs: InputSpec`` (and ``quiet``).

    Parameters
    ----------
    target : bool
        Offer ``--target-col`` / ``--target-kind`` (commands that need measurements).
    cifs : bool
        Offer ``--cifs``.
    """
    def decorate(fn):
        added = _input_parameters(target, cifs)
        names = [p.name for p in added]
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in inspect.signature(fn).parameters.values()
               if p.name != "inputs"]

        @functools.wraps(fn)
        def wrapper(**kwargs):
            v = {n: kwargs.pop(n) for n in names}
            lattice = split_list(v["lattice_cols"])
            columns = ColumnMap(formula_col=v["formula_col"], target_col=v.get("target_col"),
                                target_kind=v.get("target_kind", "sigma"), id_col=v["id_col"],
                                family_col=v["family_col"], space_group_col=v["space_group_col"],
                                lattice_cols=tuple(lattice) or None, z_col=v["z_col"],
                                descriptor_cols=tuple(split_list(v["descriptor_cols"])),
                                formula_basis=v["formula_basis"])
            kwargs["inputs"] = InputSpec(v["dataset"], v["input_path"], columns, v["data_dir"], v.get("cifs"),
                                         v["strict"], kwargs.get("quiet", False), v.get("cif_col"))
            return fn(**kwargs)

        wrapper.__signature__ = inspect.Signature(own + added)
        return wrapper

    return decorate
