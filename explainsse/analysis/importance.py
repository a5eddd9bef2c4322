"""Global descriptor importance of several families, each tuned and fitted on the training rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..explain.agreement import cross_family_agreement
from ..explain.native import family_extra_view
from ..featurize import describe
from ..models.families import get_family
from ..models.train import final_model
from .steps import FamilyExplanation, explain_model


@dataclass(frozen=True)
class ImportanceResult:
    """Explanations of tuned models, their agreement, and what they were fitted on.

    Attributes
    ----------
    explanations : dict
        Family -> :class:`~explainsse.analysis.steps.FamilyExplanation`.
    models : dict
        Family -> fitted :class:`~explainsse.models.train.TrainedModel`.
    agreement : dict or None
        Cross-family rank correlation and direction agreement (two or more families).
    config : dict
        ``dataset, preset, task, threshold_S_cm, top, n_bootstrap, correlation``.
    """

    explanations: dict
    models: dict
    agreement: dict | None
    config: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON form (``explainsse importance --json``)."""
        top = self.config["top"]
        families = {}
        for fam, ex in self.explanations.items():
            imp, directions = ex.importance, ex.directions(top)
            families[fam] = {
                "method": ex.table.method, "notes": list(ex.table.notes), "params": ex.params,
                "output_units": ex.table.output_units,
                "importance": [{"descriptor": d, **imp.loc[d].to_dict(), "unit": describe(d).unit,
                                "meaning": describe(d).meaning, "direction": directions["sentence"].get(d)}
                               for d in imp.index],
                "stability": {**{k: ex.stability[k] for k in ("rank_stability", "top_k_jaccard", "runs", "scheme",
                                                              "n_bootstrap")},
                              "unstable": imp.index[imp["unstable"].astype(bool)].tolist()},
                "groups": [{"group": g, "members": m} for g, m in ex.groups.items()],
                "grouped_importance": ex.grouped_importance().to_dict(),
                "native": ex.native,
            }
        out = {**{k: self.config[k] for k in ("dataset", "preset", "task", "threshold_S_cm")}, "families": families}
        if self.agreement:
            out["agreement"] = self.agreement
        return out


def explain_families(ds, X: pd.DataFrame, families, task: str, *, preset: str, threshold: float, top: int = 10,
                     n_bootstrap: int = 5, correlation: float = 0.9, interactions: bool = False, seed: int = 0,
                     n_jobs: int = 1, progress=None) -> ImportanceResult:
    """Tune each family by grouped inner CV on the training rows, fit, and explain it there.

    Parameters
    ----------
    ds : Dataset
    X : pandas.DataFrame
        Descriptors of ``ds.frame``.
    families : sequence of str
    task : str
    preset : str
    threshold : float
    top : int
        Size of the top-descriptor sets (stability, agreement, native views).
    n_bootstrap : int
        Bootstrap refits of the stability analysis.
    correlation : float
        |Spearman| grouping threshold.
    interactions : bool
        SHAP interaction values of the top descriptors, for families that offer them (XGBoost;
        slow, on a row sample).
    seed, n_jobs : int
    progress : callable, optional

    Returns
    -------
    ImportanceResult
    """
    explanations, models = {}, {}
    for fam in families:
        model = final_model(ds.frame, X, fam, task, preset=preset, threshold=threshold, random_state=seed,
                            n_jobs=n_jobs)
        frame_tr = ds.frame.loc[model.train_X.index]
        ex: FamilyExplanation = explain_model(model, frame_tr, model.train_X, top=top, n_bootstrap=n_bootstrap,
                                              correlation=correlation, seed=seed, n_jobs=n_jobs, native=True)
        if interactions:
            view = family_extra_view(get_family(fam), "interactions", model, model.train_X, seed)
            if view is not None:
                ex.native["interactions"] = view
        explanations[fam], models[fam] = ex, model
        if progress:
            progress(f"{fam}: explained {len(frame_tr)} training rows, {ex.stability['runs']} stability runs")
    agreement = None
    if len(explanations) > 1:
        ag = cross_family_agreement({f: e.table for f, e in explanations.items()}, top_k=top)
        agreement = {"rank_correlation": ag["rank_correlation"], "direction_agreement": ag["direction_agreement"],
                     "direction": ag["direction"].to_dict("records"), "top_k": top}
    config = {"dataset": ds.name, "preset": preset, "task": task, "threshold_S_cm": threshold, "top": top,
              "n_bootstrap": n_bootstrap, "correlation": correlation}
    return ImportanceResult(explanations, models, agreement, config)


__all__ = ["ImportanceResult", "explain_families"]
