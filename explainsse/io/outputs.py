"""Output folders (reports, models, validations): written atomically, replaced only when safe.

Every folder the toolkit writes for a user ends with a ``manifest.json`` that lists each file
written and its sha256 (key ``explainsse_output``: ``{"kind", "files", "sha256"}``) and carries
the sha256 of its own content (``manifest_sha256``); :func:`verify_manifest` checks a folder
against it, file by file (content, no links, nothing unlisted). ``--force`` (``force=True``)
replaces an existing folder **only** when that manifest is intact and the folder holds nothing
else, so it can never delete a user's files. The file-system root, the home folder, the current
folder (or a folder containing it), the data and cache folders and any folder holding an input
file are refused outright.

Writing happens in a hidden temporary folder beside the target (``.NAME.explainsse-partial-PID-*``)
that is renamed into place when complete; such folders left by a killed run are removed by
the next run that writes beside them.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .._config import get_settings
from ..errors import ExplainsseError
from .files import default_mode
from .hashing import sha256_file, sha256_json
from .processes import is_running
from .tables import to_jsonable

MANIFEST = "manifest.json"
OUTPUT_KEY = "explainsse_output"
DIGEST_KEY = "manifest_sha256"
#: Key (inside ``explainsse_output``) of the per-file sha256 map.
FILE_DIGESTS_KEY = "sha256"
_PARTIAL = "explainsse-partial"
_OLD = "explainsse-old"


class OutputFolderError(ExplainsseError):
    """An output folder that cannot be written or replaced safely."""


def _files_under(folder: Path) -> list[str]:
    """Relative POSIX paths of every non-folder entry under ``folder`` (links included)."""
    out = []
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if (Path(root) / d).is_symlink()]:
            out.append((Path(root) / name).relative_to(folder).as_posix())
    return sorted(out)


def _is_regular(path: Path) -> bool:
    """True for a regular file that is not a symbolic link."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _plain_relative(name) -> bool:
    """True for a relative POSIX path without ``..``, ``.`` or empty parts (``evaluations/x.parquet``)."""
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name or name.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _entries(folder: Path) -> Iterator[tuple[str, str]]:
    """``(relative path, kind)`` of every entry under ``folder``, links never followed.

    ``kind`` is ``"file"``, ``"dir"``, ``"link"`` or ``"other"`` (FIFO, socket, device).
    """
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(root) / name
            mode = os.lstat(path).st_mode
            kind = ("link" if stat.S_ISLNK(mode) else "dir" if stat.S_ISDIR(mode)
                    else "file" if stat.S_ISREG(mode) else "other")
            yield path.relative_to(folder).as_posix(), kind


def write_manifest(folder: str | os.PathLike, payload: dict, *, kind: str) -> dict:
    """Write ``folder/manifest.json``: ``payload`` + the files in ``folder`` with their sha256 + a content digest.

    Call it last, when every other file of the output is written. Each regular file gets its
    sha256 (``explainsse_output.sha256``); a symbolic link is listed without one, so
    :func:`verify_manifest` refuses the folder.

    Parameters
    ----------
    folder : path-like
    payload : dict
        What the output is (command, versions, seed, ...).
    kind : str
        ``report``, ``model``, ``study``, ...

    Returns
    -------
    dict
        The manifest as written.
    """
    folder = Path(folder)
    files = sorted(set(_files_under(folder)) | {MANIFEST})
    digests = {name: sha256_file(folder / name) for name in files
               if name != MANIFEST and _is_regular(folder / name)}
    listing = {"kind": kind, "files": files, FILE_DIGESTS_KEY: digests}
    body = json.loads(json.dumps(to_jsonable({**payload, OUTPUT_KEY: listing}), default=str))
    body.pop(DIGEST_KEY, None)
    body[DIGEST_KEY] = sha256_json(body)
    (folder / MANIFEST).write_text(json.dumps(body, indent=1), encoding="utf-8")
    return body


