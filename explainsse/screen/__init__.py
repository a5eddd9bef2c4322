"""Screening many candidate compositions: streamed predictions, applicability domain, explained shortlist.

:func:`run_screen` reads candidates chunk by chunk (:func:`file_source`, or the aliovalent doping
grid of :func:`enumeration_source`), runs each chunk on an engine (local processes or Dask),
writes it atomically, and resumes after an interruption; the shortlist is explained with SHAP.
"""

from .run import DEFAULT_CHUNK_ROWS, Source, enumeration_source, file_source, run_screen
from .sources import enumerate_substitutions, parse_range

__all__ = ["DEFAULT_CHUNK_ROWS", "Source", "enumerate_substitutions", "enumeration_source", "file_source",
           "parse_range", "run_screen"]
