"""Global descriptor importance of several families, each tuned and fitted on the training rows.

Each family is also validated (:func:`~explainsse.models.evaluate`, with y-scrambling) and given
the skill verdict of :func:`~explainsse.models.scoring.skill_verdict`; only the explanation of a
family with ``"skill"`` is a finding (``finding`` in the JSON), the others carry a heading that
says so ("this model does not beat the median; its SHAP values describe noise").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .._config import DEFAULT_N_SCRAMBLE
from ..datasets.table import split_mask
from ..explain.agreement import cross_family_agreement
from ..explain.correlation import merge_near_copies
from ..explain.named_groups import named_group_importance, ranking_reliability
from ..explain.native import family_extra_view
from ..explain.physics_check import physics_check, split_site_note
from ..explain.stability import INTERVAL_METHOD
from ..featurize import describe
from ..models import evaluate
from ..models.families import get_family
from ..models.scoring import NO_SKILL, SKILL, WEAK, evaluation_verdict
from ..models.splits import DEFAULT_USER_SCHEME
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
        ``dataset, preset, task, threshold_S_cm, top, n_bootstrap, correlation, scheme, n_scramble``.
    verdicts : dict
        Family -> skill verdict of its validation (:func:`~explainsse.models.scoring.evaluation_verdict`:
        ``verdict`` "skill" / "weak" / "no skill", ``verdict_reason``, the metric with ``ci_low`` /
        ``ci_high``, the baseline and the y-scrambling p).
    """

    explanations: dict
    models: dict
    agreement: dict | None
    config: dict = field(default_factory=dict)
    verdicts: dict = field(default_factory=dict)

    def verdict(self, family: str) -> dict:
        """The verdict of ``family`` (``"weak"`` with the reason when it was not validated)."""
        return self.verdicts.get(family) or {"verdict": WEAK, "verdict_reason": "not validated (validate=False), "
                                                                              "so its skill is unknown"}

    def finding(self, family: str) -> bool:
        """The gate: True only when ``family``'s model has skill, so its explanation may be stated as a finding."""
        return self.verdict(family)["verdict"] == SKILL

    def heading(self, family: str) -> str:
        """The line to print above ``family``'s importance table (says when it is not a finding)."""
        return gate_heading(family, self.config.get("task", "classification"), self.verdict(family))

    def to_dict(self) -> dict:
        """The JSON form (``explainsse importance --json``)."""
        top = self.config["top"]
        families = {}
        for fam, ex in self.explanations.items():
            imp, directions = ex.importance, ex.directions(top)
            v = self.verdict(fam)
            families[fam] = {
                "verdict": v["verdict"], "verdict_reason": v["verdict_reason"], "finding": self.finding(fam),
                "heading": self.heading(fam), "evaluation": v,
                "method": ex.table.method, "notes": list(ex.table.notes), "params": ex.params,
                "output_units": ex.table.output_units,
                "importance": [{"descriptor": d, **imp.loc[d].to_dict(), "unit": describe(d).unit,
                                "meaning": describe(d).meaning, "direction": directions["sentence"].get(d),
                                "group": describe(d).group, "flag": describe(d).flag}
                               for d in imp.index],
                "stability": {**{k: ex.stability[k] for k in ("rank_stability", "top_k_jaccard", "runs", "scheme",
                                                              "n_bootstrap")},
                              "interval": ex.stability.get("interval", INTERVAL_METHOD),
                              "unstable": imp.index[imp["unstable"].astype(bool)].tolist()},
                "groups": [{"group": g, "members": m} for g, m in ex.groups.items()],
                "grouped_importance": ex.grouped_importance().to_dict(),
                "named_groups": {r["group"]: {k: v for k, v in r.items() if k != "group"}
                                 for r in named_group_importance(ex.table).to_dict("records")},
                "physics_check": physics_check(ex.table),
                "split_sites": split_site_note(ex.table),
                "native": ex.native,
            }
        out = {**{k: self.config[k] for k in ("dataset", "preset", "task", "threshold_S_cm")},
               "consensus": consensus(self, top),
               "scheme": self.config.get("scheme"), "families": families,
               "physics_check": [{"family": fam, **row} for fam, f in families.items() for row in f["physics_check"]]}
        # the named groups by their names, each family's grouped SHAP side by side (skilled or not: see "finding")
        out["named_groups"] = {g: {fam: f["named_groups"][g] for fam, f in families.items() if g in f["named_groups"]}
                               for g in dict.fromkeys(g for f in families.values() for g in f["named_groups"])}
        if self.agreement:
            out["agreement"] = self.agreement
        return out


