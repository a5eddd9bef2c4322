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

from ...errors import InputDataError
from . import logreg, pls, xgb
from .base import LOG10_SIGMA, LOG_ODDS, Family

_REGISTRY: dict[str, Family] = {}
#: Names of the families that come with explainsse.
BUILTIN = ("logreg", "pls", "xgb")


def _builtins() -> dict[str, Family]:
    """The registry, with the built-in families put (back) in when none of them is there."""
    if not any(name in _REGISTRY for name in BUILTIN):
        for module in (logreg, pls, xgb):
            _REGISTRY.setdefault(module.FAMILY.name, module.FAMILY)
    return _REGISTRY


def user_families() -> list[Family]:
    """Families registered in this process beyond the built-in ones."""
    return [f for name, f in _builtins().items() if name not in BUILTIN]


def _register_all(families: list[Family]) -> None:
    for family in families:
        register_family(family, replace=True)


def worker_setup() -> tuple | None:
    """Task-pool hook (:class:`explainsse.parallel.TaskPool`): workers register this process's own families.

    Returns
    -------
    tuple or None
        ``(function, args)`` for the worker to call before each task, or None when only the
        built-in families are registered.
    """
    extra = user_families()
    return (_register_all, (extra,)) if extra else None


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
           "register_family", "unregister_family", "user_families", "worker_setup"]
