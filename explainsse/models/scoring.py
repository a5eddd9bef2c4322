"""One scoring module: baselines, permutation (y-scrambling) p-values and plain-language verdicts.

Used by :func:`explainsse.models.evaluate` (y-scrambling of every validated model) and by
:mod:`explainsse.validation` (NASICON classifiers), so both say "beats the baseline" and
"p = ..." the same way.

The permutation p-value is the one of Ojala & Garriga (JMLR 11, 1833, 2010) as scikit-learn's
``permutation_test_score`` computes it: ``p = (1 + #{null at least as good as real}) / (1 + n)``.
With ``n`` permutations the smallest reachable p is ``1 / (n + 1)``: 19 permutations are the
fewest that can give p = 0.05 (:data:`MIN_PERMUTATIONS`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import LOWER_IS_BETTER

#: Fewest permutations for which p <= 0.05 is reachable; fewer cannot make a model look significant.
MIN_PERMUTATIONS = 19

#: Display names of the two classes of the superionic task.
CLASS_NAMES = {1: "superionic", 0: "not superionic"}


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
    """Plain-language verdict of a classifier: ``fails`` / ``weak`` / ``passes``.

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
        ``status``, ``collapsed`` and ``text`` (one sentence a reader can quote).
    """
    acc, best = metrics["accuracy"], baseline["best_constant_accuracy"]
    lo = ci.get("accuracy", (np.nan, np.nan))[0]
    p = permutation.get("p_value", np.nan)
    cls = baseline["best_constant_class"]
    majority_share = max(predicted_share, 1 - predicted_share)
    if majority_share >= 0.95:
        one = CLASS_NAMES[int(predicted_share >= 0.5)]
        return {"status": "fails", "collapsed": True,
                "text": f"collapsed to one class: it answers '{one}' for {majority_share:.0%} of the materials "
                        f"(accuracy {acc:.2f} vs {best:.2f} for always answering '{cls}'; balanced accuracy "
                        f"{metrics['balanced_accuracy']:.2f})"}
    if not acc > best:
        return {"status": "fails", "collapsed": False,
                "text": f"does NOT beat the majority baseline: accuracy {acc:.2f} vs {best:.2f} for always "
                        f"answering '{cls}' (MCC {metrics['mcc']:.2f})"}
    doubts = []
    if np.isfinite(lo) and lo <= best:
        doubts.append(f"the 95% interval of its accuracy ({lo:.2f}-{ci['accuracy'][1]:.2f}) includes the baseline")
    if np.isfinite(p) and p > 0.05 and is_resolvable(permutation):
        doubts.append(f"the permutation test gives p = {p:.2f}")
    if doubts:
        return {"status": "weak", "collapsed": False,
                "text": f"weak: accuracy {acc:.2f} vs {best:.2f} for always answering '{cls}', but "
                        + " and ".join(doubts)}
    return {"status": "passes", "collapsed": False,
            "text": f"beats the majority baseline: accuracy {acc:.2f} vs {best:.2f} for always answering "
                    f"'{cls}'; MCC {metrics['mcc']:.2f}"
                    + (f", permutation p = {p:.3f}" if np.isfinite(p) else "")}


def scramble_sentence(name: str, record: dict) -> str:
    """One sentence on a y-scrambling control, e.g. for the report's model table.

    Examples
    --------
    >>> scramble_sentence("xgb/regression", {"metric": "mae", "real": 1.6, "scores": [2.7] * 19,
    ...                                      "p_value": 0.05})
    'xgb/regression: MAE 1.60 vs 2.70 (mean of 19 refits on scrambled targets), p = 0.050'
    """
    scores = pd.Series(record["scores"], dtype=float)
    return (f"{name}: {record['metric'].upper()} {record['real']:.2f} vs {scores.mean():.2f} "
            f"(mean of {len(scores)} refits on scrambled targets), p = {record['p_value']:.3f}"
            + ("" if len(scores) >= MIN_PERMUTATIONS else f" (fewer than {MIN_PERMUTATIONS} refits: "
               "p cannot reach 0.05)"))


__all__ = ["CLASS_NAMES", "MIN_PERMUTATIONS", "baseline_scores", "is_resolvable", "majority_baseline",
           "permutation_test", "scramble_sentence", "verdict"]
