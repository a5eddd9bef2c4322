"""`ExplanationTable`: one tidy long table of SHAP values with the helpers reports need."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

COLUMNS = ("sample", "id", "formula", "family", "task", "fold", "descriptor", "value", "shap",
           "base_value", "output_units")

#: What the model output (and so every SHAP value) is measured in, per family/task.
OUTPUT_UNITS = {
    ("logreg", "classification"): "log-odds of sigma >= threshold",
    ("pls", "classification"): "log-odds of sigma >= threshold (PLS-DA, calibrated)",
    ("xgb", "classification"): "log-odds of sigma >= threshold (XGBoost margin)",
    ("pls", "regression"): "predicted log10 sigma (S/cm)",
    ("xgb", "regression"): "predicted log10 sigma (S/cm)",
}


@dataclass
class ExplanationTable:
    """SHAP values in long form: one row per (sample, descriptor).

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns :data:`COLUMNS`. ``value`` is the descriptor value as given (before imputation),
        ``shap`` its contribution in ``output_units``; per sample,
        ``base_value + sum(shap) == model output``.
    method : str
        How the values were computed (e.g. "exact linear SHAP", "shap.TreeExplainer").
    notes : list of str
        Anything a reader must know (fallbacks, what was computed).
    """

    frame: pd.DataFrame
    method: str = ""
    notes: tuple[str, ...] = ()

    @classmethod
    def from_arrays(cls, shap_values: np.ndarray, X: pd.DataFrame, base_value, *, family: str, task: str,
                    ids=None, formulas=None, fold="all", method: str = "", notes=()) -> "ExplanationTable":
        """Build the long table from a (n_samples, n_descriptors) SHAP matrix."""
        n, k = shap_values.shape
        ids = np.asarray(ids if ids is not None else X.index.astype(str), dtype=object)
        formulas = np.asarray(formulas if formulas is not None else [""] * n, dtype=object)
        base = np.broadcast_to(np.asarray(base_value, float), (n,))
        frame = pd.DataFrame({
            "sample": np.repeat(np.asarray(X.index), k),
            "id": np.repeat(ids, k),
            "formula": np.repeat(formulas, k),
            "family": family,
            "task": task,
            "fold": np.repeat(np.broadcast_to(np.asarray(fold, dtype=object), (n,)), k),
            "descriptor": np.tile(np.asarray(X.columns, dtype=object), n),
            "value": X.to_numpy(float).reshape(-1),
            "shap": np.asarray(shap_values, float).reshape(-1),
            "base_value": np.repeat(base, k),
            "output_units": OUTPUT_UNITS.get((family, task), "model output"),
        })
        return cls(frame, method, tuple(notes))

    # -- views ----------------------------------------------------------------------------
    def matrix(self) -> pd.DataFrame:
        """SHAP values as a wide (samples x descriptors) DataFrame."""
        return self.frame.pivot(index="sample", columns="descriptor", values="shap")[self.descriptors]

    @property
    def descriptors(self) -> list[str]:
        """Descriptor names in their original order."""
        return list(dict.fromkeys(self.frame["descriptor"]))

    def output(self) -> pd.Series:
        """Model output reconstructed from the table (base value + sum of SHAP) per sample."""
        g = self.frame.groupby("sample", sort=False)
        return g["shap"].sum() + g["base_value"].first()

    def global_importance(self) -> pd.DataFrame:
        """Mean |SHAP| per descriptor, largest first, with its rank and share of the total."""
        imp = self.frame.assign(abs_shap=self.frame["shap"].abs()).groupby("descriptor", sort=False)[
            "abs_shap"].mean().sort_values(ascending=False)
        out = imp.rename("mean_abs_shap").to_frame()
        out["share"] = out["mean_abs_shap"] / out["mean_abs_shap"].sum()
        out["rank"] = np.arange(1, len(out) + 1)
        return out

    def top(self, k: int = 10) -> list[str]:
        """The ``k`` descriptors with the largest mean |SHAP|."""
        return self.global_importance().index[:k].tolist()

    def sample(self, key) -> pd.DataFrame:
        """Contributions for one sample (by index label or id), largest |SHAP| first."""
        rows = self.frame[(self.frame["sample"] == key) | (self.frame["id"] == str(key))]
        return rows.reindex(rows["shap"].abs().sort_values(ascending=False).index)

    def directions(self, descriptors=None) -> pd.DataFrame:
        """Direction of effect: sign of Spearman(descriptor value, its SHAP value).

        Returns
        -------
        pandas.DataFrame
            ``descriptor, spearman, direction`` (+1, -1 or 0 when |rho| < 0.1 or constant) and a
            sentence such as "higher Li number density -> higher predicted conductivity".
        """
        from ..featurize import describe

        names = descriptors or self.top(10)
        rows = []
        higher = "higher predicted conductivity" if "log10" in self.frame["output_units"].iloc[0] \
            else "higher predicted odds of being superionic"
        lower = higher.replace("higher", "lower", 1)
        for name in names:
            part = self.frame[self.frame["descriptor"] == name].dropna(subset=["value"])
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

    def grouped(self, groups: dict[str, list[str]]) -> "ExplanationTable":
        """Sum SHAP within descriptor groups (descriptor -> group name); values become NaN."""
        mapping = {d: g for g, members in groups.items() for d in members}
        f = self.frame.assign(descriptor=self.frame["descriptor"].map(lambda d: mapping.get(d, d)))
        keys = ["sample", "id", "formula", "family", "task", "fold", "descriptor", "base_value",
                "output_units"]
        out = f.groupby(keys, sort=False, dropna=False)["shap"].sum().reset_index()
        out["value"] = np.nan
        return ExplanationTable(out[list(COLUMNS)], self.method + " (grouped)", self.notes)
