"""Model cards: what a saved model is, how it was validated under every CV scheme, how it is calibrated."""

from __future__ import annotations

from ..models.benchmark import scheme_lines


def trained_card(model) -> str:
    """``MODEL_CARD.md`` of a model trained by ``explainsse train``.

    Parameters
    ----------
    model : TrainedModel
        With ``metrics["cv_schemes"]`` (:func:`~explainsse.models.benchmark.scheme_scores`) and
        its calibration, when computed.
    """
    d = model.dataset or {}
    inner = {k: v for k, v in (model.metrics or {}).items() if k.startswith("inner_cv_")}
    inner_text = "; ".join(f"{k.removeprefix('inner_cv_')} {v:.3f}" for k, v in inner.items()
                           if isinstance(v, (int, float)))
    return f"""# explainsse model: {model.family} / {model.task}

* Family {model.family}, task {model.task}, descriptor preset `{model.preset}` ({len(model.feature_names)} columns),
  seed {model.random_state}{f"; superionic threshold {model.threshold:g} S/cm" if model.task == "classification" else ""}.
* Training data: {d.get('name', '?')} ({d.get('n_train', '?')} rows, {d.get('trained_on', '')}).
* Hyperparameters (grouped inner CV on the training rows{': ' + inner_text if inner_text else ''}): `{model.params}`.
{scheme_block(model)}
{calibration_lines(model)}
* Read the cluster-out line as the performance to expect on compositions unlike the training rows; random folds
  describe near-duplicates of the training data.
"""


def scheme_block(model) -> str:
    """Model-card lines: the model's hyperparameters under every CV scheme on its training rows."""
    scores = model.metrics.get("cv_schemes") or []
    if not scores:
        return "* No CV schemes scored."
    return "\n".join(["* The same hyperparameters under other CV schemes on the training rows (pooled out-of-fold, "
                      "no tuning inside; how far the held-out rows are from the training rows decides the score):",
                      *scheme_lines(scores)])


def calibration_lines(model) -> str:
    """Model-card lines on the calibration (cluster-out CV over the training rows)."""
    cal = model.calibration
    if cal is None:
        return "* Not calibrated: `explain` gives no interval."
    m = cal.summary
    if cal.task == "regression":
        return (f"* Uncertainty: conformal intervals (crepes, normalized by the distance to the nearest training "
                f"material) calibrated on leave-cluster-out CV over the training rows ({cal.n_folds} composition "
                f"clusters, {m['n']} uncensored rows). Checked cluster by cluster (each calibrated on the others): "
                f"90% intervals cover {m['coverage_0.9']:.2f} of the held-out rows with mean width "
                f"{m['mean_width_0.9']:.1f} decades of S/cm (80%: {m['coverage_0.8']:.2f}, "
                f"{m['mean_width_0.8']:.1f}; 95%: {m['coverage_0.95']:.2f}, {m['mean_width_0.95']:.1f}); Spearman "
                f"of width with absolute error {m['spearman_width_abs_error']:.2f}; out-of-cluster MAE "
                f"{m['mae_out_of_fold']:.2f} decades (new chemistry is predicted much worse than the test split).")
    return (f"* Uncertainty: Venn-Abers probabilities and 90% conformal prediction sets calibrated on "
            f"leave-cluster-out CV over the training rows ({cal.n_folds} clusters, {m['n']} rows): Brier "
            f"{m['brier_raw']:.3f} raw, {m['brier_calibrated']:.3f} calibrated; expected calibration error "
            f"{m['ece_raw']:.3f} raw, {m['ece_calibrated']:.3f} calibrated (each cluster calibrated on the others)"
            + ("; on held-out clusters Venn-Abers does not improve on the raw probabilities here (the base rate "
               "moves from cluster to cluster), so read any probability as coarse." if
               m["ece_calibrated"] > m["ece_raw"] or m["brier_calibrated"] > m["brier_raw"] else "."))



__all__ = ["calibration_lines", "scheme_block", "trained_card"]
