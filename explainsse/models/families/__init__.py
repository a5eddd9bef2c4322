"""The family registry: one module per model family, everything else looks families up here.

A :class:`Family` says how to build its estimator, which hyperparameters to search, how to
explain it, what its output (and so every SHAP value) is measured in, how it is saved, and how
expensive it is to validate. The built-in families are :mod:`.logreg`, :mod:`.pls` and
:mod:`.xgb`; a new one is a :class:`Family` passed to :func:`register_family` (no other file
changes).

Examples
--------
>>> sorted(family_names())
['logreg', 'pls', 'xgb']
>>> get_family("pls").output_units["regression"]
'predicted log10 sigma (S/cm)'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ...errors import InputDataError

#: Model outputs shared by families (SHAP values are in the same units as the output).
LOG_ODDS = "log-odds of sigma >= threshold"
LOG10_SIGMA = "predicted log10 sigma (S/cm)"


@dataclass(frozen=True)
class Family:
    """One model family.

    Attributes
    ----------
    name : str
        Registry key (``--family`` on the command line).
    description : str
        One line for help texts and reports.
    tasks : tuple of str
        Tasks it supports (``regression``, ``classification``).
    estimator : callable
        ``estimator(task, random_state, n_jobs, params) -> estimator``: the final pipeline step.
    search_space : callable
        ``search_space(task) -> dict or list of dict``: pipeline parameter grid (``model__...``),
        fixed a priori and searched on training rows only.
    explainer : callable
        ``explainer(pipeline, family, task, X, background, **meta) -> ExplanationTable``.
    output_units : mapping
        Task -> what the model output (log-odds, log10 sigma) is measured in.
    scaled : bool
        Standardize and clip descriptors before the estimator (linear families).
    named_input : bool
        Pass descriptor names to the estimator (pandas); False gives a plain matrix (XGBoost
        refuses some names).
    search : {"grid", "random"}
        Exhaustive grid search, or ``n_iter`` sampled candidates (fixed seed).
    n_iter : int
        Candidates of a random search.
    threads : bool
        The estimator uses ``n_jobs`` threads itself (so the search runs candidates one by one).
    persistence : {"skops", "xgboost-json"}
        File format of the fitted estimator (never pickle).
    trusted_types : tuple of str
        Extra types skops may rebuild when loading this family's estimator.
    cost : int
        Relative cost of validating it (higher first, so pool workers start the slow ones).
    regression_rank : int
        Preference for the report's per-material regression explanations (lowest wins).
    native : callable, optional
        ``native(model, X, y, top, seed) -> dict``: the family's own interpretable view
        (odds ratios, VIP, gain), beside SHAP.
    censored_estimator : callable, optional
        ``censored_estimator(random_state, n_jobs, params)``: a censoring-aware regressor
        (``--censoring aft``) when the family has one.
    extra : mapping
        Optional views by name, e.g. ``interactions(model, X, seed) -> dict`` (XGBoost's SHAP
        interaction values, ``explainsse importance --interactions``).
    """

    name: str
    description: str
    tasks: tuple[str, ...]
    estimator: Callable
    search_space: Callable
    explainer: Callable
    output_units: Mapping[str, str]
    scaled: bool = True
    named_input: bool = True
    search: str = "grid"
    n_iter: int = 0
    threads: bool = False
    persistence: str = "skops"
    trusted_types: tuple[str, ...] = ()
    cost: int = 1
    regression_rank: int = 9
    native: Callable | None = None
    censored_estimator: Callable | None = None
    extra: Mapping = field(default_factory=dict)

    def supports(self, task: str) -> bool:
        """Whether the family models ``task``."""
        return task in self.tasks

    def units(self, task: str) -> str:
        """What the model output of ``task`` is measured in."""
        return self.output_units.get(task, "model output")


_REGISTRY: dict[str, Family] = {}
#: Names of the families that come with explainsse.
BUILTIN = ("logreg", "pls", "xgb")


def _builtins() -> dict[str, Family]:
    """The registry, with the built-in families loaded on first use (no work at import time)."""
    if not any(name in _REGISTRY for name in BUILTIN):
        from . import logreg, pls, xgb

        for module in (logreg, pls, xgb):
            _REGISTRY.setdefault(module.FAMILY.name, module.FAMILY)
    return _REGISTRY


def register_family(family: Family, *, replace: bool = False) -> Family:
    """Add ``family`` to the registry (``replace`` to redefine an existing name).

    Parameters
    ----------
    family : Family
    replace : bool, default False

    Returns
    -------
    Family
        The registered family.
    """
    registry = _builtins()
    if family.name in registry and not replace:
        raise ValueError(f"a family named {family.name!r} is registered already (replace=True to redefine it)")
    registry[family.name] = family
    return family


def unregister_family(name: str) -> None:
    """Remove a family from the registry (tests; a built-in comes back on the next lookup only if removed)."""
    _builtins().pop(name, None)


def family_names(task: str | None = None) -> tuple[str, ...]:
    """Registered family names (those supporting ``task`` when given), in registration order."""
    return tuple(n for n, f in _builtins().items() if task is None or f.supports(task))


def get_family(name: str) -> Family:
    """The registered family called ``name``.

    Raises
    ------
    InputDataError
        Naming the known families.
    """
    registry = _builtins()
    if name not in registry:
        raise InputDataError(f"family must be one of {', '.join(registry)}, got {name!r}")
    return registry[name]


def check_families(names) -> list[str]:
    """``names`` as a list, or an error naming the unknown ones and the known families."""
    names = list(names)
    unknown = [n for n in names if n not in _builtins()]
    if unknown:
        raise InputDataError(f"unknown families {unknown}; choose from {', '.join(_builtins())}")
    return names


__all__ = ["BUILTIN", "LOG10_SIGMA", "LOG_ODDS", "Family", "check_families", "family_names", "get_family",
           "register_family", "unregister_family"]
