"""`run_study`: descriptors -> validation of each family -> explanations, in one place.

Every fit runs in a :class:`~explainsse.parallel.TaskPool`; a model is explained as soon as its
validation has chosen its hyperparameters, while the other validations still run.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field, replace

import pandas as pd

from .._config import DEFAULT_FAMILIES, DEFAULT_N_SCRAMBLE, DEFAULT_THRESHOLD_S_CM, SIDE_SCHEMES, get_settings
from ..datasets.table import split_mask
from ..errors import ExplainsseError, InputDataError
from ..explain.agreement import cross_family_agreement
from ..featurize import DescriptorFeaturizer, dataset_descriptors
from ..featurize.presets import choose_preset
from ..featurize.structure import HAS_STRUCTURE
from ..featurize.transformer import table_inputs
from ..models import evaluate
from ..models.families import check_families, get_family, worker_setup
from ..models.persistence import recorded_versions
from ..models.splits import DEFAULT_USER_SCHEME, check_scheme
from ..models.targets import TASKS, superionic
from ..models.train import chosen_params, final_model
from ..models.uncertainty import calibrate
from ..parallel import TaskPool
from ..validation import validate_nasicon
from ..validation.membership import nasicon_membership
from .sections import CensoredRows, DataCard, Provenance, StudyConfig
from .sendek import published_model, sparse_logistic
from .steps import drop_empty_descriptors, explain_model, explain_regression, native_view
from .study import Study


def _explain_classifier(frame, X, family, params, preset, threshold, top, seed, n_jobs):
    """Fit one classifier on the training rows; its SHAP, stability and groups (the native view runs apart)."""
    model = final_model(frame, X, family, "classification", params=params, preset=preset,
                      threshold=threshold, random_state=seed, n_jobs=n_jobs)
    return model, explain_model(model, frame, X, top=top, n_bootstrap=2, seed=seed, n_jobs=n_jobs)


def _native(frame, X, family, params, preset, threshold, top, seed, n_jobs) -> dict:
    """The family's own view of its classifier (odds ratios refit 20 times: its own task)."""
    model = final_model(frame, X, family, "classification", params=params, preset=preset,
                      threshold=threshold, random_state=seed, n_jobs=n_jobs)
    return native_view(model, frame, X, top=top, seed=seed)


def _side_scheme(frame, X, family, task, scheme, params, threshold, n_boot, seed, n_jobs):
    """One family and task under another CV scheme, with the hyperparameters already chosen (no y-scrambling)."""
    return evaluate(frame, X, family, task, scheme, threshold=threshold, n_boot=n_boot, n_scramble=0,
                    random_state=seed, params=params, n_jobs=n_jobs)


def _regression(frame, X, train, rows, family, params, preset, threshold, seed, n_jobs):
    """Fit the regression model on the training rows; predictions, SHAP, domain and intervals on ``rows``.

    The model is calibrated on cluster-out out-of-fold predictions of the training rows (its
    conformal intervals); rows too few or too alike for that leave it uncalibrated, which the
    report says.
    """
    model = final_model(frame[train], X[train], family, "regression", params=params, preset=preset,
                      threshold=threshold, random_state=seed, n_jobs=n_jobs)
    try:
        model.calibration = calibrate(model, frame[train], X[train], random_state=seed)
    except (ExplainsseError, ValueError):  # e.g. fewer rows than clusters: no intervals, said in the report
        model.calibration = None
    return model, explain_regression(model, X[train], frame.loc[rows], X.loc[rows])


#: Fewest NASICON materials, and fewest in the smaller class, for the report's NASICON section.
NASICON_MIN_ROWS, NASICON_MIN_CLASS = 10, 3
#: Fewest materials in the smaller class for the classification task (grouped 5-fold CV needs a few).
CLASSIFICATION_MIN_CLASS = 5
#: Fewest rows with a measured (not censored) conductivity for the regression task.
REGRESSION_MIN_MEASURED = 10


