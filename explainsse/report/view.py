"""The report's view model: a :class:`~explainsse.analysis.Study` turned into numbers, sentences and figures.

Nothing here fits or explains; it reads a study (freshly run or loaded from disk) and lays it out.
HTML, Markdown and ``report.json`` are rendered from the same :class:`ReportView`, so they show
the same numbers under the same section headings (:data:`SECTION_KEYS`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .._config import INTERVAL_LEVEL
from ..analysis.importance import gate_heading
from ..analysis.sections import DataCard
from ..explain.named_groups import named_group_importance, ranking_reliability
from ..explain.physics_check import physics_check, split_site_note
from ..explain.stability import INTERVAL_METHOD
from ..explain.trust import trust_record, trust_texts
from ..featurize import describe
from ..featurize.structure import HAS_STRUCTURE, LABELS
from ..models import SCHEMES
from ..models.benchmark import PUBLISHED_ANCHORS, extrapolation_penalty, summary_table
from ..models.scoring import (
    NO_SKILL,
    SKILL,
    STATUS_TO_VERDICT,
    WEAK,
    evaluation_verdict,
    format_p_value,
    scramble_sentence,
)
from ..models.uncertainty import rate_interval
from . import figures as fig
from .nasicon_report import evaluation_rows

CITATIONS = [
    "OBELiX: F. Therrien et al., arXiv:2502.14234 (2025); Digital Discovery (2026).",
    "matminer: L. Ward et al., Comput. Mater. Sci. 152, 60-69 (2018).",
    "Magpie descriptors: L. Ward et al., npj Comput. Mater. 2, 16028 (2016).",
    "SHAP: S. M. Lundberg, S.-I. Lee, NeurIPS 30 (2017); TreeSHAP: Lundberg et al., Nat. Mach. Intell. 2, 56 (2020).",
    "XGBoost: T. Chen, C. Guestrin, KDD 2016.",
    "scikit-learn: F. Pedregosa et al., JMLR 12, 2825 (2011).",
    "pymatgen: S. P. Ong et al., Comput. Mater. Sci. 68, 314 (2013).",
]

#: The report's sections, in order (HTML ids; the headings come from :func:`headings`).
SECTION_KEYS = ("summary", "data", "models", "explanations", "dependence", "structure", "materials", "nasicon",
                "glossary")


def headings(threshold: float) -> dict[str, str]:
    """Numbered section headings shared by the HTML and Markdown renderings."""
    titles = ["Summary", "Data card", "Model comparison",
              f"Global explanations (classification: sigma >= {threshold:g} S/cm)",
              "Dependence of the top descriptors (regression model)", "Structure: what the crystal structure says",
              "Per-material explanations", "NASICON",
              "Glossary and citations"]
    return {key: f"{i}. {title}" for i, (key, title) in enumerate(zip(SECTION_KEYS, titles), start=1)}


@dataclass(frozen=True)
class ModelsSection:
    """Model comparison: scheme, metric tables with 95% intervals, published anchors, hyperparameters, y-scrambling."""

    scheme: str
    scheme_description: str
    tables: dict
    anchors: list
    params: dict
    confusion: dict
    y_scramble: dict
    y_scramble_sentences: list
    threshold_S_cm: float
    n_scramble: int


@dataclass(frozen=True)
class TopDescriptor:
    """One descriptor of a family's ranking: mean |SHAP| with its 95% interval over refits, unit, meaning, direction."""

    descriptor: str
    mean_abs_shap: float
    ci_low: float
    ci_high: float
    unstable: bool
    unit: str
    meaning: str
    direction: str
    group: str = ""
    flag: str | None = None


@dataclass(frozen=True)
class FamilySection:
    """How one family's classifier is explained: method, output units, top descriptors, stability, groups, native view.

    ``verdict`` is the skill verdict of the explained model (:func:`~explainsse.models.scoring.skill_verdict`);
    ``finding`` is True only for ``"skill"``: otherwise ``heading`` marks the explanation as tentative
    (``"weak"``) or as noise (``"no skill"``) and the summary never lists its descriptors as drivers.
    """

    method: str
    notes: list
    output_units: str
    top: list
    stability: dict
    groups: list
    native: dict
    task: str = "classification"
    verdict: str = WEAK
    verdict_reason: str = ""
    finding: bool = False
    heading: str = ""
    named_groups: list = field(default_factory=list)
    physics_check: list = field(default_factory=list)


