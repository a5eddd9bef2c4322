"""Gradient-boosted trees (XGBoost), explained by TreeSHAP; saved in XGBoost's own JSON format."""

from __future__ import annotations

from ..censored import XGBAFTRegressor
from .base import LOG10_SIGMA, LOG_ODDS, Family

#: Sampled (``N_ITER`` candidates, fixed seed: the candidates never depend on the data).
SPACE = {
    "model__max_depth": [3, 4, 5, 6, 7],
    "model__min_child_weight": [1, 2, 4, 8],
    "model__learning_rate": [0.03, 0.05, 0.1],
    "model__n_estimators": [150, 300, 500],
    "model__subsample": [0.7, 0.85, 1.0],
    "model__colsample_bytree": [0.3, 0.5, 0.8],
}
N_ITER = 5


def estimator(task: str, random_state: int, n_jobs: int, params: dict):
    """``XGBRegressor`` / ``XGBClassifier`` (hist trees, fixed seed and threads).

    64 histogram bins (XGBoost's default is 256): a few hundred training rows rarely have more
    distinct split points worth separating, and fits are about 3x faster.
    """
    import xgboost as xgb  # heavy: XGBoost loads only when a tree model is used

    defaults = {"n_estimators": 400, "learning_rate": 0.05, "max_depth": 5,
                "min_child_weight": 1, "subsample": 0.8, "colsample_bytree": 0.5, "max_bin": 64}
    defaults.update(params)
    cls = xgb.XGBRegressor if task == "regression" else xgb.XGBClassifier
    return cls(tree_method="hist", random_state=random_state, n_jobs=n_jobs, **defaults)


def censored_estimator(random_state: int, n_jobs: int, params: dict):
    """Censoring-aware AFT regression that trains on upper bounds as bounds."""
    return XGBAFTRegressor(random_state=random_state, n_jobs=n_jobs, **params)


def search_space(task: str):
    """The sampled space above."""
    return SPACE


FAMILY = Family(
    name="xgb",
    description="gradient-boosted trees (XGBoost, hist), TreeSHAP explanations",
    tasks=("regression", "classification"),
    estimator=estimator,
    search_space=search_space,
    explainer="tree",
    output_units={"classification": LOG_ODDS + " (XGBoost margin)", "regression": LOG10_SIGMA},
    scaled=False,
    named_input=False,
    search="random",
    n_iter=N_ITER,
    threads=True,
    persistence="xgboost-json",
    cost=2,
    regression_rank=0,
    native="gain",
    censored_estimator=censored_estimator,
    extra={"interactions": "tree-interactions"},
)
