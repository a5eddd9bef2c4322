"""Driver recovery on a known truth: can the toolkit find the drivers it is asked about?

OBELiX's real ``full-v1`` descriptor matrix (599 rows, its correlations and missing values as
they are); simulated log10 sigma from k = 3-6 true drivers per truth (linear, monotone non-linear
and threshold forms; at least one structural descriptor, missing where OBELiX has no CIF, acting
through a latent value on those rows); noise at OBELiX's repeat-measurement level (MAD 0.4
decades, sd 0.59) and a harder setting (sd 1.2); censoring below 1e-10 S/cm at the 1e-15 floor,
as OBELiX stores it. The pipeline runs unchanged (grouped inner-CV tuning, fit, SHAP on the rows,
correlated groups) for PLS and XGBoost. Each family is scored on its own ranking (as its importance
table shows it) and with near-copies merged (each |Spearman| >= 0.9 group takes one place, at its
most important member); the headline ranking is the consensus of ``importance --json``: the mean of
the two families' shares of mean |SHAP|, near-copies merged.

Scores per truth: precision at k (how many of the top k descriptors are true drivers) and the same
with group credit (a true driver counts when a member of its |Spearman| >= 0.9 group is in the top
k), the share of the true drivers' named physical groups among as many top named groups, and the
rank of each true driver. Mean and 95% t-interval over the truths.

Run:  EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/driver_recovery.py [--truths 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from explainsse.analysis.recovery import OBELIX_NOISE, draw_truth, recover, score, simulate
from explainsse.datasets import load_dataset
from explainsse.featurize import dataset_descriptors
from explainsse.featurize.meaning import physical_group

PRESET = "full-v1"
FAMILIES = ("pls", "xgb")
#: Structural groups a truth draws its structural driver from (missing where a row has no CIF).
STRUCTURAL_GROUPS = ("Li-Li spacing", "bond-valence landscape", "anion framework", "Li-anion bonding")


def mean_ci(values) -> str:
    v = np.asarray(values, float)
    if len(v) < 2:
        return f"{v.mean():.2f}"
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return f"{v.mean():.2f} [{max(v.mean() - half, 0):.2f}, {min(v.mean() + half, 1):.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truths", type=int, default=10, help="simulated truths per noise level")
    parser.add_argument("--noise", type=float, nargs="*", default=[OBELIX_NOISE, 2 * OBELIX_NOISE])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write every run as JSON")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ds = load_dataset("obelix")
    ds, X = dataset_descriptors(ds, PRESET, progress=False)
    structural = [c for c in X.columns if physical_group(c) in STRUCTURAL_GROUPS and X[c].isna().any()]
    rng = np.random.default_rng(args.seed)
    runs, start = [], time.perf_counter()
    for noise in args.noise:
        for t in range(args.truths):
            truth = draw_truth(X, int(rng.integers(3, 7)), rng, structural=structural)
            frame = simulate(ds.frame, X, truth, noise=noise, seed=args.seed + t)
            shares, about = {}, {"noise": noise, "truth": t, "drivers": list(truth.drivers),
                                   "forms": list(truth.forms), "censored": int(frame["censored"].sum())}
            for family in FAMILIES:
                imp, groups = recover(frame, X, family, preset=PRESET, seed=args.seed, n_jobs=2)
                shares[family] = imp / imp.sum()
                runs.append({**about, "ranking": family, **score(imp, groups, truth)})
                runs.append({**about, "ranking": f"{family} merged", **score(imp, groups, truth, merge=True)})
            headline = pd.DataFrame(shares).fillna(0.0).mean(axis=1)
            runs.append({**about, "ranking": "headline", **score(headline, groups, truth, merge=True)})
            print(f"noise {noise:.2f} truth {t}: k={len(truth.drivers)} "
                  + ", ".join(f"{r['ranking']} P@k {r['precision_at_k']:.2f}/{r['precision_at_k_grouped']:.2f}"
                              for r in runs[-5:]), flush=True)
    table = pd.DataFrame(runs)
    print(f"\n{len(table) // 5} runs per ranking in {time.perf_counter() - start:.0f} s ({PRESET}, {len(X)} rows)\n")
    print("| noise (sd, decades) | ranking | truths | precision@k | precision@k, group credited | named groups found "
          "| median rank of a true driver |")
    print("|---|---|---:|---|---|---|---:|")
    for (noise, ranking), part in table.groupby(["noise", "ranking"], sort=False):
        ranks = [r for d in part["ranks"] for r in d.values() if r is not None]
        print(f"| {noise:.2f} | {ranking} | {len(part)} | {mean_ci(part['precision_at_k'])} | "
              f"{mean_ci(part['precision_at_k_grouped'])} | {mean_ci(part['precision_named_groups'])} | "
              f"{np.median(ranks):.0f} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(runs, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