@dataclass(frozen=True)
class ReportView:
    """Everything the report shows, as plain data (see :meth:`to_dict` for ``report.json``).

    Attributes
    ----------
    title, dataset, preset, preset_reason : str
    families : list of str
    threshold_S_cm : float
    seed : int
    started : str
        When the study started (ISO 8601, UTC).
    headings : dict
        Section key -> numbered heading.
    summary_sentences : list of str
    data : DataCard
        Data card.
    models : ModelsSection
        Model comparison: scheme, tables, anchors, params, confusion matrices, y-scrambling.
    explanations : dict
        Family -> :class:`FamilySection` (method, units, top descriptors with CIs, directions,
        stability, groups, native view).
    agreement : dict or None
    dependence : list of dict
    materials : list of dict
    glossary : list of dict
    citations : list of str
    results : list of dict
        Every tidy result row.
    nasicon : dict
    structure : dict
        The structure section (empty without structure descriptors).
    skipped : dict
        Section or task -> why the data could not support it (shown in its place).
    evaluations : list of dict
        One per validated family x task: its headline metric with ``ci_low`` / ``ci_high``, the
        baseline, the y-scrambling p and the ``verdict`` (``"skill"``, ``"weak"`` or ``"no skill"``)
        with ``verdict_reason``. The summary opens with them.
    regression_verdict : dict
        The verdict of the regression model whose SHAP values explain the materials, the
        dependence plots and the structural drivers (with the ``heading`` they are shown under).
    materials_note : str
        What the per-material predictions are (held-out test rows, or in-sample fits without a split).
    cv_schemes : dict
        The validated families under every CV scheme side by side, with verdicts and the
        extrapolation penalty (:func:`cv_schemes`).
    interval_coverage : dict or None
        With an official split: how many measured test materials lie inside their 90% conformal
        interval (``coverage`` with ``ci_low`` / ``ci_high``, ``mean_width``, ``sentence``).
    """

    title: str
    dataset: str
    preset: str
    preset_reason: str
    families: list
    threshold_S_cm: float
    seed: int
    started: str
    headings: dict
    summary_sentences: list
    data: DataCard
    models: ModelsSection
    explanations: dict
    agreement: dict | None
    dependence: list
    materials: list
    glossary: list
    citations: list = field(default_factory=lambda: list(CITATIONS))
    results: list = field(default_factory=list)
    nasicon: dict = field(default_factory=dict)
    structure: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    evaluations: list = field(default_factory=list)
    regression_verdict: dict = field(default_factory=dict)
    interval_coverage: dict | None = None
    cv_schemes: dict = field(default_factory=dict)
    materials_note: str = ""

    def to_dict(self) -> dict:
        """Plain dict for the templates and ``report.json``."""
        return asdict(self)


def _meaning(descriptor: str) -> str:
    """The glossary meaning of a descriptor as a sentence fragment ("number of distinct elements; "), or ""."""
    meaning = describe(descriptor).meaning
    return f"{meaning}; " if meaning and meaning != descriptor and "supplied by the user" not in meaning else ""


def _measured_text(row) -> str:
    """log10 sigma as shown to a reader: the value, or for a censored row its bound ("< -10.00 (upper bound)").

    Censored rows are modelled at the floor (e.g. -15); showing that floor as if measured misleads.
    """
    if bool(row["censored"]):
        return f"< {math.log10(float(row['sigma_bound_S_cm'])):.2f} (upper bound)"
    return f"{float(row['log10_sigma']):.2f}"


def _ranked_groups(table, groups: dict, top: int) -> list[dict]:
    """Correlated-descriptor groups with their grouped mean |SHAP|, most important first."""
    if not groups:
        return []
    grouped = table.grouped(groups).global_importance()["mean_abs_shap"]
    rows = [{"group": g, "members": m, "mean_abs_shap": float(grouped[g])} for g, m in groups.items()]
    return sorted(rows, key=lambda r: -r["mean_abs_shap"])[:top]


#: What a skipped section is called in the summary.
SKIPPED_NAMES = {"classification": "classification task", "regression": "regression task",
                 "nasicon": "NASICON validation",
                 "structure": "structure section"}


def _skipped(study) -> dict:
    """Section key -> why it was skipped (from the data card; empty for studies that skipped nothing)."""
    return dict(study.data_card.skipped_sections)


def _nasicon_context(result: dict | None, frame, reason: str = "") -> dict:
    """Section 7: the within-NASICON validation summary (or why there is none)."""
    n = int((frame["family"].astype("string").str.casefold() == "nasicon").sum()) if "family" in frame else 0
    if result is None:
        return {"n": n, "note": f"No NASICON validation: {reason or 'fewer than 10 NASICON materials'}.", "rows": []}
    return {"n": n, "n_subset": result["subset"]["n"], "source": result["membership_source"],
            "classifier": result["classifier"], "rows": evaluation_rows(result["evaluations"]),
            "verdicts": [f"{e['name']}: {_nasicon_verdict(e)} ({e['verdict']['text']})" for e in result["evaluations"]],
            "evaluations": [_nasicon_evaluation(e) for e in result["evaluations"]],
            "detector": result["detector"],
            "top": (result["explanation"].get("top") or [])[:5], "warnings": result["warnings"],
            "sites": (result["explanation"].get("sites") or {}).get("sentence", ""),
            "note": "Logistic regression (explainsse defaults) on the NASICON site descriptors (nasicon-v1), NASICON "
                    "rows only: "
                    "3 x stratified 5-fold and leave-papers-out; each permutation p says how many permutations "
                    "it rests on (refits, or labels permuted against fixed predictions). "
                    "`explainsse validate nasicon` runs all four protocols with leave-one-out."}


