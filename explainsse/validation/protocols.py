"""The four validation protocols (within, cross-family, cross-domain, external) and their refits."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, LeaveOneOut, RepeatedStratifiedKFold, StratifiedKFold

from ..errors import InputDataError
from ..models.metrics import classification_metrics
from ..models.splits import composition_groups, groups_for
from .classifier import Classifier, positive_score
from .membership import alkali_domain
from .prediction_files import align_predictions
from .scores import PERMUTATION_METRIC, _permutation_result, score_predictions


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
    dopants = _leave_dopant_out(clf, X, y, frame)
    if dopants is not None:
        score, kind, description = dopants
        out.append(score_predictions("leave-dopant-out", description, y, score, kind, train_majority=_majority(y),
                                     permutation=None, n_boot=n_boot, random_state=random_state, meta=meta))
    return out


def _leave_dopant_out(clf, X, y, frame):
    """Out-of-fold scores with every composition sharing its M-site substituent held out together.

    A new dopant is new chemistry: the folds keep all Al-substituted (LATP, LAGP), all
    Sc-substituted, all undoped ... NASICONs together (and equal compositions always together),
    so the score says how the classifier does on a substitution it never saw. None with the
    reason in ``clf.notes`` when there are too few substituents.
    """
    if "composition" not in frame:
        clf.notes.append("leave-dopant-out not run: no compositions")
        return None
    return _grouped_out_of_fold(clf, X, y, groups_for(frame, "dopant"), "leave-dopant-out", "M-site substituent group(s)",
                                "all NASICONs sharing their M-site substituent (Al, Sc, none, ...) held out together",
                                "; performance on a new substitution")


def _grouped_out_of_fold(clf, X, y, groups, name: str, unit: str, what: str, tail: str = ""):
    """Out-of-fold scores of group 5-fold CV over ``groups``, or None with the reason in ``clf.notes``."""
    n_groups = len(np.unique(groups))
    if n_groups < 3:
        clf.notes.append(f"{name} not run: only {n_groups} {unit}")
        return None
    g = int(min(5, n_groups))
    try:
        score, kind = _oof(clf, X, y, GroupKFold(g).split(X, y, groups))
    except InputDataError as exc:  # a group fold left one class only
        clf.notes.append(f"{name} not run: {exc}")
        return None
    return score, kind, f"group {g}-fold CV: {what} ({n_groups} {unit.replace('(s)', 's')}){tail}"


def _leave_papers_out(clf, X, y, frame):
    """Out-of-fold scores with whole papers (DOI) held out, or None with the reason in ``clf.notes``."""
    doi = frame["doi"] if "doi" in frame else pd.Series(pd.NA, index=frame.index)
    if doi.isna().any():
        if doi.notna().any():
            clf.notes.append(f"leave-papers-out not run: {int(doi.isna().sum())} of {len(doi)} rows have no DOI")
        return None
    tail = ""
    if "composition" in frame:  # papers that measured the same composition can sit on both sides of a fold
        same = pd.Series(composition_groups(frame), index=frame.index)
        shared = int((doi.astype(str).groupby(same).nunique() > 1).sum())
        if shared:
            tail = (f"; {shared} composition(s) measured in more than one paper may fall on both sides "
                    "(leave-dopant-out keeps them together)")
    return _grouped_out_of_fold(clf, X, y, doi.astype(str).to_numpy(), "leave-papers-out", "paper(s)",
                                "all materials of one paper (DOI) held out together", tail)


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
    both = na.union(li)  # explained on both domains, so each point can carry its Li-or-Na label
    return evaluations, subset, (X.loc[na], y.loc[na], X.loc[both], frame.loc[both]), excluded


def _protocol_external(clf, d: _Side, test: _Side | None, predictions, **common):
    if (test is None) == (predictions is None):
        raise InputDataError("the external protocol needs exactly one of --test FILE or --predictions FILE")
    if predictions is not None:
        score, kind, excluded = align_predictions(predictions, d)
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


def _subset_info(y: pd.Series) -> dict:
    pos = int(y.sum())
    return {"n": int(len(y)), "positive": pos, "negative": int(len(y) - pos),
            "majority_share": float(max(pos, len(y) - pos) / len(y)) if len(y) else float("nan")}


def _meta(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("id", "formula", "family", "sigma_S_cm") if c in frame]
    return frame[cols]