def consensus(result: ImportanceResult, top: int = 10) -> dict:
    """One headline ranking from the families with skill: named groups, then descriptors.

    Each skilled family's named-group importance is turned into shares of its total mean |SHAP|;
    the consensus share of a group is the mean over the skilled families (and its range). The
    agreement is the Spearman rank correlation of group importance (and of descriptor importance)
    between every pair of skilled families; a group whose rank differs by 3 or more between two
    skilled families is listed as a disagreement, as is a top descriptor whose SHAP direction
    differs. In the descriptor ranking each set of near-copies (|Spearman| at or above the
    ``correlation`` threshold on the training rows) takes one place, so the top places name
    distinct drivers (:func:`~explainsse.explain.correlation.merge_near_copies`). With one skilled
    family the ranking is that family's; with none there is no headline.

    Returns
    -------
    dict
        ``families`` (the skilled ones), ``groups`` (ranked: ``group``, ``share``, ``share_min``,
        ``share_max``, ``ranks``), ``descriptors`` (ranked the same way, with ``group``, ``flag`` and
        ``near_copies``: each set of near-copies takes one place, at its member of largest share),
        ``agreement`` (``group_rank_correlation``, ``descriptor_rank_correlation`` per pair),
        ``disagreements`` (sentences), ``note`` and ``reliability``.
    """
    skilled = [f for f in result.explanations if result.finding(f)]
    out = {"families": skilled, "groups": [], "descriptors": [], "agreement": {}, "disagreements": []}
    if not skilled:
        out["note"] = "no family has skill, so there is no headline ranking (the SHAP values describe noise)"
        return out
    groups = {f: named_group_importance(result.explanations[f].table).set_index("group")["share"] for f in skilled}
    shares = pd.DataFrame(groups).fillna(0.0)
    ranks = shares.rank(ascending=False, method="min").astype(int)
    order = shares.mean(axis=1).sort_values(ascending=False).index
    out["groups"] = [{"group": g, "share": float(shares.loc[g].mean()), "share_min": float(shares.loc[g].min()),
                      "share_max": float(shares.loc[g].max()), "ranks": {f: int(ranks.at[g, f]) for f in skilled}}
                     for g in order]
    imp = pd.DataFrame({f: result.explanations[f].importance["mean_abs_shap"] for f in skilled}).fillna(0.0)
    imp = imp / imp.sum()
    merged = merge_near_copies(imp.mean(axis=1), result.explanations[skilled[0]].groups)
    for d, row in merged.head(top).iterrows():
        out["descriptors"].append({"descriptor": d, "share": row["importance"], "group": describe(d).group,
                                   "flag": describe(d).flag, "near_copies": row["near_copies"]})
    for i, a in enumerate(skilled):
        for b in skilled[i + 1:]:
            key = f"{a}-{b}"
            out["agreement"].setdefault("group_rank_correlation", {})[key] = float(
                shares[a].corr(shares[b], method="spearman"))
            out["agreement"].setdefault("descriptor_rank_correlation", {})[key] = float(
                imp[a].corr(imp[b], method="spearman"))
            for g in order[:top]:
                if abs(ranks.at[g, a] - ranks.at[g, b]) >= 3:
                    out["disagreements"].append(f"{g}: rank {ranks.at[g, a]} in {a}, {ranks.at[g, b]} in {b}")
    if result.agreement and len(skilled) > 1:
        for row in result.agreement.get("direction", []):
            signs = {f: row.get(f"direction_{f}") for f in skilled if row.get(f"direction_{f}") not in (None, 0)}
            if len(set(signs.values())) > 1:
                out["disagreements"].append(f"{row.get('descriptor')}: direction differs ({signs})")
    out["note"] = (f"consensus of {len(skilled)} skilled families" if len(skilled) > 1 else
                   f"only {skilled[0]} has skill: its ranking, with no second family to agree or disagree")
    out["reliability"] = ranking_reliability(None if len(skilled) > 1 else skilled[0], result.config["task"],
                                             merged=True)
    return out


