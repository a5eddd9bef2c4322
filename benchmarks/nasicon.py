"""NASICON validation: reproduce Xu et al. 2020, compare explainsse's families, write the two galleries.

Run from the repository root (about 2 minutes on 2 cores)::

    EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/nasicon.py

Writes ``reports/nasicon-xu2020/`` (the published logistic regression on the authors' ten
descriptors, within-NASICON protocols) and ``reports/nasicon-obelix/`` (explainsse's logistic
regression on OBELiX's NASICON rows), and prints the tables quoted in README.
"""

from __future__ import annotations

import sys

from sklearn.linear_model import LogisticRegression

from explainsse.datasets import load_dataset
from explainsse.report import write_report
from explainsse.report.nasicon import build_nasicon_report, nasicon_markdown
from explainsse.validation import validate_nasicon, validation_descriptors

XU_FEATURES = ["a", "c", "h", "d", "D1ionicr", "D2ionicr", "PO4", "D1eneg", "D2eneg", "D3eneg"]
PAPER_MODEL = LogisticRegression(solver="sag", C=1.0006, max_iter=80)


def _line(label, result):
    for e in result.evaluations:
        lo, hi = e.ci["accuracy"]
        print(f"{label:<48} {e.name:<28} acc {e.metrics['accuracy']:.2f} [{lo:.2f}, {hi:.2f}]  "
              f"MCC {e.metrics['mcc']:.2f}  majority {e.baseline['best_constant_accuracy']:.2f}  "
              f"-> {e.verdict['status']}")


def main(write: bool = True) -> None:
    xu = load_dataset("xu2020")
    authors = validation_descriptors(xu, descriptor_cols=XU_FEATURES)
    paper = validate_nasicon(xu.frame, authors, PAPER_MODEL, threshold=1e-6, all_nasicon=True)
    _line("Xu 2020 logistic regression (paper settings)", paper)
    for w in paper.warnings:
        print("   warning:", w[:140])
    composition = validation_descriptors(xu)
    for family in ("logreg", "pls", "xgb"):
        for label, X in (("authors' descriptors", authors), ("composition-v1", composition)):
            r = validate_nasicon(xu.frame, X, family, threshold=1e-6, all_nasicon=True, loo=False,
                                 n_permutations=19)
            _line(f"explainsse {family} on {label}", r)
    obelix = load_dataset("obelix")
    ob = validate_nasicon(obelix.frame, validation_descriptors(obelix), "logreg")
    _line("explainsse logreg, OBELiX NASICON rows", ob)
    d = ob.detector
    print(f"detector vs OBELiX labels: precision {d['precision']:.3f} recall {d['recall']:.3f} "
          f"(tp {d['tp']} fp {d['fp']} fn {d['fn']} tn {d['tn']})")
    if write:
        for result, ds, out, what in (
            (paper, xu, "reports/nasicon-xu2020", "Xu, Zong & Hippalgaonkar's logistic regression "
             "(solver 'sag', C=1.0006, max_iter=80, unscaled) on their ten descriptors "
             f"({', '.join(XU_FEATURES)}); label sigma >= 1e-6 S/cm (their Sclass)."),
            (ob, obelix, "reports/nasicon-obelix", "explainsse logistic regression (defaults) on composition-v1 "
             "descriptors, OBELiX NASICON rows, superionic at 1e-4 S/cm."),
        ):
            context, figures = build_nasicon_report(result, dataset=ds.name, files=ds.files, description=what)
            write_report(context, figures, out, force=True, template="nasicon.html.j2", markdown=nasicon_markdown)
            print("wrote", out)


if __name__ == "__main__":
    main(write="--no-write" not in sys.argv)
