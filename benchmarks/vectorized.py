"""Vectorized composition descriptors (magpie + stoichiometry + valence orbital) against matminer.

Run from the repository root::

    EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/vectorized.py [N]

Distinct compositions as in issue 14: OBELiX formulas with every amount scaled by a random
0.9-1.1 factor (default N = 2000; both paths on the same compositions, in one run, parsing
included: pymatgen for both, since the fast parser is not built yet). Prints ms per composition,
the ratio and the largest difference.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from pymatgen.core import Composition

from explainsse.datasets import load_dataset
from explainsse.featurize.groups import GROUPS
from explainsse.featurize.vectorized import composition_descriptors, element_table


def main(n: int = 2000) -> None:
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    base = [c.get_el_amt_dict() for c in load_dataset("obelix").frame["composition"]]
    formulas = [" ".join(f"{el}{amt * rng.uniform(0.9, 1.1):.4f}" for el, amt in base[i % len(base)].items())
                for i in range(n)]
    element_table()  # matminer's table is read once per process, in both paths
    featurizers = [GROUPS[g].featurizer() for g in ("magpie", "stoichiometry", "valence_orbital")]
    t = time.perf_counter()
    ours = composition_descriptors([Composition(f) for f in formulas])
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    ref = np.array([[float(v) for f in featurizers for v in f.featurize(Composition(s))] for s in formulas])
    t_ref = time.perf_counter() - t
    diff = np.nanmax(np.abs(ours - ref))
    print(f"{n} distinct compositions: vectorized {1e3 * t_ours / n:.3f} ms each, matminer {1e3 * t_ref / n:.3f} ms "
          f"each -> {t_ref / t_ours:.1f}x; largest difference {diff:.2e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
