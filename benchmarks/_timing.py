"""Shared helpers of the speed benchmarks: timed subprocess runs and the bare-import yardstick.

The machine the targets are quoted for (2 cores) is shared, so a wall-clock time alone says
little: every run is reported next to the *bare-import yardstick*, the wall time of a fresh
interpreter that only imports XGBoost, scikit-learn and pandas (the yardstick the speed targets
were set against; 1.3 s on the idle 2-core machine), measured in the same session. The ratio
run / yardstick moves much less with the machine's load than either number. The CPU seconds
(user + system, worker processes included) of each run are printed as well: they measure the
work done, whatever the load.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

#: The yardstick: a fresh interpreter importing XGBoost, scikit-learn and pandas, which every
#: report and explain run imports anyway (the targets of issue 22 were set against it).
BARE_IMPORT = "import xgboost, sklearn, pandas"


@dataclass
class Timing:
    """Wall-clock and CPU seconds (user + system of the process and the children it waited for)."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict | None = None, stdout=subprocess.DEVNULL) -> Timing:
    """Run ``args`` to completion (raising on a non-zero exit) and time it."""
    cpu0, start = _children_cpu(), time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=stdout)
    return Timing(time.perf_counter() - start, _children_cpu() - cpu0)


def explainsse(args: list[str], env: dict | None = None) -> Timing:
    """One ``python -m explainsse ...`` run in a new process, as a user runs it (imports included)."""
    return timed([sys.executable, "-m", "explainsse", *args], env)


def yardstick(repeat: int = 3) -> Timing:
    """Median of ``repeat`` bare-import runs (:data:`BARE_IMPORT`)."""
    runs = [timed([sys.executable, "-c", BARE_IMPORT]) for _ in range(repeat)]
    return Timing(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def median(runs: list[Timing]) -> Timing:
    """Median wall and CPU seconds of several runs of one thing."""
    return Timing(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def table(rows: dict[str, Timing], targets: dict[str, float], yard: Timing) -> str:
    """Markdown table: wall, CPU, ratio to the yardstick, target, met."""
    lines = ["| run | wall (s) | CPU (s) | wall / yardstick | target (s) | |",
             "|---|---:|---:|---:|---:|---|"]
    for name, t in rows.items():
        target = targets.get(name)
        status = "" if target is None else ("met" if t.wall <= target else "NOT met")
        lines.append(f"| {name} | {t.wall:.1f} | {t.cpu:.1f} | {t.wall / yard.wall:.1f} | "
                     f"{'' if target is None else f'{target:g}'} | {status} |")
    lines.append(f"| bare-import yardstick | {yard.wall:.2f} | {yard.cpu:.2f} | 1.0 | | |")
    return "\n".join(lines)


def machine() -> str:
    """Cores and load, for the heading of a table."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return f"{os.cpu_count()} cores, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
