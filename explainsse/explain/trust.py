"""How far to trust one prediction: its conformal interval or prediction set, its nearest training materials,
and the measured value when the composition is in the training data.

The records follow the ``explain --json`` contract: ``interval`` = ``{"level", "lower", "upper"}``
at the headline level (:data:`~explainsse._config.INTERVAL_LEVEL`), the other levels in
``intervals``, ``neighbours`` = ``{"id", "formula", "measured", "distance", "doi"}`` (measured
log10 sigma; for a censored row the log10 of its upper bound, with ``censored: true``), and
``measured_in_training``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .._config import INTERVAL_LEVEL, INTERVAL_LEVELS
from ..chemistry import parse_formula
from ..models.splits import reduced_composition
from ..models.uncertainty import NeighbourSpace, interval_record

#: Nearest training materials listed per prediction.
N_NEIGHBOURS = 3


def _number(value) -> float | None:
    """A float from a training-row cell (stored as text), or None."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def _flag(value) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _doi(value) -> str | None:
    text = "" if value is None else str(value).strip()
    return None if text.lower() in ("", "nan", "none", "<na>") else text


def measured_value(row: pd.Series) -> tuple[float | None, bool]:
    """Measured log10 sigma of a training row and whether it is an upper bound (censored)."""
    censored = _flag(row.get("censored"))
    if censored:
        bound = _number(row.get("sigma_bound_S_cm"))
        return (float(np.log10(bound)) if bound and bound > 0 else None), True
    return _number(row.get("log10_sigma")), False


class TrainingEvidence:
    """Nearest training materials and exact composition matches for a saved model.

    Parameters
    ----------
    model : TrainedModel
        With ``train_X`` and ``train_meta`` (a model directory's training data).
    """

    def __init__(self, model):
        self.model = model
        self.meta = model.train_meta.reset_index(drop=True) if model.train_meta is not None else None
        self.space = NeighbourSpace(model.align(model.train_X)) if model.train_X is not None else None
        self._keys = None

    @property
    def keys(self) -> dict[str, list[int]]:
        """Reduced composition -> training positions (built on first use)."""
        if self._keys is None:
            self._keys = {}
            if self.meta is not None and "formula" in self.meta:
                for i, formula in enumerate(self.meta["formula"]):
                    try:
                        key = reduced_composition(parse_formula(str(formula)))
                    except Exception:  # a training formula this parser refuses is simply not matched
                        continue
                    self._keys.setdefault(key, []).append(i)
        return self._keys

    def neighbour(self, position: int, distance: float) -> dict:
        """The record of one training material."""
        row = self.meta.iloc[position] if self.meta is not None else pd.Series(dtype=object)
        measured, censored = measured_value(row)
        return {"id": str(row.get("id", position)), "formula": str(row.get("formula", "")),
                "measured": measured, "censored": censored, "distance": float(distance),
                "doi": _doi(row.get("doi"))}

    def neighbours(self, X: pd.DataFrame, k: int = N_NEIGHBOURS) -> list[list[dict]]:
        """The ``k`` nearest training materials of each row (standardized descriptor distance)."""
        if self.space is None:
            return [[] for _ in range(len(X))]
        dist, pos = self.space.neighbours(self.model.align(X), k)
        return [[self.neighbour(int(p), float(d)) for p, d in zip(prow, drow)] for prow, drow in zip(pos, dist)]

    def measured(self, composition) -> tuple[float | None, bool, list[dict]]:
        """An exact composition match in the training data: its measured log10 sigma (median if several),
        whether that value is only an upper bound (every match censored: the largest bound), and all matches."""
        matches = [self.neighbour(i, 0.0) for i in self.keys.get(reduced_composition(composition), [])]
        values = [m["measured"] for m in matches if m["measured"] is not None and not m["censored"]]
        if values:
            return float(np.median(values)), False, matches
        bounds = [m["measured"] for m in matches if m["measured"] is not None]
        return (float(max(bounds)) if bounds else None), bool(bounds), matches


def intervals_for(model, X: pd.DataFrame, prediction: np.ndarray, evidence: TrainingEvidence) -> list[dict]:
    """Per row: ``interval``, ``intervals`` (regression), or ``probability``, ``prediction_set`` and a
    Venn-Abers ``interval`` (classification); an empty dict for an uncalibrated model."""
    cal = getattr(model, "calibration", None)
    if cal is None or evidence.space is None:
        return [{} for _ in range(len(X))]
    if model.task == "regression":
        sig = cal.difficulty(evidence.space, model.align(X))
        by_level = cal.intervals(prediction, sig, INTERVAL_LEVELS)
        out = []
        for i in range(len(X)):
            records = {lv: interval_record(iv[i, 0], iv[i, 1], lv) for lv, iv in by_level.items()}
            out.append({"interval": records[INTERVAL_LEVEL],
                        "intervals": [r for lv, r in records.items() if lv != INTERVAL_LEVEL],
                        "difficulty": float(sig[i])})
        return out
    p0, p1 = cal.venn_abers(prediction)
    prob = cal.probability(prediction)
    sets = cal.prediction_sets(prediction, INTERVAL_LEVEL)
    return [{"probability": float(prob[i]), "probability_raw": float(prediction[i]),
             "interval": interval_record(p0[i], p1[i], INTERVAL_LEVEL) | {"kind": "Venn-Abers", "coverage": None},
             "intervals": [], "prediction_set": sets[i], "prediction_set_level": INTERVAL_LEVEL}
            for i in range(len(X))]


