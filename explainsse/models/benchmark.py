"""The OBELiX benchmark: every family and task, official split and grouped CV, next to published anchors."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .._config import DEFAULT_N_SCRAMBLE
from ..datasets.table import split_mask
from ..errors import ExplainsseError
from ..parallel import TaskPool
from .evaluation import CIF_SUBSET, evaluate
from .families import family_names, get_family, worker_setup
from .persistence import recorded_versions
from .scoring import evaluation_verdict
from .splits import SCHEMES, groups_for
from .targets import DEFAULT_THRESHOLD
from .train import chosen_params

#: Published numbers on the official OBELiX test split (Therrien et al. 2025).
PUBLISHED_ANCHORS = (
    {"model": "OBELiX random forest", "task": "regression", "metric": "mae", "value": 1.59},
    {"model": "OBELiX median predictor", "task": "regression", "metric": "mae", "value": 2.16},
    {"model": "OBELiX thresholded random forest (1e-4 S/cm)", "task": "classification",
     "metric": "mcc", "value": 0.56},
)

#: Schemes a benchmark adds beside the official split and its grouped CV (see :func:`run_benchmark`).
DEFAULT_EXTRA_SCHEMES = ("random-kfold", "cluster-out")


def combinations(families=None) -> list[tuple[str, str]]:
    """(family, task) pairs that exist (each family's own tasks; logreg is a classifier only)."""
    families = family_names() if families is None else families
    return [(f, t) for f in families for t in ("regression", "classification") if get_family(f).supports(t)]


def run_benchmark(frame: pd.DataFrame, X: pd.DataFrame, *, families=None,
                  threshold: float = DEFAULT_THRESHOLD, cv_scheme: str = "group-chemsys",
                  n_boot: int = 300, n_scramble: int = DEFAULT_N_SCRAMBLE, random_state: int = 0, n_jobs: int = 2,
                  censoring_aware: bool = True, extra_schemes=DEFAULT_EXTRA_SCHEMES, progress=None) -> dict:
    """Evaluate all families on both tasks: official split, then grouped CV on the training rows.

    The y-scrambling control runs on the official split (``n_scramble`` refits); the grouped CV
    (nested: tuning inside each outer training part) reports pooled out-of-fold metrics. With
    ``censoring_aware`` (and xgb among the families) the censoring-aware XGBoost AFT regressor
    (family ``xgb-aft``) is evaluated the same way, next to the default floor encoding.

    Parameters
    ----------
    frame, X : pandas.DataFrame
        Dataset rows with an official split, and their descriptors.
    families : sequence of str, optional
        Registered families (default: all).
    threshold : float
        Superionic threshold (S/cm).
    cv_scheme : str
        Grouped CV scheme run on the training rows.
    n_boot, n_scramble : int
        Bootstrap resamples for the CIs; y-scrambling refits on the official split.
    random_state, n_jobs : int
    censoring_aware : bool
        Also evaluate the censoring-aware estimator of families that have one.
    extra_schemes : sequence of str
        More schemes on the training rows (default random 5-fold and cluster-out), each fitted
        with the hyperparameters ``cv_scheme``'s inner CV chose most often (tuned once per
        family and task), so the side-by-side scores differ only in their folds: random folds
        leak near-duplicates, cluster-out estimates performance on new chemistry.
    progress : callable, optional

    Returns
    -------
    dict
        ``results`` (tidy DataFrame), ``evaluations`` (list of Evaluation), ``seconds``.
    """
    start = time.perf_counter()
    train = split_mask(frame, "train")
    common = {"threshold": threshold, "n_boot": n_boot, "random_state": random_state, "progress": progress}
    jobs = []
    for family, task in combinations(families):
        jobs.append({"frame": frame, "X": X, "family": family, "task": task, "scheme": "official",
                     "n_scramble": n_scramble})
        jobs.append({"frame": frame[train], "X": X[train], "family": family, "task": task, "scheme": cv_scheme,
                     "n_scramble": 0})
    for family in [f for f in (families or family_names()) if censoring_aware
                   and get_family(f).censored_estimator is not None]:
        for scheme, part in (("official", slice(None)), (cv_scheme, train)):
            jobs.append({"frame": frame[part], "X": X[part], "family": family, "task": "regression",
                         "scheme": scheme, "n_scramble": n_scramble if scheme == "official" else 0,
                         "censoring": "aft"})
    # independent evaluations run side by side (one thread each); results keep the job order
    with TaskPool(n_jobs, worker_setup=worker_setup) as pool:
        evaluations = _run(pool, jobs, common, progress)
        extra = []
        for e in evaluations:
            if e.scheme == cv_scheme and not e.family.endswith("-aft"):
                params = chosen_params(e)
                extra += [{"frame": frame[train], "X": X[train], "family": e.family, "task": e.task,
                           "scheme": scheme, "n_scramble": 0, "params": params}
                          for scheme in extra_schemes if scheme != cv_scheme]
        evaluations += _run(pool, extra, common, progress)
    results = pd.concat([e.results for e in evaluations], ignore_index=True)
    results = results.drop_duplicates(subset=["family", "task", "scheme", "split", "subset", "fold", "metric"])
    return {"results": results, "evaluations": evaluations, "seconds": time.perf_counter() - start}


def benchmark_payload(out: dict, *, dataset: str, preset: str, threshold: float, seed: int) -> dict:
    """The JSON form of :func:`run_benchmark`'s result (``explainsse benchmark --json``)."""
    def key(e):
        return f"{e.family}/{e.task}/{e.scheme}"

    return {"dataset": dataset, "preset": preset, "threshold_S_cm": threshold, "seed": seed,
            "seconds": out["seconds"], "versions": recorded_versions(), "anchors": list(PUBLISHED_ANCHORS),
            "params": {key(e): e.params for e in out["evaluations"]},
            "y_scramble": {key(e): e.scramble for e in out["evaluations"] if e.scramble},
            "confusion": {key(e): e.confusion for e in out["evaluations"] if e.confusion},
            "extrapolation_penalty": extrapolation_penalty(out["results"]),
            "results": out["results"].to_dict("records")}


def extrapolation_penalty(results: pd.DataFrame) -> list[dict]:
    """Per family and task: the CV schemes side by side and, in words, what new chemistry costs.

    The penalty is the cluster-out score minus the random-fold score (MAE in decades of S/cm,
    higher is worse; MCC, lower is worse), on pooled out-of-fold predictions of the training rows.
    """
    pooled = results[(results["fold"] == "all") & (results["subset"] == "all") & (results["split"] == "cv")]
    out = []
    for (family, task), part in pooled.groupby(["family", "task"], sort=False):
        if family.startswith("baseline"):
            continue
        metric = "mae" if task == "regression" else "mcc"
        scores = {r.scheme: float(r.value) for r in part[part["metric"] == metric].itertuples()}
        if "cluster-out" not in scores or "random-kfold" not in scores:
            continue
        penalty = scores["cluster-out"] - scores["random-kfold"]
        unit = " decades of S/cm" if metric == "mae" else ""
        worse = penalty > 0 if metric == "mae" else penalty < 0
        shown = ", ".join(f"{k} {v:.2f}" for k, v in scores.items())
        out.append({"family": family, "task": task, "metric": metric, "scores": scores, "penalty": penalty,
                    "sentence": f"{family}/{task}: {metric.upper()} {shown}; on new chemistry (cluster-out) the "
                                f"{metric.upper()} is {abs(penalty):.2f}{unit} {'worse' if worse else 'better'} than "
                                "random folds suggest"})
    return out


#: Share of the rows in one group above which a grouped score is flagged as degenerate.
LARGEST_GROUP_WARNING = 0.4

#: Schemes a model card scores its model under (besides the official split when there is one).
CARD_SCHEMES = ("random-kfold", "group-doi", "group-chemsys", "cluster-out")


def scheme_scores(frame: pd.DataFrame, X: pd.DataFrame, family: str, task: str, params: dict, *,
                  schemes=CARD_SCHEMES, threshold: float = DEFAULT_THRESHOLD, n_boot: int = 300,
                  random_state: int = 0, n_jobs: int = 1, progress=None) -> list[dict]:
    """A fitted model's hyperparameters scored under several CV schemes on its training rows (no tuning).

    For model cards: the same hyperparameters on random, leave-papers-out, grouped and
    cluster-out folds, so the scores differ only in how far the held-out rows are from the
    training rows. A scheme the rows cannot support (e.g. no DOI column) is listed with the reason.

    Returns
    -------
    list of dict
        Per scheme: ``scheme``, ``description``, ``metric``, ``value``, ``ci_low``, ``ci_high``,
        ``baseline``, ``verdict``, ``verdict_reason`` (or ``skipped``).
    """
    out = []
    for scheme in schemes:
        if progress:
            progress(f"{family}/{task} under {scheme}")
        try:
            ev = evaluate(frame, X, family, task, scheme, threshold=threshold, n_boot=n_boot, n_scramble=0,
                          random_state=random_state, n_jobs=n_jobs, params=params)
        except (ExplainsseError, ValueError) as exc:
            out.append({"scheme": scheme, "description": SCHEMES[scheme].description, "skipped": str(exc)})
            continue
        v = evaluation_verdict(ev)
        group_by = SCHEMES[scheme].group_by
        largest = (float(np.unique(groups_for(frame, group_by, random_state=random_state), return_counts=True)[1].max()
                         / len(frame)) if group_by else None)
        out.append({"scheme": scheme, "description": SCHEMES[scheme].description,
                    **{k: v[k] for k in ("metric", "value", "ci_low", "ci_high", "baseline", "verdict",
                                         "verdict_reason")}, "n": int(ev.metric("n")), "largest_group_share": largest})
    return out


def scheme_lines(scores: list[dict]) -> list[str]:
    """Model-card lines: one per scheme, the score with its 95% interval and the baseline on the same rows."""
    lines = []
    for r in scores:
        if "skipped" in r:
            lines.append(f"  - {r['scheme']} ({r['description']}): not run ({r['skipped']})")
            continue
        unit = " decades of S/cm" if r["metric"] == "mae" else ""
        base = "median predictor" if r["metric"] == "mae" else "chance"
        share = r.get("largest_group_share")
        warn = (f"; one group holds {share:.0%} of the rows (groups joined by repeated compositions), so its fold "
                "trains on the rest alone: a pessimistic, unstable estimate" if share and share > LARGEST_GROUP_WARNING
                else "")
        lines.append(f"  - {r['scheme']} ({r['description']}): {r['metric'].upper()} {r['value']:.2f}{unit} "
                     f"(95% CI {r['ci_low']:.2f}-{r['ci_high']:.2f}; {base} {r['baseline']:.2f}; n = {r['n']}{warn})")
    return lines


def _run(pool, jobs: list[dict], common: dict, progress) -> list:
    """Submit every evaluation to the pool; collect results in job order."""
    if pool.n_jobs > 1:
        common["progress"] = None  # a callback cannot report from a worker process
    futures = [pool.submit(evaluate, **job, **common, n_jobs=pool.inner_jobs) for job in jobs]
    evaluations = []
    for job, future in zip(jobs, futures):
        evaluations.append(future.result())
        if progress and pool.n_jobs > 1:
            progress(f"{job['family']}/{job['task']}/{job['scheme']} done")
    return evaluations


def summary_table(results: pd.DataFrame, task: str | None = None) -> pd.DataFrame:
    """Headline table: one row per family/task/scheme with MAE or MCC (95% CI) and baselines.

    Parameters
    ----------
    results : pandas.DataFrame
        Tidy results (:data:`~explainsse.models.evaluation.RESULT_COLUMNS`).
    task : str, optional
        Keep one task only (its columns then line up).
    """
    rows = []
    pooled = results[(results["fold"] == "all")].drop_duplicates(
        subset=["family", "task", "scheme", "split", "subset", "metric"])
    if task:
        pooled = pooled[pooled["task"] == task]
    for (family, task, scheme), part in pooled.groupby(["family", "task", "scheme"], sort=False):
        metric = "mae" if task == "regression" else "mcc"
        get = part.set_index(["subset", "metric"])
        def cell(subset, name, _get=get):
            if (subset, name) not in _get.index:
                return ""
            r = _get.loc[(subset, name)]
            if pd.isna(r["value"]):  # e.g. Spearman of a constant prediction (the median baseline)
                return "n/a"
            ci = f" [{r['ci_low']:.2f}, {r['ci_high']:.2f}]" if pd.notna(r["ci_low"]) else ""
            return f"{r['value']:.2f}{ci}"
        row = {"family": family, "task": task, "scheme": scheme, metric: cell("all", metric),
               f"{metric} CIF rows": cell(CIF_SUBSET, metric)}
        if task == "regression":
            row["mae uncensored"] = cell("uncensored", "mae")
            row["spearman"] = cell("all", "spearman")
            row["censored below bound"] = cell("censored", "share_predicted_below_bound")
        else:
            row["roc_auc"] = cell("all", "roc_auc")
            row["balanced_accuracy"] = cell("all", "balanced_accuracy")
        row["y-scramble p"] = cell("all", "y_scramble_p_value")
        rows.append(row)
    table = pd.DataFrame(rows).fillna("")
    empty = [c for c in table.columns if c.endswith(" CIF rows") and (table[c] == "").all()]
    return table.drop(columns=empty)  # no row with a CIF: no CIF-subset column