def _optional(fn, *args) -> tuple[object, str]:
    """Run an optional report section: ``(result, "")``, or ``(None, why it was skipped)``.

    An optional section (NASICON, structure) never sinks a study: whatever it raises becomes the
    reason printed in the report in its place. It runs inside the worker, so no exception has to
    cross the process boundary.
    """
    try:
        return fn(*args), ""
    except Exception as exc:  # noqa: BLE001 - the reason is shown in the report instead of the section
        kind = "" if isinstance(exc, ExplainsseError) else f"{type(exc).__name__}: "
        return None, f"{kind}{exc}".replace("\n", " ")


def nasicon_section_support(frame, threshold: float) -> str:
    """Why the data cannot support the report's NASICON section ("" when it can).

    Parameters
    ----------
    frame : pandas.DataFrame
        The modelled rows.
    threshold : float
        Superionic threshold (S/cm).
    """
    member, _ = nasicon_membership(frame)
    n = int(member.sum())
    if n < NASICON_MIN_ROWS:
        return f"{n} NASICON material(s); the NASICON validation needs at least {NASICON_MIN_ROWS}"
    return _class_balance(frame.loc[member], threshold, NASICON_MIN_CLASS, "NASICON materials",
                          "the NASICON validation")


def regression_support(frame) -> str:
    """Why the rows cannot support the regression task ("" when they can).

    Censored rows (upper bounds such as ``<1e-10``) sit at a documented floor, not at a measured
    value: a regression needs enough measured rows, with more than one value among them.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows the models are trained on.
    """
    measured = frame.loc[~frame["censored"].astype(bool), "log10_sigma"].astype(float)
    if len(measured) < REGRESSION_MIN_MEASURED:
        return (f"{len(measured)} of {len(frame)} rows have a measured conductivity (the others are upper bounds); "
                f"a regression needs at least {REGRESSION_MIN_MEASURED}")
    if measured.nunique() < 2:
        return "every measured conductivity is the same value: nothing to regress on"
    return ""


def classification_support(frame, threshold: float) -> str:
    """Why the rows cannot support the classification task ("" when they can).

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows the models are trained on.
    threshold : float
        Superionic threshold (S/cm).
    """
    return _class_balance(frame, threshold, CLASSIFICATION_MIN_CLASS, "rows",
                          "a classifier (choose another --threshold)")


def _class_balance(frame, threshold: float, minimum: int, rows: str, what: str) -> str:
    """Why ``frame`` has too few materials on one side of ``threshold`` for ``what`` ("" when it has enough)."""
    fast = int(superionic(frame, threshold).sum())
    if min(fast, len(frame) - fast) < minimum:
        return (f"{fast} of {len(frame)} {rows} are at or above {threshold:g} S/cm; {what} needs at least "
                f"{minimum} materials in each class")
    return ""


def _nasicon_section(frame, X, threshold, seed, n_jobs) -> dict:
    """Within-NASICON validation of logistic regression on the NASICON site descriptors (compact).

    The classifier reads ``nasicon-v1`` (A-, M- and X-site and lattice descriptors), so that its
    explanation is in the framework's own terms; ``X`` (the report's descriptors) is not used.
    """
    sites = DescriptorFeaturizer("nasicon-v1", errors="nan").fit_transform(frame[table_inputs("nasicon-v1", frame)])
    r = validate_nasicon(frame, sites, "logreg", threshold=threshold, n_repeats=3, loo=False, n_permutations=19,
                         n_boot=200, random_state=seed, n_jobs=n_jobs, explain_top=5)
    return r.to_dict()


def _data_card(ds, preset: str, preset_reason: str, notes=(), skipped: dict | None = None) -> DataCard:
    frame = ds.frame
    cens = frame[frame["censored"]]
    return DataCard(
        summary=ds.summary(),
        source=ds.spec.source if ds.spec else f"user file ({', '.join(ds.files)})",
        license=ds.spec.license if ds.spec else "as supplied by the user",
        citation=ds.spec.citation if ds.spec else "",
        files=dict(ds.files),
        issues=ds.issues.astype(str).to_dict("records"),
        notes=[f"Descriptor preset {preset}: {preset_reason}.", *ds.notes, *notes],
        censored=CensoredRows(
            n=int(len(cens)), floor_S_cm=ds.censored_floor,
            bounds={f"{b:g}": int(n) for b, n in cens["sigma_bound_S_cm"].value_counts().items()},
            in_test=int(cens.index.isin(frame.index[split_mask(frame, "test")]).sum())),
        skipped_sections={k: v for k, v in (skipped or {}).items() if v},
    )


