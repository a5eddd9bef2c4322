"""Time the OBELiX report: cold (empty cache), warm, and re-rendered from its saved study, in one run.

Run from the repository root (about 3 minutes on 2 cores)::

    EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/report.py

Each report runs as a new ``explainsse`` process, as a user would run it (imports included); the
cache folder of the cold run starts empty. Prints the table quoted in README (targets on a
2-core machine: full report <= 30 s cold, re-render <= 5 s) and where the re-render spends its time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"cold": 30.0, "warm": 30.0, "from-study": 5.0}


def _run(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "explainsse", *args, "-q"], env=env, check=True)
    return time.perf_counter() - start


def _numbers(path: Path) -> dict:
    """A report.json without its time stamp."""
    report = json.loads(path.read_text())
    report.pop("started")
    return report


def _breakdown(study: Path, out: Path) -> dict:
    """Seconds of each part of a re-render, measured in this process."""
    t0 = time.perf_counter()
    import matplotlib

    matplotlib.use("Agg")
    from explainsse.analysis import load_study
    from explainsse.report.render import _svg
    from explainsse.report.view import build_view

    t1 = time.perf_counter()
    s = load_study(study, models=False)
    t2 = time.perf_counter()
    view, figures = build_view(s)
    t3 = time.perf_counter()
    for fig in figures.values():
        _svg(fig)
    t4 = time.perf_counter()
    return {"imports": t1 - t0, "load study (Parquet + JSON)": t2 - t1,
            f"view model + {len(figures)} figures": t3 - t2, "figures to SVG": t4 - t3}


def main() -> None:
    data = os.environ.get("EXPLAINSSE_DATA_DIR")
    if not data:
        sys.exit("set EXPLAINSSE_DATA_DIR=../shared/datasets")
    with tempfile.TemporaryDirectory(prefix="explainsse-bench-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "EXPLAINSSE_CACHE_DIR": str(tmp / "cache")}
        times = {"cold": _run(["report", "--dataset", "obelix", "-o", str(tmp / "cold")], env),
                 "warm": _run(["report", "--dataset", "obelix", "-o", str(tmp / "warm")], env),
                 "from-study": _run(["report", "--from-study", str(tmp / "warm" / "study"),
                                     "-o", str(tmp / "again")], env)}
        same = _numbers(tmp / "warm" / "report.json") == _numbers(tmp / "again" / "report.json")
        parts = _breakdown(tmp / "warm" / "study", tmp / "x")
    print(f"OBELiX report, {os.cpu_count()} cores (wall-clock seconds, one run)")
    print(f"{'run':<12} {'seconds':>8} {'target':>8}")
    for name, seconds in times.items():
        print(f"{name:<12} {seconds:8.1f} {TARGETS[name]:8.0f}  {'met' if seconds <= TARGETS[name] else 'NOT met'}")
    print(f"re-rendered report.json identical to the original (up to 'started'): {same}")
    print("re-render, in-process parts:", "; ".join(f"{k} {v:.1f} s" for k, v in parts.items()))


if __name__ == "__main__":
    main()
