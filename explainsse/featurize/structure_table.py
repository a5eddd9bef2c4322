"""The structure featurizer group: descriptors of every row's crystal structure, with reasons for gaps.

Rows carry their structure in a ``structure`` column (a pymatgen ``Structure`` or None). A row
without one gets NaN descriptors and ``Structure available`` = 0; a row whose structure leaves
some descriptors undefined (no Li site, no softBV parameters, time limit) gets NaN there and
a reason. The reasons travel with the values in the column :data:`NOTES` (a text column the
transformer strips off and keeps in ``failures``-style notes, so the feature cache keeps them too).

A structure outside the bounds of :mod:`explainsse._config` (cell, sites, occupancies) is refused
(all its structure descriptors NaN, ``Structure available`` 0, the reason in the notes); one whose
worker process dies (out of memory, a crash) costs only its own row, listed with that reason.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from .. import _config
from .._config import DEFAULT_WORKERS, STRUCTURE_TIME_LIMIT_S
from ..parallel import TaskPool
from .structure import HAS_STRUCTURE, LABELS, structure_descriptors

#: Column with each row's reasons for missing structure descriptors ("" when none).
NOTES = "structure notes"
#: Settings of :mod:`explainsse._config` that bound a structure, passed on to the worker processes.
BOUNDS = ("MIN_CELL_LENGTH_A", "MAX_CELL_LENGTH_A", "MIN_VOLUME_PER_SITE_A3", "MAX_STRUCTURE_SITES",
          "MAX_CIF_EXPANDED_SITES", "MAX_SITE_OCCUPANCY", "MAX_BVSE_GRID_POINTS")


def structure_key(structure) -> str:
    """sha256 of a structure's content (lattice, sites, occupancies): the feature-cache key of one row."""
    if structure is None or (isinstance(structure, float) and np.isnan(structure)):
        return ""
    text = json.dumps(structure.as_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _one(structure, resolution, time_limit, bounds=None):
    if bounds:  # the parent's bounds (a worker process would otherwise read its own, unpatched settings)
        for name, value in bounds.items():
            setattr(_config, name, value)
    try:
        result = structure_descriptors(structure, resolution=resolution, time_limit=time_limit)
    except Exception as exc:  # a structure no descriptor can handle must not stop the table
        values = dict.fromkeys(LABELS, np.nan)
        values[HAS_STRUCTURE] = 1.0
        return [values[k] for k in LABELS], f"structure descriptors failed: {type(exc).__name__}: {exc}", {}
    return [result.values[k] for k in LABELS], "; ".join(result.reasons), result.seconds


class StructureFeaturizer:
    """Descriptors of the ``structure`` column, one row per structure, in parallel.

    Parameters
    ----------
    resolution : float, optional
        BVSE grid spacing (angstrom).
    time_limit : float
        Seconds per structure for all its descriptors together (see
        :func:`~explainsse.featurize.structure.structure_descriptors`).
    n_jobs : int, optional
        Worker processes (default: ``DEFAULT_WORKERS``; a structure takes ~0.3 s, so two
        processes pay off even for a few dozen).
    progress : bool
        Progress bar over structures.
    """

    def __init__(self, resolution: float | None = None, time_limit: float = STRUCTURE_TIME_LIMIT_S,
                 n_jobs: int | None = None, progress: bool = False):
        self.resolution = resolution
        self.time_limit = time_limit
        self.n_jobs = n_jobs
        self.progress = progress
        self.seconds_: dict[str, float] = {}

    def feature_labels(self) -> list[str]:
        """Column names (matminer's convention); the notes column is not one of them."""
        return list(LABELS)

    def featurize_table(self, table: pd.DataFrame, *, n_jobs: int | None = None,
                        progress: bool | None = None) -> pd.DataFrame:
        """Descriptor values of every row (columns :meth:`feature_labels` + :data:`NOTES`).

        ``n_jobs`` and ``progress`` override the instance's settings for this call.
        """
        from tqdm.auto import tqdm  # optional display: tqdm loads only when a progress bar is shown


        column = table["structure"] if "structure" in table else pd.Series(None, index=table.index)
        present = [(idx, s) for idx, s in column.items() if s is not None and not isinstance(s, float)]
        n_jobs = next((n for n in (n_jobs, self.n_jobs) if n is not None), DEFAULT_WORKERS)
        progress = self.progress if progress is None else progress
        # TaskPool workers end with their parent (a killed run leaves none behind), unlike joblib's
        pool = TaskPool(n_jobs if len(present) > 4 else 1)
        values = np.full((len(table), len(LABELS)), np.nan)
        values[:, LABELS.index(HAS_STRUCTURE)] = 0.0
        notes = pd.Series("no crystal structure (CIF) for this row", index=table.index, dtype=object)
        position = {idx: k for k, idx in enumerate(table.index)}
        self.seconds_ = {}
        bounds = {name: getattr(_config, name) for name in BOUNDS}
        calls = [(s, self.resolution, self.time_limit, bounds) for _, s in present]
        with pool, tqdm(total=len(present), desc="structure descriptors", unit="cif",
                        disable=not progress) as bar:
            # a worker that dies (out of memory, a crash) costs only the row it was computing
            for k, result, lost in pool.run_each(_one, calls):
                idx = present[k][0]
                if lost:
                    row = [np.nan] * len(LABELS)
                    row[LABELS.index(HAS_STRUCTURE)] = 1.0
                    result = (row, f"structure descriptors lost: {lost}", {})
                row, note, seconds = result
                values[position[idx]] = row
                notes[idx] = note
                for part, t in seconds.items():
                    self.seconds_[part] = self.seconds_.get(part, 0.0) + t
                bar.update()
        out = pd.DataFrame(values, index=table.index, columns=list(LABELS))
        out[NOTES] = notes
        return out


__all__ = ["NOTES", "StructureFeaturizer", "structure_key"]