def _nasicon_verdict(e: dict) -> str:
    """The skill verdict of a NASICON evaluation (JSON form; older studies carry only the status)."""
    v = e["verdict"]
    return v.get("verdict") or STATUS_TO_VERDICT.get(v.get("status"), WEAK)


def _nasicon_evaluation(e: dict) -> dict:
    """A NASICON evaluation as report.json lists it: accuracy with ci_low / ci_high, baseline, p, verdict."""
    lo, hi = (e.get("ci") or {}).get("accuracy") or (math.nan, math.nan)
    return {"name": e["name"], "metric": "accuracy", "value": e["metrics"]["accuracy"], "ci_low": lo, "ci_high": hi,
            "baseline": e["baseline"]["best_constant_accuracy"],
            "p_value": e["permutation"].get("p_value"), "p_text": format_p_value(e["permutation"]),
            "status": e["verdict"]["status"], "verdict": _nasicon_verdict(e), "verdict_reason": e["verdict"]["text"]}


def _verdicts(study) -> list[dict]:
    """The skill verdict of every evaluation (:func:`~explainsse.models.scoring.evaluation_verdict`)."""
    return [evaluation_verdict(e) for e in study.evaluations]


def _verdict_of(verdicts: list[dict], family: str, task: str) -> dict:
    for v in verdicts:
        if (v["family"], v["task"]) == (family, task):
            return v
    return {"verdict": WEAK, "verdict_reason": f"{family}/{task} was not validated in this study, so its skill "
                                               "is unknown"}


#: Column of the model tables that shows each model's verdict (the baseline rows say "baseline").
VERDICT_COLUMN = "verdict vs baseline"


def _tables_with_verdicts(results, verdicts: list[dict], task: str) -> list[dict]:
    """The headline table of one task with each row's verdict and a p-value printed as it can be."""
    rows = summary_table(results, task).to_dict("records")
    for row in rows:
        match = [v for v in verdicts if (v["family"], v["task"], v["scheme"]) == (row["family"], row["task"],
                                                                                 row["scheme"])]
        if match and "y-scramble p" in row and row["y-scramble p"] not in ("", "n/a"):
            row["y-scramble p"] = match[0]["p_text"]
        row[VERDICT_COLUMN] = match[0]["verdict"] if match else ("baseline" if str(row["family"]).startswith(
            "baseline") else "")
    return rows


def _models(study, figures: dict, verdicts: list[dict] | None = None) -> ModelsSection:
    cfg, results = study.config, study.results
    scheme = cfg.scheme
    for e in study.evaluations:
        if e.task == "regression":
            figures[f"parity_{e.family}"] = fig.parity(e.predictions, title=f"{e.family}: {scheme}",
                                                        formulas=study.frame["formula"]).figure
        else:
            figures[f"confusion_{e.family}"] = fig.confusion(e.confusion, title=e.family).figure
    clf = {e.family: e.predictions for e in study.evaluations if e.task == "classification"}
    if clf:
        figures["roc"] = fig.roc(clf).figure
    return ModelsSection(
        scheme=scheme, scheme_description=SCHEMES[scheme].description,
        tables={t: _tables_with_verdicts(results, verdicts or [], t) for t in ("regression", "classification")},
        anchors=list(PUBLISHED_ANCHORS) if cfg.dataset == "obelix" else [],
        params={f"{e.family}/{e.task}": e.params for e in study.evaluations},
        confusion={e.family: e.confusion for e in study.evaluations if e.confusion},
        y_scramble={f"{e.family}/{e.task}": e.scramble for e in study.evaluations if e.scramble},
        y_scramble_sentences=[scramble_sentence(f"{e.family}/{e.task}", e.scramble)
                              for e in study.evaluations if e.scramble],
        threshold_S_cm=cfg.threshold_S_cm, n_scramble=cfg.n_scramble)


def _odds_ratios(native: dict) -> dict:
    """The native view with its odds-ratio intervals named ``ci_low`` / ``ci_high`` (coefficient intervals too).

    The odds ratio comes from the full fit and its bootstrap interval from refits; where the
    refits' interval misses the full fit, it is shifted onto it (by its midpoint in log-odds, the
    refits' median not being stored), so every interval contains the odds ratio printed beside it.
    """
    rows = native.get("odds_ratios")
    if not rows:
        return native
    out = []
    for r in rows:
        r = dict(r)
        coef = r.get("coef_per_sd", math.log(r["odds_ratio_per_sd"]) if r.get("odds_ratio_per_sd") else math.nan)
        lo, hi = r.pop("coef_ci_low", math.nan), r.pop("coef_ci_high", math.nan)
        or_lo, or_hi = r.pop("or_ci_low", math.nan), r.pop("or_ci_high", math.nan)
        if "ci_low" in r:  # already in this form
            out.append(r)
            continue
        if np.isfinite(lo) and np.isfinite(hi) and np.isfinite(coef) and not lo <= coef <= hi:
            mid = (lo + hi) / 2
            lo, hi = coef + lo - mid, coef + hi - mid
            or_lo, or_hi = math.exp(lo), math.exp(hi)
        r.update({"ci_low": or_lo, "ci_high": or_hi,
                  "coefficient": {"value": coef, "ci_low": lo, "ci_high": hi}})
        out.append(r)
    return {**native, "odds_ratios": out}


