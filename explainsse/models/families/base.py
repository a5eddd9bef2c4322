"""What a model family is: :class:`Family`, and the units model outputs are measured in.

A family names its explainer and its native view by kind (strings); :mod:`explainsse.explain`
maps kinds to functions, so the model floor never imports the explanation floor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
    explainer : str or callable
        How SHAP values are computed: a kind that :mod:`explainsse.explain` maps to a function
        (``"linear"``: exact for linear models; ``"tree"``: TreeSHAP), or a callable
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
    native : str or callable, optional
        The family's own interpretable view beside SHAP: a kind that :mod:`explainsse.explain`
        maps to a function (``"odds-ratios"``, ``"vip"``, ``"gain"``), or a callable
        ``native(model, X, y, top, seed) -> dict``.
    censored_estimator : callable, optional
        ``censored_estimator(random_state, n_jobs, params)``: a censoring-aware regressor
        (``--censoring aft``) when the family has one.
    extra : mapping
        Optional views by name, each a kind that :mod:`explainsse.explain` maps to a function or a
        callable ``view(model, X, seed) -> dict``, e.g. ``{"interactions": "tree-interactions"}``
        (XGBoost's SHAP interaction values, ``explainsse importance --interactions``).
    """

    name: str
    description: str
    tasks: tuple[str, ...]
    estimator: Callable
    search_space: Callable
    explainer: str | Callable
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
    native: str | Callable | None = None
    censored_estimator: Callable | None = None
    extra: Mapping = field(default_factory=dict)

    def supports(self, task: str) -> bool:
        """Whether the family models ``task``."""
        return task in self.tasks

    def units(self, task: str) -> str:
        """What the model output of ``task`` is measured in."""
        return self.output_units.get(task, "model output")


__all__ = ["LOG10_SIGMA", "LOG_ODDS", "Family"]
