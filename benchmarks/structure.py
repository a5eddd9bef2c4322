"""Structure descriptors on all OBELiX CIFs: cold time per descriptor family, coverage, noise sensitivity.

    EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/structure.py [--no-noise]

Prints (1) the wall time of ``featurize_dataset(obelix, "structure-v1", cache=False)`` with
two workers and the CPU seconds per descriptor family, (2) how many CIFs get a value for each
descriptor, and (3) how much a further Gaussian noise of sigma = 0.01 in fractional coordinates
(the perturbation OBELiX applied to its public CIFs) moves each descriptor: median and 90th
percentile of |change| over the CIFs, one noisy copy each (seed 0).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd


def main() -> None:
    """Run the three measurements and print them."""
    from joblib import Parallel, delayed
    from pymatgen.core import Structure

    from explainsse.datasets import load_dataset
    from explainsse.featurize import featurize_dataset
    from explainsse.featurize.groups import GROUPS
    from explainsse.featurize.structure import HAS_STRUCTURE, LABELS
    from explainsse.featurize.structure_table import _one

    warnings.filterwarnings("ignore")
    ds = load_dataset("obelix")
    structures = ds.structures()
    start = time.perf_counter()
    X = featurize_dataset(ds, "structure-v1", cache=False, n_jobs=2).X
    wall = time.perf_counter() - start
    seconds = GROUPS["structure"].featurizer().seconds_
    print(f"structure-v1 on OBELiX ({len(ds.frame)} rows, {len(structures)} CIFs), cold, 2 workers: {wall:.1f} s")
    print("CPU seconds per descriptor family: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    with_cif = X[X[HAS_STRUCTURE] == 1]
    labels = [c for c in LABELS if c != HAS_STRUCTURE]
    coverage = with_cif[labels].notna().sum()
    print(f"\ncoverage over the {len(with_cif)} CIFs (7 have no Li site):")
    for label in labels:
        print(f"  {label:50s} {coverage[label]:4d} ({coverage[label] / len(with_cif):.1%})")
    if "--no-noise" in sys.argv:
        return
    rng = np.random.default_rng(0)
    ids = sorted(structures)
    noisy = []
    for key in ids:
        s = structures[key]
        noise = rng.normal(0, 0.01, (len(s), 3))
        noisy.append(Structure(s.lattice, [site.species for site in s], (s.frac_coords + noise) % 1.0))
    clean = X.set_index(ds.frame["id"].astype(str)).loc[ids, labels]
    rows = Parallel(n_jobs=2)(delayed(_one)(s, None, 60.0) for s in noisy)
    moved = pd.DataFrame([r[0] for r in rows], index=ids, columns=list(LABELS))[labels]
    change = (moved - clean).abs()
    print("\n|change| from sigma = 0.01 fractional noise (median / 90th percentile over the CIFs; unit of the "
          "descriptor):")
    for label in labels:
        c = change[label].dropna()
        print(f"  {label:50s} {c.median():.4f} / {c.quantile(0.9):.4f}")


if __name__ == "__main__":
    main()