def _contained(point: float, low: float, high: float) -> tuple[float, float]:
    """(low, high) of a mean |SHAP| interval, shifted onto ``point`` when it misses it.

    Studies saved before the intervals were centred on the full fit
    (:func:`~explainsse.explain.stability.centred_interval`) hold the refits' plain percentiles;
    their width is kept and their midpoint moved to the full-fit value (never below 0).
    """
    point, low, high = float(point), float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high)) or low <= point <= high:
        return low, high
    shift = point - (low + high) / 2
    return max(0.0, low + shift), max(0.0, high + shift)


def _explanations(study, figures: dict, top: int, verdicts: list[dict] | None = None) -> dict[str, FamilySection]:
    explained = {}
    for family, ex in study.explanations.items():
        table, imp = ex.table, ex.importance
        directions = ex.directions(top)
        task = getattr(ex, "task", "classification") or "classification"
        verdict = _verdict_of(verdicts or [], family, task)
        split = split_site_note(table, study.frame.loc[table.samples, "family"] if "family" in study.frame else None)
        explained[family] = FamilySection(
            method=table.method, notes=[*table.notes, *([split] if split else [])], output_units=table.output_units,
            top=[TopDescriptor(d, float(r.mean_abs_shap), *_contained(r.mean_abs_shap, r.ci_low, r.ci_high),
                               bool(r.unstable), describe(d).unit, describe(d).meaning,
                               directions["sentence"].get(d, ""), describe(d).group, describe(d).flag)
                 for d, r in imp.head(top).iterrows()],
            stability={"rank_stability": ex.stability["rank_stability"],
                       "top_k_jaccard": ex.stability["top_k_jaccard"], "runs": ex.stability["runs"],
                       "interval": ex.stability.get("interval") or INTERVAL_METHOD},
            groups=_ranked_groups(table, ex.groups, top),
            native=_odds_ratios(ex.native),
            task=task, verdict=verdict["verdict"], verdict_reason=verdict["verdict_reason"],
            finding=verdict["verdict"] == SKILL, heading=gate_heading(family, task, verdict),
            named_groups=named_group_importance(table, seed=study.config.seed).to_dict("records"),
            physics_check=physics_check(table, seed=study.config.seed),
        )
        figures[f"importance_{family}"] = fig.importance_bar(imp, top=top, title=f"{family}: mean |SHAP|").figure
        figures[f"beeswarm_{family}"] = fig.beeswarm(table, top=top, title=f"{family}: SHAP per material").figure
    if study.agreement:
        figures["agreement"] = fig.agreement_heatmap(study.agreement["rank_correlation"]).figure
    return explained


def _per_material(study, figures: dict) -> tuple[list, list]:
    """Dependence plots of the regression model's top descriptors, and the materials shown one by one."""
    materials, dependence = [], []
    r, frame = study.regression, study.frame
    if r is None:
        return materials, dependence
    table, pred, domain = r.table, r.predictions, r.domain
    for d in table.top(3):
        info = describe(d)
        figures[f"dependence_{len(dependence)}"] = fig.dependence(table, d, frame["family"], unit=info.unit,
                                                                  measured=frame["log10_sigma"]).figure
        dependence.append({"descriptor": d, "meaning": info.meaning, "unit": info.unit,
                           "figure": f"dependence_{len(dependence)}"})
    # a censored row is wrong only by how far the prediction lies above its bound (not from the floor)
    part = frame.loc[pred.index]
    bound = np.log10(part["sigma_bound_S_cm"].astype(float))
    err = (pred - part["log10_sigma"]).abs().where(~part["censored"], (pred - bound).clip(lower=0))
    picks = [("best predicted conductor", i) for i in pred.sort_values(ascending=False).index[:3]]
    picks += [("worst predicted", i) for i in err.sort_values(ascending=False).index[:3]]
    families = frame["family"].astype("string").fillna("unlabelled")
    for n, (why, idx) in enumerate(picks):
        name = f"waterfall_{n}"
        figures[name] = fig.waterfall(table.sample(idx), title=str(frame.at[idx, "formula"])).figure
        materials.append({"why": why, "id": str(frame.at[idx, "id"]), "formula": str(frame.at[idx, "formula"]),
                          "family": str(families.at[idx]), "predicted": float(pred[idx]),
                          "measured": float(frame.at[idx, "log10_sigma"]),
                          "measured_text": _measured_text(frame.loc[idx]),
                          "censored": bool(frame.at[idx, "censored"]),
                          "domain_percentile": float(domain.at[idx, "percentile"]),
                          "inside_domain": bool(domain.at[idx, "inside"]), "figure": name,
                          **_trust(r.trust, idx)})
    return materials, dependence


