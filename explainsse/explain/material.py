"""Per-material explanations: prediction, top contributions, applicability-domain flags."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..featurize import describe
from ..featurize.meaning import value_flag
from ..featurize.nasicon_sites import detect_formula
from ..formatting import ordinal
from ..models.train import TrainedModel
from .domain import DEFAULT_DOMAIN_PERCENTILE, ApplicabilityDomain
from .explainers import explain
from .trust import TrainingEvidence, intervals_for

#: Warning given for a material without Li.
NO_LI = "contains no Li: the model was trained on Li conductors"
#: Why a material without Li is outside the domain (:meth:`~explainsse.explain.domain.ApplicabilityDomain.assess`).
NO_LI_DOMAIN = "no Li"


def led_by_measured(contrib: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """A material's contributions, those from imputed (missing) values behind the others.

    An imputed value is the model's filler, not a property of the material, so it never leads
    a per-material explanation. With ``top`` (``contrib`` ranked by |SHAP|, as
    :meth:`ExplanationTable.sample_at` gives it): the ``top`` largest contributions of measured
    values, then the imputed ones that rank among the ``top`` largest overall, flagged, so a large
    imputed contribution is still shown, only never first.
    """
    imputed = ~np.isfinite(contrib["value"].to_numpy(float))
    if top is None:
        return pd.concat([contrib[~imputed], contrib[imputed]]) if imputed.any() else contrib
    return pd.concat([contrib[~imputed].head(top), contrib.head(top)[imputed[:top]]])


def unseen_elements(names) -> str:
    """Warning for elements the training data never had."""
    return f"element(s) {', '.join(names)} never occur in the training data: the model extrapolates"


def outside_domain(percentile: float, level: float = DEFAULT_DOMAIN_PERCENTILE) -> str:
    """Warning for a material outside the applicability domain."""
    return (f"outside the training domain: the distance to its nearest training material is at the "
            f"{ordinal(percentile)} percentile of training nearest-neighbour distances (flagged above the "
            f"{ordinal(level)})")


def not_applicable(row, model: TrainedModel, reason: str) -> dict:
    """The record of a material the model cannot speak for: no prediction, no explanation, the reason."""
    return {"id": str(row["id"]), "formula": str(row["formula"]), "family": model.family, "task": model.task,
            "prediction": None, "prediction_units": prediction_units(model), "base_value": None,
            "model_output": None, "output_units": "", "top_descriptors": [], "domain": None,
            "not_applicable": reason, "warnings": [reason], "interval": None, "intervals": [],
            "neighbours": [], "measured_in_training": None}


def prediction_units(model: TrainedModel) -> str:
    """What a prediction of ``model`` is: log10 sigma, or the probability of the superionic class."""
    return ("log10 sigma (S/cm)" if model.task == "regression"
            else f"probability that sigma >= {model.threshold:g} S/cm")


def explain_materials(model: TrainedModel, frame: pd.DataFrame, X: pd.DataFrame, *, top: int = 5,
                      table=None, warn: bool = True) -> list[dict]:
    """Explain each row: prediction, top-``top`` descriptors by |SHAP|, domain and warnings.

    Parameters
    ----------
    model : TrainedModel
        A model with its training descriptors (as written by ``explainsse train``).
    frame : pandas.DataFrame
        Normalized rows (``id``, ``formula``, ``composition``).
    X : pandas.DataFrame
        Their descriptors (``model.preset``).
    table : ExplanationTable, optional
        SHAP values already computed for these rows (default: computed here).
    warn : bool, default True
        Also issue each material's warnings as Python warnings (they are always in its record).
    """
    background = model.train_X if model.train_X is not None else X
    if table is None:
        table = explain(model, X, background, ids=frame["id"].astype(str).to_numpy(),
                        formulas=frame["formula"].astype(str).to_numpy())
    output = table.output()
    prediction = model.predict(X)
    has_li = ["Li" in {el.symbol for el in c.elements} for c in frame["composition"]]
    domain = ApplicabilityDomain(model.align(model.train_X)).assess(model.align(X), has_li) \
        if model.train_X is not None else None
    known = model.elements
    evidence = TrainingEvidence(model)
    trust = intervals_for(model, X, prediction, evidence)
    neighbours = evidence.neighbours(X)
    results = []
    for i, (idx, row) in enumerate(frame.iterrows()):
        full = table.sample_at(i)  # the table is in the order of frame
        contrib = led_by_measured(full, top)
        missing = ~np.isfinite(full["value"].to_numpy(float))
        notes = []
        symbols = {el.symbol for el in row["composition"].elements}
        unseen = sorted(symbols - known) if known else []
        if not has_li[i]:
            notes.append(NO_LI)
        if "NASICON framework" in X.columns and X.at[idx, "NASICON framework"] == 0:
            reason = (f"not an A(1+x)M2(XO4)3 NASICON framework ({detect_formula(row['composition']).reason}): "
                      "a NASICON-site model gives it no prediction")
            results.append(not_applicable(row, model, reason))
            if warn:
                warnings.warn(f"{row['formula']}: {reason}", UserWarning, stacklevel=2)
            continue
        if unseen:
            notes.append(unseen_elements(unseen))
        entry = {
            "id": str(row["id"]), "formula": str(row["formula"]),
            "family": model.family, "task": model.task,
            "prediction": float(prediction[i]),
            "prediction_units": prediction_units(model),
            "base_value": float(contrib["base_value"].iloc[0]) if len(contrib) else float("nan"),
            "model_output": float(output.loc[idx]),
            "output_units": table.output_units,
            "imputed_shap": {"n": int(missing.sum()), "total": float(full["shap"].to_numpy(float)[missing].sum())},
            "top_descriptors": [
                {"descriptor": r.descriptor, "value": None if not np.isfinite(r.value) else float(r.value),
                 "shap": float(r.shap), "unit": describe(r.descriptor).unit,
                 "meaning": describe(r.descriptor).meaning, "group": describe(r.descriptor).group,
                 "flag": value_flag(r.descriptor, float(r.value))}
                for r in contrib.itertuples()
            ],
        }
        measured, bound, matches = evidence.measured(row["composition"])
        entry.update({"interval": None, "intervals": [], **trust[i], "neighbours": neighbours[i],
                      "measured_in_training": measured, "measured_in_training_censored": bound,
                      "training_matches": matches})
        if "probability" in entry:  # a calibrated classifier: the calibrated probability is the prediction
            entry["prediction"] = entry["probability"]
        if matches:
            value = ("value unknown" if measured is None else f"log10 sigma below {measured:.2f} (an upper bound)"
                     if bound else f"log10 sigma {measured:.2f}")
            notes.append(f"in the training data ({len(matches)} row(s), e.g. {matches[0]['id']}): measured {value}"
                         + ("; the prediction is not a new estimate" if not bound else ""))
        if domain is not None:
            d = domain.loc[idx]
            nearest = int(d["nearest"])
            entry["domain"] = {
                "nn_distance": float(d["nn_distance"]), "percentile": float(d["percentile"]),
                "inside": bool(d["inside"]), **({} if has_li[i] else {"reason": NO_LI_DOMAIN}),
                "nearest_training": (str(model.train_meta.iloc[nearest]["formula"])
                                     if model.train_meta is not None else str(nearest)),
            }
            if not d["inside"] and has_li[i]:  # without Li, NO_LI above already says why
                notes.append(outside_domain(d["percentile"]))
        entry["warnings"] = notes
        for note in notes if warn else ():
            warnings.warn(f"{row['formula']}: {note}", UserWarning, stacklevel=2)
        results.append(entry)
    return results
