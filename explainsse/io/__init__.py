"""File utilities in one place: hashing, atomic writes, Parquet, safe tables and output folders.

* :mod:`~explainsse.io.hashing`: :func:`sha256_file`, :func:`sha256_json`.
* :mod:`~explainsse.io.files`: :func:`atomic_file` (temporary file, then rename), :class:`HashIndex`.
* :mod:`~explainsse.io.parquet`: :func:`read_parquet`, :func:`write_parquet` (pyarrow, no pickle).
* :mod:`~explainsse.io.tables`: :func:`write_table` (CSV cells neutralised), :func:`to_jsonable`.
* :mod:`~explainsse.io.outputs`: output folders written atomically and replaced only when safe
  (:func:`check_output_target`, :func:`output_directory`, manifests).
* :mod:`~explainsse.io.processes`: :func:`child_processes`, :func:`is_running` (``/proc``).
"""

from .files import HashIndex, atomic_file, default_mode, regular_input_file, write_text_atomic
from .hashing import sha256_file, sha256_json
from .outputs import (
    OutputFolderError,
    atomic_directory,
    check_output_target,
    output_directory,
    read_manifest,
    write_manifest,
)
from .parquet import read_parquet, write_parquet
from .processes import child_processes, is_running
from .tables import FORMULA_PREFIXES, neutralize_formulas, neutralize_text, to_jsonable, write_table
from .versions import package_versions

__all__ = [
    "FORMULA_PREFIXES",
    "HashIndex",
    "OutputFolderError",
    "atomic_directory",
    "atomic_file",
    "check_output_target",
    "child_processes",
    "is_running",
    "package_versions",
    "default_mode",
    "neutralize_formulas",
    "neutralize_text",
    "output_directory",
    "read_manifest",
    "read_parquet",
    "regular_input_file",
    "sha256_file",
    "sha256_json",
    "to_jsonable",
    "write_manifest",
    "write_parquet",
    "write_table",
    "write_text_atomic",
]