def _trust(trust, idx) -> dict:
    """A shown material's interval, training measurement and neighbours (records and the texts the tables show)."""
    if trust is None or idx not in trust.index:
        return {"interval": None, "intervals": [], "measured_in_training": None, "neighbours": [],
                "trust": {"interval": "none (older study or uncalibrated model)", "measured": "", "neighbours": []}}
    record = trust_record(trust.loc[idx])
    iv = record["interval"] or {}
    return {**record, "ci_low": iv.get("lower"), "ci_high": iv.get("upper"), "ci_level": iv.get("level"),
            "trust": trust_texts(record)}


def materials_note(study) -> str:
    """What the per-material predictions are: held-out test rows, or (without a split) the training rows themselves."""
    if study.regression is None:
        return ""
    if study.config.scheme == "official":
        return ("Materials of the official test split, predicted by the model fitted on the training split; "
                "the interval is calibrated on cluster-out folds of the training rows.")
    return ("No official split: these materials were used to fit the model, so their predictions are in-sample "
            "fits and each is its own nearest training material; the interval is the one a new material this "
            "close to the training data would get, not a test of these rows. The side-by-side CV table above "
            "says how the model does on held-out rows.")


#: The headline interval level in percent (column suffix of the stored trust table).
LEVEL_PCT = round(INTERVAL_LEVEL * 100)


#: What each scheme's scores are computed on, in the side-by-side table.
SCHEME_SPLITS = {"official": "official test split (scored once)"}


def cv_schemes(study) -> dict:
    """Every validated family and task under the study's scheme and the side-by-side schemes.

    The side schemes reuse the hyperparameters the study's validation chose, so the columns differ
    only in their folds: random folds leak near-duplicates, grouped folds hold out chemical
    systems, cluster-out holds out whole composition clusters (new chemistry).

    Returns
    -------
    dict
        ``schemes`` (names with descriptions), ``rows`` (one per family x task x scheme: metric
        with ``ci_low`` / ``ci_high``, baseline, ``verdict``), ``table`` (one display row per
        family x task), ``penalties`` (cluster-out minus random, with a sentence); empty for a
        study without side schemes.
    """
    if not study.schemes:
        return {}
    order = [study.config.scheme, *study.config.side_schemes]
    every = {(e.family, e.task, e.scheme): e for e in (*study.evaluations, *study.schemes)}
    rows, table = [], []
    for e in study.evaluations:
        shown = {"model": f"{e.family}/{e.task}", "metric": "MAE (decades of S/cm)" if e.task == "regression" else "MCC"}
        for scheme in order:
            if (e.family, e.task, scheme) not in every:
                shown[scheme] = "not run"
                continue
            v = evaluation_verdict(every[(e.family, e.task, scheme)])
            rows.append({**v, "split": SCHEME_SPLITS.get(scheme, "training rows, pooled out-of-fold")})
            clear = v["ci_high"] < v["baseline"] if v["metric"] == "mae" else v["ci_low"] > v["baseline"]
            note = ("" if v["verdict"] != WEAK else " (interval reaches the baseline)" if not clear
                    else " (not y-scrambled)" if math.isnan(v["p_value"]) else f" (y-scrambling {v['p_text']})")
            shown[scheme] = (f"{v['value']:.2f} [{v['ci_low']:.2f}, {v['ci_high']:.2f}] vs {v['baseline']:.2f}: "
                             f"{v['verdict']}{note}")
        table.append(shown)
    results = pd.concat([x.results for x in every.values()], ignore_index=True)
    penalties = extrapolation_penalty(results)
    return {"schemes": [{"name": s, "description": SCHEMES[s].description,
                         "split": SCHEME_SPLITS.get(s, "training rows, pooled out-of-fold")} for s in order],
            "rows": rows, "table": table, "penalties": penalties}


