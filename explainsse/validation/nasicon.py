"""Validate NASICON-style classifiers: four protocols, honest baselines, explanations.

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

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, LeaveOneOut, RepeatedStratifiedKFold, StratifiedKFold

from ..errors import InputDataError
from ..models.metrics import bootstrap_ci, classification_metrics, confusion
from ..models.scoring import CLASS_NAMES, majority_baseline, permutation_test, verdict
from ..models.targets import make_target
from .classifier import Classifier, make_classifier, positive_score
from .detector import detect_nasicon, detector_agreement, nasicon_labels
from .membership import alkali_domain, nasicon_membership

PROTOCOLS = ("within", "cross-family", "cross-domain", "external")
#: Metrics shown for every evaluation (bootstrap CIs for each).
METRICS = ("accuracy", "balanced_accuracy", "mcc", "roc_auc", "f1")
#: The permutation test and the verdict use this metric (robust to class imbalance).
PERMUTATION_METRIC = "mcc"


# -- scoring -----------------------------------------------------------------------------------

@dataclass
class NasiconEvaluation:
    """One scored evaluation (a protocol direction or a CV scheme)."""

    name: str
    description: str
    n: int
    n_positive: int
    metrics: dict
    ci: dict
    baseline: dict
    confusion: dict
    calibration: dict
    permutation: dict
    verdict: dict
    score_kind: str
    spread: dict = field(default_factory=dict)
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)


def _calibration(y: np.ndarray, score: np.ndarray, kind: str) -> dict:
    if kind != "probability" or len(np.unique(y)) < 2:
        return {}
    from sklearn.calibration import calibration_curve

    bins = int(min(5, max(2, len(y) // 10)))
    frac, mean = calibration_curve(y, score, n_bins=bins, strategy="quantile")
    return {"mean_predicted": mean.tolist(), "fraction_positive": frac.tolist(), "n_bins": bins,
            "brier": float(np.mean((score - y) ** 2))}


def score_predictions(name: str, description: str, y: pd.Series, score: np.ndarray, kind: str, *,
                      train_majority: int, permutation: dict | None = None, n_boot: int = 500,
                      random_state: int = 0, meta: pd.DataFrame | None = None, spread: dict | None = None
                      ) -> NasiconEvaluation:
    """Metrics, CIs, baseline, calibration and verdict for one set of predictions."""
    y_arr = np.asarray(y, int)
    score = np.asarray(score, float)
    metrics = classification_metrics(y_arr, score)
    metrics = {m: metrics[m] for m in METRICS}
    ci = {m: v for m, v in bootstrap_ci("classification", y_arr, score, n_boot=n_boot,
                                        random_state=random_state).items() if m in METRICS} if n_boot else {}
    base = majority_baseline(y_arr, train_majority)
    if permutation is None:
        permutation = label_permutation_test(y_arr, score, random_state=random_state)
    predicted = (score >= 0.5).astype(int)
    preds = pd.DataFrame({"y_true": y_arr, "score": score, "predicted": predicted}, index=y.index)
    if meta is not None:
        preds = meta.loc[y.index].join(preds)
    return NasiconEvaluation(name, description, len(y_arr), int(y_arr.sum()), metrics, ci, base,
                             confusion(y_arr, score), _calibration(y_arr, score, kind), permutation,
                             verdict(metrics, ci, base, permutation, float(predicted.mean())), kind,
                             spread or {}, preds)


def label_permutation_test(y: np.ndarray, score: np.ndarray, *, n_permutations: int = 999,
                           random_state: int = 0) -> dict:
    """p-value of MCC for fixed predictions against permuted true labels (no refit)."""
    rng = np.random.default_rng(random_state)
    real = classification_metrics(y, score)[PERMUTATION_METRIC]
    null = [classification_metrics(rng.permutation(y), score)[PERMUTATION_METRIC] for _ in range(n_permutations)]
    return _permutation_result("true labels permuted against fixed predictions", real, null)


def _permutation_result(kind: str, real: float, null) -> dict:
    """The permutation-test record of :data:`PERMUTATION_METRIC` (see :func:`~explainsse.models.scoring.permutation_test`)."""
    return permutation_test(real, null, metric=PERMUTATION_METRIC, kind=kind)


# -- fitting helpers ---------------------------------------------------------------------------

def _oof(clf: Classifier, X: pd.DataFrame, y: pd.Series, splits) -> tuple[np.ndarray, str]:
    """Out-of-fold scores over ``splits`` (each row predicted once) and their kind."""
    score = np.full(len(y), np.nan)
    kind = "probability"
    for tr, te in splits:
        score[te], kind = positive_score(clf.fit(X.iloc[tr], y.iloc[tr]), X.iloc[te])
    return score, kind


def _refit_permutation(clf: Classifier, null_once, real: float, *, n_permutations: int,
                       random_state: int) -> dict:
    """Permutation test with refits: ``null_once(rng)`` refits on permuted labels and returns the metric.

    The permutation refits are not counted in the classifier's fit/convergence/selection records.
    """
    if n_permutations <= 0:
        return _permutation_result("not run (n_permutations = 0)", real, [])
    rng = np.random.default_rng(random_state)
    with clf.unrecorded(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        null = [null_once(rng) for _ in range(n_permutations)]
    return _permutation_result("labels permuted, classifier refitted", real, null)


def _majority(y: pd.Series) -> int:
    return int(y.mean() >= 0.5)


# -- protocols ---------------------------------------------------------------------------------

def _within(clf, X, y, frame, meta, *, n_splits, n_repeats, loo, n_permutations, n_boot, random_state):
    out = []
    n_min = int(min(y.sum(), len(y) - y.sum()))
    if n_min < 2:
        raise InputDataError(f"the NASICON subset has {n_min} material(s) in its smaller class at this "
                             "threshold; cross-validation needs at least 2")
    k = int(min(n_splits, n_min))
    # repeated stratified k-fold: averaged out-of-fold probability per row, spread over repeats
    rskf = RepeatedStratifiedKFold(n_splits=k, n_repeats=n_repeats, random_state=random_state)
    splits = list(rskf.split(X, y))
    per_repeat, stacked, kind = [], [], "probability"
    for r in range(n_repeats):
        score, kind = _oof(clf, X, y, splits[r * k:(r + 1) * k])
        stacked.append(score)
        per_repeat.append(classification_metrics(y.to_numpy(), score))
    mean_score = np.mean(stacked, axis=0)
    spread = {m: {"mean": float(np.mean([p[m] for p in per_repeat])), "sd": float(np.std([p[m] for p in per_repeat])),
                  "min": float(np.min([p[m] for p in per_repeat])), "max": float(np.max([p[m] for p in per_repeat]))}
              for m in ("accuracy", "balanced_accuracy", "mcc")}

    def null_once(rng):  # as scikit-learn's permutation_test_score: permuted labels, same CV
        yp = pd.Series(rng.permutation(y.to_numpy()), index=y.index)
        folds = StratifiedKFold(k, shuffle=True, random_state=random_state).split(X, yp)
        score = _oof(clf, X, yp, folds)[0]
        return classification_metrics(yp.to_numpy(), score)[PERMUTATION_METRIC]

    perm = _refit_permutation(clf, null_once, per_repeat[0][PERMUTATION_METRIC], n_permutations=n_permutations,
                              random_state=random_state)
    out.append(score_predictions(
        f"repeated stratified {k}-fold", f"{n_repeats} x stratified {k}-fold CV on the NASICON rows; "
        "out-of-fold probabilities averaged over repeats; spread = range over repeats",
        y, mean_score, kind, train_majority=_majority(y), permutation=perm, n_boot=n_boot,
        random_state=random_state, meta=meta, spread=spread))
    if loo:
        score, kind = _oof(clf, X, y, LeaveOneOut().split(X))
        out.append(score_predictions("leave-one-out", "each NASICON material predicted by a model trained on all others",
                                     y, score, kind, train_majority=_majority(y), permutation=None, n_boot=n_boot,
                                     random_state=random_state, meta=meta))
    papers = _leave_papers_out(clf, X, y, frame)
    if papers is not None:
        score, kind, description = papers
        out.append(score_predictions("leave-papers-out", description, y, score, kind, train_majority=_majority(y),
                                     permutation=None, n_boot=n_boot, random_state=random_state, meta=meta))
    return out


def _leave_papers_out(clf, X, y, frame):
    """Out-of-fold scores with whole papers (DOI) held out, or None with the reason in ``clf.notes``."""
    doi = frame["doi"] if "doi" in frame else pd.Series(pd.NA, index=frame.index)
    if doi.isna().any():
        if doi.notna().any():
            clf.notes.append(f"leave-papers-out not run: {int(doi.isna().sum())} of {len(doi)} rows have no DOI")
        return None
    groups = doi.astype(str).to_numpy()
    n_groups = len(np.unique(groups))
    if n_groups < 3:
        clf.notes.append(f"leave-papers-out not run: only {n_groups} paper(s)")
        return None
    g = int(min(5, n_groups))
    try:
        score, kind = _oof(clf, X, y, GroupKFold(g).split(X, y, groups))
    except InputDataError as exc:  # a group fold left one class only
        clf.notes.append(f"leave-papers-out not run: {exc}")
        return None
    return score, kind, (f"group {g}-fold CV: all materials of one paper (DOI) held out together "
                         f"({n_groups} papers)")


def _train_test(clf, X_tr, y_tr, X_te, y_te, name, description, meta, *, n_permutations, n_boot, random_state):
    if len(X_te) == 0 or len(X_tr) == 0:
        raise InputDataError(f"{name}: {'no test rows' if len(X_te) == 0 else 'no training rows'}")
    model = clf.fit(X_tr, y_tr)
    score, kind = positive_score(model, X_te)
    real = classification_metrics(y_te.to_numpy(), score)[PERMUTATION_METRIC]

    def null_once(rng):  # permuted training labels; the test rows keep their measured labels
        yp = pd.Series(rng.permutation(y_tr.to_numpy()), index=y_tr.index)
        if yp.nunique() < 2:
            return 0.0
        return classification_metrics(y_te.to_numpy(), positive_score(clf.fit(X_tr, yp), X_te)[0])[PERMUTATION_METRIC]

    perm = _refit_permutation(clf, null_once, real, n_permutations=n_permutations, random_state=random_state)
    return score_predictions(name, description, y_te, score, kind, train_majority=_majority(y_tr),
                             permutation=perm, n_boot=n_boot, random_state=random_state, meta=meta)


@dataclass
class NasiconValidation:
    """Everything :func:`validate_nasicon` found; ``to_dict()`` gives the JSON."""

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

    def to_dict(self) -> dict:
        """The JSON form (numbers, strings, lists and dicts only)."""
        from ..io import to_jsonable

        return to_jsonable({
            "protocol": self.protocol, "classifier": self.classifier, "threshold_S_cm": self.threshold,
            "membership_source": self.membership_source, "subset": self.subset,
            "evaluations": [{k: v for k, v in e.__dict__.items() if k != "predictions"} for e in self.evaluations],
            "warnings": self.warnings, "explanation": self.explanation, "selected_hyperparameters": self.selected,
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


def _subset_info(y: pd.Series) -> dict:
    pos = int(y.sum())
    return {"n": int(len(y)), "positive": pos, "negative": int(len(y) - pos),
            "majority_share": float(max(pos, len(y) - pos) / len(y)) if len(y) else float("nan")}


def _meta(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("id", "formula", "family", "sigma_S_cm") if c in frame]
    return frame[cols]


def validate_nasicon(frame: pd.DataFrame, X: pd.DataFrame, classifier="logreg", *, protocol: str = "within",
                     threshold: float = 1e-4, all_nasicon: bool = False,
                     test_frame: pd.DataFrame | None = None, test_X: pd.DataFrame | None = None,
                     predictions: pd.DataFrame | None = None, n_splits: int = 5, n_repeats: int = 5,
                     loo: bool = True, n_permutations: int = 19, n_boot: int = 500, explain_top: int = 10,
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
    if to_explain is None:
        explanation = {"note": "nothing was fitted here: the predictions are the user's"}
    elif clf.family is None:
        explanation = {"note": f"no SHAP explainer for {type(clf.estimator).__name__}; "
                               "linear models and XGBoost are explained"}
    else:
        explanation = _explain(clf, *to_explain, evaluations[0], explain_top)
    detector = None
    if "family" in frame and nasicon_labels(frame).notna().any() and not all_nasicon:
        detector = detector_agreement(frame, detection=detection)
    return NasiconValidation(protocol, clf.name, threshold, source, subset, evaluations, msgs, explanation,
                             pd.DataFrame(excluded, columns=["id", "formula", "reason"]), detector,
                             dict(clf.selected))


@dataclass(frozen=True)
class _Side:
    """One table of a validation: rows, descriptors, labels, NASICON membership, detector output."""

    frame: pd.DataFrame
    X: pd.DataFrame
    y: pd.Series
    member: pd.Series
    detection: pd.DataFrame

    @property
    def nasicon(self) -> pd.Index:
        return self.member[self.member].index

    def not_nasicon(self, prefix: str = "") -> list[dict]:
        """Rows left out because they are not NASICON, with the detector's reason."""
        return [{"id": self.frame.at[i, "id"], "formula": self.frame.at[i, "formula"],
                 "reason": f"{prefix}not NASICON: {self.detection.at[i, 'reason']}"}
                for i in self.frame.index[~self.member]]