def gate_heading(family: str, task: str, verdict: dict) -> str:
    """The heading an explanation is shown under, by the verdict of its model (one wording everywhere).

    Examples
    --------
    >>> gate_heading("xgb", "regression", {"verdict": "no skill"})
    'xgb: this model does not beat the median; its SHAP values describe noise, not drivers of conductivity'
    """
    baseline = "the median" if task == "regression" else "chance (the majority class)"
    if verdict["verdict"] == SKILL:
        return f"{family}: skill against {baseline}; its explanation is a finding"
    if verdict["verdict"] == NO_SKILL:
        return (f"{family}: this model does not beat {baseline}; its SHAP values describe noise, "
                "not drivers of conductivity")
    return f"{family}: weak model, its skill against {baseline} is uncertain; its explanation is tentative"


def explain_families(ds, X: pd.DataFrame, families, task: str, *, preset: str, threshold: float, top: int = 10,
                     n_bootstrap: int = 5, correlation: float = 0.9, interactions: bool = False, seed: int = 0,
                     n_jobs: int = 1, progress=None, validate: bool = True, scheme: str | None = None,
                     n_scramble: int = DEFAULT_N_SCRAMBLE, n_boot: int = 200) -> ImportanceResult:
    """Tune each family by grouped inner CV on the training rows, fit, and explain it there; validate it for the gate.

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
    validate : bool, default True
        Validate each family (``scheme``, ``n_scramble`` y-scrambling refits) and give it a verdict;
        False skips it (every family is then "weak": not validated, so not a finding).
    scheme : str, optional
        Validation scheme: ``official`` when the data has a train/test split, else the default
        scheme for user data (cluster-out).
    n_scramble : int
        y-scrambling refits (19: the fewest for which p <= 0.05 is reachable).
    n_boot : int
        Bootstrap resamples for the metric's 95% interval.

    Returns
    -------
    ImportanceResult
    """
    frame = ds.frame
    has_split = bool(split_mask(frame, "train").any() and split_mask(frame, "test").any())
    scheme = scheme or ("official" if has_split else DEFAULT_USER_SCHEME)
    part = frame if scheme == "official" or not has_split else frame[split_mask(frame, "train")]
    explanations, models, verdicts = {}, {}, {}
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
        if validate:
            ev = evaluate(part, X.loc[part.index], fam, task, scheme, threshold=threshold, n_boot=n_boot,
                          n_scramble=n_scramble, random_state=seed, n_jobs=n_jobs)
            verdicts[fam] = evaluation_verdict(ev)
            if progress:
                progress(f"{fam}: {verdicts[fam]['verdict']} ({verdicts[fam]['verdict_reason']})")
    agreement = None
    if len(explanations) > 1:
        ag = cross_family_agreement({f: e.table for f, e in explanations.items()}, top_k=top)
        agreement = {"rank_correlation": ag["rank_correlation"], "direction_agreement": ag["direction_agreement"],
                     "direction": ag["direction"].to_dict("records"), "top_k": top}
    config = {"dataset": ds.name, "preset": preset, "task": task, "threshold_S_cm": threshold, "top": top,
              "n_bootstrap": n_bootstrap, "correlation": correlation, "scheme": scheme if validate else None,
              "n_scramble": n_scramble if validate else 0}
    return ImportanceResult(explanations, models, agreement, config, verdicts)


__all__ = ["ImportanceResult", "consensus", "explain_families", "gate_heading"]