def interval_coverage(study) -> dict | None:
    """How often the explained rows' 90% intervals hold their measured value (uncensored rows).

    Only meaningful when the explained rows were not used to fit the model (the official test
    split); on a study without a split the explained rows are the training rows, so None.
    """
    r = study.regression
    if r is None or r.trust is None or study.config.scheme != "official" or f"lower_{LEVEL_PCT}" not in r.trust:
        return None
    part = study.frame.loc[r.trust.index]
    keep = ~part["censored"].astype(bool) & r.trust[f"lower_{LEVEL_PCT}"].notna()
    if not keep.any():
        return None
    y = part.loc[keep, "log10_sigma"].astype(float)
    lo, hi = r.trust.loc[keep, f"lower_{LEVEL_PCT}"], r.trust.loc[keep, f"upper_{LEVEL_PCT}"]
    inside = int(((y >= lo) & (y <= hi)).sum())
    n = int(keep.sum())
    low, high = rate_interval(inside, n)
    return {"level": INTERVAL_LEVEL, "n": n, "inside": inside, "coverage": inside / n, "ci_low": low, "ci_high": high,
            "mean_width": float((hi - lo).mean()),
            "sentence": f"The {INTERVAL_LEVEL:.0%} conformal intervals (cluster-out calibrated on the training rows) "
                        f"hold {inside} of the {n} measured test materials ({inside / n:.2f}, 95% interval "
                        f"{low:.2f}-{high:.2f}); mean width {float((hi - lo).mean()):.1f} decades of S/cm."}


#: Structure descriptors always plotted against the measured conductivity (when present).
STRUCTURE_PLOTS = ("Sendek LLSD mean shortest Li-Li distance", "BVSE Li 3D percolation barrier")


def _structure(study, figures: dict, top: int) -> dict:
    """Which structural descriptors drive the regression model, how conductivity varies with them, Sendek's model."""
    info = study.structure
    if not info:
        reason = _skipped(study).get("structure", "")
        return {"skipped": reason} if reason and HAS_STRUCTURE in study.descriptors else {}
    frame, X = study.frame, study.descriptors
    structural = [c for c in LABELS if c in X and c != HAS_STRUCTURE]
    drivers = []
    if study.regression is not None:
        table = study.regression.table
        ranking = list(table.top(len(table.feature_names)))
        for d in [c for c in ranking if c in structural][:top]:
            part = table.column(d)
            ok = part["value"].notna()
            corr = part.loc[ok, ["value", "shap"]].corr(method="spearman").iloc[0, 1] if ok.sum() > 2 else np.nan
            direction = ("no monotonic trend" if not np.isfinite(corr) or abs(corr) < 0.2 else
                         f"higher {d} -> {'higher' if corr > 0 else 'lower'} predicted conductivity")
            drivers.append({"descriptor": d, "rank": ranking.index(d) + 1, "mean_abs_shap":
                            float(part["shap"].abs().mean()), "unit": describe(d).unit,
                            "meaning": describe(d).meaning, "direction": direction})
    plots = []
    for d in dict.fromkeys([*STRUCTURE_PLOTS, *[x["descriptor"] for x in drivers[:2]]]):
        if d not in X:
            continue
        name = f"structure_{len(plots)}"
        figures[name] = fig.versus_measured(X[d], frame, d, unit=describe(d).unit).figure
        plots.append({"descriptor": d, "unit": describe(d).unit, "meaning": describe(d).meaning, "figure": name})
    out = {**info, "drivers": drivers, "plots": plots,
           "regression_family": study.regression.family if study.regression is not None else ""}
    published = info.get("published_model")
    out["published_model"] = _metric_intervals(published) if published else None  # None: not scored (the note says why)
    if info.get("sparse_logistic"):
        sp = dict(info["sparse_logistic"])
        sp["selected"] = [_odds_interval(r) for r in sp.get("selected", [])]
        sp["test"] = _metric_intervals(sp.get("test") or {})
        out["sparse_logistic"] = sp
    return out


def _metric_intervals(summary: dict) -> dict:
    """A Sendek summary with ``accuracy_ci`` / ``mcc_ci`` lists rewritten as ``intervals`` with ``ci_low`` / ``ci_high``."""
    if not summary:
        return summary
    out = {k: v for k, v in summary.items() if not k.endswith("_ci")}
    out["intervals"] = {}
    for metric in ("accuracy", "mcc"):
        lo, hi = summary.get(f"{metric}_ci") or (math.nan, math.nan)
        out["intervals"][metric] = {"value": summary.get(metric, math.nan), "ci_low": lo, "ci_high": hi}
    return out


def _odds_interval(row: dict) -> dict:
    """A Sendek sparse-model row with its odds-ratio interval as ``ci_low`` / ``ci_high`` around the odds ratio.

    Studies saved before the interval was centred on the full fit hold the refits' plain
    percentiles; these are shifted (in log-odds, by their midpoint) onto the odds ratio.
    """
    row = dict(row)
    lo, hi = row.pop("odds_ratio_ci", None) or (row.get("ci_low", math.nan), row.get("ci_high", math.nan))
    point = row["odds_ratio_per_sd"]
    if all(np.isfinite([lo, hi, point])) and min(lo, hi, point) > 0 and not lo <= point <= hi:
        shift = math.log(point) - (math.log(lo) + math.log(hi)) / 2
        lo, hi = lo * math.exp(shift), hi * math.exp(shift)
    row["ci_low"], row["ci_high"] = lo, hi
    return row