def _own_label_warnings(frame: pd.DataFrame, y: pd.Series, threshold: float) -> list[str]:
    """A file with its own class labels (Xu et al.'s ``Sclass``): say when the threshold's labels differ."""
    if "Sclass" not in frame:
        return []
    own = pd.to_numeric(frame["Sclass"], errors="coerce")
    differ = int((own.notna() & (own != y)).sum())
    if not differ:
        return []
    return [f"the labels at {threshold:g} S/cm differ from the file's own class column (Sclass) in {differ} of "
            f"{int(own.notna().sum())} rows; Xu et al.'s labels are sigma >= 1e-6 S/cm (--threshold 1e-6)"]


def _protocol_within(clf, d: _Side, source, *, n_splits, n_repeats, loo, **common):
    rows = d.nasicon
    if len(rows) < 10:
        raise InputDataError(f"only {len(rows)} NASICON rows (membership from {source}); within-NASICON "
                             "validation needs at least 10 (use --all-nasicon for a NASICON-only file)")
    evaluations = _within(clf, d.X.loc[rows], d.y.loc[rows], d.frame.loc[rows], _meta(d.frame), n_splits=n_splits,
                          n_repeats=n_repeats, loo=loo, **common)
    return (evaluations, _subset_info(d.y.loc[rows]),
            (d.X.loc[rows], d.y.loc[rows], d.X.loc[rows], d.frame.loc[rows]), [])


