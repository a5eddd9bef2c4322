"""Atomic writes and verified indexes of derived files.

* :func:`atomic_file`: write to a temporary file beside the target, then rename (the one copy).
* :class:`HashIndex`: an index of derived files (feature cache entries, extracted CIFs) with the
  sha256 of each file and the inputs of its key. Every read is verified against it: a file that
  was truncated, corrupted or plausibly edited by hand (a value changed, still a valid Parquet
  file) no longer matches and is recomputed instead of silently used. The index is one JSON
  file per folder, rewritten atomically (temporary file, then rename) under an advisory lock,
  so concurrent runs do not lose each other's entries.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputDataError
from .hashing import sha256_file

INDEX_NAME = "index.json"


def regular_input_file(path: str | os.PathLike, what: str = "input file") -> Path:
    """``path`` as a :class:`~pathlib.Path` when it is a regular file; a clear error otherwise.

    Checked before anything reads or hashes an input, so ``/dev/zero``, a named pipe (FIFO) or a
    socket is refused at once instead of hanging the run.

    Parameters
    ----------
    path : path-like
    what : str
        How the error names the file ("input file", "CIF", ...).

    Raises
    ------
    InputDataError
        When ``path`` is missing, a folder, or not a regular file.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputDataError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise InputDataError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise InputDataError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(mode):
        raise InputDataError(f"{path}: not a regular file (a device, pipe or socket); the {what} must be a file")
    return path


def default_mode(directory: bool = False) -> int:
    """Permission bits a new file (0o666) or folder (0o777) gets under the process umask."""
    mask = None
    try:  # Linux >= 4.7 reports the umask without changing it
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                mask = int(line.split()[1], 8)
    except OSError:
        pass
    if mask is None:
        mask = os.umask(0o022)
        os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` that replaces ``path`` when the block succeeds.

    The one temporary-file-then-rename of the toolkit (tables, cache entries, indexes,
    downloads): a reader never sees a half-written file, an exception leaves ``path`` as it was,
    and the new file gets the umask's permissions (not ``mkstemp``'s 0600).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (:func:`atomic_file`)."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An advisory lock on ``folder/index.lock`` (no-op where fcntl is missing)."""
    try:
        import fcntl  # POSIX only
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(folder / ".index.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class HashIndex:
    """``<folder>/index.json``: file name -> ``{"sha256": ..., "inputs": {...}}``.

    Parameters
    ----------
    folder : path-like
        The folder holding the derived files (created on the first :meth:`record`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "x.txt").write_text("42")
    >>> index = HashIndex(folder)
    >>> index.record("x.txt", inputs={"what": "the answer"})
    >>> index.verify("x.txt")
    'ok'
    >>> _ = (folder / "x.txt").write_text("43")
    >>> index.verify("x.txt")
    'modified'
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    @property
    def path(self) -> Path:
        """The index file."""
        return self.folder / INDEX_NAME

    def entries(self) -> dict:
        """All entries (an unreadable index counts as empty: every file is then unverified)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def record(self, name: str, *, inputs: dict | None = None) -> None:
        """Hash ``folder/name`` and store it (with ``inputs``) in the index."""
        self.record_many({name: inputs or {}})

    def record_many(self, names: dict[str, dict]) -> None:
        """Hash several files and store them in one atomic rewrite of the index."""
        self.folder.mkdir(parents=True, exist_ok=True)
        hashes = {n: sha256_file(self.folder / n) for n in names}
        with _locked(self.folder):
            data = self.entries()
            for name, inputs in names.items():
                data[name] = {"sha256": hashes[name], "inputs": inputs}
            write_text_atomic(self.path, json.dumps(data, indent=0, sort_keys=True, default=str))

    def verify(self, name: str) -> str:
        """``"ok"``, ``"missing"`` (no file), ``"unindexed"`` (no entry) or ``"modified"`` (hash differs)."""
        path = self.folder / name
        if not path.is_file():
            return "missing"
        entry = self.entries().get(name)
        if not isinstance(entry, dict) or "sha256" not in entry:
            return "unindexed"
        return "ok" if sha256_file(path) == entry["sha256"] else "modified"


__all__ = ["HashIndex", "atomic_file", "default_mode", "write_text_atomic"]