def _structure_sentences(st: dict, regression_verdict: dict | None = None) -> list[str]:
    if not st or st.get("skipped"):
        return []
    out = []
    lead = st.get("drivers", [])[:3]
    verdict = (regression_verdict or {}).get("verdict", SKILL)
    if lead and verdict == SKILL:
        out.append(f"Structure ({st['n_with_structure']} of {st['n_rows']} rows have a CIF): the strongest structural "
                   f"drivers of the {st['regression_family']} regression model are " + "; ".join(
                       f"{d['descriptor']} (rank {d['rank']}, {d['direction']})" for d in lead) + ".")
    elif lead:
        out.append(f"Structure ({st['n_with_structure']} of {st['n_rows']} rows have a CIF): the "
                   f"{st['regression_family']} regression model has {verdict} ("
                   f"{regression_verdict['verdict_reason']}), so its structural SHAP ranking is not a finding "
                   "(listed in the structure section only).")
    pm = st["published_model"]
    if not pm:
        return out + [st.get("published_note") or "Sendek et al.'s published model not scored."]
    acc = pm["intervals"]["accuracy"]
    out.append(f"Sendek et al.'s published model on {pm['n']} rows: accuracy {pm['accuracy']:.2f} "
               f"[{acc['ci_low']:.2f}, {acc['ci_high']:.2f}] against "
               f"{pm['majority_accuracy']:.2f} for the majority class ("
               f"{'beats' if pm['beats_majority'] else 'does not beat'} it), ROC AUC {pm['roc_auc']:.2f}.")
    return out


def verdict_sentences(verdicts: list[dict]) -> list[str]:
    """One sentence per evaluation: ``family/task (scheme): verdict: reason``; these open the summary."""
    return [f"{v['family']}/{v['task']} ({v['scheme']}): {v['verdict'].upper()}: {v['verdict_reason']}."
            for v in verdicts]


def _explanation_sentences(family: str, info: FamilySection) -> list[str]:
    """The summary's sentences on one family's explanation, gated by its verdict."""
    lead = info.top[:3]
    listed = "; ".join(f"{t.descriptor} ({_meaning(t.descriptor)}mean |SHAP| {t.mean_abs_shap:.2f}, "
                       f"95% interval {t.ci_low:.2f}-{t.ci_high:.2f}"
                       f"{', unstable rank' if t.unstable else ''}"
                       f"{'; FLAGGED ' + t.flag if t.flag else ''})" for t in lead)
    groups = "; ".join(f"{g['group']} ({g['share']:.0%} of mean |SHAP|, {g['mean_abs_shap']:.2f} "
                       f"[{g['ci_low']:.2f}, {g['ci_high']:.2f}])" for g in info.named_groups[:3])
    if info.verdict == SKILL:
        out = ([f"{family}: the strongest named groups are {groups}."] if groups else [])
        out.append(f"{family}: the strongest drivers are {listed}.")
        out.append(f"{family}: how far to trust this ranking: {ranking_reliability(family, info.task)['note']}.")
        directions = [t.direction for t in lead if t.direction and "no monotonic" not in t.direction]
        if directions:
            out.append(f"{family} directions: " + "; ".join(directions) + ".")
        checked = [r for r in info.physics_check if r["verdict"] in ("agrees", "disagrees", "unclear")]
        if checked:
            against = [f"{r['descriptor']} (expected {r['expected']}, observed Spearman {r['observed']:+.2f} "
                       f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}])" for r in checked if r["verdict"] == "disagrees"]
            out.append(f"{family} physics check: of {len(checked)} expected directions the model has, "
                       f"{sum(r['verdict'] == 'agrees' for r in checked)} agree, {len(against)} disagree"
                       + (f" ({'; '.join(against)})" if against else "")
                       + f", {sum(r['verdict'] == 'unclear' for r in checked)} are unclear.")
        return out
    if info.verdict == NO_SKILL:
        return [f"{info.heading} ({info.verdict_reason}); its descriptor ranking is not listed here."]
    return [f"{info.heading} ({info.verdict_reason}); its largest mean |SHAP|, not a finding: {listed}."]