@dataclass(frozen=True)
class StudyPlan:
    """What a study will run, decided from the data before any fit (:func:`plan_study`).

    Attributes
    ----------
    dataset : Dataset
        The rows used (those that could not be featurized are in its issues).
    X : pandas.DataFrame
        Their descriptors.
    config : StudyConfig
    notes : list of str
        Descriptors left out (no value in any row).
    train : pandas.Series
        Training-row mask (all rows without an official split).
    test_rows : pandas.Index
        Rows whose predictions are explained (the test split, else every row).
    evaluations : tuple of dict
        Keyword arguments of each :func:`~explainsse.models.evaluate` call (family x task).
    skipped : dict
        Task or section -> why the data cannot support it ("" when it runs).
    has_structures : bool
    """

    dataset: object
    X: pd.DataFrame
    config: StudyConfig
    notes: list
    train: pd.Series
    test_rows: pd.Index
    evaluations: tuple
    skipped: dict
    has_structures: bool

    @property
    def n_stages(self) -> int:
        """Stages the progress bar counts (descriptors, validations, explanations, sections, assembly)."""
        jobs = self.evaluations
        classifiers = [j["family"] for j in jobs if j["task"] == "classification"]
        native = sum(get_family(f).native is not None for f in classifiers)
        return (1 + len(jobs) * (1 + len(self.config.side_schemes)) + len(classifiers) + native
                + (self.config.regression_family is not None)
                + (not self.skipped["nasicon"]) + self.has_structures + 1)


def plan_study(ds, *, preset: str | None = None, families=DEFAULT_FAMILIES, tasks=TASKS,
               scheme: str | None = None, threshold: float = DEFAULT_THRESHOLD_S_CM, seed: int | None = None,
               n_scramble: int = DEFAULT_N_SCRAMBLE, n_boot: int = 200, top: int = 10, nasicon: bool = True,
               side_schemes=SIDE_SCHEMES, say=None) -> StudyPlan:
    """Descriptors, the validation scheme, and which tasks and sections the rows support (see :func:`run_study`)."""
    say = say or (lambda text: None)
    seed = get_settings().random_state if seed is None else seed
    families = check_families(families)
    ds.require_rows("a study")
    preset, preset_reason = (preset, "chosen by the user") if preset else choose_preset(ds.frame)
    say(f"note: descriptor preset {preset}: {preset_reason} (--preset to choose); computing the descriptors of "
        f"{len(ds.frame)} rows")
    # rows that cannot be featurized go to the issues of the dataset the study uses; structures show a bar
    show = not getattr(say, "quiet", True)
    ds, X = dataset_descriptors(ds, preset, progress=show)
    X, dropped = drop_empty_descriptors(X)
    for note in dropped:
        say(f"note: {note}")
    ds.require_rows("a study")
    frame = ds.frame
    has_split = bool(split_mask(frame, "train").any() and split_mask(frame, "test").any())
    scheme = scheme or ("official" if has_split else DEFAULT_USER_SCHEME)
    check_scheme(scheme)
    side_schemes = [s for s in dict.fromkeys(side_schemes) if s != scheme and s not in ("official", "loo")]
    for side in side_schemes:
        check_scheme(side)
    train = split_mask(frame, "train") if has_split else pd.Series(True, index=frame.index)
    skipped = {}
    tasks = [t for t in TASKS if t in tasks]
    for task, support in (("regression", lambda: regression_support(frame[train])),
                          ("classification", lambda: classification_support(frame[train], threshold))):
        why = support() if task in tasks else ""
        if why:
            tasks.remove(task)
            skipped[task] = why
    if not tasks:
        raise InputDataError("nothing to model: " + ("; ".join(f"{k}: {v}" for k, v in skipped.items())
                                                     or "no task chosen"))
    skipped["nasicon"] = nasicon_section_support(frame, threshold) if nasicon else "not requested"
    has_structures = bool(HAS_STRUCTURE in X and X[HAS_STRUCTURE].any())
    skipped["structure"] = "" if has_structures else "no row has a crystal structure (CIF)"
    say(f"note: validation scheme {scheme}" + "".join(f"; {k} skipped: {v}" for k, v in skipped.items()
                                                        if v and k != "structure"))
    part = frame if scheme == "official" else frame[train]
    jobs = tuple({"frame": part, "X": X.loc[part.index], "family": family, "task": task, "scheme": scheme,
                  "threshold": threshold, "n_boot": n_boot, "n_scramble": n_scramble, "random_state": seed}
                 for task in tasks for family in families if get_family(family).supports(task))
    regressors = sorted((f for f in families if get_family(f).supports("regression")),
                        key=lambda f: get_family(f).regression_rank)
    config = StudyConfig(dataset=ds.name, preset=preset, preset_reason=preset_reason, families=list(families),
                         tasks=list(tasks), scheme=scheme, threshold_S_cm=threshold, seed=seed,
                         n_scramble=n_scramble, n_boot=n_boot, top=top,
                         regression_family=regressors[0] if regressors and "regression" in tasks else None,
                         side_schemes=side_schemes)
    test_rows = frame.index[split_mask(frame, "test")] if scheme == "official" else frame.index
    return StudyPlan(ds, X, config, dropped, train, test_rows, jobs, skipped, has_structures)


