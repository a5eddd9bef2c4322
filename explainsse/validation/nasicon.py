"""Validate NASICON-style classifiers: four protocols, honest baselines, explanations (orchestration).

The parts live beside this module: :mod:`.membership` (which rows are NASICON), :mod:`.protocols`
(the four protocols and their refits), :mod:`.prediction_files` (a user's predictions file),
:mod:`.scores` (metrics, baseline, permutation test and verdict of one evaluation, on
:mod:`explainsse.models.scoring`).

Protocols (:data:`PROTOCOLS`):

``within``
    NASICON rows only: repeated stratified k-fold, leave-one-out and, when the data names its
    papers (DOI), leave-papers-out (doping series of one paper leak between random folds).
``cross-family``
    Train on non-NASICON materials, test on NASICON; and the reverse.
``cross-domain``
    Train on Na compounds, test on Li compounds (Xu et al.'s setting); and the reverse when
    both sides have both classes. Uses the input plus ``test`` when given (e.g. Xu's Na set +
    OBELiX's Li NASICONs).
``external``
    Train on the input, test on another file (``test``); or score predictions the user already
    has (``predictions``: id + label or probability) without refitting anything.

Every evaluation reports accuracy, balanced accuracy, MCC, ROC AUC, F1 with bootstrap CIs, the
confusion matrix, a calibration curve, the majority-class baseline, a permutation-test p-value,
and a verdict that says plainly when the classifier does not beat always answering the majority
class.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._config import DEFAULT_N_SCRAMBLE, DEFAULT_THRESHOLD_S_CM
from ..errors import InputDataError
from ..explain import explain
from ..featurize import describe
from ..io import to_jsonable
from ..models.scoring import CLASS_NAMES, verdict
from ..models.targets import make_target
from ..models.train import TrainedModel
from .classifier import Classifier, make_classifier
from .detector import detect_nasicon, detector_agreement, nasicon_labels
from .drivers import domain_shift, site_drivers
from .membership import alkali_domain, nasicon_membership
from .protocols import (
    _own_label_warnings,
    _protocol_cross_domain,
    _protocol_cross_family,
    _protocol_external,
    _protocol_within,
    _Side,
)
from .scores import METRICS, NasiconEvaluation, label_permutation_test, score_predictions

PROTOCOLS = ("within", "cross-family", "cross-domain", "external")


@dataclass
class NasiconValidation:
    """Everything :func:`validate_nasicon` found; ``to_dict()`` gives the JSON.

    ``table`` (the SHAP :class:`~explainsse.explain.ExplanationTable` of the explained rows) and
    ``alkali`` (Li / Na / mixed of those rows) feed the report's dependence plots; they are not
    in the JSON. ``domain_shift`` lists the descriptors that differ most between the Na and Li
    rows (cross-domain protocol).
    """

    protocol: str
    classifier: str
    threshold: float
    membership_source: str
    subset: dict
    evaluations: list
    warnings: list
    explanation: dict
    excluded: pd.DataFrame
    detector: dict | None = None
    selected: dict = field(default_factory=dict)
    domain_shift: list = field(default_factory=list)
    table: object = field(default=None, repr=False)
    alkali: pd.Series | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The JSON form (numbers, strings, lists and dicts only)."""
        return to_jsonable({
            "protocol": self.protocol, "classifier": self.classifier, "threshold_S_cm": self.threshold,
            "membership_source": self.membership_source, "subset": self.subset,
            "evaluations": [{k: v for k, v in e.__dict__.items() if k != "predictions"} for e in self.evaluations],
            "warnings": self.warnings, "explanation": self.explanation, "selected_hyperparameters": self.selected,
            "domain_shift": self.domain_shift,
            "excluded": self.excluded.astype(str).to_dict("records"),
            "detector": None if self.detector is None else {
                k: (v.astype(str).to_dict("records") if isinstance(v, pd.DataFrame) else v)
                for k, v in self.detector.items()},
        })

    def summary(self) -> pd.DataFrame:
        """One row per evaluation: headline metrics, baseline, p-value and verdict."""
        return pd.DataFrame([{"evaluation": e.name, "n": e.n, "positive": e.n_positive,
                              **{m: e.metrics[m] for m in METRICS},
                              "majority_baseline": e.baseline["best_constant_accuracy"],
                              "permutation_p": e.permutation.get("p_value", np.nan),
                              "verdict": e.verdict["status"]} for e in self.evaluations])


