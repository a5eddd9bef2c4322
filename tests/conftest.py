"""Shared fixtures.

Every test gets its own empty cache directory (``EXPLAINSSE_CACHE_DIR``), so nothing is
written outside pytest's temporary folders. Integration tests read the real OBELiX / Xu 2020
files from ``EXPLAINSSE_DATA_DIR`` (CI sets it to ``../shared/datasets``); when the variable
is unset, ``../shared/datasets`` beside the repository is used if it exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def _shared_data_dir() -> Path | None:
    env = os.environ.get("EXPLAINSSE_DATA_DIR")
    if env:
        return Path(env).resolve()
    candidate = REPO.parent / "shared" / "datasets"
    return candidate if candidate.is_dir() else None


SHARED = _shared_data_dir()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("EXPLAINSSE_CACHE_DIR", str(cache))
    if SHARED is not None:
        monkeypatch.setenv("EXPLAINSSE_DATA_DIR", str(SHARED))
    else:
        monkeypatch.delenv("EXPLAINSSE_DATA_DIR", raising=False)
    yield cache


@pytest.fixture
def shared_data() -> Path:
    """The folder with the real dataset files; the test fails loudly if they are absent."""
    if SHARED is None or not (SHARED / "obelix" / "all.csv").is_file():
        pytest.fail("real datasets not found: set EXPLAINSSE_DATA_DIR=../shared/datasets")
    return SHARED


@pytest.fixture(scope="session")
def obelix():
    """OBELiX loaded once per test session (read-only use only)."""
    if SHARED is None:
        pytest.fail("real datasets not found: set EXPLAINSSE_DATA_DIR=../shared/datasets")
    from explainsse.datasets import load_dataset

    return load_dataset("obelix", data_dir=SHARED, download=False)