def _protocol_cross_family(clf, d: _Side, source, **common):
    nas, other = d.nasicon, d.member[~d.member].index
    if len(nas) == 0 or len(other) == 0:
        raise InputDataError(f"cross-family validation needs NASICON and non-NASICON rows; membership from "
                             f"{source} gives {len(nas)} NASICON and {len(other)} other rows")
    meta = _meta(d.frame)
    evaluations = [
        _train_test(clf, d.X.loc[other], d.y.loc[other], d.X.loc[nas], d.y.loc[nas], "non-NASICON -> NASICON",
                    "trained on all non-NASICON materials, tested on the NASICON materials", meta, **common),
        _train_test(clf, d.X.loc[nas], d.y.loc[nas], d.X.loc[other], d.y.loc[other], "NASICON -> non-NASICON",
                    "trained on the NASICON materials, tested on all other families", meta, **common),
    ]
    return evaluations, _subset_info(d.y.loc[nas]), (d.X.loc[other], d.y.loc[other], d.X.loc[nas], d.frame.loc[nas]), []


def _protocol_cross_domain(clf, d: _Side, test: _Side | None, **common):
    sides = [d] if test is None else [d, test]
    offset, parts = 0, []
    for side in sides:  # stack the input and the test file, keeping their rows apart
        parts.append([t.set_axis(t.index + offset) for t in (side.frame, side.X, side.y, side.member)])
        offset += int(side.frame.index.max()) + 1
    frame, X, y, member = (pd.concat(col) for col in zip(*parts))
    domain = frame["composition"].map(alkali_domain) if "composition" in frame else frame["formula"].map(alkali_domain)
    excluded = [{"id": frame.at[i, "id"], "formula": frame.at[i, "formula"],
                 "reason": f"alkali domain '{domain[i]}' (neither Li-only nor Na-only)"}
                for i in frame.index[domain.isin(["mixed", "none"])]]
    nasicon = member[member].index
    na, li = nasicon[domain[nasicon] == "Na"], nasicon[domain[nasicon] == "Li"]
    if len(na) == 0 or len(li) == 0:
        raise InputDataError(
            f"cross-domain validation needs Na and Li NASICON compounds; found {len(na)} Na and {len(li)} Li "
            "(pass the other domain with --test, e.g. --dataset xu2020 --all-nasicon --test obelix)")
    meta = _meta(frame)
    evaluations = [_train_test(clf, X.loc[na], y.loc[na], X.loc[li], y.loc[li], "Na -> Li",
                               "trained on Na NASICONs, tested on Li NASICONs (Xu et al.'s setting: no Li "
                               "compound in training)", meta, **common)]
    if y.loc[li].nunique() == 2:
        evaluations.append(_train_test(clf, X.loc[li], y.loc[li], X.loc[na], y.loc[na], "Li -> Na",
                                       "trained on Li NASICONs, tested on Na NASICONs", meta, **common))
    subset = {"Na": _subset_info(y.loc[na]), "Li": _subset_info(y.loc[li])}
    return evaluations, subset, (X.loc[na], y.loc[na], X.loc[li], frame.loc[li]), excluded


