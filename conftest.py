"""Test-wide set-up for tests/ and the doctests in explainsse/.

* ``EXPLAINSSE_DATA_DIR`` defaults to ``../shared/datasets`` beside the repository when unset
  and present (CI sets it explicitly), so integration tests and doctests read the real files.
* Tests that use a real-data fixture are marked ``integration`` automatically (others carry the
  mark themselves), so ``pytest -m "not integration"`` runs offline.
* ``EXPLAINSSE_CACHE_DIR`` is a temporary folder shared by the whole session, so descriptors
  (above all the structures' bond-valence grids) are computed once; a test that checks caching
  itself is marked ``fresh_cache`` and gets its own empty folder. Nothing is written outside
  pytest's temporary folders; hypothesis keeps its example database and caches in a temporary
  folder too (not ``.hypothesis/`` in the checkout).
* Tiers: ``pytest -m "not slow and not integration"`` is the inner loop (offline, about a
  minute); ``slow`` marks tests of more than about a second (process pools, subprocesses, large
  generated inputs); ``integration`` the tests on the real data files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest -n 2 (pytest-xdist): two test processes already fill two cores, and OpenBLAS threads on top of
    # them (numpy/scipy in the tests, notebook kernels, CLI subprocesses) oversubscribe it several-fold.
    # OMP_NUM_THREADS is left alone: tests/test_parallel.py checks that the task pool's workers set it.
    for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, "1")


def pytest_configure(config):
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:  # pragma: no cover - hypothesis is a dev dependency
        pass
    else:
        config._hypothesis_home = tempfile.mkdtemp(prefix="explainsse-hypothesis-")
        set_hypothesis_home_dir(config._hypothesis_home)
    env = os.environ.get("EXPLAINSSE_DATA_DIR")
    if env:  # absolute, so subprocesses with another working folder (notebooks) see the same
        os.environ["EXPLAINSSE_DATA_DIR"] = str(Path(env).expanduser().absolute())
    else:
        candidate = REPO.parent / "shared" / "datasets"
        if candidate.is_dir():
            os.environ["EXPLAINSSE_DATA_DIR"] = str(candidate)


#: Fixtures that read the real dataset files, and doctests that do.
_DATA_FIXTURES = {"shared_data", "obelix", "obelix_X", "xu"}
_DATA_DOCTESTS = {"explainsse.datasets.dataset.load_dataset"}


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs the shared data ``integration`` (``-m "not integration"`` runs offline)."""
    for item in items:
        uses_data = bool(_DATA_FIXTURES & set(getattr(item, "fixturenames", ())))
        if uses_data or item.name in _DATA_DOCTESTS:
            item.add_marker(pytest.mark.integration)


def pytest_unconfigure(config):
    home = getattr(config, "_hypothesis_home", None)
    if home:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory):
    """One cache folder for the session's tests that do not check caching themselves."""
    return tmp_path_factory.mktemp("session-cache")


@pytest.fixture(autouse=True)
def _isolated_cache(request, tmp_path_factory, monkeypatch, _session_cache):
    """``EXPLAINSSE_CACHE_DIR`` for one test: the session's folder, or an empty one (``fresh_cache``)."""
    fresh = request.node.get_closest_marker("fresh_cache") is not None
    cache = tmp_path_factory.mktemp("cache") if fresh else _session_cache
    monkeypatch.setenv("EXPLAINSSE_CACHE_DIR", str(cache))
    yield cache
