"""One chunk of a screen: descriptors, prediction, applicability domain and warnings, written atomically.

:func:`screen_chunk` runs in a worker (a local process or a Dask worker); it loads the model
once per process (:func:`worker_state`) and writes ``parts/part-NNNNNN.parquet`` then
``done/NNNNNN.json`` (the chunk's summary, with the part's sha256), each through a temporary
file and a rename. A chunk is finished when its ``done`` record exists and matches its part.
Rows that cannot be screened keep their place in the part with the reason in ``error``.
"""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._config import INTERVAL_LEVEL
from ..chemistry import parse_formula
from ..explain.domain import ApplicabilityDomain
from ..explain.material import NO_LI, outside_domain, unseen_elements
from ..explain.trust import TrainingEvidence
from ..featurize import DescriptorFeaturizer
from ..featurize.vectorized import element_table
from ..io import atomic_file, sha256_file, write_parquet
from ..models.persistence import load_model
from ..models.uncertainty import NeighbourSpace

#: Columns of every part file, in order.
PART_COLUMNS = ("row", "id", "formula", "prediction", "lower", "upper", "measured", "domain_percentile", "in_domain",
                "warnings", "error")
#: Version of the part files (``lower``/``upper``: the calibrated interval at INTERVAL_LEVEL, since 2;
#: ``measured``: log10 sigma of the same composition in the model's training data, since 3).
PART_FORMAT = 3
#: Nearest-neighbour distance (applicability-domain space) below which a candidate is looked up
#: among the training compositions (an exact composition match has distance 0).
MATCH_DISTANCE = 1e-9
#: Fixed histogram bins of the predictions (log10 S/cm, or probability), shared by every chunk.
HIST_BINS = {"regression": np.linspace(-14.0, 0.0, 57), "classification": np.linspace(0.0, 1.0, 41)}


def part_path(out: Path, number: int) -> Path:
    """Where chunk ``number``'s rows are written."""
    return Path(out) / "parts" / f"part-{number:06d}.parquet"


def done_path(out: Path, number: int) -> Path:
    """Where chunk ``number``'s summary is recorded once its part is written."""
    return Path(out) / "done" / f"{number:06d}.json"


#: The NASICON site descriptors' framework flag, and the reason given to rows it rejects.
NASICON_FLAG = "NASICON framework"
NOT_NASICON = ("not an A(1+x)M2(XO4)3 NASICON framework (the NASICON detector's formula rule): a NASICON-site "
               "model gives it no prediction")


@lru_cache(maxsize=2)
def worker_state(model_dir: str):
    """Load what a worker needs once per process.

    The model, its applicability domain, the mask of training elements, the interval space and the
    training compositions.
    """
    model = load_model(model_dir)
    domain = ApplicabilityDomain(model.align(model.train_X)) if model.train_X is not None else None
    symbols = element_table()[0]
    known = model.elements
    mask = np.array([s in known for s in symbols] + [True]) if known else None  # last entry: padding (-1)
    space = (NeighbourSpace(model.align(model.train_X))
             if model.train_X is not None and model.calibration is not None else None)
    evidence = TrainingEvidence(model) if model.train_meta is not None else None
    return model, domain, mask, space, evidence