def read_manifest(folder: str | os.PathLike) -> dict:
    """Read and verify ``folder/manifest.json`` (its content digest must match).

    Raises
    ------
    OutputFolderError
        Missing, unreadable, or modified since it was written.
    """
    path = Path(folder) / MANIFEST
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise OutputFolderError(f"{folder}: no {MANIFEST}") from exc
    except (OSError, ValueError) as exc:
        raise OutputFolderError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(body, dict) or DIGEST_KEY not in body:
        raise OutputFolderError(f"{path}: no content digest ({DIGEST_KEY}); not written by this explainsse "
                                "version, or edited")
    expected = body.pop(DIGEST_KEY)
    if sha256_json(body) != expected:
        raise OutputFolderError(f"{path}: content does not match its {DIGEST_KEY}; the manifest was edited")
    body[DIGEST_KEY] = expected
    return body


def verify_manifest(folder: str | os.PathLike) -> dict:
    """Check ``folder`` against its manifest, file by file; return the manifest.

    The manifest's own digest must match (:func:`read_manifest`), every file it lists must be
    present with the recorded sha256, and the folder may hold nothing else: no unlisted file,
    no symbolic link (to a file or a folder) and no special file anywhere under it.

    Parameters
    ----------
    folder : path-like

    Returns
    -------
    dict
        The verified manifest.

    Raises
    ------
    OutputFolderError
        Naming the first offending file and the reason.
    """
    folder = Path(folder)
    found = {}
    for name, kind in _entries(folder):
        if kind == "link":
            raise OutputFolderError(f"{folder / name}: is a symbolic link; an explainsse output holds none")
        if kind == "other":
            raise OutputFolderError(f"{folder / name}: is not a regular file")
        found[name] = kind
    manifest = read_manifest(folder)
    listing = manifest.get(OUTPUT_KEY) or {}
    digests = listing.get(FILE_DIGESTS_KEY)
    if not isinstance(digests, dict):
        raise OutputFolderError(f"{folder / MANIFEST}: lists no sha256 per file (written by an older explainsse)")
    listed = listing.get("files") or []
    bad = [n for n in [*listed, *digests] if not _plain_relative(n)]
    if bad or set(listed) != set(digests) | {MANIFEST}:
        raise OutputFolderError(f"{folder / MANIFEST}: its file list is inconsistent "
                                f"({bad[0] if bad else 'files and sha256 differ'})")
    files = {name for name, kind in found.items() if kind == "file"}
    unlisted = sorted(files - set(listed))
    if unlisted:
        raise OutputFolderError(f"{folder / unlisted[0]}: not listed in {MANIFEST}"
                                + (f" (and {len(unlisted) - 1} more)" if len(unlisted) > 1 else ""))
    for name in sorted(digests):
        if name not in files:
            raise OutputFolderError(f"{folder / name}: listed in {MANIFEST} but missing")
        if sha256_file(folder / name) != digests[name]:
            raise OutputFolderError(f"{folder / name}: sha256 does not match {MANIFEST}; the file was modified "
                                    "after it was written")
    return manifest


def _refusal(resolved: Path, inputs: Iterable) -> str | None:
    """Why ``resolved`` may never be an output folder, or None."""
    if resolved == Path(resolved.anchor):
        return "is the file-system root"
    if resolved == Path.home().resolve():
        return "is your home folder"
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        return "is the current folder or contains it; name a new folder such as -o ./report"
    for item in inputs:
        if item is None:
            continue
        path = Path(item).expanduser().resolve()
        if resolved == path or resolved in path.parents:
            return f"holds the input {item}"
    return None


