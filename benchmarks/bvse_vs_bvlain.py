"""Li+ BVSE percolation barriers: explainsse against bvlain 0.25.1 on OBELiX's ordered CIFs.

bvlain is not a dependency of explainsse (it refuses partially occupied structures); install it
to run this script (``pip install bvlain==0.25.1``). It writes ``tests/data/bvlain_reference.json``
(bvlain's barriers, used by ``tests/featurize/test_bvse.py``) and prints the differences.

    EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/bvse_vs_bvlain.py
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

OUT = Path(__file__).parents[1] / "tests" / "data" / "bvlain_reference.json"
SETTINGS = {"resolution": 0.2, "r_cut": 10.0, "encut": 10.0, "mobile_ion": "Li1+"}


def main() -> None:
    """Run bvlain where it runs, compare with explainsse's defaults, write the reference file."""
    from bvlain import Lain

    from explainsse.datasets import load_dataset
    from explainsse.featurize.bvse import bvse_barriers

    warnings.filterwarnings("ignore")
    structures = load_dataset("obelix").structures()
    ordered = {k: s for k, s in sorted(structures.items()) if s.is_ordered}
    reference, failures, rows = {}, {}, []
    for key, s in ordered.items():
        try:
            calc = Lain(verbose=False)
            calc.read_structure(s.copy())
            start = time.perf_counter()
            calc.bvse_distribution(mobile_ion=SETTINGS["mobile_ion"], resolution=SETTINGS["resolution"],
                                   r_cut=SETTINGS["r_cut"])
            theirs = calc.percolation_barriers(encut=SETTINGS["encut"])
            t_bvlain = time.perf_counter() - start
        except Exception as exc:  # bvlain fails valence assignment on many structures
            failures[key] = f"{type(exc).__name__}: {str(exc)[:80]}"
            continue
        start = time.perf_counter()
        try:
            ours = bvse_barriers(s)
        except Exception as exc:
            failures[key] = f"explainsse: {exc}"
            continue
        t_ours = time.perf_counter() - start
        ref = {k: (None if not math.isfinite(v) else round(float(v), 4)) for k, v in theirs.items()}
        reference[key] = {**ref, "formula": s.composition.reduced_formula}
        diffs = [abs(ours[k] - ref[k]) for k in ref if ref[k] is not None and math.isfinite(ours[k])]
        rows.append((key, s.composition.reduced_formula, max(diffs, default=0.0), t_bvlain, t_ours))
        print(f"{key} {s.composition.reduced_formula:20s} bvlain {[ref[k] for k in ref]} "
              f"explainsse {[round(ours[k], 3) for k in ref]} ({t_bvlain:.1f} s vs {t_ours:.1f} s)", flush=True)
    worst = np.array([r[2] for r in rows])
    print(f"\nbvlain ran on {len(rows)} of {len(ordered)} ordered CIFs ({len(failures)} failed); "
          f"|explainsse - bvlain| max {worst.max():.3f} eV, mean {worst.mean():.3f} eV, "
          f"{int((worst <= 0.1).sum())}/{len(rows)} within 0.1 eV; time bvlain {sum(r[3] for r in rows):.0f} s, "
          f"explainsse {sum(r[4] for r in rows):.0f} s")
    if "--write" in sys.argv:
        OUT.write_text(json.dumps({"tool": "bvlain 0.25.1", **SETTINGS, "structures": reference,
                                   "bvlain_failures": failures}, indent=1, sort_keys=True) + "\n")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
