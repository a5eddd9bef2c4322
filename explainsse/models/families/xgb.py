"""Gradient-boosted trees (XGBoost), explained by TreeSHAP; saved in XGBoost's own JSON format."""

from __future__ import annotations

from . import LOG10_SIGMA, LOG_ODDS, Family

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
    import xgboost as xgb

    defaults = {"n_estimators": 400, "learning_rate": 0.05, "max_depth": 5,
                "min_child_weight": 1, "subsample": 0.8, "colsample_bytree": 0.5, "max_bin": 64}
    defaults.update(params)
    cls = xgb.XGBRegressor if task == "regression" else xgb.XGBClassifier
    return cls(tree_method="hist", random_state=random_state, n_jobs=n_jobs, **defaults)


def censored_estimator(random_state: int, n_jobs: int, params: dict):
    """Censoring-aware AFT regression that trains on upper bounds as bounds."""
    from ..censored import XGBAFTRegressor

    return XGBAFTRegressor(random_state=random_state, n_jobs=n_jobs, **params)


def search_space(task: str):
    """The sampled space above."""
    return SPACE


def native(model, X, y, top: int, seed: int) -> dict:
    """Total gain per descriptor (a secondary view, biased towards many-valued descriptors)."""
    from ...explain.native import xgb_gain

    return {"gain_secondary_view": xgb_gain(model).head(top).to_dict()}


def interactions(model, X, seed: int) -> dict:
    """SHAP interaction values between the top descriptors (XGBoost ``pred_interactions``, on a row sample)."""
    from ...explain.native import xgb_interactions

    return xgb_interactions(model, X, random_state=seed)


def _explainer(pipeline, family, task, X, background=None, **meta):
    from ...explain.explainers import explain_tree

    return explain_tree(pipeline, family, task, X, **meta)


FAMILY = Family(
    name="xgb",
    description="gradient-boosted trees (XGBoost, hist), TreeSHAP explanations",
    tasks=("regression", "classification"),
    estimator=estimator,
    search_space=search_space,
    explainer=_explainer,
    output_units={"classification": LOG_ODDS + " (XGBoost margin)", "regression": LOG10_SIGMA},
    scaled=False,
    named_input=False,
    search="random",
    n_iter=N_ITER,
    threads=True,
    persistence="xgboost-json",
    cost=2,
    regression_rank=0,
    native=native,
    censored_estimator=censored_estimator,
    extra={"interactions": interactions},
)
