"""Sendek et al. 2017 on OBELiX: their published logistic model as it stands, and a sparse model refit.

Sendek, Yang, Cubuk, Duerloo, Cui & Reed (Energy Environ. Sci. 10, 306 (2017)) screened Li
conductors with an L1-regularized logistic regression on structural descriptors that kept five
of twenty (LLB, SBI, AFC, LASD, LLSD). Two checks a chemist can cite:

* :func:`published_model` scores their published weights, unchanged, on the OBELiX rows that
  have a CIF, against the majority-class baseline;
* :func:`sparse_logistic` repeats their recipe on the structure descriptors: L1 logistic
  regression on the training rows with a CIF, the penalty chosen by inner cross-validation
  grouped by chemical system among those that keep at most five descriptors; the descriptors it
  keeps are reported with odds ratios (per standard deviation) and bootstrap CIs centred on the
  full fit (the estimate always lies inside its interval), and the model
  is scored once on the official test rows that have a CIF.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._config import DEFAULT_THRESHOLD_S_CM
from ..featurize.structure import HAS_STRUCTURE, LABELS, SENDEK_BIAS, SENDEK_MODEL, SENDEK_WEIGHTS
from ..models.families.logreg import _sklearn_version
from ..models.metrics import bootstrap_ci, classification_metrics
from ..models.scoring import majority_baseline
from ..models.splits import groups_for
from ..models.targets import make_target

#: Penalties searched (inverse regularization strength C of scikit-learn, standardized inputs).
C_GRID = tuple(np.logspace(-2.5, 1.0, 15))


def _rows_with(X: pd.DataFrame, columns) -> pd.Index:
    return X.index[X[list(columns)].notna().all(axis=1)]


def _summary(y: np.ndarray, proba: np.ndarray, n_boot: int, seed: int) -> dict:
    metrics = classification_metrics(y, proba)
    ci = bootstrap_ci("classification", y, proba, n_boot=n_boot, random_state=seed) if n_boot else {}
    majority = majority_baseline(y, int(np.mean(y) >= 0.5))["best_constant_accuracy"]
    return {"n": int(len(y)), "superionic_share": float(np.mean(y)), "accuracy": metrics["accuracy"],
            "accuracy_ci": list(ci.get("accuracy", (math.nan, math.nan))), "majority_accuracy": majority,
            "beats_majority": bool(ci.get("accuracy", (metrics["accuracy"],))[0] > majority),
            "mcc": metrics["mcc"], "mcc_ci": list(ci.get("mcc", (math.nan, math.nan))),
            "roc_auc": metrics["roc_auc"], "predicted_superionic_share": float(np.mean(proba >= 0.5))}


def published_model(frame: pd.DataFrame, X: pd.DataFrame, *, threshold: float = DEFAULT_THRESHOLD_S_CM,
                    n_boot: int = 500, seed: int = 0) -> dict:
    """Sendek et al.'s published model, unchanged, on every row whose five descriptors are defined.

    Parameters
    ----------
    frame : pandas.DataFrame
        Dataset rows (targets).
    X : pandas.DataFrame
        Descriptors including the five of :data:`~explainsse.featurize.structure.SENDEK_MODEL`.
    threshold : float
        Superionic threshold (S/cm); Sendek et al. used 1e-4 S/cm.
    n_boot, seed : int
        Bootstrap resamples for the CIs.

    Returns
    -------
    dict
        ``n``, ``accuracy`` (CI), ``majority_accuracy``, ``beats_majority`` (the CI's lower end
        above the majority), ``mcc`` (CI), ``roc_auc``, ``predicted_superionic_share``,
        ``weights``, ``bias``.
    """
    rows = _rows_with(X, SENDEK_MODEL)
    z = SENDEK_BIAS + X.loc[rows, list(SENDEK_MODEL)].to_numpy() @ np.asarray(SENDEK_WEIGHTS)
    proba = 1 / (1 + np.exp(-z))
    y = make_target(frame.loc[rows], "classification", threshold).to_numpy()
    return {**_summary(y, proba, n_boot, seed), "threshold_S_cm": threshold,
            "weights": dict(zip(SENDEK_MODEL, SENDEK_WEIGHTS)), "bias": SENDEK_BIAS}


def _l1(C: float, seed: int):
    from sklearn.impute import SimpleImputer  # heavy: scikit-learn loads only when a model is built or scored

    # heavy: scikit-learn loads only when a model is built or scored
    from sklearn.linear_model import LogisticRegression

    # heavy: scikit-learn loads only when a model is built or scored
    from sklearn.pipeline import make_pipeline

    # heavy: scikit-learn loads only when a model is built or scored
    from sklearn.preprocessing import StandardScaler


    # scikit-learn >= 1.8 names the L1 penalty by l1_ratio; older versions by penalty
    l1 = {"l1_ratio": 1.0} if _sklearn_version() >= (1, 8) else {"penalty": "l1"}
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                         LogisticRegression(**l1, C=C, solver="liblinear", class_weight="balanced",
                                            max_iter=2000, random_state=seed))


def sparse_logistic(frame: pd.DataFrame, X: pd.DataFrame, *, threshold: float = DEFAULT_THRESHOLD_S_CM,
                    max_features: int = 5, n_boot: int = 200, seed: int = 0) -> dict:
    """Sendek-style sparse model: L1 logistic regression on the structure descriptors, at most ``max_features``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Dataset rows with the official ``split`` (train/test) and ``has_cif``.
    X : pandas.DataFrame
        Descriptors; the structure descriptors (:data:`~explainsse.featurize.structure.LABELS`
        except the availability flag) are used.
    threshold : float
        Superionic threshold (S/cm).
    max_features : int
        Most descriptors the model may keep (Sendek et al. kept five).
    n_boot, seed : int
        Bootstrap refits for the odds-ratio CIs.

    Returns
    -------
    dict
        ``C`` (chosen penalty), ``cv_balanced_accuracy``, ``selected`` (descriptor, coefficient
        per SD, odds ratio per SD and its 95% interval ``ci_low`` / ``ci_high`` (also as the
        list ``odds_ratio_ci``): the bootstrap refits' percentile spread centred on the full fit,
        so it contains the odds ratio; share of bootstrap refits that kept it),
        ``test`` (official test rows with a CIF, scored once), ``sendek_published_five``.
    """
    # heavy: scikit-learn loads only when a model is built or scored
    from sklearn.model_selection import StratifiedGroupKFold


    columns = [c for c in LABELS if c != HAS_STRUCTURE and c in X]
    with_cif = frame["has_cif"].astype(bool) if "has_cif" in frame else X[columns].notna().any(axis=1)
    train = frame.index[(frame["split"] == "train") & with_cif]
    test = frame.index[(frame["split"] == "test") & with_cif]
    Xtr, ytr = X.loc[train, columns], make_target(frame.loc[train], "classification", threshold).to_numpy()
    groups = groups_for(frame.loc[train], "chemsys")
    n_splits = min(5, len(set(groups)))
    if n_splits < 2:
        raise ValueError("the training rows with a CIF span fewer than two chemical systems")
    folds = list(StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(Xtr, ytr, groups))
    scored = []
    for C in C_GRID:
        kept = int(np.count_nonzero(_l1(C, seed).fit(Xtr, ytr)[-1].coef_))
        if kept == 0 or kept > max_features:
            continue
        proba = np.empty(len(ytr))
        for tr, te in folds:
            proba[te] = _l1(C, seed).fit(Xtr.iloc[tr], ytr[tr]).predict_proba(Xtr.iloc[te])[:, 1]
        scored.append((classification_metrics(ytr, proba)["balanced_accuracy"], C, kept))
    if not scored:
        raise ValueError(f"no penalty keeps between 1 and {max_features} descriptors")
    cv_score, C, _ = max(scored)
    model = _l1(C, seed).fit(Xtr, ytr)
    coef = model[-1].coef_[0]
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(ytr), len(ytr))
        if len(set(ytr[idx])) == 2:
            boots.append(_l1(C, seed).fit(Xtr.iloc[idx], ytr[idx])[-1].coef_[0])
    boots = np.asarray(boots)
    selected = []
    for k in np.flatnonzero(coef):
        # bootstrap centred on the full fit: the refits' percentile spread shifted to their median,
        # so the interval always holds the full-fit odds ratio printed beside it
        if len(boots):
            low, mid, high = np.percentile(boots[:, k], [2.5, 50, 97.5])
            low, high = coef[k] + (low - mid), coef[k] + (high - mid)
        else:
            low, high = math.nan, math.nan
        ci = [float(np.exp(low)), float(np.exp(high))]
        selected.append({"descriptor": columns[k], "coefficient_per_sd": float(coef[k]),
                         "odds_ratio_per_sd": float(np.exp(coef[k])), "ci_low": ci[0], "ci_high": ci[1],
                         "odds_ratio_ci": ci,
                         "kept_in_bootstrap": float(np.mean(boots[:, k] != 0)) if len(boots) else math.nan})
    selected.sort(key=lambda r: -abs(r["coefficient_per_sd"]))
    yte = make_target(frame.loc[test], "classification", threshold).to_numpy()
    test_scores = _summary(yte, model.predict_proba(X.loc[test, columns])[:, 1], 500, seed) if len(test) else {}
    return {"C": float(C), "cv_scheme": f"group-chemsys ({n_splits} folds, training rows with a CIF)",
            "cv_balanced_accuracy": float(cv_score), "n_train": int(len(train)), "selected": selected,
            "test": test_scores, "sendek_published_five": list(SENDEK_MODEL), "threshold_S_cm": threshold}


__all__ = ["C_GRID", "published_model", "sparse_logistic"]