def training_matches(evidence, formulas, candidates: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Measured values of candidates that are in the training data.

    Measured log10 sigma of the candidates whose composition is in the training data (NaN otherwise;
    an upper bound for censored rows) and a warning for each match ("" otherwise).
    """
    measured, notes = np.full(len(candidates), np.nan), [""] * len(candidates)
    if evidence is None:
        return measured, notes
    for j, i in enumerate(candidates):
        try:
            value, bound, matches = evidence.measured(parse_formula(str(formulas[i])))
        except Exception:  # noqa: BLE001 - a formula pymatgen refuses has no training match
            continue
        if matches and value is not None:
            measured[j] = value
            notes[j] = (f"already in the training data ({len(matches)} row(s), e.g. {matches[0]['id']}): measured "
                        + (f"log10 sigma below {value:.2f} (an upper bound)" if bound else f"log10 sigma {value:.2f}"))
    return measured, notes


def interval_bounds(model, space, X: pd.DataFrame, prediction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound at :data:`~explainsse._config.INTERVAL_LEVEL`.

    The conformal interval of log10 sigma, or the Venn-Abers probability pair; NaN for an
    uncalibrated model.
    """
    if space is None or not len(X):
        return np.full(len(X), np.nan), np.full(len(X), np.nan)
    cal = model.calibration
    if model.task == "regression":
        iv = cal.intervals(prediction, cal.difficulty(space, model.align(X)), [INTERVAL_LEVEL])[INTERVAL_LEVEL]
        return iv[:, 0], iv[:, 1]
    return cal.venn_abers(prediction)


def _row_warnings(elements: np.ndarray | None, mask: np.ndarray | None, outside: np.ndarray,
                  percentile: np.ndarray) -> list[str]:
    """Each row's warnings, "; "-joined: no Li, elements never seen in training, outside the domain.

    A row without Li is outside the domain (:meth:`~explainsse.explain.domain.ApplicabilityDomain.assess`);
    its no-Li warning says why, so it gets no distance warning.
    """
    symbols = element_table()[0]
    notes: list[list[str]] = [[] for _ in range(len(outside))]
    outside = outside.copy()
    if elements is not None:
        li = symbols.index("Li")
        for i in np.flatnonzero(~(elements == li).any(axis=1)):
            notes[i].append(NO_LI)
            outside[i] = False
        if mask is not None:
            unseen = ~mask[elements]
            for i in np.flatnonzero(unseen.any(axis=1)):
                notes[i].append(unseen_elements(symbols[j] for j in elements[i][unseen[i]]))
    for i in np.flatnonzero(outside):
        notes[i].append(outside_domain(percentile[i]))
    return ["; ".join(n) for n in notes]


def screen_frame(model_dir: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Screen rows ``id, formula, error`` (+ ``row``): the part table, without writing it."""
    model, domain, mask, space, evidence = worker_state(model_dir)
    frame = frame.reset_index(drop=True)
    error = frame["error"].astype(str).to_numpy(dtype=object).copy()
    todo = np.flatnonzero(error == "")
    featurizer = DescriptorFeaturizer(model.preset, cache=False, errors="nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = featurizer.fit_transform(frame.loc[todo, ["formula"]])
    for idx, reason in featurizer.failures_.items():
        error[idx] = f"could not be featurized: {reason}"
    if NASICON_FLAG in X.columns:  # a NASICON-site model cannot speak for other frameworks
        outside = X.index[X[NASICON_FLAG].to_numpy() == 0]
        error[outside[error[outside] == ""]] = NOT_NASICON
    ok = todo[error[todo] == ""]
    n = len(frame)
    prediction, percentile, inside = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, bool)
    lower, upper, measured = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    matched = [""] * len(ok)
    featurized = featurizer.composition_elements_  # one row per row of todo
    elements = None if featurized is None else featurized[np.searchsorted(todo, ok)]
    has_li = None if elements is None else (elements == element_table()[0].index("Li")).any(axis=1)
    if len(ok):
        Xok = X.loc[ok]
        prediction[ok] = model.predict(Xok)
        lower[ok], upper[ok] = interval_bounds(model, space, Xok, prediction[ok])
        if model.task == "classification" and space is not None:  # the calibrated probability is the prediction
            prediction[ok] = model.calibration.probability(prediction[ok])
        if domain is not None:
            d = domain.assess(model.align(Xok), has_li)
            percentile[ok], inside[ok] = d["percentile"].to_numpy(), d["inside"].to_numpy()
            near = np.flatnonzero(d["nn_distance"].to_numpy(float) < MATCH_DISTANCE)
            values, texts = training_matches(evidence, frame["formula"].to_numpy(object), ok[near])
            measured[ok[near]] = values
            for j, text in zip(near, texts):
                matched[j] = text
        else:
            inside[ok] = True
    notes = _row_warnings(elements, mask, ~inside[ok], percentile[ok])
    row_warnings = np.full(n, "", dtype=object)
    row_warnings[ok] = ["; ".join(t for t in (m, w) if t) for m, w in zip(matched, notes)]
    return pd.DataFrame({"row": frame["row"].to_numpy(np.int64), "id": frame["id"].astype(str).to_numpy(object),
                         "formula": frame["formula"].astype(str).to_numpy(object), "prediction": prediction,
                         "lower": lower, "upper": upper, "measured": measured, "domain_percentile": percentile, "in_domain": inside, "warnings": row_warnings,
                         "error": error}, columns=list(PART_COLUMNS))


def screen_chunk(model_dir: str, number: int, frame: pd.DataFrame, out: str) -> dict:
    """Screen one chunk and record it: the part file, then its ``done`` summary (both atomic).

    Returns
    -------
    dict
        ``number, rows, screened, invalid, outside, histogram, part_sha256`` (also in ``done``).
    """
    model = worker_state(model_dir)[0]
    part = screen_frame(model_dir, frame)
    path = part_path(Path(out), number)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        write_parquet(part, tmp)
    ok = part["error"] == ""
    hist, _ = np.histogram(np.clip(part.loc[ok, "prediction"], *HIST_BINS[model.task][[0, -1]]),
                           bins=HIST_BINS[model.task])
    summary = {"number": int(number), "rows": int(len(part)), "screened": int(ok.sum()),
               "invalid": int((~ok).sum()), "outside": int((ok & ~part["in_domain"]).sum()),
               "histogram": hist.astype(int).tolist(), "part_sha256": sha256_file(path)}
    done = done_path(Path(out), number)
    done.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(done) as tmp:
        Path(tmp).write_text(json.dumps(summary), encoding="utf-8")
    return summary


def finished(out: Path, number: int) -> dict | None:
    """Chunk ``number``'s summary when it is finished (its part exists and matches the recorded sha256)."""
    done, part = done_path(out, number), part_path(out, number)
    if not (done.is_file() and part.is_file()):
        return None
    try:
        summary = json.loads(done.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if summary.get("part_sha256") == sha256_file(part) else None


__all__ = ["HIST_BINS", "PART_COLUMNS", "PART_FORMAT", "interval_bounds", "done_path", "finished", "part_path", "screen_chunk", "screen_frame",
           "worker_state"]
