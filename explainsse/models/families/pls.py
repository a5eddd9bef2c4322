"""Partial least squares: PLS regression of log10 sigma, PLS-DA for superionic or not."""

from __future__ import annotations

from ..estimators import PLSDAClassifier, PLSRegressor
from .base import LOG10_SIGMA, LOG_ODDS, Family

GRID = {"model__n_components": [1, 2, 3, 5, 8, 12]}


def estimator(task: str, random_state: int, n_jobs: int, params: dict):
    """``PLSRegressor`` (regression) or ``PLSDAClassifier`` (classification)."""
    return PLSRegressor(**params) if task == "regression" else PLSDAClassifier(**params)


def search_space(task: str):
    """Number of latent components."""
    return GRID


FAMILY = Family(
    name="pls",
    description="PLS regression / PLS-DA (calibrated) on standardized descriptors",
    tasks=("regression", "classification"),
    estimator=estimator,
    search_space=search_space,
    explainer="linear",
    output_units={"classification": LOG_ODDS + " (PLS-DA, calibrated)", "regression": LOG10_SIGMA},
    cost=1,
    regression_rank=1,
    native="vip",
)
