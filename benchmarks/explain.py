"""Explanation speed: ``explain --model default X`` as a user runs it, then SHAP of every family.

First the command ``explainsse explain --model default FORMULA`` (a new process, imports
included; target <= 2 s on the 2-core machine), median of ``--cli-repeat`` runs, next to the
bare-import yardstick of ``_timing.py`` measured in the same session (a fresh interpreter
importing the third-party stack; the ratio moves much less with the machine's load than either
time) and its CPU seconds.

Then (unless ``--cli-only``) seconds to explain (SHAP for every row and descriptor, into an
ExplanationTable) for logreg / PLS / XGBoost models fitted on OBELiX with `crystal-v1`
descriptors, and for XGBoost on N rows made by repeating OBELiX (default 20,000), where
explainsse uses XGBoost's native TreeSHAP with shap.TreeExplainer cross-checking 500 rows;
shap.TreeExplainer on all N rows is timed in the same run for comparison.

Run:  EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/explain.py [--rows 20000] [--cli-only]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

import _timing
import numpy as np
import pandas as pd

#: Target of ``explain --model default X`` on the 2-core machine (wall seconds).
CLI_TARGET = 2.0


def cli_timing(formula: str, repeat: int) -> None:
    """Print the table of ``explainsse explain --model default FORMULA`` against the yardstick."""
    yards = [_timing.yardstick()]
    with tempfile.TemporaryDirectory(prefix="explainsse-bench-") as tmp:
        env = {**os.environ, "EXPLAINSSE_CACHE_DIR": tmp}
        runs = [_timing.explainsse(["explain", "--model", "default", formula], env) for _ in range(repeat)]
    yards.append(_timing.yardstick())
    name = f"explain --model default {formula}"
    print(f"{name}, {_timing.machine()}; median of {repeat} runs\n")
    print(_timing.table({name: _timing.median(runs)}, {name: CLI_TARGET}, _timing.median(yards)))
    print(f"\nyardstick: `python -c \"{_timing.BARE_IMPORT}\"`, median of 3 at the start "
          f"({yards[0].wall:.2f} s) and 3 at the end ({yards[1].wall:.2f} s)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--formula", default="Li7La3Zr2O12", help="material of the explain command")
    parser.add_argument("--cli-repeat", type=int, default=5)
    parser.add_argument("--cli-only", action="store_true", help="time the explain command only")
    args = parser.parse_args()
    cli_timing(args.formula, args.cli_repeat)
    if args.cli_only:
        return
    warnings.simplefilter("ignore")
    import shap

    from explainsse.datasets import load_dataset
    from explainsse.explain import explain, model_output
    from explainsse.featurize import featurize_dataset
    from explainsse.models import make_model, make_target
    from explainsse.models.train import TrainedModel

    ds = load_dataset("obelix")
    X = featurize_dataset(ds, "crystal-v1").X
    print("| family | task | rows | descriptors | explain (s) | method | max additivity error |")
    print("|---|---|---:|---:|---:|---|---:|")
    for family, task in [("logreg", "classification"), ("pls", "regression"), ("pls", "classification"),
                         ("xgb", "regression"), ("xgb", "classification")]:
        pipe = make_model(family, task, n_jobs=2).fit(X, make_target(ds.frame, task))
        model = TrainedModel(pipe, family, task, "crystal-v1", list(X.columns))
        start = time.perf_counter()
        table = explain(model, X, X)
        seconds = time.perf_counter() - start
        err = np.abs(table.output().to_numpy() - model_output(pipe, family, task, X)).max()
        print(f"| {family} | {task} | {len(X)} | {X.shape[1]} | {seconds:.2f} | {table.method} | {err:.1e} |",
              flush=True)
    big = pd.concat([X] * (args.rows // len(X) + 1), ignore_index=True).iloc[: args.rows]
    pipe = make_model("xgb", "regression", n_jobs=2).fit(X, make_target(ds.frame, "regression"))
    model = TrainedModel(pipe, "xgb", "regression", "crystal-v1", list(X.columns))
    start = time.perf_counter()
    table = explain(model, big)
    fast = time.perf_counter() - start
    Z = pipe[:-1].transform(big).astype(np.float32)
    start = time.perf_counter()
    shap.TreeExplainer(pipe[-1]).shap_values(Z)
    slow = time.perf_counter() - start
    import xgboost as xgb

    start = time.perf_counter()
    pipe[-1].get_booster().predict(xgb.DMatrix(Z), pred_contribs=True)
    native = time.perf_counter() - start
    print(f"| xgb | regression | {len(big)} | {X.shape[1]} | {fast:.2f} | {table.method} | - |")
    print(f"\nOn the same {len(big)} rows: XGBoost pred_contribs alone {native:.2f} s, "
          f"shap.TreeExplainer alone {slow:.2f} s; explainsse total {fast:.2f} s "
          f"(includes the 500-row shap cross-check and the {len(big) * X.shape[1]:,}-row long table)")


if __name__ == "__main__":
    main()