@dataclass
class StudyResults:
    """What the scheduler collected (:func:`run_plan`)."""

    evaluations: tuple = ()
    schemes: tuple = ()
    models: dict = field(default_factory=dict)
    explanations: dict = field(default_factory=dict)
    natives: dict = field(default_factory=dict)
    regression: object = None
    nasicon: dict | None = None
    structure: dict | None = None
    skipped: dict = field(default_factory=dict)


def run_plan(plan: StudyPlan, *, n_jobs: int = 2, say=None) -> StudyResults:
    """Run the plan's validations in a task pool; each model is explained as soon as its validation is done.

    The NASICON and structure sections start at once beside the validations; a classifier's
    explanation (and native view) or the regression's per-material explanation is submitted when
    the family's validation has chosen its hyperparameters (:func:`~explainsse.models.train.chosen_params`).
    """
    say = say or (lambda text: None)
    cfg, frame, X, train = plan.config, plan.dataset.frame, plan.X, plan.train
    ft, Xt = frame[train], X[train]
    out = StudyResults(skipped=dict(plan.skipped))
    jobs = plan.evaluations
    with TaskPool(n_jobs, worker_setup=worker_setup) as pool:  # workers stop when the block ends, also on errors
        order = sorted(range(len(jobs)), key=lambda i: -get_family(jobs[i]["family"]).cost)
        pending = {pool.submit(evaluate, **jobs[i], n_jobs=pool.inner_jobs): i for i in order}
        followups = {}
        if not out.skipped["nasicon"]:
            future = pool.submit(_optional, _nasicon_section, frame, X, cfg.threshold_S_cm, cfg.seed, pool.inner_jobs)
            followups[future] = ("nasicon", "")
        if plan.has_structures:
            future = pool.submit(_optional, structure_section, frame, X, cfg.threshold_S_cm, cfg.seed)
            followups[future] = ("structure", "")
        done = {}
        for future in pool.as_completed(list(pending)):
            e = done[pending[future]] = future.result()
            say(f"validated {e.family}/{e.task}")
            args = (e.family, chosen_params(e), cfg.preset, cfg.threshold_S_cm)
            for side in cfg.side_schemes:  # same hyperparameters, other folds: the side-by-side table
                followups[pool.submit(_optional, _side_scheme, ft, Xt, e.family, e.task, side, args[1],
                                      cfg.threshold_S_cm, cfg.n_boot, cfg.seed, pool.inner_jobs)] = (
                    "scheme", (pending[future], side))
            if e.task == "classification":
                followups[pool.submit(_explain_classifier, ft, Xt, *args, cfg.top, cfg.seed, pool.inner_jobs)] = (
                    "classification", e.family)
                if get_family(e.family).native is not None:
                    followups[pool.submit(_native, ft, Xt, *args, cfg.top, cfg.seed, pool.inner_jobs)] = (
                        "native", e.family)
            elif e.family == cfg.regression_family:
                followups[pool.submit(_regression, frame, X, train, plan.test_rows, *args, cfg.seed,
                                      pool.inner_jobs)] = ("regression", e.family)
        out.evaluations = tuple(done[i] for i in range(len(jobs)))
        schemes = {}
        for future in pool.as_completed(list(followups)):
            kind, family = followups[future]
            if kind == "scheme":
                e, why = future.result()
                job = jobs[family[0]]
                if e is None:
                    out.skipped[f"{family[1]} scores of {job['family']}/{job['task']}"] = why
                else:
                    schemes[family] = e
                say(f"{job['family']}/{job['task']} under {family[1]} (side by side)" + (f" skipped: {why}" if why else ""))
            elif kind in ("nasicon", "structure"):
                result, out.skipped[kind] = future.result()
                setattr(out, kind, result)
                name = "NASICON" if kind == "nasicon" else kind
                say(f"{name} section" + (f" skipped: {out.skipped[kind]}" if out.skipped[kind] else ""))
            elif kind == "native":
                out.natives[family] = future.result()
                say(f"native view {family}")
            elif kind == "regression":
                out.models[f"{family}/regression"], out.regression = future.result()
                say(f"predictions explained ({family})")
            else:
                out.models[f"{family}/classification"], out.explanations[family] = future.result()
                say(f"explained {family}")
        out.schemes = tuple(schemes[key] for key in sorted(schemes, key=lambda k: (k[0], cfg.side_schemes.index(k[1]))))
    return out


