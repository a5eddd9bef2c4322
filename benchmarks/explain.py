"""SHAP speed: all three families on the 599 OBELiX rows, and XGBoost on 20,000 rows.

Prints seconds to explain (SHAP for every row and descriptor, into an ExplanationTable) for
logreg / PLS / XGBoost models fitted on OBELiX with `crystal-v1` descriptors, and for XGBoost on
N rows made by repeating OBELiX (default 20,000), where explainsse uses XGBoost's native
TreeSHAP with shap.TreeExplainer cross-checking 500 rows; shap.TreeExplainer on all N rows is
timed in the same run for comparison.

Run:  EXPLAINSSE_DATA_DIR=../shared/datasets python benchmarks/explain.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
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
