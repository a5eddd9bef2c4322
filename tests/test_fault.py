"""Fault tests: killed runs, tampered derived files, a read-only data folder.

* ``kill -9`` of a report mid-run leaves no worker process and no visible partial output; a rerun
  writes the report.
* A truncated and a plausibly edited feature-cache file are both detected and recomputed; so are
  edited extracted CIFs.
* A read-only data folder works and nothing is written into it.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from explainsse.datasets import load_dataset, load_table
from explainsse.featurize import featurize_dataset
from explainsse.io import child_processes, is_running

from .conftest import DATA

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache

LINUX = Path("/proc/self/stat").exists()


def _explainsse(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "explainsse", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.skipif(not LINUX, reason="reads the process table from /proc")
def test_fault_killed_report_leaves_no_worker_and_no_partial_output(shared_data, tmp_path):
    out = tmp_path / "rep"
    proc = _explainsse("report", "--dataset", "obelix", "-o", out, "--families", "pls,xgb", "--quiet",
                       start_new_session=True)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        workers = child_processes(proc.pid)
        if len(workers) >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None and len(workers) >= 2, "the report never started its workers"
    time.sleep(2.0)  # let them compute
    workers = child_processes(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    end = time.monotonic() + 8
    while time.monotonic() < end and any(is_running(w) for w in workers):
        time.sleep(0.2)
    survivors = [w for w in workers if is_running(w)]
    for w in survivors:  # do not leave them behind even when the test fails
        os.kill(w, signal.SIGKILL)
    assert not survivors, f"{len(survivors)} worker processes survived their parent by 8 s"
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []
    # the rerun (a smaller report, same folder) writes it whole, and nothing partial is left
    # crystal-v1 keeps the rerun short (the default full-v1 would compute the 321 CIFs' descriptors first)
    rerun = _explainsse("report", "--dataset", "obelix", "-o", out, "--families", "pls", "--n-scramble", "1",
                        "--preset", "crystal-v1", "--side-schemes", "none", "--quiet")
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert (out / "index.html").is_file() and (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def _cache_file(cache: Path) -> Path:
    files = list((cache / "features").rglob("*.parquet"))
    assert len(files) == 1
    return files[0]


def test_fault_edited_and_truncated_cache_files_are_detected(tmp_path, _isolated_cache):
    ds = load_table(DATA / "bad_rows.csv", formula_col="composition", target_col="sigma_S_cm")
    first = featurize_dataset(ds, "composition-v1").X
    path = _cache_file(_isolated_cache)
    col = "Electrolyte Li atomic fraction"
    # a plausible edit: still a valid Parquet file with the right shape
    table = pd.read_parquet(path)
    table[col] = 0.999
    table.to_parquet(path, index=False)
    with pytest.warns(RuntimeWarning, match="does not match the sha256"):
        again = featurize_dataset(ds, "composition-v1").X
    pd.testing.assert_frame_equal(again, first)
    assert pd.read_parquet(path)[col].tolist() == first[col].tolist()  # replaced by the recomputed table
    # truncated
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(RuntimeWarning, match="feature cache file"):
        third = featurize_dataset(ds, "composition-v1").X
    pd.testing.assert_frame_equal(third, first)
    # and now clean again: a hit, no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        pd.testing.assert_frame_equal(featurize_dataset(ds, "composition-v1").X, first)


def test_fault_edited_extracted_cif_is_extracted_again(shared_data, tmp_path):
    ds = load_dataset("obelix", data_dir=shared_data, cache_dir=tmp_path / "cache", download=False)
    structures = ds.structures()
    key = sorted(structures)[0]
    extracted = next((tmp_path / "cache").rglob(f"{key}.cif"))
    original = extracted.read_text()
    extracted.write_text(original.replace("_cell_length_a", "_cell_length_a 99 #", 1))
    fresh = load_dataset("obelix", data_dir=shared_data, cache_dir=tmp_path / "cache", download=False)
    with pytest.warns(RuntimeWarning, match="extracting .* again"):
        again = fresh.structures()
    assert extracted.read_text() == original
    assert again[key].lattice.abc == pytest.approx(structures[key].lattice.abc)


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def test_fault_read_only_data_folder_works_and_is_not_written(shared_data, tmp_path):
    import shutil

    data = tmp_path / "ro"
    shutil.copytree(shared_data / "obelix", data / "obelix")
    for p in [data, *data.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    before = _snapshot(data)
    try:
        ds = load_dataset("obelix", data_dir=data, cache_dir=tmp_path / "cache", download=False)
        X = featurize_dataset(ds, "crystal-v1").X
        assert X.shape == (599, 188) and len(ds.structures()) == 321
    finally:
        after = _snapshot(data)
        for p in [data, *data.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert after == before