def _protocol_external(clf, d: _Side, test: _Side | None, predictions, **common):
    if (test is None) == (predictions is None):
        raise InputDataError("the external protocol needs exactly one of --test FILE or --predictions FILE")
    if predictions is not None:
        score, kind, excluded = _align_predictions(predictions, d)
        kept = score.index
        e = score_predictions("user predictions", "predictions supplied by the user, scored against the measured "
                              "labels (nothing refitted)", d.y.loc[kept], score.to_numpy(), kind,
                              train_majority=_majority(d.y.loc[kept]), permutation=None, meta=_meta(d.frame),
                              n_boot=common["n_boot"], random_state=common["random_state"])
        e.baseline["note"] = "no training data: the 'training majority' is the majority of the scored rows"
        return [e], _subset_info(d.y.loc[kept]), None, excluded
    rows, t_rows = d.nasicon, test.nasicon
    excluded = test.not_nasicon("test file: ")
    if len(t_rows) == 0:
        raise InputDataError("no NASICON row in the test file; use --test-all-nasicon if every row is one")
    if clf.fitted is not None:
        score, kind = positive_score(clf.fitted, test.X.loc[t_rows])
        e = score_predictions("saved model -> test file", "the saved model predicts the test file (no refit)",
                              test.y.loc[t_rows], score, kind, train_majority=_majority(d.y.loc[rows]) if len(rows) else 1,
                              permutation=None, meta=_meta(test.frame), n_boot=common["n_boot"],
                              random_state=common["random_state"])
    else:
        e = _train_test(clf, d.X.loc[rows], d.y.loc[rows], test.X.loc[t_rows], test.y.loc[t_rows],
                        "input -> test file", "trained on the input's NASICON rows, tested on the test file's "
                        "NASICON rows", _meta(test.frame), **common)
    subset = {"train": _subset_info(d.y.loc[rows]), "test": _subset_info(test.y.loc[t_rows])}
    return [e], subset, (d.X.loc[rows], d.y.loc[rows], test.X.loc[t_rows], test.frame.loc[t_rows]), excluded

