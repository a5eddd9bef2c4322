"""Fixtures for the test suite (the cache isolation lives in the root conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


def _shared() -> Path | None:
    env = os.environ.get("EXPLAINSSE_DATA_DIR")
    path = Path(env).resolve() if env else None
    return path if path and (path / "obelix" / "all.csv").is_file() else None


@pytest.fixture
def shared_data() -> Path:
    """The folder with the real dataset files; the test fails loudly if they are absent."""
    path = _shared()
    if path is None:
        pytest.fail("real datasets not found: set EXPLAINSSE_DATA_DIR=../shared/datasets")
    return path


@pytest.fixture(scope="session")
def obelix(tmp_path_factory):
    """OBELiX loaded once per test session (read-only use only), with its own cache folder."""
    from explainsse.datasets import load_dataset

    path = _shared()
    if path is None:
        pytest.fail("real datasets not found: set EXPLAINSSE_DATA_DIR=../shared/datasets")
    return load_dataset("obelix", data_dir=path, download=False,
                        cache_dir=tmp_path_factory.mktemp("obelix-cache"))
