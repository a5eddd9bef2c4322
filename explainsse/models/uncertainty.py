"""Calibrated uncertainty of a saved model: conformal intervals, calibrated probabilities, prediction sets.

Everything is calibrated on *out-of-fold* predictions of leave-cluster-out CV on the model's
own training rows (:func:`explainsse.models.splits.composition_clusters`, the same
hyperparameters as the final model), so the intervals speak for materials unlike the training
ones, not for near-duplicates of them.

* **Regression**: normalized split-conformal intervals (crepes' ``ConformalRegressor``;
  Johansson et al., crepes, PMLR 204 (2023)). The difficulty of a material is ``beta`` plus its
  distance to the nearest training material in the model's standardized descriptor space (the
  k-NN distance difficulty of crepes' ``DifficultyEstimator``; the same distance as the
  applicability domain), so a material far from everything measured gets a wider interval.
  During calibration each held-out row's distance is to its own fold's training rows. ``k``,
  ``beta`` and the number of clusters were chosen by cluster-out CV on the OBELiX training
  rows (``benchmarks/uncertainty.py``). Censored rows (upper bounds) are left out of the
  calibration.
* **Classification**: inductive Venn-Abers calibration (Vovk et al., NeurIPS 2015) of the
  model's probability on the out-of-fold scores: two isotonic fits, with the new material
  added as "not superionic" and as "superionic", give a probability interval ``[p0, p1]``
  and the calibrated probability ``p1 / (1 - p0 + p1)``; conformal prediction sets
  (``{superionic}``, ``{not superionic}``, or both: undecided) from crepes'
  ``ConformalClassifier`` on the out-of-fold scores.

crepes was chosen over MAPIE because it takes precomputed residuals and difficulty estimates
(no estimator wrapper): the calibration is a few arrays, written as JSON beside the model
(``calibration.json``, hashed in the model's manifest) and rebuilt at load without pickle or
any data. The k nearest neighbours are found again in the training descriptors the model
directory already holds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .._config import DEFAULT_CLUSTERS, DIFFICULTY_BETA, DIFFICULTY_K, INTERVAL_LEVEL, INTERVAL_LEVELS
from ..errors import InputDataError
from .splits import composition_clusters
from .targets import make_target

#: Version of ``calibration.json``.
CALIBRATION_FORMAT = 1
#: Classes of a classification prediction set, in order.
SET_LABELS = ("not superionic", "superionic")


class Standardizer:
    """Median imputation then z-scores, with the training columns' statistics (constant columns kept at 0).

    Parameters
    ----------
    X_train : pandas.DataFrame
    """

    def __init__(self, X_train: pd.DataFrame):
        self.columns = list(X_train.columns)
        values = X_train.to_numpy(float)
        with np.errstate(all="ignore"):
            median = np.nanmedian(np.where(np.isfinite(values), values, np.nan), axis=0)
        self.median_ = np.where(np.isfinite(median), median, 0.0)
        filled = self.fill(values)
        self.mean_ = filled.mean(axis=0)
        sd = filled.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)

    def fill(self, values: np.ndarray) -> np.ndarray:
        """``values`` with missing or infinite entries replaced by the training medians."""
        values = np.array(values, float)
        bad = ~np.isfinite(values)
        values[bad] = np.broadcast_to(self.median_, values.shape)[bad]
        return values

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Standardized values of ``X``'s training columns."""
        return (self.fill(X[self.columns].to_numpy(float)) - self.mean_) / self.scale_


