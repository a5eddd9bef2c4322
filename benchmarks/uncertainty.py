"""How far the calibrated uncertainty can be trusted, on OBELiX: coverage, width, ranking, calibration.

For the bundled model's configuration (XGBoost regression on ``BUNDLE_PRESET`` (physical-v1) with the bundled
hyperparameters) and for two classifiers (logreg and XGBoost, ``BUNDLE_PRESET`` (physical-v1), superionic at
1e-4 S/cm, default hyperparameters of the family):

1. **Cluster-out CV on the training split** (10 k-means composition clusters, each held out in
   turn; the intervals of each cluster calibrated on the out-of-fold residuals of the *other*
   clusters only): coverage of the 80/90/95% intervals overall and per structural family with
   >= 30 rows, mean width (decades of S/cm), Spearman of width and of the distance to the nearest
   training material with the absolute error, and the error per bin of that distance (is the
   applicability-domain flag worth anything?).
2. **Official test split, scored once**: the final model fitted on the training split, calibrated
   by cluster-out CV on the training split, intervals on the 121 test rows.
3. **Classification**: Brier score and expected calibration error (10 bins) of the raw and the
   Venn-Abers probabilities on cluster-out CV (each cluster calibrated on the others), and how
   often the 90% prediction set holds the true class.

Censored rows (upper bounds) are left out of the regression coverage. Every rate carries a 95%
binomial (Wilson) interval.

Run:  EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/uncertainty.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from explainsse._config import INTERVAL_LEVELS
from explainsse.datasets import load_dataset
from explainsse.datasets.table import split_mask
from explainsse.featurize import dataset_descriptors
from explainsse.models.bundled import BUNDLE_FAMILY, BUNDLE_PRESET, bundled_model_dir
from explainsse.explain.domain import ApplicabilityDomain
from explainsse.models.persistence import load_model
from explainsse.models.targets import make_target
from explainsse.models.train import final_model
from explainsse.models.uncertainty import (
    Calibration,
    NeighbourSpace,
    calibrate,
    expected_calibration_error,
    out_of_fold,
    rate_interval,
)


def rate(hits) -> str:
    hits = np.asarray(hits, bool)
    lo, hi = rate_interval(int(hits.sum()), len(hits))
    return f"{hits.mean():.2f} [{lo:.2f}, {hi:.2f}] (n={len(hits)})"


def regression(ds, X, out: dict) -> None:
    f = ds.frame
    train = f.index[split_mask(f, "train")]
    test = f.index[split_mask(f, "test")]
    params = load_model(bundled_model_dir()).params
    model = final_model(f.loc[train], X.loc[train], BUNDLE_FAMILY, "regression", preset=BUNDLE_PRESET, params=params,
                        n_jobs=2)
    cal = calibrate(model, f.loc[train], X.loc[train])
    Xt = model.align(X.loc[train])
    y = make_target(f.loc[train], "regression").to_numpy(float)
    pred, folds = out_of_fold(model, f.loc[train], Xt, make_target(f.loc[train], "regression"), n_clusters=cal.n_folds)
    censored = f.loc[train, "censored"].fillna(False).to_numpy(bool)
    dist = np.full(len(y), np.nan)
    for c in np.unique(folds):
        held = folds == c
        d, _ = NeighbourSpace(Xt[~held]).neighbours(Xt[held], cal.k)
        dist[held] = d.mean(axis=1)
    sig = cal.beta + dist / cal.distance_scale
    use = ~censored & np.isfinite(pred)
    res = y - pred
    lower = {lv: np.full(len(y), np.nan) for lv in INTERVAL_LEVELS}
    upper = {lv: np.full(len(y), np.nan) for lv in INTERVAL_LEVELS}
    for c in np.unique(folds):
        held, other = (folds == c) & use, (folds != c) & use
        part = Calibration("regression", cal_residuals=res[other].tolist(), cal_sigmas=sig[other].tolist())
        for lv, iv in part.intervals(pred[held], sig[held], INTERVAL_LEVELS).items():
            lower[lv][held], upper[lv][held] = iv[:, 0], iv[:, 1]
    family = f.loc[train, "family"].astype("string").fillna("(none)").to_numpy()
    print(f"\n## Regression: XGBoost (bundled hyperparameters), {BUNDLE_PRESET}, cluster-out CV on the training split\n")
    print(f"{cal.n_folds} composition clusters; {int(use.sum())} uncensored rows; out-of-cluster MAE "
          f"{np.abs(res[use]).mean():.2f} decades of S/cm (median-predictor MAE "
          f"{np.abs(y[use] - np.median(y)).mean():.2f})\n")
    print("| rows | n | 80% coverage | 90% coverage | 95% coverage | mean 90% width (decades) |")
    print("|---|---:|---|---|---|---:|")
    groups = [("all", use)] + [(fam, use & (family == fam)) for fam in pd.unique(family)
                               if (use & (family == fam)).sum() >= 30]
    record = {}
    for name, m in groups:
        cov = {lv: (y[m] >= lower[lv][m]) & (y[m] <= upper[lv][m]) for lv in INTERVAL_LEVELS}
        width = float(np.mean(upper[0.9][m] - lower[0.9][m]))
        print(f"| {name} | {int(m.sum())} | {rate(cov[0.8])} | {rate(cov[0.9])} | {rate(cov[0.95])} | {width:.1f} |")
        record[name] = {"n": int(m.sum()), **{f"coverage_{lv:g}": float(cov[lv].mean()) for lv in INTERVAL_LEVELS},
                        "mean_width_0.9": width}
    w = upper[0.9] - lower[0.9]
    rho_w = spearmanr(w[use], np.abs(res[use])).statistic
    rho_d = spearmanr(dist[use], np.abs(res[use])).statistic
    mondrian = mondrian_check(Xt, family, folds, pred, res, sig, use, y, lower[0.9], upper[0.9])
    print(f"\nSpearman of the 90% width with |error|: {rho_w:.2f}; of the nearest-training distance with |error|: "
          f"{rho_d:.2f} (target >= 0.3)\n")
    print("Error by distance to the nearest training material (quintiles of the cluster-out distances):\n")
    print("| distance bin | n | MAE (decades) | 90% coverage | mean 90% width |")
    print("|---|---:|---:|---|---:|")
    edges = np.quantile(dist[use], np.linspace(0, 1, 6))
    bins = np.clip(np.searchsorted(edges, dist, side="right") - 1, 0, 4)
    curve = []
    for b in range(5):
        m = use & (bins == b)
        cov = (y[m] >= lower[0.9][m]) & (y[m] <= upper[0.9][m])
        print(f"| {edges[b]:.2f}-{edges[b + 1]:.2f} | {int(m.sum())} | {np.abs(res[m]).mean():.2f} | {rate(cov)} | "
              f"{np.mean(w[m]):.1f} |")
        curve.append({"from": float(edges[b]), "to": float(edges[b + 1]), "n": int(m.sum()),
                      "mae": float(np.abs(res[m]).mean()), "coverage_0.9": float(cov.mean())})
    flag = domain_check(Xt, folds, use, res, y, lower[0.9], upper[0.9])
    # the official test split, scored once
    yt = make_target(f.loc[test], "regression").to_numpy(float)
    pt = model.predict(X.loc[test])
    st = cal.difficulty(NeighbourSpace(Xt), model.align(X.loc[test]))
    tcens = f.loc[test, "censored"].fillna(False).to_numpy(bool)
    print("\n## Official test split (scored once; final model + cluster-out calibration from the training split)\n")
    print("| level | coverage | mean width (decades) |")
    print("|---|---|---:|")
    test_record = {}
    for lv, iv in cal.intervals(pt, st, INTERVAL_LEVELS).items():
        cov = ((yt >= iv[:, 0]) & (yt <= iv[:, 1]))[~tcens]
        width = float(np.mean((iv[:, 1] - iv[:, 0])[~tcens]))
        print(f"| {lv:.0%} | {rate(cov)} | {width:.1f} |")
        test_record[f"coverage_{lv:g}"], test_record[f"mean_width_{lv:g}"] = float(cov.mean()), width
    iv = cal.intervals(pt, st, [0.9])[0.9]
    test_record["spearman_width_abs_error"] = float(spearmanr((iv[:, 1] - iv[:, 0])[~tcens],
                                                              np.abs(yt - pt)[~tcens]).statistic)
    test_record["mae"] = float(np.abs(yt - pt)[~tcens].mean())
    print(f"\nSpearman of width with |error| on the test split: {test_record['spearman_width_abs_error']:.2f}; "
          f"test MAE (uncensored) {test_record['mae']:.2f} decades")
    out["regression"] = {"domain_flag": flag, "mondrian": mondrian, "cluster_out": record, "spearman_width": float(rho_w), "spearman_distance": float(rho_d),
                         "distance_curve": curve, "official_test": test_record}


def domain_check(Xt, folds, use, res, y, lower, upper) -> list[dict]:
    """The applicability-domain flag itself, validated: each held-out cluster assessed by the domain
    of the other clusters (the percentile of its nearest-neighbour distance among theirs, in the
    domain's own PCA space, and the ``inside`` flag at the 95th percentile), error and coverage per bin."""
    pct, inside = np.full(len(y), np.nan), np.zeros(len(y), bool)
    for c in np.unique(folds):
        held = folds == c
        d = ApplicabilityDomain(Xt[~held]).assess(Xt[held])
        pct[held], inside[held] = d["percentile"].to_numpy(), d["inside"].to_numpy()
    print("\nError by the applicability-domain score (percentile of the nearest-neighbour distance among the "
          "training rows' own, the domain's PCA space; flag at the 95th):\n")
    print("| domain percentile | n | MAE (decades) | 90% coverage | mean 90% width |")
    print("|---|---:|---:|---|---:|")
    rows = []
    for lo, hi, name in ((0, 50, "0-50"), (50, 80, "50-80"), (80, 95, "80-95 (inside)"), (95, 101, "above 95 (flagged)")):
        m = use & (pct >= lo) & (pct < hi)
        if not m.any():
            continue
        cov = (y[m] >= lower[m]) & (y[m] <= upper[m])
        print(f"| {name} | {int(m.sum())} | {np.abs(res[m]).mean():.2f} | {rate(cov)} | {np.mean(upper[m] - lower[m]):.1f} |")
        rows.append({"percentile": name, "n": int(m.sum()), "mae": float(np.abs(res[m]).mean()),
                     "coverage_0.9": float(cov.mean())})
    print(f"\nSpearman of the domain percentile with |error|: {spearmanr(pct[use], np.abs(res[use])).statistic:.2f}; "
          f"flagged outside: {int((use & ~inside).sum())} of {int(use.sum())} held-out rows")
    return rows


def mondrian_check(Xt, family, folds, pred, res, sig, use, y, lower, upper, min_rows: int = 30) -> dict:
    """Would Mondrian (per structural family) conformal intervals do better? Two ways to bin a row:
    its own family label (known for a table row, not for a bare formula) or the family of its
    nearest training material (what ``explain`` could use); families with fewer than ``min_rows``
    calibration rows share one bin. Same folds, residuals and difficulty as the plain intervals."""
    from crepes import ConformalRegressor

    near = np.empty(len(y), object)
    for c in np.unique(folds):
        held = folds == c
        _, pos = NeighbourSpace(Xt[~held]).neighbours(Xt[held], 1)
        near[held] = family[~held][pos[:, 0]]
    shown = [fam for fam in pd.unique(family) if (use & (family == fam)).sum() >= min_rows]
    print("\nMondrian (per-family) 90% intervals on the same cluster-out folds (not adopted; see the text):\n")
    print("| binning | coverage | mean width | Spearman of width with abs. error | " + " | ".join(shown) + " |")
    print("|---|---|---:|---:|" + "---|" * len(shown))
    out = {}
    for name, labels in (("none (adopted)", None), ("own family label", family), ("nearest training material's family", near)):
        if labels is None:
            lo, hi = lower, upper
        else:
            lo, hi = np.full(len(y), np.nan), np.full(len(y), np.nan)
            for c in np.unique(folds):
                held, other = (folds == c) & use, (folds != c) & use
                counts = pd.Series(labels[other]).value_counts()
                big = set(counts[counts >= min_rows].index)
                bins = np.array([b if b in big else "other" for b in labels])
                cr = ConformalRegressor().fit(res[other], sigmas=sig[other], bins=bins[other])
                iv = cr.predict_int(pred[held], sigmas=sig[held], bins=bins[held], confidence=0.9)
                lo[held], hi[held] = iv[:, 0], iv[:, 1]
        cov = (y >= lo) & (y <= hi)
        w = hi - lo
        rho = float(spearmanr(w[use], np.abs(res[use])).statistic)
        per = {fam: float(cov[use & (family == fam)].mean()) for fam in shown}
        print(f"| {name} | {rate(cov[use])} | {np.nanmean(w[use]):.1f} | {rho:.2f} | "
              + " | ".join(f"{per[f]:.2f}" for f in shown) + " |")
        out[name] = {"coverage_0.9": float(cov[use].mean()), "mean_width_0.9": float(np.nanmean(w[use])),
                     "spearman_width_abs_error": rho, "per_family": per}
    return out


def classification(ds, X, out: dict) -> None:
    f = ds.frame
    train = f.index[split_mask(f, "train")]
    print(f"\n## Classification (superionic at 1e-4 S/cm), {BUNDLE_PRESET}, cluster-out CV on the training split\n")
    print("| family | n | Brier raw | Brier Venn-Abers | ECE raw | ECE Venn-Abers | 90% set holds the class | "
          "sets with both classes |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    out["classification"] = {}
    for family in ("logreg", "xgb"):
        model = final_model(f.loc[train], X.loc[train], family, "classification", preset=BUNDLE_PRESET,
                            params={}, n_jobs=2)
        Xt = model.align(X.loc[train])
        y = make_target(f.loc[train], "classification")
        raw, folds = out_of_fold(model, f.loc[train], Xt, y, n_clusters=10)
        yv = y.to_numpy(int)
        ok = np.isfinite(raw)
        p_cal = np.full(len(yv), np.nan)
        hit, both = np.zeros(len(yv), bool), np.zeros(len(yv), bool)
        for c in np.unique(folds):
            held, other = (folds == c) & ok, (folds != c) & ok
            part = Calibration("classification", cal_scores=raw[other].tolist(), cal_labels=yv[other].tolist(),
                               cal_alphas=(1 - np.where(yv[other] == 1, raw[other], 1 - raw[other])).tolist())
            p_cal[held] = part.probability(raw[held])
            sets = part.prediction_sets(raw[held], 0.9)
            names = np.where(yv[held] == 1, "superionic", "not superionic")
            hit[held] = [n in s for n, s in zip(names, sets)]
            both[held] = [len(s) == 2 for s in sets]
        m = ok & np.isfinite(p_cal)
        row = {"n": int(m.sum()), "brier_raw": float(np.mean((raw[m] - yv[m]) ** 2)),
               "brier_calibrated": float(np.mean((p_cal[m] - yv[m]) ** 2)),
               "ece_raw": expected_calibration_error(yv[m], raw[m]),
               "ece_calibrated": expected_calibration_error(yv[m], p_cal[m]),
               "set_coverage_0.9": float(hit[m].mean()), "both_classes": float(both[m].mean())}
        print(f"| {family} | {row['n']} | {row['brier_raw']:.3f} | {row['brier_calibrated']:.3f} | "
              f"{row['ece_raw']:.3f} | {row['ece_calibrated']:.3f} (target <= 0.05) | {rate(hit[m])} | "
              f"{row['both_classes']:.2f} |")
        out["classification"][family] = row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the numbers as JSON")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ds = load_dataset("obelix")
    ds, X = dataset_descriptors(ds, BUNDLE_PRESET, progress=False)
    out: dict = {}
    regression(ds, X, out)
    classification(ds, X, out)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
