"""Build the report's view model: every number and sentence, computed in Python (templates stay dumb)."""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np
import pandas as pd

from ..datasets.table import split_mask
from ..explain import explain
from ..explain.agreement import cross_family_agreement
from ..explain.groups import correlated_groups
from ..explain.native import logreg_odds_ratios, pls_views
from ..explain.stability import explanation_stability
from ..featurize import describe, featurize_dataset
from ..featurize.presets import choose_preset
from ..models import SCHEMES, evaluate, make_model, make_target
from ..models.benchmark import PUBLISHED_ANCHORS, summary_table
from ..models.train import TrainedModel
from ..parallel import TaskPool
from . import figures as fig
from .nasicon import evaluation_rows

CITATIONS = [
    "OBELiX: F. Therrien et al., arXiv:2502.14234 (2025); Digital Discovery (2026).",
    "matminer: L. Ward et al., Comput. Mater. Sci. 152, 60-69 (2018).",
    "Magpie descriptors: L. Ward et al., npj Comput. Mater. 2, 16028 (2016).",
    "SHAP: S. M. Lundberg, S.-I. Lee, NeurIPS 30 (2017); TreeSHAP: Lundberg et al., Nat. Mach. Intell. 2, 56 (2020).",
    "XGBoost: T. Chen, C. Guestrin, KDD 2016.",
    "scikit-learn: F. Pedregosa et al., JMLR 12, 2825 (2011).",
    "pymatgen: S. P. Ong et al., Comput. Mater. Sci. 68, 314 (2013).",
]


def _fit(frame, X, family, task, params, threshold, seed, n_jobs) -> TrainedModel:
    pipe = make_model(family, task, random_state=seed, n_jobs=n_jobs).set_params(**params)
    pipe.fit(X, make_target(frame, task, threshold))
    return TrainedModel(pipe, family, task, "", list(X.columns), threshold, params, train_X=X,
                        train_meta=frame[["id", "formula", "family"]].astype(object).reset_index(drop=True))


#: Rough relative cost of validating each family (slowest first), so that workers start the slow ones.
_COST = {"logreg": 0, "xgb": 1, "pls": 2}


def _explain_family(frame, X, family, params, threshold, top, seed, n_jobs) -> dict:
    """Fit one classifier on the training rows and compute its SHAP, stability and native views."""
    model = _fit(frame, X, family, "classification", params, threshold, seed, n_jobs)
    table = explain(model, X, X, ids=frame["id"], formulas=frame["formula"])
    stab = explanation_stability(model, frame, X, n_bootstrap=2, top_k=top, random_state=seed, n_jobs=n_jobs)
    imp = table.global_importance().join(stab["importance"][["ci_low", "ci_high", "unstable"]])
    groups = correlated_groups(X, importance=imp["mean_abs_shap"])
    native = {}
    if family == "pls":
        native["vip"] = [{"descriptor": d, "vip": float(v)} for d, v in pls_views(model, X)["vip"].head(top).items()]
    return {"family": family, "table": table, "stability": stab, "importance": imp, "groups": groups,
            "native": native}


def _odds_ratios(frame, X, params, threshold, top, seed, n_jobs) -> list[dict]:
    """Logistic-regression odds ratios per SD with bootstrap CIs (its own task: 20 refits)."""
    model = _fit(frame, X, "logreg", "classification", params, threshold, seed, n_jobs)
    odds = logreg_odds_ratios(model, X, make_target(frame, "classification", threshold), n_bootstrap=20,
                              random_state=seed).head(top)
    return odds.reset_index(names="descriptor").to_dict("records")


def _nasicon_section(frame, X, threshold, seed, n_jobs) -> dict | None:
    """Within-NASICON validation of logistic regression (compact) and the detector's agreement."""
    from ..validation import validate_nasicon
    from ..validation.nasicon import nasicon_membership

    member, _ = nasicon_membership(frame)
    if member.sum() < 10:
        return None
    r = validate_nasicon(frame, X, "logreg", threshold=threshold, n_repeats=3, loo=False, n_permutations=19,
                         n_boot=200, random_state=seed, n_jobs=n_jobs, explain_top=5)
    return r.to_dict()


