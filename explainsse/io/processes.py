"""Process helpers read from ``/proc``: live child processes, whether a process runs.

Used to tell a stale output folder of a dead run from a running one, and by tests and
``benchmarks/robustness.py`` to check that a run leaves no worker behind.
"""

from __future__ import annotations

import os
from pathlib import Path


def child_processes(pid: int, *, recursive: bool = True) -> set[int]:
    """Live (not zombie) child processes of ``pid``, read from ``/proc`` (empty where there is none).

    Used to check that a run leaves no worker behind (tests, ``benchmarks/robustness.py``).
    """
    parents: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return set()
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.add(child)
            if recursive:
                todo.append(child)
    return out


def is_running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (``/proc``; elsewhere: whether it exists)."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.is_dir():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = ["child_processes", "is_running"]
