"""`ExplanationTable`: SHAP values in a wide, shap-like core, with the long form on request.

The core holds one (samples x descriptors) matrix of SHAP values, the base value of each
sample, the descriptor values that were explained, the descriptor names and the sample ids,
as :class:`shap.Explanation` does. Millions of rows therefore cost ``n x k`` floats, not
``n x k`` rows of repeated strings; :meth:`ExplanationTable.to_long` gives the tidy table
(one row per sample and descriptor) for reports and spreadsheets.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ..errors import InputDataError
from ..featurize import describe
from ..models.families import get_family

#: Columns of the long form (:meth:`ExplanationTable.to_long`).
COLUMNS = ("sample", "id", "formula", "family", "task", "fold", "descriptor", "value", "shap",
           "base_value", "output_units")


def output_units(family: str, task: str) -> str:
    """What the model output (and so every SHAP value) of ``family``/``task`` is measured in.

    Parameters
    ----------
    family, task : str
    """
    try:
        return get_family(family).units(task)
    except InputDataError:
        return "model output"


@dataclass
class ExplanationTable:
    """SHAP values of ``n`` samples over ``k`` descriptors.

    Attributes
    ----------
    values : numpy.ndarray of shape (n, k)
        SHAP value of each descriptor for each sample, in :attr:`output_units`.
    base_values : numpy.ndarray of shape (n,)
        Expected model output; per sample ``base_values + values.sum(axis=1) == model output``
        (:meth:`check_additivity`).
    data : numpy.ndarray of shape (n, k)
        Descriptor values as given (before imputation; NaN where missing).
    feature_names : list of str
        The ``k`` descriptor names.
    ids : numpy.ndarray of shape (n,)
        Material ids (strings).
    samples : pandas.Index
        Row labels of the explained descriptor table.
    formulas : numpy.ndarray of shape (n,)
    family, task : str
    fold : numpy.ndarray of shape (n,)
        Fold label per sample (``"all"`` for a model fitted on all training rows).
    output_units : str
    method : str
        How the values were computed (e.g. "exact linear SHAP", "shap.TreeExplainer").
    notes : tuple of str
        Anything a reader must know (fallbacks, what was computed).
    """

    values: np.ndarray
    base_values: np.ndarray
    data: np.ndarray
    feature_names: list[str]
    ids: np.ndarray
    samples: pd.Index
    formulas: np.ndarray
    family: str = ""
    task: str = ""
    fold: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    output_units: str = "model output"
    method: str = ""
    notes: tuple[str, ...] = ()

    @classmethod
    def from_arrays(cls, shap_values: np.ndarray, X: pd.DataFrame, base_value, *, family: str, task: str,
                    ids=None, formulas=None, fold="all", method: str = "", notes=()) -> ExplanationTable:
        """Build the table from a (n_samples, n_descriptors) SHAP matrix and the explained rows ``X``."""
        n = len(X)
        return cls(
            values=np.asarray(shap_values, float).reshape(n, X.shape[1]),
            base_values=np.broadcast_to(np.asarray(base_value, float), (n,)).copy(),
            data=X.to_numpy(float),
            feature_names=[str(c) for c in X.columns],
            ids=np.asarray(ids if ids is not None else X.index.astype(str), dtype=object).astype(str),
            samples=pd.Index(X.index),
            formulas=np.asarray(formulas if formulas is not None else [""] * n, dtype=object),
            family=family, task=task,
            fold=np.broadcast_to(np.asarray(fold, dtype=object), (n,)).copy(),
            output_units=output_units(family, task), method=method, notes=tuple(notes),
        )

    # -- views ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.values)

    @property
    def descriptors(self) -> list[str]:
        """Descriptor names in their original order."""
        return list(self.feature_names)

    def matrix(self) -> pd.DataFrame:
        """SHAP values as a wide (samples x descriptors) DataFrame."""
        return pd.DataFrame(self.values, index=self.samples, columns=self.feature_names)

    def to_long(self) -> pd.DataFrame:
        """The tidy long form: one row per (sample, descriptor), columns :data:`COLUMNS`."""
        n, k = self.values.shape
        return pd.DataFrame({
            "sample": np.repeat(np.asarray(self.samples), k),
            "id": np.repeat(self.ids, k),
            "formula": np.repeat(self.formulas, k),
            "family": self.family,
            "task": self.task,
            "fold": np.repeat(self.fold, k),
            "descriptor": np.tile(np.asarray(self.feature_names, dtype=object), n),
            "value": self.data.reshape(-1),
            "shap": self.values.reshape(-1),
            "base_value": np.repeat(self.base_values, k),
            "output_units": self.output_units,
        })

    def output(self) -> pd.Series:
        """Model output reconstructed from the table (base value + sum of SHAP) per sample."""
        return pd.Series(self.base_values + self.values.sum(axis=1), index=self.samples)

    def check_additivity(self, model_output, *, atol: float = 1e-6, rtol: float = 1e-6) -> float:
        """Check ``base value + sum(SHAP) == model output`` for every sample.

        Parameters
        ----------
        model_output : array-like of shape (n,)
            The model's own output (log-odds or predicted log10 sigma).
        atol, rtol : float
            Tolerances (tree explainers work in float32: use about 1e-4 for them).

        Returns
        -------
        float
            The largest absolute gap.

        Raises
        ------
        AssertionError
            Naming the worst sample when a gap exceeds the tolerance.
        """
        expected = np.asarray(model_output, float)
        got = self.base_values + self.values.sum(axis=1)
        gap = np.abs(got - expected)
        bad = gap > atol + rtol * np.abs(expected)
        if bad.any():
            i = int(np.argmax(gap))
            raise AssertionError(f"SHAP values do not add up to the model output for {int(bad.sum())} samples; "
                                 f"worst {self.ids[i]}: {got[i]:.6g} vs {expected[i]:.6g}")
        return float(gap.max()) if len(gap) else 0.0

    def global_importance(self) -> pd.DataFrame:
        """Mean |SHAP| per descriptor, largest first, with its rank and share of the total."""
        imp = pd.Series(np.abs(self.values).mean(axis=0), index=self.feature_names, name="mean_abs_shap")
        out = imp.sort_values(ascending=False).to_frame()
        out.index.name = "descriptor"
        out["share"] = out["mean_abs_shap"] / out["mean_abs_shap"].sum()
        out["rank"] = np.arange(1, len(out) + 1)
        return out

    def top(self, k: int = 10) -> list[str]:
        """The ``k`` descriptors with the largest mean |SHAP|."""
        return self.global_importance().index[:k].tolist()

    def _position(self, key) -> int:
        hits = np.flatnonzero(np.asarray(self.samples == key) | (self.ids == str(key)))
        if not len(hits):
            raise KeyError(f"no sample {key!r} in this explanation")
        return int(hits[0])

    def sample(self, key) -> pd.DataFrame:
        """Contributions for one sample (by index label or id), largest |SHAP| first (long form)."""
        return self.sample_at(self._position(key))

    def sample_at(self, i: int) -> pd.DataFrame:
        """As :meth:`sample`, for the sample at position ``i`` (no search: linear over many samples)."""
        k = len(self.feature_names)
        rows = pd.DataFrame({
            "sample": [self.samples[i]] * k, "id": self.ids[i], "formula": self.formulas[i],
            "family": self.family, "task": self.task, "fold": self.fold[i],
            "descriptor": self.feature_names, "value": self.data[i], "shap": self.values[i],
            "base_value": self.base_values[i], "output_units": self.output_units,
        })
        return rows.reindex(rows["shap"].abs().sort_values(ascending=False).index)

    def column(self, descriptor: str) -> pd.DataFrame:
        """``sample, value, shap`` of one descriptor over all samples."""
        j = self.feature_names.index(descriptor)
        return pd.DataFrame({"sample": np.asarray(self.samples), "value": self.data[:, j],
                             "shap": self.values[:, j]})

    def directions(self, descriptors=None) -> pd.DataFrame:
        """Direction of effect: sign of Spearman(descriptor value, its SHAP value).

        Returns
        -------
        pandas.DataFrame
            ``descriptor, spearman, direction`` (+1, -1 or 0 when |rho| < 0.1 or constant) and a
            sentence such as "higher Li number density -> higher predicted conductivity".
        """
        names = descriptors or self.top(10)
        rows = []
        higher = "higher predicted conductivity" if "log10" in self.output_units \
            else "higher predicted odds of being superionic"
        lower = higher.replace("higher", "lower", 1)
        for name in names:
            part = self.column(name).dropna(subset=["value"])
            varies = part["value"].nunique() > 1 and part["shap"].nunique() > 1
            rho = spearmanr(part["value"], part["shap"]).statistic if varies else np.nan
            sign = 0 if not np.isfinite(rho) or abs(rho) < 0.1 else int(np.sign(rho))
            label = describe(name).name
            sentence = (f"higher {label} -> {higher}" if sign > 0 else
                        f"higher {label} -> {lower}" if sign < 0 else
                        f"{label}: no monotonic direction")
            rows.append({"descriptor": name, "spearman": float(rho) if np.isfinite(rho) else np.nan,
                         "direction": sign, "sentence": sentence})
        return pd.DataFrame(rows)

    def grouped(self, groups: dict[str, list[str]]) -> ExplanationTable:
        """Sum SHAP within descriptor groups (group name -> members); grouped values become NaN."""
        mapping = {d: g for g, members in groups.items() for d in members}
        names = list(dict.fromkeys(mapping.get(d, d) for d in self.feature_names))
        where = {name: j for j, name in enumerate(names)}
        values = np.zeros((len(self), len(names)))
        for j, d in enumerate(self.feature_names):
            values[:, where[mapping.get(d, d)]] += self.values[:, j]
        return ExplanationTable(values, self.base_values, np.full_like(values, np.nan), names, self.ids,
                                self.samples, self.formulas, self.family, self.task, self.fold,
                                self.output_units, self.method + " (grouped)", self.notes)

    # -- storage (Parquet, no pickle) -----------------------------------------------------------
    def to_parquet(self, path: str | os.PathLike) -> None:
        """Write the table to one Parquet file (SHAP and values as columns, the rest as metadata)."""
        import pyarrow as pa  # heavy: pyarrow loads only when a Parquet file is read or written
        import pyarrow.parquet as pq  # heavy: pyarrow loads only when a Parquet file is read or written

        columns = {"sample": np.asarray(self.samples), "id": self.ids, "formula": self.formulas.astype(str),
                   "fold": self.fold.astype(str), "base_value": self.base_values}
        columns.update({f"shap:{j}": self.values[:, j] for j in range(len(self.feature_names))})
        columns.update({f"value:{j}": self.data[:, j] for j in range(len(self.feature_names))})
        table = pa.table(columns)
        meta = {"feature_names": self.feature_names, "family": self.family, "task": self.task,
                "output_units": self.output_units, "method": self.method, "notes": list(self.notes)}
        table = table.replace_schema_metadata({b"explainsse": json.dumps(meta).encode()})
        pq.write_table(table, str(path))

    @classmethod
    def read_parquet(cls, path: str | os.PathLike) -> ExplanationTable:
        """Read a table written by :meth:`to_parquet`."""
        import pyarrow.parquet as pq  # heavy: pyarrow loads only when a Parquet file is read or written

        table = pq.read_table(str(path), use_threads=False)
        meta = json.loads(table.schema.metadata[b"explainsse"])
        frame = table.to_pandas()
        k = len(meta["feature_names"])
        values = frame[[f"shap:{j}" for j in range(k)]].to_numpy(float).reshape(len(frame), k)
        data = frame[[f"value:{j}" for j in range(k)]].to_numpy(float).reshape(len(frame), k)
        return cls(values, frame["base_value"].to_numpy(float), data, list(meta["feature_names"]),
                   frame["id"].to_numpy(object), pd.Index(frame["sample"]), frame["formula"].to_numpy(object),
                   meta["family"], meta["task"], frame["fold"].to_numpy(object), meta["output_units"],
                   meta["method"], tuple(meta["notes"]))


__all__ = ["COLUMNS", "ExplanationTable", "output_units"]