def _explain_regression(frame, X, train, rows, family, params, threshold, seed, n_jobs) -> dict:
    """Fit the regression model on the training rows; SHAP, predictions and domain on ``rows``."""
    from ..explain.domain import ApplicabilityDomain

    model = _fit(frame[train], X[train], family, "regression", params, threshold, seed, n_jobs)
    table = explain(model, X.loc[rows], X[train], ids=frame.loc[rows, "id"], formulas=frame.loc[rows, "formula"])
    return {"table": table, "pred": pd.Series(model.predict(X.loc[rows]), index=rows),
            "domain": ApplicabilityDomain(X[train]).assess(X.loc[rows])}


def _nasicon_context(result: dict | None, frame) -> dict:
    """Section 7: the within-NASICON validation summary (or why there is none)."""
    n = int((frame["family"].astype("string").str.casefold() == "nasicon").sum()) if "family" in frame else 0
    if result is None:
        return {"n": n, "note": "Fewer than 10 NASICON materials: no NASICON validation.", "rows": []}
    return {"n": n, "n_subset": result["subset"]["n"], "source": result["membership_source"],
            "classifier": result["classifier"], "rows": evaluation_rows(result["evaluations"]),
            "verdicts": [f"{e['name']}: {e['verdict']['text']}" for e in result["evaluations"]],
            "detector": result["detector"],
            "top": (result["explanation"].get("top") or [])[:5], "warnings": result["warnings"],
            "note": "Logistic regression (explainsse defaults) on this report's descriptors, NASICON rows only: "
                    "3 x stratified 5-fold and leave-papers-out, 19 permutation refits. "
                    "`explainsse validate nasicon` runs all four protocols with leave-one-out."}


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


