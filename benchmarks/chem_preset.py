"""Is the physical composition preset (``chem-v1``) as accurate as ``composition-v1``, and are its drivers physical?

For both presets, on the OBELiX **training split only** (the official test split is not used
here), with the bundled model's family (XGBoost regression of log10 sigma):

1. **Nested cluster-out CV** (the trust issue's scheme: 10 k-means composition clusters, each
   held out in turn; hyperparameters tuned by grouped inner CV inside each outer training part).
   The clusters come from the compositions, so both presets see the same folds; the MAE
   difference chem-v1 - composition-v1 gets a paired bootstrap 95% interval over rows.
   Grouped (chemical-system) CV is shown beside it.
2. **Top-3 drivers** of LLZO, LGPS, LATP, Li3YCl6 and Li6PS5Cl in a final model per preset
   (tuned by grouped inner CV on the training split), and whether any carries a flag
   (proxy descriptor or imputed value; :mod:`explainsse.featurize.meaning`).

The acceptance rule of issue 24: if chem-v1's cluster-out MAE is within 0.1 decades of
composition-v1's, the bundled default model uses chem-v1. ``physical-v1`` (chem-v1 plus the
composition statistics with a physical meaning, none flagged) is measured the same way.

Run:  EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/chem_preset.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

from explainsse.analysis.steps import explain_candidates
from explainsse.datasets import from_formulas, load_dataset
from explainsse.datasets.table import split_mask
from explainsse.featurize import dataset_descriptors
from explainsse.models.evaluation import evaluate
from explainsse.models.train import final_model

PRESETS = ("composition-v1", "chem-v1", "physical-v1")
REFERENCE = "composition-v1"
SCHEMES = ("cluster-out", "group-chemsys")
#: The five electrolytes whose top-3 drivers must carry no flag (issue 24's target).
MATERIALS = {"LLZO": "Li7La3Zr2O12", "LGPS": "Li10GeP2S12", "LATP": "Li1.3Al0.3Ti1.7(PO4)3",
             "Li3YCl6": "Li3YCl6", "Li6PS5Cl": "Li6PS5Cl"}
FAMILY, TASK = "xgb", "regression"


def paired_difference(a: np.ndarray, b: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``a - b`` with a 95% bootstrap interval (rows resampled together)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, len(d), (n_boot, len(d)))].mean(axis=1)
    return float(d.mean()), float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the numbers to this file")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ds = load_dataset("obelix")
    out: dict = {"presets": {}}
    errors = {}
    for preset in PRESETS:
        used, X = dataset_descriptors(ds, preset, progress=False)
        f = used.frame
        train = split_mask(f, "train")
        rec = {"n_descriptors": int(X.shape[1]), "schemes": {}}
        for scheme in SCHEMES:
            t0 = time.perf_counter()
            ev = evaluate(f[train], X[train], FAMILY, TASK, scheme, n_boot=1000, n_scramble=0, n_jobs=args.n_jobs)
            r = ev.results
            row = r[(r.family == FAMILY) & (r.metric == "mae") & (r.subset == "all")].iloc[0]
            base = ev.metric("mae", family="baseline-median")
            rec["schemes"][scheme] = {"mae": float(row.value), "ci95": [float(row.ci_low), float(row.ci_high)],
                                      "median_baseline_mae": base, "n": int(ev.metric("n")),
                                      "seconds": round(time.perf_counter() - t0, 1)}
            p = ev.predictions.sort_values("id")
            errors[(preset, scheme)] = (p["id"].to_numpy(), np.abs(p["y_true"] - p["y_pred"]).to_numpy())
            print(f"{preset:15s} {scheme:14s} MAE {row.value:.2f} [{row.ci_low:.2f}, {row.ci_high:.2f}] "
                  f"(median predictor {base:.2f}; n={int(ev.metric('n'))})", flush=True)
        model = final_model(f[train], X[train], FAMILY, TASK, preset=preset, n_jobs=args.n_jobs)
        result = explain_candidates(from_formulas(list(MATERIALS.values()), ids=list(MATERIALS)), model, top=3)
        drivers = {}
        for m in result.materials:
            drivers[m["id"]] = [{"descriptor": t["descriptor"], "shap": round(t["shap"], 3),
                                 "flag": (t["flag"] or "").split(":")[0] or None} for t in m["top_descriptors"]]
        rec["top3"] = drivers
        rec["flagged_materials"] = sorted(k for k, v in drivers.items() if any(t["flag"] for t in v))
        out["presets"][preset] = rec
    for preset in PRESETS[1:]:
        for scheme in SCHEMES:
            ids_a, ea = errors[(preset, scheme)]
            ids_b, eb = errors[(REFERENCE, scheme)]
            assert (ids_a == ids_b).all()
            d, lo, hi = paired_difference(ea, eb)
            out["presets"][preset][f"mae_difference_{scheme}"] = {"minus_composition": d, "ci95": [lo, hi]}
        out["presets"][preset]["within_0.1"] = bool(
            out["presets"][preset]["mae_difference_cluster-out"]["minus_composition"] <= 0.1)
    print("\n| preset | descriptors | cluster-out MAE [95% CI] | group-chemsys MAE [95% CI] | five materials with a "
          "flagged top-3 driver |")
    print("|---|---:|---|---|---|")
    for preset, rec in out["presets"].items():
        s = rec["schemes"]
        print(f"| {preset} | {rec['n_descriptors']} | "
              + " | ".join(f"{s[k]['mae']:.2f} [{s[k]['ci95'][0]:.2f}, {s[k]['ci95'][1]:.2f}]" for k in SCHEMES)
              + f" | {len(rec['flagged_materials'])} ({', '.join(rec['flagged_materials']) or 'none'}) |")
    for preset in PRESETS[1:]:
        for scheme in SCHEMES:
            d = out["presets"][preset][f"mae_difference_{scheme}"]
            print(f"\n{scheme}: MAE {preset} - {REFERENCE} = {d['minus_composition']:+.2f} decades "
                  f"(paired bootstrap 95% CI {d['ci95'][0]:+.2f} to {d['ci95'][1]:+.2f})")
        print(f"{preset} within 0.1 decades on cluster-out: {'yes' if out['presets'][preset]['within_0.1'] else 'no'}")
    for preset, rec in out["presets"].items():
        print(f"\nTop-3 drivers, {preset}:")
        for mat, ts in rec["top3"].items():
            print(f"  {mat:9s} " + "; ".join(f"{t['descriptor']} {t['shap']:+.2f}" + (f" [{t['flag']}]" if t["flag"]
                                                                                        else "") for t in ts))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
