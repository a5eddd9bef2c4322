"""Logistic regression (superionic or not), the Sendek et al. (2017) family.

L2 by default, solved by lbfgs (fast, exact); an elastic net (``l1_ratio > 0``) needs saga,
which the grid sets. Before scikit-learn 1.8 the penalty is named beside the solver.
"""

from __future__ import annotations

from .base import LOG_ODDS, Family

#: Searched by inner CV on training rows only. L2 (``l1_ratio=0``) is solved by lbfgs, which
#: converges in tens of iterations where saga needs thousands; the elastic net needs saga. The
#: weakest regularization (C=10) is searched with L2 only: an almost unpenalized elastic net on a
#: hundred-odd correlated descriptors takes saga thousands of iterations and adds nothing.
GRID = [
    {"model__C": [0.01, 0.1, 1.0, 10.0], "model__l1_ratio": [0.0], "model__solver": ["lbfgs"]},
    {"model__C": [0.01, 0.1, 1.0], "model__l1_ratio": [0.5], "model__solver": ["saga"]},
]


def _sklearn_version() -> tuple[int, int]:
    import sklearn  # heavy: scikit-learn loads only when a model is built or scored

    major, minor = sklearn.__version__.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def estimator(task: str, random_state: int, n_jobs: int, params: dict):
    """``LogisticRegression`` with explainsse defaults (classification only)."""
    # heavy: scikit-learn loads only when a model is built or scored
    from sklearn.linear_model import LogisticRegression

    defaults = {"C": 1.0, "l1_ratio": 0.0, "solver": "lbfgs", "max_iter": 5000}
    if _sklearn_version() < (1, 8):
        defaults["penalty"] = "elasticnet" if params.get("l1_ratio", 0.0) > 0 else "l2"
    defaults.update(params)
    return LogisticRegression(random_state=random_state, **defaults)


def search_space(task: str):
    """The grid above (with ``penalty`` named before scikit-learn 1.8)."""
    if _sklearn_version() < (1, 8):
        return [{**g, "model__penalty": ["l2" if g["model__l1_ratio"] == [0.0] else "elasticnet"]} for g in GRID]
    return GRID


FAMILY = Family(
    name="logreg",
    description="logistic regression, a classifier of superionic or not",
    tasks=("classification",),
    estimator=estimator,
    search_space=search_space,
    explainer="linear",
    output_units={"classification": LOG_ODDS},
    cost=3,
    native="odds-ratios",
)
