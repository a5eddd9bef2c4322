"""Exceptions raised by explainsse.

Every error carries a message meant for a person: it names the file, row or dataset and the
reason. The CLI prints the message on one line and exits non-zero.
"""

from __future__ import annotations


class ExplainsseError(Exception):
    """Base class of the toolkit's own errors."""


class DatasetNotFoundError(ExplainsseError, KeyError):
    """A dataset name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataIntegrityError(ExplainsseError):
    """A file whose sha256 differs from the registry (it is never used)."""


class DataUnavailableError(ExplainsseError):
    """A dataset file that is neither on disk nor downloadable now."""


class UnsafeArchiveError(ExplainsseError):
    """An archive member that would escape the target folder, is a link, or is too large."""


class InputDataError(ExplainsseError, ValueError):
    """A user table that cannot be used (missing column, bad row under ``strict=True``)."""


class FeaturizationError(ExplainsseError, ValueError):
    """A composition or crystal row that a descriptor could not be computed for."""


class FormulaError(ExplainsseError, ValueError):
    """A formula that is not a valid chemical composition (unknown element, bad amount, empty)."""