#: Column names accepted in a predictions file (case-insensitive), in order of preference.
PREDICTION_ID_COLUMNS = ("id", "material_id", "name", "formula")
PREDICTION_PROBABILITY_COLUMNS = ("probability", "proba", "prob", "p_superionic", "predicted_probability", "score")
PREDICTION_LABEL_COLUMNS = ("label", "predicted", "prediction", "predicted_label", "class", "superionic")


def _align_predictions(predictions: pd.DataFrame, side: _Side) -> tuple[pd.Series, str, list]:
    """Match user predictions to the input's NASICON rows.

    Matching is by id (``id``, ``material_id`` or ``name``), else by formula. Ids unknown to the
    input are an error; input rows without a prediction, and predicted rows that are not NASICON,
    are returned as excluded rows with their reason.

    Returns
    -------
    score : pandas.Series
        Probability (or 0/1 label) by frame index, NASICON rows with a prediction only.
    kind : {"probability", "label"}
    excluded : list of dict
    """
    frame, member = side.frame, side.member
    cols = {c.lower().strip(): c for c in predictions.columns}
    key = next((k for k in PREDICTION_ID_COLUMNS if k in cols), None)
    if key is None:
        raise InputDataError(f"predictions file needs an id column ({', '.join(PREDICTION_ID_COLUMNS)}); "
                             f"it has {list(predictions.columns)}")
    id_col = cols[key]
    prob_col = next((cols[c] for c in PREDICTION_PROBABILITY_COLUMNS if c in cols), None)
    label_col = next((cols[c] for c in PREDICTION_LABEL_COLUMNS if c in cols), None)
    if prob_col is None and label_col is None:
        raise InputDataError("predictions file needs a probability column (" + ", ".join(PREDICTION_PROBABILITY_COLUMNS)
                             + ") or a label column (" + ", ".join(PREDICTION_LABEL_COLUMNS)
                             + f") next to {id_col!r}; it has {list(predictions.columns)}")
    col, kind = (prob_col, "probability") if prob_col else (label_col, "label")
    text = predictions[col].astype(str).str.strip().str.lower()
    values = pd.to_numeric(text.replace({"true": "1", "false": "0", "superionic": "1", "not superionic": "0"}),
                           errors="coerce")
    bad = values.isna() | (values < 0) | (values > 1) | (kind == "label") & ~values.isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(f"predictions row {i + 2} ({id_col} {predictions[id_col].iloc[i]!r}): {col} = "
                             f"{predictions[col].iloc[i]!r} is not {'0 or 1' if kind == 'label' else 'a probability in [0, 1]'}")
    ids = predictions[id_col].astype(str).str.strip()
    if ids.duplicated().any():
        raise InputDataError(f"predictions file lists {id_col} {ids[ids.duplicated()].iloc[0]!r} twice")
    by_id = pd.Series(values.to_numpy(float), index=ids)
    frame_keys = frame["formula" if key == "formula" else "id"].astype(str).str.strip()
    if key == "formula" and frame_keys.duplicated().any():
        raise InputDataError("predictions are matched by formula, but the input has the formula "
                             f"{frame_keys[frame_keys.duplicated()].iloc[0]!r} twice; add an id column")
    unknown = sorted(set(ids) - set(frame_keys))
    if unknown:
        raise InputDataError(f"predictions for {id_col} values not in the input: {unknown[:5]}"
                             + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""))
    have = frame_keys.isin(by_id.index)
    excluded = side.not_nasicon()
    for row, predicted in zip(excluded, have[~member]):
        if predicted:
            row["reason"] += " (prediction ignored)"
    excluded += [{"id": frame.at[i, "id"], "formula": frame.at[i, "formula"], "reason": "no prediction supplied"}
                 for i in frame.index[member & ~have]]
    use = have & member
    if not use.any():
        raise InputDataError("no prediction matches a NASICON row of the input (use --all-nasicon if every row is one)")
    return pd.Series(by_id.loc[frame_keys[use]].to_numpy(), index=frame.index[use]), kind, excluded