def validate_nasicon(frame: pd.DataFrame, X: pd.DataFrame, classifier="logreg", *, protocol: str = "within",
                     threshold: float = DEFAULT_THRESHOLD_S_CM, all_nasicon: bool = False,
                     test_frame: pd.DataFrame | None = None, test_X: pd.DataFrame | None = None,
                     predictions: pd.DataFrame | None = None, n_splits: int = 5, n_repeats: int = 5,
                     loo: bool = True, n_permutations: int = DEFAULT_N_SCRAMBLE, n_boot: int = 500, explain_top: int = 10,
                     random_state: int = 0, n_jobs: int = 1, params: dict | None = None,
                     tune: bool = False, test_all_nasicon: bool = False) -> NasiconValidation:
    """Validate a NASICON classifier under one protocol.

    Parameters
    ----------
    frame, X : pandas.DataFrame
        Normalized dataset frame (``sigma_S_cm``, ``formula``, optional ``family``/``doi``) and
        its descriptors (same index).
    classifier : str, TrainedModel or scikit-learn estimator
        See :func:`~explainsse.validation.classifier.make_classifier`.
    protocol : {"within", "cross-family", "cross-domain", "external"}
    threshold : float
        Superionic if sigma >= threshold (S/cm): 1e-6 for Xu et al.'s labels, 1e-4 by default.
    all_nasicon : bool
        Declare every row of the input NASICON (``test_frame`` keeps its own family labels, or
        the detector, unless ``test_all_nasicon``).
    test_frame, test_X : pandas.DataFrame, optional
        A second table (external test set; for cross-domain, added to the pool of rows).
    predictions : pandas.DataFrame, optional
        ``id`` plus ``probability`` or ``label`` columns: validated against ``frame``'s labels
        with no refit (external protocol).
    n_permutations : int
        Refits on permuted labels for the permutation test (19 gives p >= 0.05 resolution).
    tune : bool
        Tune an explainsse family by inner CV inside every training part (nested).

    Returns
    -------
    NasiconValidation
    """
    if protocol not in PROTOCOLS:
        raise InputDataError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    if not X.index.equals(frame.index):
        raise InputDataError("descriptor rows do not match the dataset rows (index differs)")
    clf = classifier if isinstance(classifier, Classifier) else make_classifier(
        classifier, random_state=random_state, n_jobs=n_jobs, params=params, tune=tune)
    detection = detect_nasicon(frame)  # once: membership, detector agreement and reasons reuse it
    member, source = nasicon_membership(frame, all_nasicon=all_nasicon, detection=detection)
    data = _Side(frame, X, make_target(frame, "classification", threshold), member, detection)
    test = None
    if test_frame is not None:
        t_detection = detect_nasicon(test_frame)
        t_member, _ = nasicon_membership(test_frame, all_nasicon=test_all_nasicon, detection=t_detection)
        test = _Side(test_frame, test_X, make_target(test_frame, "classification", threshold), t_member, t_detection)
    common = {"n_permutations": n_permutations, "n_boot": n_boot, "random_state": random_state}
    if protocol == "within":
        out = _protocol_within(clf, data, source, n_splits=n_splits, n_repeats=n_repeats, loo=loo, **common)
    elif protocol == "cross-family":
        out = _protocol_cross_family(clf, data, source, **common)
    elif protocol == "cross-domain":
        out = _protocol_cross_domain(clf, data, test, **common)
    else:
        out = _protocol_external(clf, data, test, predictions, **common)
    evaluations, subset, to_explain, excluded = out
    msgs = clf.messages(X) + _own_label_warnings(frame, data.y, threshold)
    table, alkali, shift = None, None, []
    if to_explain is None:
        explanation = {"note": "nothing was fitted here: the predictions are the user's"}
    elif clf.family is None:
        explanation = {"note": f"no SHAP explainer for {type(clf.estimator).__name__}; "
                               "linear models and XGBoost are explained"}
    else:
        explanation, table = _explain(clf, *to_explain, evaluations[0], explain_top)
    if to_explain is not None:
        rows = to_explain[3]
        alkali = (rows["composition"] if "composition" in rows else rows["formula"]).map(alkali_domain)
        if protocol == "cross-domain":
            shift = domain_shift(to_explain[2].loc[alkali == "Na"], to_explain[2].loc[alkali == "Li"])
    detector = None
    if "family" in frame and nasicon_labels(frame).notna().any() and not all_nasicon:
        detector = detector_agreement(frame, detection=detection)
    return NasiconValidation(protocol, clf.name, threshold, source, subset, evaluations, msgs, explanation,
                             pd.DataFrame(excluded, columns=["id", "formula", "reason"]), detector,
                             dict(clf.selected), shift, table, alkali)


