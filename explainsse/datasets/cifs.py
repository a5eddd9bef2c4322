"""Safe extraction and parsing of CIF archives.

The extractor refuses the whole archive, before writing anything, when a member would escape
the target folder (absolute path, ``..``), is a link or a device, is larger than
:data:`~explainsse._config.MAX_CIF_MEMBER_BYTES`, or when the archive as a whole is too large.
Regular members that are not ``.cif`` files are skipped and listed. Extraction happens in a
temporary folder inside the cache that is renamed into place when complete; the sha256 of every
extracted file is recorded there (``index.json``) and checked before an extraction is reused.

The parser (:func:`parse_cifs`) refuses, file by file and with the reason, what would sink a run
or be read wrong: links and special files (a ``--cifs`` folder must not lead outside itself),
files over the size limit, cells outside the bounds of :mod:`explainsse._config` (edge lengths,
volume per site, number of sites; checked on the CIF text before pymatgen expands the symmetry,
and again on the structure built) and occupancies that are not a number in (0, 1] (pymatgen
silently drops a site with occupancy -0.5, 0, ``.`` or NaN). :func:`structure_problem` is the same
check for a structure built in Python.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import stat
import tarfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from .. import _config
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


#: Keys of a CIF block that list the symmetry operations (those pymatgen reads, in its order).
_SYMOP_KEYS = ("_symmetry_equiv_pos_as_xyz", "_symmetry_equiv_pos_as_xyz_", "_space_group_symop_operation_xyz",
               "_space_group_symop_operation_xyz_")


def _cif_number(text) -> float:
    """A CIF number without its standard uncertainty (``1.23(4)``); NaN for anything else."""
    try:
        return float(re.sub(r"\(.*\)?$", "", str(text).strip()))
    except ValueError:
        return math.nan


def _column(data: dict, key: str) -> list | None:
    value = data.get(key)
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _cell_problem(lengths, angles=None) -> str | None:
    """Why cell edges (angstrom) and angles (degrees) are refused, or None."""
    lo, hi = _config.MIN_CELL_LENGTH_A, _config.MAX_CELL_LENGTH_A
    for name, length in zip("abc", lengths):
        if not (math.isfinite(length) and lo <= length <= hi):
            return (f"cell length {name} = {length:g} A is outside the accepted range {lo:g}-{hi:g} A "
                    f"(MIN_CELL_LENGTH_A, MAX_CELL_LENGTH_A)")
    for name, angle in zip(("alpha", "beta", "gamma"), angles or ()):
        if not (math.isfinite(angle) and 0 < angle < 180):
            return f"cell angle {name} = {angle:g} degrees is not between 0 and 180"
    return None


def _occupancy_problem(value: float, where: str, text: str | None = None) -> str | None:
    """Why an occupancy (``text`` as written, when not a number) is refused, or None."""
    top = _config.MAX_SITE_OCCUPANCY
    if math.isfinite(value) and 0 < value <= top:
        return None
    shown = repr(text) if text is not None and not math.isfinite(value) else f"{value:g}"
    return f"{where} has occupancy {shown}; an occupancy must be a number in (0, 1] (up to {top:g} is read as 1)"


def _block_problem(name: str, data: dict) -> str | None:
    """Why one CIF data block is refused before pymatgen builds its structure, or None.

    Reads only numbers from the text: cell edges and angles, the atom-site rows times the
    symmetry operations (an upper bound of the sites the expansion creates), each row's
    occupancy and fractional coordinates.
    """
    xs = _column(data, "_atom_site_fract_x")
    if xs is None:
        return None  # no atom sites: pymatgen finds no structure in this block
    where = f"data block {name!r}: " if name else ""
    lengths = [_cif_number(data[f"_cell_length_{k}"]) for k in "abc" if f"_cell_length_{k}" in data]
    angles = [_cif_number(data[f"_cell_angle_{k}"]) for k in ("alpha", "beta", "gamma") if f"_cell_angle_{k}" in data]
    problem = _cell_problem(lengths if len(lengths) == 3 else (), angles if len(angles) == 3 else ())
    if problem:
        return where + problem
    n_ops = next((len(ops) for key in _SYMOP_KEYS if (ops := _column(data, key))), 1)
    limit = _config.MAX_CIF_EXPANDED_SITES
    if len(xs) * n_ops > limit:
        return (f"{where}{len(xs)} atom-site rows x {n_ops} symmetry operations = {len(xs) * n_ops} possible "
                f"sites, over the limit of {limit} (MAX_CIF_EXPANDED_SITES)")
    labels = _column(data, "_atom_site_label") or _column(data, "_atom_site_type_symbol") or [""] * len(xs)
    coords = [_column(data, f"_atom_site_fract_{k}") or [] for k in "xyz"]
    occupancies = _column(data, "_atom_site_occupancy")
    for row in range(len(xs)):
        site = f"atom site {labels[row] if row < len(labels) else '?'} (row {row + 1})"
        values = [_cif_number(c[row]) if row < len(c) else math.nan for c in coords]
        if not all(math.isfinite(v) for v in values):
            written = ", ".join(str(c[row]) if row < len(c) else "(missing)" for c in coords)
            return f"{where}{site} has a fractional coordinate that is not a number ({written})"
        text = None if occupancies is None or row >= len(occupancies) else str(occupancies[row]).strip()
        if text is None or text == "?":
            continue  # absent or unknown: pymatgen reads 1, the CIF default
        problem = _occupancy_problem(_cif_number(text), site, text)
        if problem:
            return where + problem
    return None


def structure_problem(structure) -> str | None:
    """Why a structure is refused by the bounds of :mod:`explainsse._config`, or None when it is accepted.

    Checks, before any descriptor is computed: cell edges within ``MIN_CELL_LENGTH_A`` ..
    ``MAX_CELL_LENGTH_A``, at least one and at most ``MAX_STRUCTURE_SITES`` sites, at least
    ``MIN_VOLUME_PER_SITE_A3`` of cell volume per site, finite coordinates, and every site's
    occupancy (each species and their sum) in (0, ``MAX_SITE_OCCUPANCY``]. The bounds are read at
    call time.

    Parameters
    ----------
    structure : pymatgen.core.Structure

    Returns
    -------
    str or None

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> structure_problem(Structure(Lattice.cubic(0.01), ["Li", "Li", "O"], [[0, 0, 0], [.5, .5, .5], [.5, 0, 0]]))
    'cell length a = 0.01 A is outside the accepted range 2-100 A (MIN_CELL_LENGTH_A, MAX_CELL_LENGTH_A)'
    """
    lattice = structure.lattice
    problem = _cell_problem([float(x) for x in lattice.abc], [float(x) for x in lattice.angles])
    if problem:
        return problem
    n_sites = len(structure)
    if n_sites == 0:
        return "no atom site"
    if n_sites > _config.MAX_STRUCTURE_SITES:
        return f"{n_sites} sites in the cell, over the limit of {_config.MAX_STRUCTURE_SITES} (MAX_STRUCTURE_SITES)"
    volume = float(lattice.volume)
    floor = _config.MIN_VOLUME_PER_SITE_A3
    if not (math.isfinite(volume) and volume / n_sites >= floor):
        return (f"{volume / n_sites:.4g} A^3 of cell volume per site (volume {volume:.4g} A^3, {n_sites} sites), "
                f"below the physical floor of {floor:g} A^3 (MIN_VOLUME_PER_SITE_A3)")
    for k, site in enumerate(structure):
        where = f"site {k + 1} ({site.species.formula})"
        if not all(math.isfinite(float(x)) for x in site.frac_coords):
            return f"{where} has a coordinate that is not a number"
        amounts = [float(a) for a in site.species.values()]
        for amount in (*amounts, sum(amounts)):
            problem = _occupancy_problem(amount, where)
            if problem:
                return problem
    return None


class CifRefusedError(ValueError):
    """A CIF file refused before or after parsing; the message names the file and the reason."""


def _file_problem(path: Path) -> str | None:
    """Why a CIF file is refused before it is read (link, special file, size), or None."""
    try:
        info = path.lstat()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return (f"is a symbolic link (to {target}); links are refused in a CIF folder or column, as in CIF "
                f"archives (they can lead outside the folder): copy the file instead")
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (folder, device or fifo)"
    if info.st_size > MAX_CIF_MEMBER_BYTES:
        return f"is {info.st_size} bytes, over the {MAX_CIF_MEMBER_BYTES} byte limit (MAX_CIF_MEMBER_BYTES)"
    return None


def read_cif(path: str | os.PathLike):
    """One CIF file as a pymatgen ``Structure``, checked before and after parsing.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    pymatgen.core.Structure
        The first structure of the file (partial occupancies kept as disordered sites).

    Raises
    ------
    CifRefusedError
        Naming the file and the reason: a link or special file, a file over the size limit, a cell,
        site count or occupancy outside the bounds (:func:`structure_problem`).
    Exception
        Whatever pymatgen raises for a file it cannot read.
    """
    from pymatgen.io.cif import CifParser  # heavy: pymatgen loads only where structures/compositions need it

    path = Path(path)
    problem = _file_problem(path)
    if problem:
        raise CifRefusedError(f"{path.name} {problem}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser = CifParser(path, occupancy_tolerance=_config.MAX_SITE_OCCUPANCY)
        blocks = parser.as_dict()
        for name, data in blocks.items():
            problem = _block_problem(name if len(blocks) > 1 else "", data)
            if problem:
                raise CifRefusedError(f"{path.name}: {problem}")
        parsed = parser.parse_structures(primitive=False)
    if not parsed:
        raise ValueError(f"{path.name}: no structure in file")
    problem = structure_problem(parsed[0])
    if problem:
        raise CifRefusedError(f"{path.name}: {problem}")
    return parsed[0]


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
        ``id, file, reason`` for each file that could not be parsed or is refused (see
        :func:`read_cif`: links, special files, cells, sites and occupancies out of bounds).
    """
    from tqdm.auto import tqdm  # optional display: tqdm loads only when a progress bar is shown

    structures, failures = {}, []
    for key, path in tqdm(files.items(), desc="parsing CIFs", disable=not progress, unit="cif"):
        try:
            structures[key] = read_cif(path)
        except CifRefusedError as exc:
            failures.append((key, str(path), f"refused: {exc}"))
        except Exception as exc:  # pymatgen raises many types for malformed CIFs
            failures.append((key, str(path), f"{type(exc).__name__}: {exc}"))
    return structures, pd.DataFrame(failures, columns=["id", "file", "reason"])
