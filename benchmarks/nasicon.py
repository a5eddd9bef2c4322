"""NASICON validation: reproduce Xu et al. 2020, measure the NASICON site descriptors, write the galleries.

Run from the repository root (about 15 minutes on 2 cores)::

    EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/nasicon.py [--no-write] [--json FILE]

Measures, each with the majority baseline, MCC, bootstrap CIs, permutation p and the verdict:

1. Xu 2020's published logistic regression on the authors' ten descriptors (the reproduction).
2. Xu 2020 (70 Na rows, 1e-6 S/cm): leave-one-out with ``nasicon-v1`` and nested tuning (every
   hyperparameter chosen by inner CV inside each training part), logreg and xgb.
3. OBELiX NASICON rows (1e-4 and 3e-4 S/cm): leave-one-out and leave-papers-out with
   ``nasicon-v1`` alone, ``composition-v1``, and both combined.
4. Na -> Li and Li -> Na transfer (Xu's 70 -> OBELiX Li NASICONs at 1e-6 S/cm) with ``nasicon-v1``,
   and the descriptors that shift most between the domains.

Writes ``reports/nasicon-xu2020/`` (the paper's model), ``reports/nasicon-obelix/`` (logreg on
``nasicon-v1``, OBELiX NASICON rows) and ``reports/nasicon-na2li/`` (the cross-domain transfer),
and prints the tables quoted in README. No number here is tuned on the rows it is scored on.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

from sklearn.linear_model import LogisticRegression

from explainsse.datasets import load_dataset
from explainsse.report import write_report
from explainsse.report.nasicon_report import nasicon_report
from explainsse.validation import validate_nasicon, validation_descriptors

XU_FEATURES = ["a", "c", "h", "d", "D1ionicr", "D2ionicr", "PO4", "D1eneg", "D2eneg", "D3eneg"]
PAPER_MODEL = LogisticRegression(solver="sag", C=1.0006, max_iter=80)
COMBINED = "composition-v1+nasicon-v1"
ROWS: list[dict] = []


def _line(label, result, seconds=None):
    for e in result.evaluations:
        lo, hi = e.ci["accuracy"]
        p = e.permutation.get("p_value")
        ROWS.append({"label": label, "evaluation": e.name, "n": e.n, "accuracy": e.metrics["accuracy"],
                     "ci": [lo, hi], "mcc": e.metrics["mcc"], "majority": e.baseline["best_constant_accuracy"],
                     "permutation_p": p, "verdict": e.verdict["status"], "seconds": seconds})
        print(f"{label:<52} {e.name:<28} acc {e.metrics['accuracy']:.3f} [{lo:.2f}, {hi:.2f}]  "
              f"MCC {e.metrics['mcc']:.2f}  majority {e.baseline['best_constant_accuracy']:.2f}  "
              f"p {p if p is None else round(p, 3)}  -> {e.verdict['status']}", flush=True)


def _run(label, frame, X, family, **kw):
    t = time.perf_counter()
    result = validate_nasicon(frame, X, family, **kw)
    _line(label, result, round(time.perf_counter() - t, 1))
    return result


def main(write: bool = True, json_path: str | None = None) -> None:
    warnings.simplefilter("ignore")
    xu, obelix = load_dataset("xu2020"), load_dataset("obelix")
    authors = validation_descriptors(xu, descriptor_cols=XU_FEATURES)
    paper = _run("Xu 2020 logistic regression (paper settings)", xu.frame, authors, PAPER_MODEL, threshold=1e-6,
                 all_nasicon=True)

    print("\n-- Xu 2020, nasicon-v1, nested tuning (leave-one-out) --")
    xu_site = validation_descriptors(xu, preset="nasicon-v1")
    for family in ("logreg", "xgb"):
        _run(f"Xu 2020, {family} tuned, nasicon-v1", xu.frame, xu_site, family, threshold=1e-6, all_nasicon=True,
             tune=True, n_repeats=1, n_jobs=2)

    print("\n-- OBELiX NASICON rows --")
    ob_X = {p: validation_descriptors(obelix, preset=p) for p in ("nasicon-v1", "composition-v1", COMBINED)}
    gallery = None
    for threshold in (1e-4, 3e-4):
        for preset, X in ob_X.items():
            for family in ("logreg", "xgb"):
                if threshold == 3e-4 and family == "xgb":
                    continue
                r = _run(f"OBELiX NASICON {threshold:g}, {family}, {preset}", obelix.frame, X, family,
                         threshold=threshold, n_repeats=2)
                if threshold == 1e-4 and preset == "nasicon-v1" and family == "logreg":
                    gallery = r
    print("\n-- Na -> Li transfer (Xu's 70 Na -> OBELiX Li NASICONs, 1e-6 S/cm) --")
    transfer = None
    for family in ("logreg", "xgb"):
        r = validate_nasicon(xu.frame, xu_site, family, protocol="cross-domain", threshold=1e-6, all_nasicon=True,
                             test_frame=obelix.frame, test_X=ob_X["nasicon-v1"])
        _line(f"Na <-> Li, {family}, nasicon-v1", r)
        if family == "logreg":
            transfer = r
            for d in r.domain_shift[:5]:
                print(f"   shift: {d['descriptor']:<40} Na {d['train_mean']:.3g} +- {d['train_sd']:.2g}, Li "
                      f"{d['test_mean']:.3g}; {d['outside_range']:.0%} of Li rows outside the Na range")
    if json_path:
        with open(json_path, "w") as fh:
            json.dump({"rows": ROWS, "domain_shift": transfer.domain_shift}, fh, indent=1, default=str)
    if write:
        for result, ds, out, what in (
            (paper, xu, "reports/nasicon-xu2020", "Xu, Zong & Hippalgaonkar's logistic regression "
             "(solver 'sag', C=1.0006, max_iter=80, unscaled) on their ten descriptors "
             f"({', '.join(XU_FEATURES)}); label sigma >= 1e-6 S/cm (their Sclass)."),
            (gallery, obelix, "reports/nasicon-obelix", "explainsse logistic regression (defaults) on the NASICON "
             "site descriptors (nasicon-v1), OBELiX NASICON rows, superionic at 1e-4 S/cm."),
            (transfer, xu, "reports/nasicon-na2li", "explainsse logistic regression (defaults) on nasicon-v1, "
             "trained on Xu et al.'s 70 Na NASICONs and tested on OBELiX's Li NASICONs (and the reverse), "
             "superionic at 1e-6 S/cm."),
        ):
            write_report(nasicon_report(result, dataset=ds.name, files=ds.files, description=what), out, force=True)
            print("wrote", out)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(write="--no-write" not in args, json_path=args[args.index("--json") + 1] if "--json" in args else None)
