"""Model families, leakage-aware validation, metrics and safe persistence."""

from .evaluate import RESULT_COLUMNS, Evaluation, evaluate, tune
from .factory import FAMILIES, PARAM_GRIDS, PLSDAClassifier, PLSRegressor, make_model, param_grid
from .splits import SCHEMES, chemical_system, groups_for, iter_folds
from .targets import DEFAULT_THRESHOLD, TASKS, make_target

__all__ = [
    "DEFAULT_THRESHOLD",
    "FAMILIES",
    "PARAM_GRIDS",
    "RESULT_COLUMNS",
    "SCHEMES",
    "TASKS",
    "Evaluation",
    "PLSDAClassifier",
    "PLSRegressor",
    "chemical_system",
    "evaluate",
    "groups_for",
    "iter_folds",
    "make_model",
    "make_target",
    "param_grid",
    "tune",
]