def _explain(clf: Classifier, X_fit, y_fit, X_rows, frame_rows, evaluation: NasiconEvaluation,
             top: int) -> tuple[dict, object]:
    """SHAP of a model fitted on ``X_fit`` for the NASICON rows; misclassified rows explained one by one.

    Returns the explanation (JSON form, with the site drivers when the model has NASICON site
    descriptors) and the ExplanationTable (None when SHAP failed).
    """
    from sklearn.pipeline import Pipeline  # heavy: scikit-learn loads only when a model is built or scored

    # heavy: scikit-learn loads only when a model is built or scored
    from sklearn.preprocessing import FunctionTransformer


    model = clf.fitted if clf.fitted is not None else clf.fit(X_fit, y_fit)
    model = getattr(model, "best_estimator_", model)  # a tuned search: explain the selected model
    if not isinstance(model, Pipeline):  # a bare estimator: SHAP on the descriptors as given
        model = Pipeline([("identity", FunctionTransformer(feature_names_out="one-to-one").fit(X_fit)),
                          ("model", model)])
    trained = TrainedModel(model, clf.family, "classification", "", list(X_fit.columns))
    try:
        table = explain(trained, X_rows, X_fit, ids=frame_rows["id"], formulas=frame_rows["formula"])
    except Exception as exc:  # noqa: BLE001 - an explanation failure must not hide the validation
        return {"note": f"SHAP failed for this classifier ({type(exc).__name__}: {exc})"}, None
    imp = table.global_importance().head(top)
    directions = table.directions(list(imp.index)).set_index("descriptor")
    out = {"method": table.method, "fitted_on": f"{len(X_fit)} training rows", "explained_rows": len(X_rows),
           "units": table.output_units,
           "top": [{"descriptor": d, "mean_abs_shap": float(r.mean_abs_shap), "meaning": describe(d).meaning,
                    "unit": describe(d).unit, "direction": directions.at[d, "sentence"]} for d, r in imp.iterrows()],
           "sites": site_drivers(table), "misclassified": [],
           "misclassified_note": f"misclassified in '{evaluation.name}' (its held-out predictions); each is explained "
                                 "by the model fitted on all training rows"}
    preds = evaluation.predictions
    wrong = preds.index[(preds["predicted"] != preds["y_true"])].intersection(X_rows.index)
    for idx in wrong:
        contrib = table.sample(idx).head(3)
        parts = [f"{r.descriptor} = {r.value:.3g} ({r.shap:+.2f})" for r in contrib.itertuples()]
        out["misclassified"].append({
            "id": str(frame_rows.at[idx, "id"]), "formula": str(frame_rows.at[idx, "formula"]),
            "measured": CLASS_NAMES[int(preds.at[idx, "y_true"])],
            "predicted": CLASS_NAMES[int(preds.at[idx, "predicted"])], "score": float(preds.at[idx, "score"]),
            "sigma_S_cm": float(frame_rows.at[idx, "sigma_S_cm"]) if "sigma_S_cm" in frame_rows else None,
            "top_contributions": "; ".join(parts)})
    return out, table


__all__ = ["CLASS_NAMES", "METRICS", "NasiconValidation", "PROTOCOLS", "alkali_domain", "label_permutation_test",
           "nasicon_membership", "score_predictions", "validate_nasicon", "verdict"]
