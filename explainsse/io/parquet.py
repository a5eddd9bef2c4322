"""Parquet files read and written through pyarrow's native file system."""

from __future__ import annotations

import os

import pandas as pd


def read_parquet(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Parquet file through pyarrow's native file system.

    ``pandas.read_parquet`` hands pyarrow a Python file object; its background scanner then
    releases that object after interpreter shutdown has begun, which aborted the process
    ("terminate called without an active exception") in about 1 of 3 runs here.
    """
    import pyarrow.parquet as pq  # heavy: pyarrow loads only when a Parquet file is read or written

    return pq.read_table(str(path), use_threads=False).to_pandas()


def write_parquet(table: pd.DataFrame, path: str | os.PathLike, *, index: bool = False) -> None:
    """Write a DataFrame to Parquet through pyarrow's native file system (its index too with ``index``)."""
    import pyarrow as pa  # heavy: pyarrow loads only when a Parquet file is read or written
    import pyarrow.parquet as pq  # heavy: pyarrow loads only when a Parquet file is read or written

    pq.write_table(pa.Table.from_pandas(table, preserve_index=index), str(path))


__all__ = ["read_parquet", "write_parquet"]
