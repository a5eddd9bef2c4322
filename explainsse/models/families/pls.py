"""Partial least squares: PLS regression of log10 sigma, PLS-DA for superionic or not."""

from __future__ import annotations

from . import LOG10_SIGMA, LOG_ODDS, Family

GRID = {"model__n_components": [1, 2, 3, 5, 8, 12]}


def estimator(task: str, random_state: int, n_jobs: int, params: dict):
    """``PLSRegressor`` (regression) or ``PLSDAClassifier`` (classification)."""
    from ..factory import PLSDAClassifier, PLSRegressor

    return PLSRegressor(**params) if task == "regression" else PLSDAClassifier(**params)


def search_space(task: str):
    """Number of latent components."""
    return GRID


def native(model, X, y, top: int, seed: int) -> dict:
    """Variable importance in projection (VIP) and loadings of the top descriptors."""
    from ...explain.native import pls_views

    views = pls_views(model, X)
    return {"vip": [{"descriptor": d, "vip": float(v)} for d, v in views["vip"].head(top).items()],
            "loadings": views["loadings"].loc[views["vip"].index[:top]].to_dict("index")}


def _explainer(*args, **kwargs):
    from ...explain.explainers import explain_linear

    return explain_linear(*args, **kwargs)


FAMILY = Family(
    name="pls",
    description="PLS regression / PLS-DA (calibrated) on standardized descriptors",
    tasks=("regression", "classification"),
    estimator=estimator,
    search_space=search_space,
    explainer=_explainer,
    output_units={"classification": LOG_ODDS + " (PLS-DA, calibrated)", "regression": LOG10_SIGMA},
    cost=1,
    regression_rank=1,
    native=native,
)