def assemble_study(plan: StudyPlan, results: StudyResults, *, started: _dt.datetime, seconds: float) -> Study:
    """The :class:`Study` of a run plan and its results: native views joined, cross-family agreement, data card."""
    cfg = plan.config
    order = [e.family for e in results.evaluations if e.task == "classification"]
    explanations = {f: _with_native(results.explanations[f], results.natives.get(f, {})) for f in order}
    agreement = None
    if len(explanations) > 1:
        ag = cross_family_agreement({f: ex.table for f, ex in explanations.items()}, top_k=cfg.top)
        agreement = {"rank_correlation": ag["rank_correlation"], "direction_agreement": ag["direction_agreement"],
                     "direction": ag["direction"].to_dict("records"), "top_k": cfg.top}
    provenance = Provenance(versions=recorded_versions(), started=started.isoformat(timespec="seconds"),
                            finished=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                            seconds=round(seconds, 1))
    card = _data_card(plan.dataset, cfg.preset, cfg.preset_reason, plan.notes, results.skipped)
    return Study(config=cfg, frame=plan.dataset.frame, descriptors=plan.X, data_card=card,
                 evaluations=results.evaluations, schemes=results.schemes, models={k: results.models[k] for k in sorted(results.models)},
                 explanations=explanations, regression=results.regression, agreement=agreement,
                 nasicon=results.nasicon, provenance=provenance, structure=results.structure)