def trust_table(model, frame_rows: pd.DataFrame, X_rows: pd.DataFrame, prediction) -> pd.DataFrame:
    """Per row (a regression model): interval bounds at every level, the measured value of the same
    composition in the training data, and the nearest training materials (as JSON text).

    Columns ``lower_80, upper_80, lower_90, ...`` (empty without a calibration),
    ``measured_in_training`` and ``neighbours``; the index of ``X_rows``. Stored beside the
    report's per-material predictions, so a re-rendered report needs no model.
    """
    evidence = TrainingEvidence(model)
    records = intervals_for(model, X_rows, np.asarray(prediction, float), evidence)
    out = pd.DataFrame(index=X_rows.index)
    for level in INTERVAL_LEVELS:
        for side in ("lower", "upper"):
            out[f"{side}_{round(level * 100)}"] = [
                next((iv[side] for iv in [r.get("interval"), *r.get("intervals", [])] if iv and iv["level"] == level),
                     np.nan) for r in records]
    measured, bound = [], []
    for _, row in frame_rows.iterrows():
        try:
            composition = row["composition"] if "composition" in row else parse_formula(str(row["formula"]))
            value, censored, _ = evidence.measured(composition)
        except Exception:  # noqa: BLE001 - an unreadable formula has no training match
            value, censored = None, False
        measured.append(value)
        bound.append(censored)
    out["measured_in_training"] = pd.Series(measured, index=X_rows.index, dtype=float)
    out["measured_in_training_censored"] = bound
    out["neighbours"] = [json.dumps(n) for n in evidence.neighbours(X_rows)]
    return out


def trust_record(row: pd.Series) -> dict:
    """The ``explain --json`` shape (``interval``, ``intervals``, ``measured_in_training``, ``neighbours``)
    of one row of :func:`trust_table`."""
    levels = [lv for lv in INTERVAL_LEVELS if pd.notna(row.get(f"lower_{round(lv * 100)}", np.nan))]
    records = {lv: interval_record(row[f"lower_{round(lv * 100)}"], row[f"upper_{round(lv * 100)}"], lv)
               for lv in levels}
    measured = row.get("measured_in_training")
    return {"interval": records.get(INTERVAL_LEVEL), "intervals": [r for lv, r in records.items() if lv != INTERVAL_LEVEL],
            "measured_in_training": None if measured is None or pd.isna(measured) else float(measured),
            "measured_in_training_censored": bool(row.get("measured_in_training_censored", False)),
            "neighbours": json.loads(row["neighbours"]) if isinstance(row.get("neighbours"), str) else []}


def interval_text(record: dict, task: str = "regression") -> str:
    """One line on a prediction's interval (regression) or calibrated probability and prediction set.

    Examples
    --------
    >>> interval_text({"interval": {"level": 0.9, "lower": -4.4, "upper": 0.3}})
    '90%: -4.4 to 0.3 (width 4.7 decades of S/cm)'
    """
    iv = record.get("interval")
    if not iv:
        return "none (model saved without calibration)"
    if task == "regression":
        return f"{iv['level']:.0%}: {iv['lower']:.1f} to {iv['upper']:.1f} (width {iv['upper'] - iv['lower']:.1f} decades of S/cm)"
    labels = record.get("prediction_set", [])
    return (f"p = {record['probability']:.2f} (Venn-Abers {iv['lower']:.2f}-{iv['upper']:.2f}); {iv['level']:.0%} set "
            f"{{{', '.join(labels)}}}" + (" = undecided" if len(labels) == 2 else ""))


def neighbour_text(n: dict) -> str:
    """One training material: formula, id, measured log10 sigma (``<`` for a bound), distance, DOI."""
    meas = "unknown" if n["measured"] is None else (("< " if n.get("censored") else "") + f"{n['measured']:.2f}")
    return (f"{n['formula']} ({n['id']}): measured {meas}, distance {n['distance']:.2f}"
            + (f", doi {n['doi']}" if n.get("doi") else ""))


def trust_texts(record: dict, task: str = "regression") -> dict:
    """The texts report tables show for one prediction: ``interval``, ``measured``, ``neighbours``."""
    return {"interval": interval_text(record, task) if record.get("interval") else "",
            "measured": measured_text(record),
            "neighbours": [neighbour_text(n) for n in record.get("neighbours", [])]}


def measured_text(record: dict) -> str:
    """"measured -1.92 in the training data (5 rows)" (``< -10.00``, an upper bound, when every match is
    censored), or "" when the composition is not in the training data."""
    value = record.get("measured_in_training")
    if value is None:
        return ""
    rows = f"{len(record.get('training_matches', [])) or 1} row(s)"
    if record.get("measured_in_training_censored"):
        return f"measured below {value:.2f} (an upper bound) in the training data ({rows})"
    return f"measured {value:.2f} in the training data ({rows})"


__all__ = ["N_NEIGHBOURS", "TrainingEvidence", "interval_text", "intervals_for", "measured_text",
           "measured_value", "neighbour_text", "trust_record", "trust_table", "trust_texts"]