def build_report(ds, *, preset: str | None = None, families=("logreg", "pls", "xgb"),
                 threshold: float = 1e-4, scheme: str | None = None, n_scramble: int = 5,
                 n_boot: int = 200, top: int = 10, seed: int = 0, n_jobs: int = 2, progress=None):
    """Run descriptors -> validation -> explanations and collect everything the report shows.

    Returns
    -------
    context : dict
        Plain data (numbers, strings, lists of dicts) for the templates and ``report.json``.
    figures : dict
        Figure name -> matplotlib Figure.
    """
    say = progress or (lambda text: None)
    started = _dt.datetime.now(_dt.timezone.utc)
    ds.require_rows("a report")
    preset, preset_reason = (preset, "chosen by the user") if preset else choose_preset(ds.frame)
    X = featurize_dataset(ds, preset, progress=False)  # may move rows that cannot be featurized to ds.issues
    ds.require_rows("a report")
    frame = ds.frame
    has_split = bool(split_mask(frame, "train").any() and split_mask(frame, "test").any())
    scheme = scheme or ("official" if has_split else "group-chemsys")
    train = split_mask(frame, "train") if has_split else pd.Series(True, index=frame.index)
    say("descriptors")
    figures = {}

    # -- validation ---------------------------------------------------------------------------
    part = frame if scheme == "official" else frame[train]
    jobs = [{"frame": part, "X": X.loc[part.index], "family": family, "task": task, "scheme": scheme,
             "threshold": threshold, "n_boot": n_boot, "n_scramble": n_scramble, "random_state": seed}
            for task in ("regression", "classification") for family in families
            if not (family == "logreg" and task == "regression")]
    ft, Xt = frame[train], X[train]
    reg_family = "xgb" if "xgb" in families else ("pls" if "pls" in families else None)
    rows = frame.index[split_mask(frame, "test")] if scheme == "official" else frame.index
    # Every fit runs in the pool; a model is explained as soon as its validation has picked its
    # hyperparameters, while the other validations still run.
    with TaskPool(n_jobs) as pool:  # workers stop when the block ends, also on errors
        pending = {pool.submit(evaluate, **jobs[i], n_jobs=pool.inner_jobs): i
                   for i in sorted(range(len(jobs)), key=lambda i: _COST.get(jobs[i]["family"], 3))}
        followups = {pool.submit(_nasicon_section, frame, X, threshold, seed, pool.inner_jobs): "nasicon"}

        # -- data card (drawn while the workers start) ---------------------------------------
        summary = ds.summary()
        a = fig.log_sigma_by_family(frame)
        figures["data_distribution"] = a.figure
        cens = frame[frame["censored"]]
        data = {
            "summary": summary,
            "source": ds.spec.source if ds.spec else f"user file ({', '.join(ds.files)})",
            "license": ds.spec.license if ds.spec else "as supplied by the user",
            "citation": ds.spec.citation if ds.spec else "",
            "files": ds.files,
            "issues": ds.issues.astype(str).to_dict("records"),
            "notes": [f"Descriptor preset {preset}: {preset_reason}.", *ds.notes],
            "censored": {"n": int(len(cens)), "floor_S_cm": ds.censored_floor,
                         "bounds": {f"{b:g}": int(n) for b, n in cens["sigma_bound_S_cm"].value_counts().items()},
                         "in_test": int(cens.index.isin(frame.index[split_mask(frame, "test")]).sum())},
        }

        done = {}
        for future in pool.as_completed(list(pending)):
            e = done[pending[future]] = future.result()
            say(f"validated {e.family}/{e.task}")
            params = next(iter(e.params.values()))
            if e.task == "classification":
                followups[pool.submit(_explain_family, ft, Xt, e.family, params, threshold, top, seed,
                                      pool.inner_jobs)] = "classification"
                if e.family == "logreg":
                    followups[pool.submit(_odds_ratios, ft, Xt, params, threshold, top, seed,
                                          pool.inner_jobs)] = "odds"
            elif e.family == reg_family:
                followups[pool.submit(_explain_regression, frame, X, train, rows, e.family, params, threshold,
                                      seed, pool.inner_jobs)] = "regression"
        evaluations = [done[i] for i in range(len(jobs))]
        results = pd.concat([e.results for e in evaluations], ignore_index=True)
        models = {"scheme": scheme, "scheme_description": SCHEMES[scheme].description,
                  "tables": {t: summary_table(results, t).to_dict("records") for t in ("regression", "classification")},
                  "anchors": list(PUBLISHED_ANCHORS) if ds.name == "obelix" else [],
                  "params": {f"{e.family}/{e.task}": e.params for e in evaluations},
                  "confusion": {e.family: e.confusion for e in evaluations if e.confusion},
                  "y_scramble": {f"{e.family}/{e.task}": e.scramble for e in evaluations if e.scramble},
                  "threshold_S_cm": threshold, "n_scramble": n_scramble}
        for e in evaluations:
            if e.task == "regression":
                figures[f"parity_{e.family}"] = fig.parity(e.predictions, title=f"{e.family}: {scheme}").figure
            else:
                figures[f"confusion_{e.family}"] = fig.confusion(e.confusion, title=e.family).figure
        clf = {e.family: e.predictions for e in evaluations if e.task == "classification"}
        if clf:
            figures["roc"] = fig.roc(clf).figure

        # -- explanations (classification: all families comparable) --------------------------------
        tables, explained, regression, odds, nasicon = {}, {}, None, None, None
        for future in pool.as_completed(list(followups)):
            if followups[future] == "regression":
                regression = future.result()
                continue
            if followups[future] == "odds":
                odds = future.result()
                continue
            if followups[future] == "nasicon":
                nasicon = future.result()
                continue
            done = future.result()
            family, table, stab, imp = done["family"], done["table"], done["stability"], done["importance"]
            say(f"explained {family}")
            directions = table.directions(table.top(top)).set_index("descriptor")
            tables[family] = table
            explained[family] = {
                "method": table.method, "notes": list(table.notes), "output_units": table.output_units,
                "top": [{"descriptor": d, "mean_abs_shap": float(r.mean_abs_shap), "ci_low": float(r.ci_low),
                         "ci_high": float(r.ci_high), "unstable": bool(r.unstable), "unit": describe(d).unit,
                         "meaning": describe(d).meaning, "direction": directions["sentence"].get(d, "")}
                        for d, r in imp.head(top).iterrows()],
                "stability": {"rank_stability": stab["rank_stability"], "top_k_jaccard": stab["top_k_jaccard"],
                              "runs": stab["runs"]},
                "groups": _ranked_groups(table, done["groups"], top),
                "native": done["native"],
            }
            figures[f"importance_{family}"] = fig.importance_bar(imp, top=top, title=f"{family}: mean |SHAP|").figure
            figures[f"beeswarm_{family}"] = fig.beeswarm(table, top=top, title=f"{family}: SHAP per material").figure
        if odds is not None:
            explained["logreg"]["native"]["odds_ratios"] = odds
    order = [e.family for e in evaluations if e.task == "classification"]
    explained = {f: explained[f] for f in order}  # report order does not depend on finishing order
    tables = {f: tables[f] for f in order}
    agreement = None
    if len(tables) > 1:
        ag = cross_family_agreement(tables, top_k=top)
        agreement = {"rank_correlation": ag["rank_correlation"], "direction_agreement": ag["direction_agreement"],
                     "direction": ag["direction"].to_dict("records")}
        figures["agreement"] = fig.agreement_heatmap(ag["rank_correlation"]).figure

    # -- dependence + per-material (regression with the best available tree/linear family) -----
    materials, dependence = [], []
    if regression:
        table, pred, domain = regression["table"], regression["pred"], regression["domain"]
        for d in table.top(3):
            info = describe(d)
            a = fig.dependence(table, d, frame["family"], unit=info.unit)
            figures[f"dependence_{len(dependence)}"] = a.figure
            dependence.append({"descriptor": d, "meaning": info.meaning, "unit": info.unit,
                               "figure": f"dependence_{len(dependence)}"})
        # a censored row is wrong only by how far the prediction lies above its bound (not from the floor)
        part = frame.loc[rows]
        bound = np.log10(part["sigma_bound_S_cm"].astype(float))
        err = (pred - part["log10_sigma"]).abs().where(~part["censored"], (pred - bound).clip(lower=0))
        picks = [("best predicted conductor", i) for i in pred.sort_values(ascending=False).index[:3]]
        picks += [("worst predicted", i) for i in err.sort_values(ascending=False).index[:3]]
        for n, (why, idx) in enumerate(picks):
            name = f"waterfall_{n}"
            figures[name] = fig.waterfall(table.sample(idx), title=str(frame.at[idx, "formula"])).figure
            materials.append({"why": why, "id": str(frame.at[idx, "id"]), "formula": str(frame.at[idx, "formula"]),
                              "family": str(frame.at[idx, "family"]), "predicted": float(pred[idx]),
                              "measured": float(frame.at[idx, "log10_sigma"]),
                              "measured_text": _measured_text(frame.loc[idx]),
                              "censored": bool(frame.at[idx, "censored"]),
                              "domain_percentile": float(domain.at[idx, "percentile"]),
                              "inside_domain": bool(domain.at[idx, "inside"]), "figure": name})
        say("per-material explanations")

    # -- summary sentences -----------------------------------------------------------------------
    sentences = []
    for family, info in explained.items():
        lead = info["top"][:3]
        sentences.append(
            f"{family}: the strongest drivers are " + "; ".join(
                f"{t['descriptor']} ({_meaning(t['descriptor'])}mean |SHAP| {t['mean_abs_shap']:.2f}, "
                f"95% interval {t['ci_low']:.2f}-{t['ci_high']:.2f}"
                f"{', unstable rank' if t['unstable'] else ''})" for t in lead) + ".")
        directions = [t["direction"] for t in lead if t["direction"] and "no monotonic" not in t["direction"]]
        if directions:
            sentences.append(f"{family} directions: " + "; ".join(directions) + ".")
    if agreement:
        rc = agreement["rank_correlation"]
        pairs = [f"{a}-{b} {rc[a][b]:.2f}" for i, a in enumerate(rc) for b in list(rc)[i + 1:]]
        sentences.append(f"Families agree on the direction of effect for {agreement['direction_agreement']:.0%} of their "
                         f"top descriptors; rank correlation of importance: {', '.join(pairs)}.")
    if nasicon:
        for e in nasicon["evaluations"]:
            sentences.append(f"NASICON subset ({nasicon['subset']['n']} materials), logistic regression, {e['name']}: "
                             f"{e['verdict']['text']}.")
    glossary = sorted({t["descriptor"] for f in explained.values() for t in f["top"]} | {d["descriptor"] for d in dependence})
    context = {
        "title": f"explainsse report: {ds.name}", "dataset": ds.name, "preset": preset,
        "preset_reason": preset_reason,
        "families": list(families), "threshold_S_cm": threshold, "seed": seed,
        "started": started.isoformat(timespec="seconds"), "summary_sentences": sentences,
        "data": data, "models": models, "explanations": explained, "agreement": agreement,
        "dependence": dependence, "materials": materials,
        "glossary": [{"descriptor": d, "meaning": describe(d).meaning, "unit": describe(d).unit,
                      "source": describe(d).source} for d in glossary],
        "citations": CITATIONS, "results": results.to_dict("records"),
        "nasicon": _nasicon_context(nasicon, frame),
    }
    return context, figures


__all__ = ["build_report"]
