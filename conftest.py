"""Test-wide set-up for tests/ and the doctests in explainsse/.

* ``EXPLAINSSE_DATA_DIR`` defaults to ``../shared/datasets`` beside the repository when unset
  and present (CI sets it explicitly), so integration tests and doctests read the real files.
* Every test gets its own empty ``EXPLAINSSE_CACHE_DIR``, so nothing is written outside
  pytest's temporary folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent


def pytest_configure(config):
    env = os.environ.get("EXPLAINSSE_DATA_DIR")
    if env:  # absolute, so subprocesses with another working folder (notebooks) see the same
        os.environ["EXPLAINSSE_DATA_DIR"] = str(Path(env).expanduser().absolute())
    else:
        candidate = REPO.parent / "shared" / "datasets"
        if candidate.is_dir():
            os.environ["EXPLAINSSE_DATA_DIR"] = str(candidate)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("EXPLAINSSE_CACHE_DIR", str(cache))
    yield cache