def run_study(ds, *, preset: str | None = None, families=DEFAULT_FAMILIES, tasks=TASKS,
              scheme: str | None = None, threshold: float = DEFAULT_THRESHOLD_S_CM, seed: int | None = None,
              n_scramble: int = DEFAULT_N_SCRAMBLE, n_boot: int = 200, top: int = 10, nasicon: bool = True,
              side_schemes=SIDE_SCHEMES, n_jobs: int = 2, progress=None) -> Study:
    """Validate and explain every family on a dataset: the analysis a report shows.

    Parameters
    ----------
    ds : Dataset
        Rows with measured conductivity (:func:`~explainsse.datasets.load_dataset`,
        :func:`~explainsse.datasets.load_table`); rows that cannot be featurized are moved to
        ``ds.issues`` (listed in the data card), never dropped silently.
    preset : str, optional
        Descriptor preset; default: the richest the data supports
        (:func:`~explainsse.featurize.presets.choose_preset`).
    families : sequence of str
        Registered families (:mod:`explainsse.models.families`).
    tasks : sequence of str
        ``regression`` (log10 sigma) and/or ``classification`` (sigma >= ``threshold``).
    scheme : str, optional
        Validation scheme; default ``official`` when the data has a train/test split, else
        ``cluster-out`` (leave-cluster-out CV: performance on new chemistry).
    threshold : float
        Superionic threshold in S/cm.
    seed : int, optional
        Random state of every step (default from settings, 0).
    n_scramble : int
        y-scrambling refits per model (19 or more let p reach 0.05).
    n_boot : int
        Bootstrap resamples for the metrics' 95% intervals.
    top : int
        Size of the top-descriptor sets (stability, agreement).
    nasicon : bool
        Add the within-NASICON validation when the data has at least 10 NASICON rows.
    side_schemes : sequence of str
        CV schemes run on the training rows beside ``scheme``, each with the hyperparameters
        ``scheme``'s validation chose (no second tuning, no y-scrambling): the report's
        side-by-side table (random folds, grouped, cluster-out) and its extrapolation penalty.
        Empty to skip.
    n_jobs : int
        Worker processes.
    progress : callable, optional
        Called with a short text after each stage (texts starting with ``note: `` are notes, not stages).

    Returns
    -------
    Study
    """
    say = progress or (lambda text: None)
    started, clock = _dt.datetime.now(_dt.timezone.utc), time.perf_counter()
    plan = plan_study(ds, preset=preset, families=families, tasks=tasks, scheme=scheme, threshold=threshold,
                      seed=seed, n_scramble=n_scramble, n_boot=n_boot, top=top, nasicon=nasicon,
                      side_schemes=side_schemes, say=_Say(say, quiet=progress is None or getattr(progress, "quiet", False)))
    say(f"total: {plan.n_stages}")
    say(f"descriptors ({plan.X.shape[1]} per row)")
    results = run_plan(plan, n_jobs=n_jobs, say=say)
    study = assemble_study(plan, results, started=started, seconds=time.perf_counter() - clock)
    say("study complete")
    return study


class _Say:
    """The progress callback, carrying whether bars may be shown (the structures' bar)."""

    def __init__(self, say, quiet: bool):
        self.say, self.quiet = say, quiet

    def __call__(self, text: str) -> None:
        self.say(text)


def structure_section(frame, X, threshold: float, seed: int) -> dict:
    """Share of rows with a structure, Sendek et al.'s published model and the sparse L1 refit.

    Parameters
    ----------
    frame, X : pandas.DataFrame
        Modelled rows and their descriptors (with the structure descriptors).
    threshold : float
        Superionic threshold (S/cm).
    seed : int

    Returns
    -------
    dict
        ``n_rows``, ``n_with_structure``, ``share_with_structure``, ``published_model``,
        ``sparse_logistic`` (None when the rows do not allow it, with ``sparse_note``).
    """
    n_with = int(X[HAS_STRUCTURE].sum())
    out = {"n_rows": int(len(X)), "n_with_structure": n_with, "share_with_structure": n_with / max(len(X), 1),
           "published_model": None, "published_note": "", "sparse_logistic": None, "sparse_note": ""}
    try:
        out["published_model"] = published_model(frame, X, threshold=threshold, seed=seed)
    except ValueError as exc:  # too few rows with a CIF, or one class only among them
        out["published_note"] = f"Sendek et al.'s published model not scored: {exc}"
    if "split" in frame and frame["split"].eq("train").any():
        try:
            out["sparse_logistic"] = sparse_logistic(frame, X, threshold=threshold, seed=seed)
        except ValueError as exc:
            out["sparse_note"] = f"sparse model not fitted: {exc}"
    else:
        out["sparse_note"] = "sparse model not fitted: the data has no official train/test split"
    return out


def _with_native(ex, native: dict):
    return replace(ex, native={**ex.native, **native}) if native else ex


__all__ = ["TASKS", "StudyPlan", "StudyResults", "assemble_study", "plan_study", "run_plan", "run_study"]
