"""Dataset layer: registry, verified fetching, loaders and normalization.

Public entry points: :func:`load_dataset`, :func:`load_table`, :func:`fetch_dataset`,
:data:`REGISTRY` and the :class:`Dataset` object.
"""

from .conductivity import ParsedConductivity, parse_conductivity
from .dataset import Dataset, from_formulas, load_dataset, load_table
from .fetch import dataset_status, fetch_dataset, fetch_file, sha256_file, verify_file
from .registry import REGISTRY, DatasetSpec, FileSpec, get_spec
from .table import ISSUE_COLUMNS, NORMALIZED_COLUMNS, ColumnMap, normalize_table

__all__ = [
    "REGISTRY",
    "ColumnMap",
    "Dataset",
    "DatasetSpec",
    "FileSpec",
    "ISSUE_COLUMNS",
    "NORMALIZED_COLUMNS",
    "ParsedConductivity",
    "dataset_status",
    "fetch_dataset",
    "fetch_file",
    "from_formulas",
    "get_spec",
    "load_dataset",
    "load_table",
    "normalize_table",
    "parse_conductivity",
    "sha256_file",
    "verify_file",
]