class NeighbourSpace:
    """The model's descriptors, median-imputed and standardized, with a nearest-neighbour index.

    Parameters
    ----------
    X_train : pandas.DataFrame
        Training descriptors (the reference set).
    """

    def __init__(self, X_train: pd.DataFrame):
        from sklearn.neighbors import NearestNeighbors  # heavy: scikit-learn loads only when a model is used

        self.scaler = Standardizer(X_train)
        self.columns = self.scaler.columns
        self.norm_ = np.sqrt(max(len(self.columns), 1))
        self.index_ = NearestNeighbors().fit(self.scaler.transform(X_train))
        self.n = len(X_train)

    def neighbours(self, X: pd.DataFrame, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Distances (per descriptor, RMS of standardized differences) and positions of the ``k`` nearest rows."""
        k = min(k, self.n)
        dist, pos = self.index_.kneighbors(self.scaler.transform(X), n_neighbors=k)
        return dist / self.norm_, pos


def distance_difficulty(space: NeighbourSpace, X: pd.DataFrame, *, k: int = DIFFICULTY_K,
                        beta: float = DIFFICULTY_BETA, scale: float = 1.0) -> np.ndarray:
    """``beta`` + mean distance to the ``k`` nearest reference rows, in units of ``scale``.

    ``scale`` is the median of the calibration rows' distances, so the difficulty is about 1
    for a typical held-out material and ``beta`` keeps it away from 0 for a near-duplicate.
    """
    dist, _ = space.neighbours(X, k)
    return beta + dist.mean(axis=1) / (scale if scale > 0 else 1.0)


@dataclass
class Calibration:
    """The calibration of one model, as stored in ``calibration.json``.

    Attributes
    ----------
    task : str
    scheme : str
        Where the out-of-fold predictions came from (``cluster-out``).
    n_folds : int
    cal_residuals, cal_sigmas : list of float
        Calibration set of the normalized conformal regressor: out-of-fold residuals (measured -
        predicted, log10 sigma) and the difficulty of each, computed against its own fold's
        training rows.
    k, beta, distance_scale : int, float, float
        Difficulty parameters (:func:`distance_difficulty`).
    cal_scores, cal_labels : list
        Out-of-fold probabilities of the superionic class and the true labels (classification):
        the calibration set of Venn-Abers.
    cal_alphas : list of float
        Non-conformity (1 - out-of-fold probability of the true class) of each row.
    summary : dict
        Out-of-fold quality of the calibration (coverage, width, Spearman, Brier, ECE).
    """

    task: str
    scheme: str = "cluster-out"
    n_folds: int = 0
    cal_residuals: list = field(default_factory=list)
    cal_sigmas: list = field(default_factory=list)
    k: int = DIFFICULTY_K
    beta: float = DIFFICULTY_BETA
    distance_scale: float = 1.0
    cal_scores: list = field(default_factory=list)
    cal_labels: list = field(default_factory=list)
    cal_alphas: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    format: int = CALIBRATION_FORMAT

    def to_dict(self) -> dict:
        """JSON-ready dict (NaN as None)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, body: dict) -> Calibration:
        """Rebuild from :meth:`to_dict` (refuses unknown formats and keys)."""
        if body.get("format") != CALIBRATION_FORMAT:
            raise InputDataError(f"calibration format {body.get('format')!r} is not {CALIBRATION_FORMAT}")
        known = set(cls.__dataclass_fields__)
        unknown = set(body) - known
        if unknown:
            raise InputDataError(f"calibration.json has unknown keys {sorted(unknown)}")
        return cls(**body)

    # ---- regression ----------------------------------------------------------------------
    def _regressor(self):
        from crepes import ConformalRegressor  # heavy: crepes loads only when intervals are made

        return ConformalRegressor().fit(np.asarray(self.cal_residuals, float),
                                        sigmas=np.asarray(self.cal_sigmas, float))

    def difficulty(self, space: NeighbourSpace, X: pd.DataFrame) -> np.ndarray:
        """Difficulty of each row of ``X`` against the training rows in ``space``."""
        return distance_difficulty(space, X, k=self.k, beta=self.beta, scale=self.distance_scale)

    def intervals(self, y_hat, sigmas, levels=INTERVAL_LEVELS) -> dict[float, np.ndarray]:
        """Conformal intervals: level -> (n x 2) array of lower, upper (log10 sigma)."""
        cr = self._regressor()
        y_hat, sigmas = np.asarray(y_hat, float), np.asarray(sigmas, float)
        return {float(lv): np.asarray(cr.predict_int(y_hat, sigmas=sigmas, confidence=lv), float)
                for lv in levels}

    # ---- classification ------------------------------------------------------------------
    def venn_abers(self, raw) -> tuple[np.ndarray, np.ndarray]:
        """Venn-Abers probability interval ``(p0, p1)`` of the superionic class for each raw probability."""
        raw = np.asarray(raw, float)
        if not self.cal_scores:
            return raw, raw
        grid = np.linspace(0.0, 1.0, VENN_ABERS_GRID)
        if getattr(self, "_venn_abers", None) is None:  # computed once per calibration (not a stored field)
            self._venn_abers = venn_abers_grid(np.asarray(self.cal_scores, float), np.asarray(self.cal_labels, int),
                                               grid)
        p0, p1 = self._venn_abers
        return np.interp(raw, grid, p0), np.interp(raw, grid, p1)

    def probability(self, raw) -> np.ndarray:
        """Calibrated probability of the superionic class: ``p1 / (1 - p0 + p1)`` of Venn-Abers."""
        p0, p1 = self.venn_abers(raw)
        return p1 / (1.0 - p0 + p1)

    def prediction_sets(self, probability, level: float = INTERVAL_LEVEL) -> list[list[str]]:
        """Conformal prediction set of each material at ``level`` from the model's raw probabilities."""
        from crepes import ConformalClassifier  # heavy: crepes loads only when sets are made

        p = np.asarray(probability, float)  # the model's own (out-of-fold-comparable) probability
        cc = ConformalClassifier().fit(np.asarray(self.cal_alphas, float))
        alphas = np.column_stack([p, 1.0 - p])  # non-conformity of "not superionic", "superionic"
        sets = cc.predict_set(alphas, confidence=level, smoothing=False)
        return [[SET_LABELS[j] for j in range(2) if row[j]] for row in np.asarray(sets)]


