"""One scoring module: baselines, permutation (y-scrambling) p-values and plain-language verdicts.

Used by :func:`explainsse.models.evaluate` (y-scrambling of every validated model) and by
:mod:`explainsse.validation` (NASICON classifiers), so both say "beats the baseline" and
"p = ..." the same way.

The permutation p-value is the one of Ojala & Garriga (JMLR 11, 1833, 2010) as scikit-learn's
``permutation_test_score`` computes it: ``p = (1 + #{null at least as good as real}) / (1 + n)``.
With ``n`` permutations the smallest reachable p is ``1 / (n + 1)``: 19 permutations are the
fewest that can give p = 0.05 (:data:`MIN_PERMUTATIONS`). :func:`format_p_value` prints a p-value
with the number of permutations behind it, and as a bound ("p <= 0.05 (19 refits)") when it sits
at that floor, so no report shows a smaller p than its permutations allow.

The skill verdict of every model (:func:`skill_verdict`, :func:`evaluation_verdict`) is defined
here once; the NASICON classifier verdict (:func:`verdict`) follows the same rule and maps its
statuses onto it (:data:`STATUS_TO_VERDICT`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import LOWER_IS_BETTER

#: Fewest permutations for which p <= 0.05 is reachable; fewer cannot make a model look significant.
MIN_PERMUTATIONS = 19

#: Display names of the two classes of the superionic task.
CLASS_NAMES = {1: "superionic", 0: "not superionic"}

#: The three skill verdicts, best first (the only values ``verdict`` takes in ``report.json``).
SKILL, WEAK, NO_SKILL = "skill", "weak", "no skill"
VERDICTS = (SKILL, WEAK, NO_SKILL)
#: A permutation p at most this is evidence of skill (with enough permutations to reach it).
P_SKILL = 0.05
#: A permutation p above this means the real model does no better than a typical scrambled refit.
P_NO_SKILL = 0.5
#: NASICON classifier statuses -> skill verdicts (the same rule, older names).
STATUS_TO_VERDICT = {"passes": SKILL, "weak": WEAK, "fails": NO_SKILL}
#: Baseline of each selection metric: the median predictor's MAE, and chance (MCC 0) for classifiers.
BASELINE_NAMES = {"mae": "the median predictor", "mcc": "chance (MCC 0, as for the majority class)"}


def permutation_test(real: float, null, *, metric: str, kind: str) -> dict:
    """The record of a permutation test (refits on permuted labels, or labels permuted against predictions).

    Parameters
    ----------
    real : float
        Score of the real model.
    null : sequence of float
        Scores under permuted labels.
    metric : str
        Name of the score (``mae`` is lower-is-better; ``mcc`` and the rest higher-is-better).
    kind : str
        What was permuted, in words.

    Returns
    -------
    dict
        ``metric, kind, real, scores, n_permutations, null_mean, p_value`` (p is NaN when no
        permutation was run).

    Examples
    --------
    >>> permutation_test(0.5, [0.1] * 19, metric="mcc", kind="refit")["p_value"]
    0.05
    >>> permutation_test(1.0, [2.0, 0.5], metric="mae", kind="refit")["p_value"]
    0.6666666666666666
    """
    null = np.asarray(null, float)
    better = null <= real if metric in LOWER_IS_BETTER else null >= real
    return {"metric": metric, "kind": kind, "real": float(real), "scores": null.tolist(),
            "n_permutations": int(len(null)),
            "null_mean": float(np.mean(null)) if len(null) else float("nan"),
            "p_value": float((1 + better.sum()) / (1 + len(null))) if len(null) else float("nan")}


def is_resolvable(permutation: dict) -> bool:
    """Whether the test ran enough permutations for p <= 0.05 to be reachable."""
    return permutation.get("n_permutations", len(permutation.get("scores", ()))) >= MIN_PERMUTATIONS


def baseline_scores(task: str, y_train, n_eval: int) -> np.ndarray:
    """Predictions of the trivial baseline fitted on ``y_train`` for ``n_eval`` rows.

    Regression: the training median of log10 sigma. Classification: the training share of
    the superionic class as its probability (scikit-learn's ``DummyClassifier(strategy="prior")``).
    """
    from sklearn.dummy import (  # heavy: scikit-learn loads only when a model is built or scored
        DummyClassifier,
        DummyRegressor,
    )

    y_train = np.asarray(y_train)
    zeros = np.zeros((len(y_train), 1))
    if task == "regression":
        return DummyRegressor(strategy="median").fit(zeros, y_train).predict(np.zeros((n_eval, 1)))
    prior = DummyClassifier(strategy="prior").fit(zeros, y_train)
    return prior.predict_proba(np.zeros((n_eval, 1)))[:, 1]


def majority_baseline(y_eval, train_majority: int) -> dict:
    """Accuracy of always answering one class, on the evaluated labels ``y_eval`` (0/1).

    Returns
    -------
    dict
        ``train_majority_class`` / ``train_majority_accuracy`` (the class most common in
        training), ``best_constant_class`` / ``best_constant_accuracy`` (the better of the two
        constant answers on these rows: the bar a classifier must clear) and ``positive_share``.
    """
    y_eval = np.asarray(y_eval)
    p = float(np.mean(y_eval))
    best = 1 if p >= 0.5 else 0
    return {"train_majority_class": CLASS_NAMES[train_majority],
            "train_majority_accuracy": float(np.mean(y_eval == train_majority)),
            "best_constant_class": CLASS_NAMES[best], "best_constant_accuracy": max(p, 1 - p),
            "positive_share": p}


def verdict(metrics: dict, ci: dict, baseline: dict, permutation: dict, predicted_share: float) -> dict:
    """Plain-language verdict of a NASICON classifier: ``fails`` / ``weak`` / ``passes``.

    The rule of :func:`skill_verdict`, on accuracy against always answering the better constant
    class, plus one check of its own: a classifier that answers one class for >= 95% of the rows
    has collapsed and fails. ``passes`` / ``weak`` / ``fails`` are the statuses of the NASICON
    reports; ``verdict`` gives the same judgement as ``"skill"`` / ``"weak"`` / ``"no skill"``
    (:data:`STATUS_TO_VERDICT`).

    Parameters
    ----------
    metrics : dict
        ``accuracy``, ``balanced_accuracy`` and ``mcc`` of the classifier.
    ci : dict
        Metric -> (low, high) 95% interval (``accuracy`` used).
    baseline : dict
        From :func:`majority_baseline`.
    permutation : dict
        From :func:`permutation_test` (p counted only when :func:`is_resolvable`).
    predicted_share : float
        Share of rows predicted superionic (a classifier answering one class for >= 95% of rows
        has collapsed).

    Returns
    -------
    dict
        ``status``, ``verdict``, ``collapsed`` and ``text`` (one sentence a reader can quote).
    """
    acc, best = metrics["accuracy"], baseline["best_constant_accuracy"]
    lo = ci.get("accuracy", (np.nan, np.nan))[0]
    p = permutation.get("p_value", np.nan)
    p = np.nan if p is None else p
    cls = baseline["best_constant_class"]
    majority_share = max(predicted_share, 1 - predicted_share)

    def out(status, collapsed, text):
        return {"status": status, "verdict": STATUS_TO_VERDICT[status], "collapsed": collapsed, "text": text}

    if majority_share >= 0.95:
        one = CLASS_NAMES[int(predicted_share >= 0.5)]
        return out("fails", True,
                   f"collapsed to one class: it answers '{one}' for {majority_share:.0%} of the materials "
                   f"(accuracy {acc:.2f} vs {best:.2f} for always answering '{cls}'; balanced accuracy "
                   f"{metrics['balanced_accuracy']:.2f})")
    if not acc > best:
        return out("fails", False,
                   f"does NOT beat the majority baseline: accuracy {acc:.2f} vs {best:.2f} for always "
                   f"answering '{cls}' (MCC {metrics['mcc']:.2f})")
    if np.isfinite(p) and p > P_NO_SKILL and is_resolvable(permutation):
        return out("fails", False,
                   f"no better than the permutation null: accuracy {acc:.2f} vs {best:.2f} for always "
                   f"answering '{cls}', but {format_p_value(permutation)}")
    doubts = []
    if np.isfinite(lo) and lo <= best:
        doubts.append(f"the 95% interval of its accuracy ({lo:.2f}-{ci['accuracy'][1]:.2f}) includes the baseline")
    if np.isfinite(p) and p > P_SKILL and is_resolvable(permutation):
        doubts.append(f"the permutation test gives {format_p_value(permutation)}")
    if doubts:
        return out("weak", False,
                   f"weak: accuracy {acc:.2f} vs {best:.2f} for always answering '{cls}', but " + " and ".join(doubts))
    return out("passes", False,
               f"beats the majority baseline: accuracy {acc:.2f} vs {best:.2f} for always answering "
               f"'{cls}'; MCC {metrics['mcc']:.2f}"
               + (f", permutation {format_p_value(permutation)}" if np.isfinite(p) else ""))


def format_p_value(record: dict) -> str:
    """A permutation p-value as it can be read: with its count, as a bound when at the floor ``1/(n+1)``.

    Parameters
    ----------
    record : dict
        From :func:`permutation_test` (``p_value``, ``n_permutations`` or ``scores``, ``kind``).

    Returns
    -------
    str
        ``"p = 0.15 (19 refits)"``, ``"p <= 0.05 (19 refits)"`` at the floor, ``"p = 0.001 (999 label
        permutations, no refit)"`` when labels were permuted against fixed predictions, or
        ``"not tested"``.

    Examples
    --------
    >>> format_p_value({"p_value": 0.05, "n_permutations": 19, "kind": "refit"})
    'p <= 0.05 (19 refits)'
    >>> format_p_value({"p_value": 0.3, "n_permutations": 19, "kind": "refit"})
    'p = 0.30 (19 refits)'
    >>> format_p_value({"p_value": 0.001, "n_permutations": 999,
    ...                 "kind": "true labels permuted against fixed predictions"})
    'p <= 0.001 (999 label permutations, no refit)'
    """
    p = record.get("p_value", np.nan)
    n = int(record.get("n_permutations", len(record.get("scores", ()))))
    if p is None or not np.isfinite(p) or n == 0:
        return "not tested"
    kind = str(record.get("kind", ""))
    what = (f"{n} label permutations, no refit" if "fixed predictions" in kind
            else f"{n} refit{'s' if n != 1 else ''}")
    floor = 1 / (n + 1)
    p = max(float(p), floor)  # a smaller number than the permutations allow is never printed
    digits = max(2, int(np.ceil(-np.log10(floor))))
    if np.isclose(p, floor):
        return f"p <= {floor:.{digits}f} ({what})"
    return f"p = {p:.{digits}f} ({what})"


def skill_verdict(estimate: float, ci: tuple, baseline: float, permutation: dict | None, *, metric: str,
                  baseline_name: str | None = None) -> dict:
    """The verdict of one model against its baseline: ``"skill"``, ``"weak"`` or ``"no skill"``.

    The one rule of the toolkit (main report, ``importance``, prediction report; the NASICON
    classifiers' :func:`verdict` applies it to accuracy):

    * **no skill**: the point estimate is no better than the baseline (MAE not below the
      median predictor's; MCC not above 0, i.e. chance), or the y-scrambling test gives
      p > :data:`P_NO_SKILL` (the real model does no better than a typical refit on scrambled
      targets);
    * **skill**: better than the baseline with the metric's whole 95% interval on the better side
      of the baseline, *and* y-scrambling p <= :data:`P_SKILL` with at least
      :data:`MIN_PERMUTATIONS` refits (so 0.05 is reachable);
    * **weak**: everything in between (better point estimate, but an interval that reaches the
      baseline, a p between 0.05 and 0.5, or no permutation test run).

    Parameters
    ----------
    estimate : float
        The model's score (pooled out-of-fold or test).
    ci : tuple of float
        Its 95% interval (low, high); NaN if unknown.
    baseline : float
        The baseline's score on the same rows.
    permutation : dict or None
        From :func:`permutation_test` (None or NaN p: not tested).
    metric : str
        Score name; ``mae`` is lower-is-better, the rest higher-is-better.
    baseline_name : str, optional
        How the baseline is called in the reason (default from :data:`BASELINE_NAMES`).

    Returns
    -------
    dict
        ``verdict`` (one of :data:`VERDICTS`) and ``verdict_reason`` (one sentence).

    Examples
    --------
    >>> perm = {"p_value": 0.05, "n_permutations": 19, "kind": "refit"}
    >>> skill_verdict(1.1, (0.9, 1.3), 2.0, perm, metric="mae")["verdict"]
    'skill'
    >>> skill_verdict(1.9, (1.5, 2.3), 2.0, perm, metric="mae")["verdict"]
    'weak'
    >>> skill_verdict(3.6, (3.0, 4.1), 2.5, {**perm, "p_value": 0.8}, metric="mae")["verdict"]
    'no skill'
    """
    lower = metric in LOWER_IS_BETTER
    name = baseline_name or BASELINE_NAMES.get(metric, "the baseline")
    label = metric.upper()
    permutation = permutation or {}
    p = permutation.get("p_value", np.nan)
    p = np.nan if p is None else float(p)
    ptext = format_p_value(permutation)
    lo, hi = (np.nan, np.nan) if ci is None else (float(ci[0]), float(ci[1]))
    if estimate is None or not np.isfinite(estimate) or baseline is None or not np.isfinite(baseline):
        return {"verdict": NO_SKILL, "verdict_reason": f"{label} or its baseline could not be computed"}
    versus = f"{label} {estimate:.2f} vs {baseline:.2f}"
    better = estimate < baseline if lower else estimate > baseline
    if not better:
        return {"verdict": NO_SKILL, "verdict_reason": f"does not beat {name} ({versus})"}
    if np.isfinite(p) and p > P_NO_SKILL:
        return {"verdict": NO_SKILL, "verdict_reason": f"no better than refits on scrambled targets ({versus} for "
                                                        f"{name}, y-scrambling {ptext})"}
    doubts = []
    if not (np.isfinite(lo) and np.isfinite(hi)):
        doubts.append("its 95% interval is unknown")
    elif (hi >= baseline) if lower else (lo <= baseline):
        doubts.append(f"its 95% interval ({lo:.2f}-{hi:.2f}) reaches the baseline")
    if not np.isfinite(p):
        doubts.append("no y-scrambling test was run")
    elif p > P_SKILL:
        doubts.append(f"y-scrambling {ptext}")
    elif not is_resolvable(permutation):
        doubts.append(f"too few scrambling refits for p <= 0.05 ({ptext})")
    if doubts:
        return {"verdict": WEAK, "verdict_reason": f"beats {name} ({versus}), but " + " and ".join(doubts)}
    return {"verdict": SKILL, "verdict_reason": f"beats {name} ({versus}, 95% interval {lo:.2f}-{hi:.2f}; "
                                                f"y-scrambling {ptext})"}


def evaluation_verdict(evaluation, subset: str = "all") -> dict:
    """:func:`skill_verdict` of an :class:`~explainsse.models.evaluation.Evaluation` (or a saved one).

    Regression is judged by MAE against the median predictor (``baseline-median`` rows),
    classification by MCC against chance (0: the majority class, or any constant answer). The
    y-scrambling record is the evaluation's ``scramble``.

    Parameters
    ----------
    evaluation : Evaluation
        Anything with ``family``, ``task``, ``results`` (tidy rows) and ``scramble``.
    subset : str
        Result subset judged (``all``).

    Returns
    -------
    dict
        ``family, task, scheme, metric, value, ci_low, ci_high, baseline, baseline_name,
        p_value, n_permutations, p_text, verdict, verdict_reason``.
    """
    task = evaluation.task
    metric = "mae" if task == "regression" else "mcc"
    r = evaluation.results
    pooled = r[(r["fold"] == "all") & (r["subset"] == subset) & (r["metric"] == metric)]
    own = pooled[pooled["family"] == evaluation.family]
    if own.empty:  # results labelled differently (e.g. xgb-aft): take the first non-baseline family
        own = pooled[~pooled["family"].astype(str).str.startswith("baseline")]
    value = float(own["value"].iloc[0]) if len(own) else np.nan
    lo = float(own["ci_low"].iloc[0]) if len(own) else np.nan
    hi = float(own["ci_high"].iloc[0]) if len(own) else np.nan
    if task == "regression":
        base = pooled[pooled["family"] == "baseline-median"]
        baseline = float(base["value"].iloc[0]) if len(base) else np.nan
    else:
        baseline = 0.0
    scramble = dict(evaluation.scramble or {})
    out = {"family": evaluation.family, "task": task, "scheme": getattr(evaluation, "scheme", ""),
           "metric": metric, "value": value, "ci_low": lo, "ci_high": hi, "baseline": baseline,
           "baseline_name": BASELINE_NAMES[metric], "p_value": float(scramble.get("p_value", np.nan)),
           "n_permutations": int(scramble.get("n_permutations", len(scramble.get("scores", ())))),
           "p_text": format_p_value(scramble)}
    return {**out, **skill_verdict(value, (lo, hi), baseline, scramble, metric=metric)}


def scramble_sentence(name: str, record: dict) -> str:
    """One sentence on a y-scrambling control, e.g. for the report's model table.

    Examples
    --------
    >>> scramble_sentence("xgb/regression", {"metric": "mae", "real": 1.6, "scores": [2.7] * 19,
    ...                                      "p_value": 0.05})
    'xgb/regression: MAE 1.60 vs 2.70 (mean of 19 refits on scrambled targets), p <= 0.05 (19 refits)'
    """
    scores = pd.Series(record["scores"], dtype=float)
    return (f"{name}: {record['metric'].upper()} {record['real']:.2f} vs {scores.mean():.2f} "
            f"(mean of {len(scores)} refits on scrambled targets), {format_p_value(record)}"
            + ("" if len(scores) >= MIN_PERMUTATIONS else f" (fewer than {MIN_PERMUTATIONS} refits: "
               "p cannot reach 0.05)"))


__all__ = ["BASELINE_NAMES", "CLASS_NAMES", "MIN_PERMUTATIONS", "NO_SKILL", "P_NO_SKILL", "P_SKILL", "SKILL",
           "STATUS_TO_VERDICT", "VERDICTS", "WEAK", "baseline_scores", "evaluation_verdict", "format_p_value",
           "is_resolvable", "majority_baseline", "permutation_test", "scramble_sentence", "skill_verdict", "verdict"]
