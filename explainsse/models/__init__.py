"""Model families, leakage-aware validation, metrics and safe persistence."""

from .evaluation import RESULT_COLUMNS, Evaluation, evaluate, tune
from .factory import PLSDAClassifier, PLSRegressor, make_model, param_grid
from .families import Family, family_names, get_family, register_family
from .splits import SCHEMES, chemical_system, groups_for, iter_folds
from .targets import DEFAULT_THRESHOLD, TASKS, make_target

__all__ = [
    "DEFAULT_THRESHOLD",
    "Family",
    "RESULT_COLUMNS",
    "SCHEMES",
    "TASKS",
    "Evaluation",
    "PLSDAClassifier",
    "PLSRegressor",
    "chemical_system",
    "evaluate",
    "family_names",
    "get_family",
    "groups_for",
    "iter_folds",
    "make_model",
    "make_target",
    "param_grid",
    "register_family",
    "tune",
]