def _explain(clf: Classifier, X_fit, y_fit, X_rows, frame_rows, evaluation: NasiconEvaluation, top: int) -> dict:
    """SHAP of a model fitted on ``X_fit`` for the NASICON rows; misclassified rows explained one by one."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from ..explain import explain
    from ..featurize import describe
    from ..models.train import TrainedModel

    model = clf.fitted if clf.fitted is not None else clf.fit(X_fit, y_fit)
    model = getattr(model, "best_estimator_", model)  # a tuned search: explain the selected model
    if not isinstance(model, Pipeline):  # a bare estimator: SHAP on the descriptors as given
        model = Pipeline([("identity", FunctionTransformer(feature_names_out="one-to-one").fit(X_fit)),
                          ("model", model)])
    trained = TrainedModel(model, clf.family, "classification", "", list(X_fit.columns))
    try:
        table = explain(trained, X_rows, X_fit, ids=frame_rows["id"], formulas=frame_rows["formula"])
    except Exception as exc:  # noqa: BLE001 - an explanation failure must not hide the validation
        return {"note": f"SHAP failed for this classifier ({type(exc).__name__}: {exc})"}
    imp = table.global_importance().head(top)
    directions = table.directions(list(imp.index)).set_index("descriptor")
    out = {"method": table.method, "fitted_on": f"{len(X_fit)} training rows", "explained_rows": len(X_rows),
           "units": table.output_units,
           "top": [{"descriptor": d, "mean_abs_shap": float(r.mean_abs_shap), "meaning": describe(d).meaning,
                    "unit": describe(d).unit, "direction": directions.at[d, "sentence"]} for d, r in imp.iterrows()],
           "misclassified": [],
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
    return out


__all__ = ["CLASS_NAMES", "METRICS", "NasiconValidation", "PROTOCOLS", "alkali_domain", "label_permutation_test",
           "nasicon_membership", "score_predictions", "validate_nasicon", "verdict"]
