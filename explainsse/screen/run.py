"""`run_screen`: stream candidates through a saved model, chunk by chunk, resumably; then the shortlist.

Layout of the output folder::

    screen-run.json          what is being screened (source, model sha256, chunk size): a rerun of the
                             same command resumes; another command refuses the folder
    parts/part-NNNNNN.parquet  every candidate: row, id, formula, prediction, domain_percentile,
                             in_domain, warnings, error (the reason a row could not be screened)
    done/NNNNNN.json         each finished chunk's summary and the sha256 of its part
    invalid.csv              every row that could not be screened, with its reason
    shortlist.csv/.parquet   the best candidates with their top descriptors (``reasons``)
    shortlist_explained.csv  the same, one row per (candidate, descriptor): value, SHAP, unit, meaning
    report.html, report.md   the screening report
    manifest.json            counts, timing, engine, versions, the model's sha256 (written last)
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._config import DEFAULT_THRESHOLD_S_CM, INTERVAL_LEVEL, get_settings
from ..errors import InputDataError
from ..featurize import get_preset
from ..io import (
    OutputFolderError,
    atomic_file,
    check_output_target,
    package_versions,
    regular_input_file,
    sha256_file,
    write_manifest,
    write_parquet,
    write_table,
)
from ..models.bundled import resolve_model_dir
from ..models.persistence import load_model
from .chunk import HIST_BINS, PART_FORMAT, finished, part_path, screen_chunk
from .engines import make_engine
from .report import doping_series, write_report
from .shortlist import RANKS, explain_shortlist, pick_batch, push_up, read_back
from .sources import count_rows, doping_grid, file_columns, grid_chunks, read_chunks

RUN_FILE = "screen-run.json"
#: Smallest L1 distance of element fractions between two picks of a ``--batch``.
DEFAULT_BATCH_DISTANCE = 0.02
#: Rows per chunk (a work unit, a part file, the unit of resumption).
DEFAULT_CHUNK_ROWS = 20_000
#: Descriptors explained per shortlisted candidate.
DEFAULT_EXPLAIN_TOP = 5
#: The only names a screen writes inside its own sub-folders (temporary ``.*.part`` files too).
_OWN = ("parts", "done", RUN_FILE)
_OWN_INSIDE = {"parts": re.compile(r"part-\d{6}\.parquet|\..*\.part"), "done": re.compile(r"\d{6}\.json|\..*\.part")}


class _FolderLock:
    """An exclusive ``flock`` held while a screen runs in ``folder``; refuses at once when another run holds it.

    The lock file lives in the cache folder (``locks/screen-<sha256 of the folder's path>.lock``),
    never in the output folder: a refused command leaves nothing there, and the lock is held until
    the manifest is written, so a second screen (or a ``--force``) on the same folder cannot run
    beside the first.
    """

    def __init__(self, folder: Path):
        import fcntl  # POSIX only


        digest = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:32]
        self.path = get_settings().cache_dir / "locks" / f"screen-{digest}.lock"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a+")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            raise OutputFolderError(f"{folder}: another screen is running in this folder; wait for it to end "
                                    "(or stop it) before running again") from None

    def release(self) -> None:
        """Drop the lock."""
        self._handle.close()


def _foreign_files(out: Path) -> list[str]:
    """Files in an unfinished screen folder that a screen did not write (``--force`` must keep them)."""
    extra = [p.name for p in out.iterdir() if p.name not in _OWN]
    for folder, pattern in _OWN_INSIDE.items():
        sub = out / folder
        if sub.is_symlink() or (sub.exists() and not sub.is_dir()):
            extra.append(folder)
        elif sub.is_dir():
            extra += [f"{folder}/{p.name}" for p in sub.iterdir()
                      if p.is_symlink() or not p.is_file() or not pattern.fullmatch(p.name)]
    return sorted(extra)


@dataclass
class Source:
    """Candidates to screen: ``chunks`` yields ``(number, frame)``; ``spec`` identifies them for resumption."""

    spec: dict
    chunks: object
    total: int | None


def file_source(path, chunk_size: int) -> Source:
    """Candidates from a CSV or Parquet file, read ``chunk_size`` rows at a time."""
    path = regular_input_file(Path(path).expanduser(), "candidate file")  # before hashing: /dev/zero, a FIFO
    file_columns(path)  # an unreadable file is refused before the output folder is touched
    chunks = read_chunks(path, chunk_size)
    spec = {"kind": "file", "path": str(path.resolve()), "sha256": sha256_file(path)}
    return Source(spec, chunks, count_rows(path))


def enumeration_source(parent: str, substitutions: list[str], grid: str, chunk_size: int) -> Source:
    """Candidates from an aliovalent doping grid of ``parent`` (:func:`.sources.enumerate_substitutions`).

    The grid is counted and checked first (a grid above the cap is refused before anything is
    written) and built one chunk at a time.
    """
    table = doping_grid(parent, list(substitutions), grid)
    spec = {"kind": "enumeration", "parent": parent, "substitute": list(substitutions), "range": grid}
    return Source(spec, grid_chunks(table, chunk_size), len(table))


def _prepare_output(out: Path, run: dict, *, force: bool, inputs) -> bool:
    """Create the output folder, or find the same unfinished run in it. Returns True when resuming."""
    run_file = out / RUN_FILE
    if out.is_dir() and run_file.is_file() and not (out / "manifest.json").is_file():
        previous = json.loads(run_file.read_text(encoding="utf-8"))
        if previous == run:
            for folder in ("parts", "done"):  # temporary files of writes a kill interrupted
                for tmp in (out / folder).glob(".*.part") if (out / folder).is_dir() else ():
                    tmp.unlink()
            return True
        if not force:
            differ = sorted(k for k in set(run) | set(previous) if run.get(k) != previous.get(k))
            raise OutputFolderError(f"{out} holds an unfinished screen of something else (differs in "
                                    f"{', '.join(differ)}); rerun that command to finish it, or --force to "
                                    "start this one over")
        extra = _foreign_files(out)
        if extra:
            raise OutputFolderError(f"--force refused: {out} holds files a screen did not write ({extra[:3]})")
    else:
        check_output_target(out, force=force, inputs=inputs)
    if out.exists():
        for entry in out.iterdir():  # a finished explainsse output (checked above) or an unfinished screen
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    with atomic_file(run_file) as tmp:
        Path(tmp).write_text(json.dumps(run, indent=1), encoding="utf-8")
    return False


def run_screen(source: Source, model_dir, out, *, top: int | None = None, min_sigma: float | None = None,
               explain_top: int = DEFAULT_EXPLAIN_TOP, engine: str = "local", workers: int | None = None,
               scheduler: str | None = None, chunk_size: int = DEFAULT_CHUNK_ROWS, force: bool = False,
               progress: bool = True, in_domain_only: bool = False, rank: str = "mean",
               target_sigma: float | None = None, batch: int | None = None,
               batch_distance: float = DEFAULT_BATCH_DISTANCE) -> dict:
    """Screen every candidate of ``source`` with the model in ``model_dir``; write ``out``.

    Parameters
    ----------
    source : Source
        :func:`file_source` or :func:`enumeration_source`.
    model_dir : path-like or str
        A saved model folder, or a bundled model's name (``default``).
    out : path-like
        Output folder (see the module docstring). Rerunning the same command on an unfinished
        folder resumes it; the finished output equals an uninterrupted run's.
    top : int, optional
        Shortlist the ``top`` best candidates (default 20 when neither ``top`` nor ``min_sigma``).
    min_sigma : float, optional
        Shortlist candidates predicted at or above this conductivity (S/cm; regression models).
    explain_top : int
        Descriptors explained per shortlisted candidate.
    engine : {"local", "dask"}
    workers : int, optional
        Worker processes (default: CPU count).
    scheduler : str, optional
        A running Dask scheduler's address (``--engine dask``).
    chunk_size : int
        Rows per chunk (must stay the same to resume).
    force : bool
        Replace an earlier explainsse output, or an unfinished screen of something else.
    progress : bool
        Show a progress bar (rows/s).
    in_domain_only : bool
        Shortlist only candidates inside the model's applicability domain.
    rank : {"mean", "lower", "ei"}
        Rank by the prediction, the lower bound of its 90% interval, or the expected improvement
        over ``target_sigma`` (:func:`~explainsse.screen.shortlist.rank_score`).
    target_sigma : float, optional
        Target conductivity (S/cm) of ``rank="ei"`` (default the superionic threshold, 1e-4).
    batch : int, optional
        Also pick a diverse batch of this many next experiments (``batch.csv``): down the
        ranking, no two picks within ``batch_distance`` (L1 of element fractions).
    batch_distance : float

    Returns
    -------
    dict
        The manifest.
    """
    from tqdm.auto import tqdm  # optional display: tqdm loads only when a progress bar is shown


    started = time.perf_counter()
    _check_counts(top, explain_top, chunk_size)
    model_path = resolve_model_dir(model_dir)
    model = load_model(model_path)
    _check_model(model, min_sigma)
    if top is None and min_sigma is None:
        top = 20
    model_sha = json.loads((Path(model_path) / "manifest.json").read_text(encoding="utf-8"))["manifest_sha256"]
    out = Path(out)
    _check_rank(model, rank, batch, batch_distance)
    target = math.log10(target_sigma) if target_sigma is not None else math.log10(DEFAULT_THRESHOLD_S_CM)
    run = {"source": source.spec, "model_sha256": model_sha, "preset": model.preset, "chunk_rows": chunk_size,
           "explainsse": package_versions(["explainsse"])["explainsse"], "part_format": PART_FORMAT}
    inputs = [source.spec["path"]] if source.spec["kind"] == "file" else []
    runner = make_engine(engine, workers, scheduler)  # an unreachable scheduler is refused before any write
    lock = None
    try:
        lock = _FolderLock(out)  # a running screen's folder is never touched
        resumed = _prepare_output(out, run, force=force, inputs=inputs)
    except BaseException:
        runner.close(abandon=True)
        if lock is not None:
            lock.release()
        raise
    summaries: dict[int, dict] = {}
    skipped = 0
    limit = 2 * runner.workers  # chunks in flight: bounds the memory whatever the input size
    bar = tqdm(total=source.total, unit="rows", unit_scale=True, desc="screening", disable=not progress,
               smoothing=0.1)
    try:
        pending = set()
        for number, frame in source.chunks:
            summary = finished(out, number) if resumed else None
            if summary is not None:
                summaries[number] = summary
                skipped += 1
                bar.update(summary["rows"])
                continue
            pending.add(runner.submit(screen_chunk, str(model_path), number, frame, str(out)))
            while len(pending) >= limit:
                pending = _collect(runner, pending, summaries, bar)
        while pending:
            pending = _collect(runner, pending, summaries, bar)
        described = runner.describe()
    except BaseException:
        runner.close(abandon=True)
        bar.close()
        lock.release()
        raise
    runner.close()
    bar.close()
    screened_s = time.perf_counter() - started
    rule = {"top": top, "min_sigma_S_cm": min_sigma, "in_domain_only": in_domain_only,
            "explained_descriptors": explain_top, "rank": rank,
            "target_log10_S_cm": target if rank == "ei" else None, "batch": batch, "batch_distance": batch_distance}
    try:  # the lock is held until the manifest is written
        return _finish(out, model, str(model_dir), run, summaries, rule, engine=described, resumed_chunks=skipped,
                       screened_s=screened_s, started=started)
    finally:
        lock.release()


def _collect(runner, pending, summaries, bar):
    done, pending = runner.wait(pending)
    for future in done:
        summary = future.result()
        summaries[summary["number"]] = summary
        bar.update(summary["rows"])
    return set(pending)


def _check_model(model, min_sigma) -> None:
    spec = get_preset(model.preset)
    needs = [c for c in spec.requires if c != "formula"]
    if needs:
        raise InputDataError(f"model preset {model.preset!r} needs {needs} besides the formula; a screen reads "
                             "formulas only (use a model trained on composition-v1 or nasicon-v1)")
    if min_sigma is not None and model.task != "regression":
        raise InputDataError("--min-sigma needs a regression model (log10 sigma); this model is a classifier: "
                             "use --top")
    if min_sigma is not None and not (min_sigma > 0):
        raise InputDataError(f"--min-sigma must be a conductivity > 0 in S/cm, got {min_sigma}")


def _check_rank(model, rank: str, batch: int | None, batch_distance: float) -> None:
    """Refuse a ranking the model cannot support, and a batch that makes no sense, before any write."""
    if rank not in RANKS:
        raise InputDataError(f"--rank must be one of {', '.join(RANKS)}, got {rank!r}")
    if rank != "mean" and model.calibration is None:
        raise InputDataError(f"--rank {rank} needs a calibrated model (intervals); this model was saved without "
                             "calibration: retrain it with `explainsse train`, or use --rank mean")
    if rank == "ei" and model.task != "regression":
        raise InputDataError("--rank ei needs a regression model (expected improvement in log10 sigma)")
    if batch is not None and batch < 1:
        raise InputDataError(f"--batch must be at least 1, got {batch}")
    if not batch_distance >= 0:
        raise InputDataError(f"--batch-distance must be >= 0, got {batch_distance}")


def _check_counts(top: int | None, explain_top: int, chunk_size: int) -> None:
    """Refuse counts that make no sense before anything is written (``--top 0``, ``--explain-top -3``)."""
    if top is not None and top < 1:
        raise InputDataError(f"--top must be at least 1, got {top}")
    if explain_top < 1:
        raise InputDataError(f"--explain-top must be at least 1, got {explain_top}")
    if chunk_size < 1:
        raise InputDataError(f"--chunk-rows must be at least 1, got {chunk_size}")


def _finish(out: Path, model, model_name: str, run, summaries, rule: dict, *, engine, resumed_chunks, screened_s,
            started) -> dict:
    """Invalid rows, the explained shortlist, the report and the manifest (from the part files)."""
    numbers = sorted(summaries)
    parts = [part_path(out, n) for n in numbers]
    t0 = time.perf_counter()
    floor = math.log10(rule["min_sigma_S_cm"]) if rule["min_sigma_S_cm"] is not None else None
    short, invalid = read_back(parts, top=None if rule["batch"] else rule["top"], floor=floor,
                               in_domain_only=rule["in_domain_only"], rank=rule["rank"],
                               target=rule["target_log10_S_cm"])
    batch = pick_batch(short, rule["batch"], rule["batch_distance"]) if rule["batch"] else None
    short = short.head(rule["top"]) if rule["top"] is not None else short
    reference = run["source"].get("parent")  # a doping grid: what changed from the parent
    short, long, info = explain_shortlist(model, short, rule["explained_descriptors"], reference=reference)
    explain_s = time.perf_counter() - t0
    ups = push_up(long)
    totals = {k: int(sum(s[k] for s in summaries.values())) for k in ("rows", "screened", "invalid", "outside")}
    histogram = np.sum([s["histogram"] for s in summaries.values()], axis=0).tolist() if summaries else []
    write_table(invalid, out / "invalid.csv")
    write_table(short, out / "shortlist.csv")
    with atomic_file(out / "shortlist.parquet") as tmp:
        write_parquet(short, tmp)
    write_table(long, out / "shortlist_explained.csv")
    if batch is not None:
        write_table(batch, out / "batch.csv")
    total_s = time.perf_counter() - started
    payload = {
        "command": "screen", "source": run["source"], "model": {"path": model_name, "family": model.family,
                                                               "task": model.task, "preset": model.preset,
                                                               "sha256": run["model_sha256"]},
        "batch": None if batch is None else batch[["batch", "id", "formula", "prediction", "lower", "upper",
                                                   "score"]].to_dict("records"),
        "interval_level": INTERVAL_LEVEL,
        "counts": {**totals, "invalid_listed_in": "invalid.csv", "shortlisted": int(len(short)), "chunks": len(numbers),
                   "chunks_resumed": int(resumed_chunks)},
        "shortlist": {**rule,
                      "shap_method": info["method"], "shap_units": info["units"],
                      "additivity_max_error": info["additivity_max_error"]},
        "histogram": {"edges": HIST_BINS[model.task].tolist(), "counts": histogram},
        "timing_s": {"screen": round(screened_s, 3), "shortlist_explained": round(explain_s, 3),
                     "total": round(total_s, 3),
                     "rows_per_s": round(totals["rows"] / screened_s, 1) if screened_s > 0 else None},
        "engine": engine, "chunk_rows": run["chunk_rows"],
        "versions": package_versions(("explainsse", "numpy", "pandas", "scikit-learn", "xgboost", "matminer",
                                      "pymatgen", "dask", "distributed")),
    }
    curves, parent = doping_series(parts) if run["source"]["kind"] == "enumeration" else (None, None)
    write_report(out, payload, short, long, ups, curves, parent)
    return write_manifest(out, payload, kind="screen")


__all__ = ["DEFAULT_CHUNK_ROWS", "RUN_FILE", "Source", "enumeration_source", "file_source", "run_screen"]