def interval_record(lower: float, upper: float, level: float) -> dict:
    """``{"level", "lower", "upper"}`` of one interval (the ``explain --json`` contract)."""
    return {"level": float(level), "lower": float(lower), "upper": float(upper)}


def rate_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson interval of a binomial rate ``k / n`` (e.g. an interval's empirical coverage), via SciPy.

    Examples
    --------
    >>> lo, hi = rate_interval(90, 100)
    >>> round(lo, 3), round(hi, 3)
    (0.826, 0.945)
    """
    if n == 0:
        return float("nan"), float("nan")
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def expected_calibration_error(y, p, bins: int = 10) -> float:
    """Expected calibration error: mean |observed rate - mean probability| over equal-width bins, weighted by count."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.sum() * abs(y[m].mean() - p[m].mean())
    return float(total / max(len(y), 1))


#: Raw probabilities at which the Venn-Abers pair is computed (then interpolated).
VENN_ABERS_GRID = 201


def venn_abers_grid(scores: np.ndarray, labels: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inductive Venn-Abers ``(p0, p1)`` at each score of ``grid``: isotonic fits with it added as 0 and as 1."""
    from sklearn.isotonic import IsotonicRegression  # heavy: scikit-learn loads only when calibrating

    p0, p1 = np.empty(len(grid)), np.empty(len(grid))
    xs = np.r_[scores, 0.0]
    for i, g in enumerate(grid):
        xs[-1] = g
        for label, out in ((0, p0), (1, p1)):
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            out[i] = iso.fit(xs, np.r_[labels, label]).predict([g])[0]
    return p0, p1


def out_of_fold(model, frame: pd.DataFrame, X: pd.DataFrame, y: pd.Series, *, n_clusters: int,
                random_state: int = 0, progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cluster-out out-of-fold predictions of ``model``'s pipeline with its hyperparameters.

    Returns
    -------
    prediction, fold, sigma_ref : numpy.ndarray
        Out-of-fold prediction (log10 sigma or raw probability), the fold of each row, and
        (regression) NaN placeholders filled by :func:`calibrate`.
    """
    from sklearn.base import clone  # heavy: scikit-learn loads only when calibrating


    clusters = composition_clusters(frame, n_clusters, random_state)
    pred = np.full(len(frame), np.nan)
    for c in np.unique(clusters):
        test = clusters == c
        if test.all() or (model.task == "classification" and y[~test].nunique() < 2):
            continue
        pipe = clone(model.pipeline).fit(X[~test], y[~test])
        pred[test] = (pipe.predict(X[test]) if model.task == "regression"
                      else pipe.predict_proba(X[test])[:, 1])
        if progress:
            progress(f"calibration fold {int(c) + 1} of {len(np.unique(clusters))}")
    return pred, clusters


def calibrate(model, frame: pd.DataFrame, X: pd.DataFrame, *, n_clusters: int | None = None,
              random_state: int = 0, progress=None) -> Calibration:
    """Calibrate ``model`` on cluster-out out-of-fold predictions over its training rows.

    Parameters
    ----------
    model : TrainedModel
        Its pipeline is refitted per fold with the same hyperparameters (no tuning).
    frame, X : pandas.DataFrame
        The training rows (normalized frame with ``composition``) and their descriptors, in the
        order of ``model.train_X``.
    n_clusters : int, optional
        Composition clusters (default :data:`~explainsse._config.DEFAULT_CLUSTERS`).

    Returns
    -------
    Calibration
    """
    X = model.align(X)
    y = make_target(frame, model.task, model.threshold)
    pred, folds = out_of_fold(model, frame, X, y, n_clusters=n_clusters or DEFAULT_CLUSTERS,
                              random_state=random_state, progress=progress)
    done = np.isfinite(pred)
    cal = Calibration(task=model.task, n_folds=int(len(np.unique(folds))))
    if model.task == "regression":
        censored = frame["censored"].fillna(False).to_numpy(bool) if "censored" in frame else np.zeros(len(y), bool)
        resid = np.where(done & ~censored, y.to_numpy(float) - pred, np.nan)
        dist = np.full(len(y), np.nan)
        for c in np.unique(folds):
            test = folds == c
            d, _ = NeighbourSpace(X[~test]).neighbours(X[test], cal.k)
            dist[test] = d.mean(axis=1)
        use = np.isfinite(resid) & np.isfinite(dist)
        if use.sum() < 20:
            raise InputDataError(f"only {int(use.sum())} out-of-fold residuals: too few to calibrate intervals")
        cal.distance_scale = float(np.median(dist[use]))
        sigmas = cal.beta + dist / (cal.distance_scale or 1.0)
        cal.cal_residuals, cal.cal_sigmas = resid[use].tolist(), sigmas[use].tolist()
        cal.summary = regression_summary(cal, y.to_numpy(float)[use], pred[use], sigmas[use], folds[use])
    else:
        yv = y.to_numpy(int)[done]
        cal.cal_scores, cal.cal_labels = pred[done].tolist(), yv.tolist()
        cal.cal_alphas = (1.0 - np.where(yv == 1, pred[done], 1.0 - pred[done])).tolist()
        cal.summary = classification_summary(yv, pred[done], folds[done])
    return cal


def regression_summary(cal: Calibration, y, pred, sigmas, folds, levels=INTERVAL_LEVELS) -> dict:
    """Cross-conformal check: each cluster's intervals calibrated on the *other* clusters only.

    Returns coverage and mean width per level, and the Spearman correlation of the interval
    width with the absolute error (does the width say which predictions are worse?).
    """
    from scipy.stats import spearmanr  # heavy: SciPy loads only when calibrating

    lower = {lv: np.full(len(y), np.nan) for lv in levels}
    upper = {lv: np.full(len(y), np.nan) for lv in levels}
    res = y - pred
    for c in np.unique(folds):
        test = folds == c
        if (~test).sum() < 20:
            continue
        part = Calibration(task="regression", cal_residuals=res[~test].tolist(), cal_sigmas=sigmas[~test].tolist())
        for lv, iv in part.intervals(pred[test], sigmas[test], levels).items():
            lower[lv][test], upper[lv][test] = iv[:, 0], iv[:, 1]
    out = {"n": int(len(y)), "scheme": "cluster-out, each cluster calibrated on the others"}
    for lv in levels:
        ok = np.isfinite(lower[lv])
        out[f"coverage_{lv:g}"] = float(np.mean((y[ok] >= lower[lv][ok]) & (y[ok] <= upper[lv][ok])))
        out[f"mean_width_{lv:g}"] = float(np.mean(upper[lv][ok] - lower[lv][ok]))
    ok = np.isfinite(lower[INTERVAL_LEVEL])
    out["spearman_width_abs_error"] = float(spearmanr(upper[INTERVAL_LEVEL][ok] - lower[INTERVAL_LEVEL][ok],
                                                      np.abs(res[ok])).statistic)
    out["mae_out_of_fold"] = float(np.mean(np.abs(res)))
    return out


def classification_summary(y, raw, folds) -> dict:
    """Brier score and ECE of raw and (cross-fitted) isotonic probabilities on cluster-out CV."""
    p_cal = np.full(len(y), np.nan)
    for c in np.unique(folds):
        test = folds == c
        if len(np.unique(y[~test])) < 2:
            continue
        part = Calibration(task="classification", cal_scores=raw[~test].tolist(), cal_labels=y[~test].tolist())
        p_cal[test] = part.probability(raw[test])
    ok = np.isfinite(p_cal)
    return {"n": int(len(y)), "scheme": "cluster-out; Venn-Abers of each cluster calibrated on the others",
            "brier_raw": float(np.mean((raw - y) ** 2)), "ece_raw": expected_calibration_error(y, raw),
            "brier_calibrated": float(np.mean((p_cal[ok] - y[ok]) ** 2)),
            "ece_calibrated": expected_calibration_error(y[ok], p_cal[ok])}


__all__ = ["CALIBRATION_FORMAT", "Calibration", "NeighbourSpace", "SET_LABELS", "Standardizer", "calibrate", "rate_interval",
           "distance_difficulty", "expected_calibration_error", "interval_record"]
