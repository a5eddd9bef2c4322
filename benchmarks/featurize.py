"""Featurization speed: explainsse vs matminer's own featurizers, in one run.

For each preset, on the 599 OBELiX entries and on N entries made by repeating them
(default 20,000), prints the time per composition for

* ``explainsse cold``: DescriptorFeaturizer with an empty cache (computes everything);
* ``explainsse warm``: the same call again, served from the Parquet cache;
* ``matminer``: matminer's ``StrToComposition`` + ElementProperty(magpie) + Stoichiometry +
  ValenceOrbital ``featurize_dataframe`` (n_jobs=1), i.e. the matminer-based part of the
  preset computed the way matminer computes it (matminer has no counterpart of the
  electrolyte and crystal descriptors, which explainsse computes on top).

Run:  EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/featurize.py [--repeat 20000]
Ratios are measured within one run on one machine; absolute numbers vary with the machine.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import warnings

import pandas as pd


def matminer_time(formulas: list[str]) -> float:
    from matminer.featurizers.composition import ElementProperty, Stoichiometry, ValenceOrbital
    from matminer.featurizers.conversions import StrToComposition

    start = time.perf_counter()
    df = StrToComposition().featurize_dataframe(pd.DataFrame({"formula": formulas}), "formula",
                                                pbar=False)
    for f in (ElementProperty.from_preset("magpie", impute_nan=False), Stoichiometry(),
              ValenceOrbital(impute_nan=False)):
        f.set_n_jobs(1)
        df = f.featurize_dataframe(df, "composition", pbar=False)
    return time.perf_counter() - start


def explainsse_times(table: pd.DataFrame, preset: str) -> tuple[float, float]:
    from explainsse.featurize import DescriptorFeaturizer

    with tempfile.TemporaryDirectory() as cache:
        featurizer = DescriptorFeaturizer(preset, cache_dir=cache, n_jobs=1).fit(table)
        start = time.perf_counter()
        featurizer.transform(table)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        featurizer.transform(table)
        warm = time.perf_counter() - start
        assert featurizer.last_cache_hit_
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20_000, help="size of the repeated set")
    parser.add_argument("--skip-matminer-large", action="store_true",
                        help="skip matminer on the repeated set (it takes about a minute)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from explainsse.datasets import load_dataset

    ds = load_dataset("obelix")
    base = ds.frame.reset_index(drop=True)
    big = pd.concat([base] * (args.repeat // len(base) + 1), ignore_index=True).iloc[: args.repeat]
    print(f"# featurization benchmark — {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")
    print(f"# OBELiX: {len(base)} rows, {base['formula'].nunique()} distinct formulas\n")
    print("| preset | rows | explainsse cold (ms/comp) | explainsse warm cache (ms/comp) | "
          "matminer (ms/comp) | matminer / explainsse cold |")
    print("|---|---:|---:|---:|---:|---:|")
    mm_cache: dict[int, float] = {}
    for preset in ("composition-v1", "crystal-v1"):
        for table in (base, big):
            n = len(table)
            cold, warm = explainsse_times(table, preset)
            if n not in mm_cache and not (args.skip_matminer_large and n > len(base)):
                mm_cache[n] = matminer_time(table["formula"].tolist())
            mm = mm_cache.get(n)
            mm_text = f"{1000 * mm / n:.3f}" if mm else "skipped"
            ratio = f"{mm / cold:.1f}x" if mm else "-"
            print(f"| {preset} | {n} | {1000 * cold / n:.3f} | {1000 * warm / n:.4f} | "
                  f"{mm_text} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
