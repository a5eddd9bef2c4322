"""Screening benchmark (issue 14): vectorized featurization, 1M candidates, explained shortlist, Dask.

Run from the repository root (about 8 minutes on the 2-core machine)::

    EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/screen.py [--rows 1000000] [--out DIR]

0. Golden check: both backends on 20,000 random formulas (1-6 elements, 0-3 decimals), every
   value equal to 1e-9 with the same missing values (asserted).
1. ``composition-v1`` on 20,000 distinct compositions (OBELiX formulas, every amount scaled by a
   random 0.9-1.1 factor), from formula strings (parsing included), with the vectorized backend and
   with matminer's featurizers (``backend="matminer"``), in one run: ms per composition, the
   ratio, and the largest difference over all 20,000 x 169 values (golden check, 1e-9).
2. ``explainsse screen --input million.parquet --top 10000`` (engine local, 2 workers) on
   ``--rows`` such candidates: time to featurize + predict + domain-check, the time to explain
   the 10,000 shortlisted candidates, and the peak memory of the whole process tree (sampled
   every 0.1 s with psutil).
3. The issue's acceptance command ``--engine dask --top 1000`` on the same file with a
   LocalCluster of 2 workers, and of 1 worker: throughput of each, and whether their part files
   equal the local engine's bit for bit.

Writes ``benchmark.json`` in ``--out`` (default: a temporary folder) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def distinct_formulas(n: int, seed: int = 0) -> list[str]:
    """OBELiX formulas with every amount scaled by a random 0.9-1.1 factor (4 significant digits)."""
    from explainsse.datasets import load_dataset

    base = [c.get_el_amt_dict() for c in load_dataset("obelix").frame["composition"]]
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(base), n)
    return ["".join(f"{el}{a * s:.4g}" for (el, a), s in zip(base[p].items(), rng.uniform(0.9, 1.1, len(base[p]))))
            for p in pick]


def golden_random(n: int = 20_000) -> dict:
    """Both backends on ``n`` random formulas (tests/featurize/test_vectorized.py's generator): equal to 1e-9?"""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.featurize.test_vectorized import check_backends_agree, random_formulas

    warnings.simplefilter("ignore")
    t = time.perf_counter()
    values = check_backends_agree(random_formulas(n, seed=7))  # asserts 1e-9 and the same missing values
    return {"formulas": n, "values_equal_to_1e-9": values, "seconds": time.perf_counter() - t}


def featurization(n: int = 20_000) -> dict:
    from explainsse.featurize import DescriptorFeaturizer
    from explainsse.featurize.vectorized import element_table

    warnings.simplefilter("ignore")
    formulas = distinct_formulas(n, seed=1)
    element_table()  # matminer's Magpie table is read once per process, by both paths
    DescriptorFeaturizer(cache=False, backend="matminer").fit_transform(["Li2O"])  # build matminer's featurizers
    t = time.perf_counter()
    ours = DescriptorFeaturizer(cache=False).fit_transform(formulas).to_numpy(float)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    ref = DescriptorFeaturizer(cache=False, backend="matminer", n_jobs=1).fit_transform(formulas).to_numpy(float)
    t_ref = time.perf_counter() - t
    same_nan = bool((np.isnan(ours) == np.isnan(ref)).all())
    diff = float(np.nanmax(np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))))
    return {"compositions": len(set(formulas)), "vectorized_ms": 1e3 * t_ours / n, "matminer_ms": 1e3 * t_ref / n,
            "speedup": t_ref / t_ours, "max_difference": diff, "same_missing_values": same_nan,
            "values_compared": int(ours.size)}


def _peak_rss(pid: int, stop: threading.Event, out: list) -> None:
    import psutil

    peak = 0
    try:
        root = psutil.Process(pid)
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.1)
    except psutil.Error:
        pass
    out.append(peak)


def screen(path: Path, out: Path, *extra: str) -> dict:
    """Run ``explainsse screen`` as a user would; wall time, the manifest and the peak tree RSS."""
    cmd = [sys.executable, "-m", "explainsse", "screen", "--input", str(path), "-o", str(out), "--quiet", *extra]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    stop, peak = threading.Event(), []
    watcher = threading.Thread(target=_peak_rss, args=(proc.pid, stop, peak))
    watcher.start()
    code = proc.wait()
    stop.set()
    watcher.join()
    if code:
        raise SystemExit(f"{' '.join(cmd)} failed with status {code}")
    manifest = json.loads((out / "manifest.json").read_text())
    return {"command": " ".join(cmd[2:]), "wall_s": time.perf_counter() - t, "peak_rss_gb": peak[0] / 1e9,
            "timing_s": manifest["timing_s"], "counts": manifest["counts"], "engine": manifest["engine"]}


def same_parts(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in (a / "parts").iterdir())
    return names == sorted(p.name for p in (b / "parts").iterdir()) and all(
        (a / "parts" / n).read_bytes() == (b / "parts" / n).read_bytes() for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--featurize-rows", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="explainsse-screen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    result = {"featurization": featurization(args.featurize_rows), "golden_random": golden_random()}
    print(f"golden check on {result['golden_random']['formulas']:,} random formulas: "
          f"{result['golden_random']['values_equal_to_1e-9']:,} values equal to 1e-9", flush=True)
    f = result["featurization"]
    print(f"featurization, {f['compositions']} distinct compositions from strings: vectorized {f['vectorized_ms']:.4f} "
          f"ms, matminer {f['matminer_ms']:.3f} ms -> {f['speedup']:.0f}x; largest relative difference "
          f"{f['max_difference']:.1e}, same missing values: {f['same_missing_values']}", flush=True)
    path = work / "million.parquet"
    pd.DataFrame({"id": [f"c{i}" for i in range(args.rows)], "formula": distinct_formulas(args.rows)}).to_parquet(path)
    runs = {"local": screen(path, work / "local", "--top", "10000", "--workers", "2"),
            "dask_2": screen(path, work / "dask2", "--engine", "dask", "--top", "1000", "--workers", "2"),
            "dask_1": screen(path, work / "dask1", "--engine", "dask", "--top", "1000", "--workers", "1")}
    for name, r in runs.items():
        print(f"{name}: {r['counts']['rows']:,} rows screened in {r['timing_s']['screen']:.1f} s "
              f"({r['timing_s']['rows_per_s']:,.0f} rows/s), shortlist of {r['counts']['shortlisted']:,} explained "
              f"in {r['timing_s']['shortlist_explained']:.1f} s; wall {r['wall_s']:.1f} s; peak memory "
              f"{r['peak_rss_gb']:.2f} GB", flush=True)
    result["screen"] = runs
    result["identical_parts"] = {"local_vs_dask_2": same_parts(work / "local", work / "dask2"),
                                 "dask_1_vs_dask_2": same_parts(work / "dask1", work / "dask2")}
    result["dask_2_over_1_throughput"] = runs["dask_2"]["timing_s"]["rows_per_s"] / runs["dask_1"]["timing_s"]["rows_per_s"]
    print(f"identical parts: {result['identical_parts']}; Dask 2 workers / 1 worker throughput: "
          f"{result['dask_2_over_1_throughput']:.2f}x")
    (work / "benchmark.json").write_text(json.dumps(result, indent=1))
    print(f"written: {work / 'benchmark.json'}")


if __name__ == "__main__":
    main()
