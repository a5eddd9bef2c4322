"""Safe extraction and parsing of CIF archives.

The extractor refuses the whole archive, before writing anything, when a member would escape
the target folder (absolute path, ``..``), is a link or a device, is larger than
:data:`~explainsse._config.MAX_CIF_MEMBER_BYTES`, or when the archive as a whole is too large.
Regular members that are not ``.cif`` files are skipped and listed. Extraction happens in a
temporary folder inside the cache that is renamed into place when complete; the sha256 of every
extracted file is recorded there (``index.json``) and checked before an extraction is reused.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from .._config import MAX_ARCHIVE_BYTES, MAX_ARCHIVE_MEMBERS, MAX_CIF_MEMBER_BYTES
from ..errors import UnsafeArchiveError
from ..io import HashIndex, atomic_directory, sha256_file


@dataclass(frozen=True)
class ExtractedCifs:
    """Result of :func:`extract_cifs`.

    Attributes
    ----------
    folder : pathlib.Path
        Folder holding the extracted ``<stem>.cif`` files (flat).
    files : dict
        CIF stem (the entry id for OBELiX) -> path.
    skipped : list of (str, str)
        Members not extracted, with the reason (e.g. not a ``.cif``).
    """

    folder: Path
    files: dict[str, Path]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _check_member(member: tarfile.TarInfo, archive: Path) -> str | None:
    """Raise for dangerous members; return a skip reason for harmless non-CIF ones."""
    name = member.name
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; nothing extracted")
    if ".." in path.parts or "\\" in name:
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} would escape the target folder; nothing extracted"
        )
    if member.issym() or member.islnk():
        raise UnsafeArchiveError(f"{archive}: member {name!r} is a link; nothing extracted")
    if member.isdir():
        return "folder"
    if not member.isfile():
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} is not a regular file (device/fifo); nothing extracted"
        )
    if member.size > MAX_CIF_MEMBER_BYTES:
        raise UnsafeArchiveError(
            f"{archive}: member {name!r} is {member.size} bytes, over the "
            f"{MAX_CIF_MEMBER_BYTES} byte limit; nothing extracted"
        )
    if path.suffix.lower() != ".cif":
        return "not a .cif file"
    return None


def extract_cifs(archive: str | os.PathLike, cache_root: str | os.PathLike) -> ExtractedCifs:
    """Extract the ``.cif`` members of a tar(.gz) archive safely into the cache.

    The destination is ``<cache_root>/cifs/<first 16 hex of the archive's sha256>/``; a
    complete earlier extraction is reused.

    Parameters
    ----------
    archive : path-like
        ``.tar``, ``.tar.gz`` or ``.tgz`` file.
    cache_root : path-like
        Writable cache folder.

    Returns
    -------
    ExtractedCifs

    Raises
    ------
    UnsafeArchiveError
        For traversal, absolute paths, links, special files, oversized members/archives,
        duplicate CIF names or an archive that cannot be read.
    """
    archive = Path(archive)
    if archive.stat().st_size > MAX_ARCHIVE_BYTES:
        raise UnsafeArchiveError(f"{archive}: archive is larger than {MAX_ARCHIVE_BYTES} bytes")
    digest = sha256_file(archive)
    dest = Path(cache_root) / "cifs" / digest[:16]
    try:
        tar = tarfile.open(archive, mode="r:*")
    except (tarfile.TarError, OSError) as exc:
        raise UnsafeArchiveError(f"{archive}: not a readable tar archive ({exc})") from exc
    with tar:
        members, skipped, total, stems = [], [], 0, {}
        for count, member in enumerate(tar, start=1):
            if count > MAX_ARCHIVE_MEMBERS:
                raise UnsafeArchiveError(f"{archive}: more than {MAX_ARCHIVE_MEMBERS} members")
            reason = _check_member(member, archive)
            if reason:
                if reason != "folder":
                    skipped.append((member.name, reason))
                continue
            total += member.size
            if total > MAX_ARCHIVE_BYTES:
                raise UnsafeArchiveError(
                    f"{archive}: unpacks to more than {MAX_ARCHIVE_BYTES} bytes; nothing extracted"
                )
            stem = PurePosixPath(member.name).stem
            if stem in stems:
                raise UnsafeArchiveError(
                    f"{archive}: two members named {stem}.cif ({stems[stem]!r}, {member.name!r})"
                )
            stems[stem] = member.name
            members.append(member)
        if dest.is_dir():
            index = HashIndex(dest)
            states = {s: index.verify(f"{s}.cif") for s in stems}
            if all(v == "ok" for v in states.values()):
                files = {s: dest / f"{s}.cif" for s in stems}
                return ExtractedCifs(dest, dict(sorted(files.items())), skipped)
            bad = sorted(s for s, v in states.items() if v != "ok")
            warnings.warn(f"{dest}: {len(bad)} extracted CIFs missing or not matching their recorded sha256 "
                          f"(e.g. {bad[0]}.cif); extracting {archive} again", RuntimeWarning, stacklevel=2)
        with atomic_directory(dest) as tmp:
            for member in members:
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - isfile() members always have data
                    raise UnsafeArchiveError(f"{archive}: cannot read member {member.name!r}")
                target = tmp / f"{PurePosixPath(member.name).stem}.cif"
                with source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out, length=1 << 16)
            HashIndex(tmp).record_many({f"{s}.cif": {"archive": archive.name, "archive_sha256": digest,
                                                     "member": name} for s, name in stems.items()})
    files = {s: dest / f"{s}.cif" for s in stems}
    return ExtractedCifs(dest, dict(sorted(files.items())), skipped)


def parse_cifs(files: dict[str, Path], progress: bool = False):
    """Parse CIF files with pymatgen, recording failures instead of stopping.

    Parameters
    ----------
    files : dict
        id -> CIF path.
    progress : bool
        Show a progress bar.

    Returns
    -------
    structures : dict
        id -> :class:`pymatgen.core.Structure` (the first structure of each file; partial
        occupancies are kept as disordered sites).
    failures : pandas.DataFrame
        ``id, file, reason`` for each file that could not be parsed.
    """
    from pymatgen.io.cif import CifParser
    from tqdm.auto import tqdm

    structures, failures = {}, []
    for key, path in tqdm(files.items(), desc="parsing CIFs", disable=not progress, unit="cif"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = CifParser(path).parse_structures(primitive=False)
            if not parsed:
                raise ValueError("no structure in file")
            structures[key] = parsed[0]
        except Exception as exc:  # pymatgen raises many types for malformed CIFs
            failures.append((key, str(path), f"{type(exc).__name__}: {exc}"))
    return structures, pd.DataFrame(failures, columns=["id", "file", "reason"])