def check_output_target(target: str | os.PathLike, *, force: bool = False, inputs: Iterable = ()) -> Path:
    """Refuse an output folder that must not be written or replaced; return it unchanged.

    Parameters
    ----------
    target : path-like
        The folder to write.
    force : bool
        Allow replacing a non-empty folder, which must be an earlier, unmodified explainsse
        output holding only the files its manifest lists.
    inputs : iterable of path-like
        Input files and folders of the run: a target that is or contains one is refused. The
        data and cache folders of the settings are always protected.

    Raises
    ------
    OutputFolderError
        With a one-line reason.
    """
    target = Path(target)
    if target.is_symlink():
        raise OutputFolderError(f"{target}: is a symbolic link; give the folder itself")
    resolved = target.expanduser().resolve()
    settings = get_settings()
    why = _refusal(resolved, [*inputs, settings.data_dir, settings.cache_dir])
    if why:
        raise OutputFolderError(f"refusing to write the output folder {target}: it {why}")
    if resolved.exists() and not resolved.is_dir():
        raise OutputFolderError(f"{target} exists and is not a folder")
    if resolved.is_dir() and any(resolved.iterdir()):
        if not force:
            raise OutputFolderError(f"{target} exists and is not empty (--force replaces an earlier "
                                    "explainsse output folder, nothing else)")
        try:
            manifest = read_manifest(resolved)
        except OutputFolderError as exc:
            raise OutputFolderError(f"--force refused: {target} is not an intact explainsse output folder "
                                    f"({exc})") from None
        listed = set((manifest.get(OUTPUT_KEY) or {}).get("files") or ())
        if not listed:
            raise OutputFolderError(f"--force refused: {target}/{MANIFEST} does not list the files it wrote")
        extra = sorted(set(_files_under(resolved)) - listed)
        if extra:
            shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
            raise OutputFolderError(f"--force refused: {target} holds files explainsse did not write "
                                    f"({shown}); move them away or choose another folder")
    return target


def remove_stale_partials(target: str | os.PathLike) -> list[Path]:
    """Remove temporary folders beside ``target`` left by runs that were killed (their PID is gone)."""
    target = Path(target)
    removed = []
    if not target.parent.is_dir():
        return removed
    for tag in (_PARTIAL, _OLD):
        for path in target.parent.glob(f".{target.name}.{tag}-*"):
            try:
                pid = int(path.name[len(f".{target.name}.{tag}-"):].split("-")[0])
            except ValueError:
                continue
            if pid != os.getpid() and not is_running(pid) and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


@contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``target`` that replaces ``target`` when the block succeeds.

    On an exception the temporary folder is removed and ``target`` is left as it was, so a
    reader never sees a half-written directory. The folder gets the permissions of the umask
    (not ``mkdtemp``'s 0700). This is the low-level step: it replaces ``target`` without
    asking; user-facing outputs go through :func:`output_directory`.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{_PARTIAL}-{os.getpid()}-", dir=target.parent))
    os.chmod(tmp, default_mode(directory=True))
    old = None
    try:
        yield tmp
        if target.exists() or target.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.{_OLD}-{os.getpid()}-", dir=target.parent))
            os.replace(target, old / "previous")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def output_directory(target: str | os.PathLike, *, force: bool = False, inputs: Iterable = ()) -> Iterator[Path]:
    """:func:`check_output_target`, then :func:`atomic_directory`; the block must call :func:`write_manifest`.

    Parameters
    ----------
    target : path-like
        The output folder.
    force : bool
        Replace an earlier, intact explainsse output holding nothing else.
    inputs : iterable of path-like
        Input files (a folder holding one is never replaced).

    Raises
    ------
    OutputFolderError
        When the target is refused, or the block wrote files its manifest does not list.
    """
    check_output_target(target, force=force, inputs=inputs)
    with atomic_directory(target) as tmp:
        yield tmp
        listed = set((read_manifest(tmp).get(OUTPUT_KEY) or {}).get("files") or ())
        unlisted = sorted(set(_files_under(tmp)) - listed)
        if unlisted:  # a programming error: the manifest must be written last
            raise OutputFolderError(f"internal error: {target} would hold files its manifest does not list: "
                                    f"{unlisted}")


__all__ = ["FILE_DIGESTS_KEY", "MANIFEST", "OUTPUT_KEY", "OutputFolderError", "atomic_directory",
           "check_output_target", "output_directory", "read_manifest", "remove_stale_partials",
           "verify_manifest", "write_manifest"]