def _sentences(explained: dict[str, FamilySection], agreement: dict | None, nasicon: dict | None,
               models: ModelsSection, structure: dict | None = None, verdicts: list[dict] | None = None,
               regression_family: str | None = None, new_chemistry: dict | None = None) -> list[str]:
    verdicts = verdicts or []
    sentences = verdict_sentences(verdicts)
    for family, info in explained.items():
        sentences += _explanation_sentences(family, info)
        caveat = (new_chemistry or {}).get((family, info.task))
        if info.verdict == SKILL and caveat and caveat["verdict"] == NO_SKILL:
            sentences.append(f"{family}: but on new chemistry it has no skill (cluster-out {caveat['metric'].upper()} "
                             f"{caveat['value']:.2f} [{caveat['ci_low']:.2f}, {caveat['ci_high']:.2f}] vs "
                             f"{caveat['baseline']:.2f}): these drivers describe the chemistries it was trained on, "
                             "not what makes an unseen composition conduct.")
    skilled = [f for f, info in explained.items() if info.verdict == SKILL]
    if agreement and len(skilled) > 1:
        rc = agreement["rank_correlation"]
        pairs = [f"{a}-{b} {rc[a][b]:.2f}" for i, a in enumerate(rc) for b in list(rc)[i + 1:]
                 if a in skilled and b in skilled]
        sentences.append(f"Families agree on the direction of effect for {agreement['direction_agreement']:.0%} of their "
                         f"top descriptors; rank correlation of importance: {', '.join(pairs)}.")
    elif agreement:
        sentences.append("Agreement between families is not summarised: fewer than two families have skill "
                         "(see the explanations section).")
    if models.y_scramble_sentences:
        sentences.append("y-scrambling (the same model refitted on permuted targets): "
                         + "; ".join(models.y_scramble_sentences) + ".")
    regression_verdict = _verdict_of(verdicts, regression_family, "regression") if regression_family else None
    sentences += _structure_sentences(structure or {}, regression_verdict)
    if nasicon:
        for e in nasicon["evaluations"]:
            sentences.append(f"NASICON subset ({nasicon['subset']['n']} materials), logistic regression, {e['name']}: "
                             f"{_nasicon_verdict(e).upper()}: {e['verdict']['text']}.")
        site = (nasicon["explanation"].get("sites") or {}).get("sentence")
        if site:
            sentences.append(f"NASICON site descriptors: {site[0].lower()}{site[1:]}")
    return sentences


def build_view(study, *, top: int | None = None) -> tuple[ReportView, dict]:
    """Lay out a study as the validation-and-explanation report.

    Parameters
    ----------
    study : Study
        From :func:`~explainsse.analysis.run_study` or :func:`~explainsse.analysis.load_study`.
    top : int, optional
        Descriptors listed per family (default: the study's ``top``).

    Returns
    -------
    view : ReportView
    figures : dict
        Figure name -> matplotlib Figure.
    """
    cfg, frame = study.config, study.frame
    top = top or cfg.top
    figures = {"data_distribution": fig.log_sigma_by_family(frame).figure}
    verdicts = _verdicts(study)
    models = _models(study, figures, verdicts)
    explained = _explanations(study, figures, top, verdicts)
    regression_family = study.regression.family if study.regression is not None else None
    regression_verdict = (dict(_verdict_of(verdicts, regression_family, "regression"), family=regression_family,
                               heading=gate_heading(regression_family, "regression",
                                                     _verdict_of(verdicts, regression_family, "regression")))
                          if regression_family else {})
    materials, dependence = _per_material(study, figures)
    coverage = interval_coverage(study)
    side = cv_schemes(study)
    structure = _structure(study, figures, top)
    glossary = sorted({t.descriptor for f in explained.values() for t in f.top}
                      | {d["descriptor"] for d in dependence}
                      | {d["descriptor"] for d in structure.get("drivers", [])})
    view = ReportView(
        title=f"explainsse report: {cfg.dataset}", dataset=cfg.dataset, preset=cfg.preset,
        preset_reason=cfg.preset_reason, families=list(cfg.families), threshold_S_cm=cfg.threshold_S_cm,
        seed=cfg.seed, started=study.provenance.started if study.provenance else "",
        headings=headings(cfg.threshold_S_cm),
        summary_sentences=[*_sentences(explained, study.agreement, study.nasicon, models, structure, verdicts,
                                      regression_family,
                                      {(r["family"], r["task"]): r for r in side.get("rows", [])
                                       if r["scheme"] == "cluster-out"}),
                           *([coverage["sentence"]] if coverage else []),
                           *(["Extrapolation penalty, same hyperparameters on other folds of the training rows: "
                              + "; ".join(p["sentence"] for p in side["penalties"]) + "."] if side.get("penalties") else []),
                           *(f"Not shown: the {SKIPPED_NAMES.get(k, k)} ({why})." for k, why in _skipped(study).items()
                             if k != "structure" or HAS_STRUCTURE in study.descriptors)],
        data=study.data_card,
        models=models, explanations=explained, agreement=study.agreement, dependence=dependence,
        materials=materials,
        glossary=[{"descriptor": d, "meaning": describe(d).meaning, "unit": describe(d).unit,
                   "source": describe(d).source, "group": describe(d).group, "flag": describe(d).flag}
                  for d in glossary],
        results=study.results.to_dict("records"),
        nasicon=_nasicon_context(study.nasicon, frame, _skipped(study).get("nasicon", "")),
        skipped=_skipped(study),
        structure=structure, evaluations=verdicts, regression_verdict=regression_verdict,
        interval_coverage=coverage, cv_schemes=side, materials_note=materials_note(study))
    return view, figures


__all__ = ["CITATIONS", "SECTION_KEYS", "FamilySection", "ModelsSection", "ReportView", "TopDescriptor",
           "build_view", "headings", "verdict_sentences"]
