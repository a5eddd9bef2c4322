"""Native interpretable views beside SHAP: odds ratios, PLS VIP / loadings, XGBoost gain."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..models import make_model
from ..models.families import Family
from ..models.train import TrainedModel
from .explainers import explain


def _transformed(model: TrainedModel, X: pd.DataFrame) -> pd.DataFrame:
    Z = model.pipeline[:-1].transform(model.align(X))
    return Z if isinstance(Z, pd.DataFrame) else pd.DataFrame(Z, index=X.index, columns=model.feature_names)


def logreg_odds_ratios(model: TrainedModel, X: pd.DataFrame, y: pd.Series, *, n_bootstrap: int = 30,
                       random_state: int = 0) -> pd.DataFrame:
    """Standardized coefficients and odds ratio per standard deviation, with bootstrap 95% CIs.

    The coefficients act on standardized (and +-5 SD clipped) descriptors, so ``exp(coef)`` is the
    multiplicative change in the odds of being superionic per one-SD increase of the descriptor.
    CIs come from refits (same hyperparameters) on bootstrap resamples of the training rows.

    Parameters
    ----------
    model : TrainedModel
        A fitted logistic regression.
    X, y : pandas.DataFrame, pandas.Series
        Its training descriptors and labels.
    n_bootstrap : int
        Refits on bootstrap resamples.
    random_state : int
    """
    coef = pd.Series(model.pipeline[-1].coef_.ravel(), index=model.feature_names)
    rng = np.random.default_rng(random_state)
    X = model.align(X)
    draws = []
    for _ in range(n_bootstrap):
        rows = rng.integers(0, len(X), len(X))
        if y.iloc[rows].nunique() < 2:
            continue
        pipe = make_model(model.family, "classification", random_state=random_state).set_params(**model.params)
        draws.append(pipe.fit(X.iloc[rows], y.iloc[rows])[-1].coef_.ravel())
    B = np.asarray(draws) if draws else np.full((1, len(coef)), np.nan)
    out = pd.DataFrame({
        "coef_per_sd": coef, "coef_ci_low": np.nanpercentile(B, 2.5, axis=0),
        "coef_ci_high": np.nanpercentile(B, 97.5, axis=0),
    })
    out["odds_ratio_per_sd"] = np.exp(out["coef_per_sd"])
    out["or_ci_low"] = np.exp(out["coef_ci_low"])
    out["or_ci_high"] = np.exp(out["coef_ci_high"])
    out["n_bootstrap"] = len(draws)
    return out.reindex(out["coef_per_sd"].abs().sort_values(ascending=False).index)


def pls_views(model: TrainedModel, X_train: pd.DataFrame) -> dict:
    """PLS VIP scores, weights, loadings and training scores (regression or PLS-DA).

    VIP_j = sqrt(p * sum_a SS_a (w_ja / ||w_a||)^2 / sum_a SS_a), with SS_a the y-variance explained
    by component a; descriptors with VIP > 1 are conventionally influential.

    Parameters
    ----------
    model : TrainedModel
        A fitted PLS regression or PLS-DA model.
    X_train : pandas.DataFrame
        Its training descriptors.
    """
    est = model.pipeline[-1]
    pls = est.pls_.pls_ if hasattr(est.pls_, "pls_") else est.pls_
    Z = _transformed(model, X_train).to_numpy(float)
    T = pls.transform(Z)
    W = pls.x_weights_
    Q = np.atleast_2d(pls.y_loadings_)
    ss = (Q**2).sum(axis=0) * (T**2).sum(axis=0)
    p = W.shape[0]
    vip = np.sqrt(p * ((W / np.linalg.norm(W, axis=0)) ** 2 @ ss) / ss.sum())
    names = model.feature_names
    comps = [f"component {i + 1}" for i in range(W.shape[1])]
    return {
        "vip": pd.Series(vip, index=names, name="vip").sort_values(ascending=False),
        "weights": pd.DataFrame(W, index=names, columns=comps),
        "loadings": pd.DataFrame(pls.x_loadings_, index=names, columns=comps),
        "scores": pd.DataFrame(T, index=X_train.index, columns=comps),
    }


def xgb_gain(model: TrainedModel) -> pd.Series:
    """XGBoost total gain per descriptor (a secondary view: biased towards high-cardinality splits)."""
    est = model.pipeline[-1]
    booster = est.booster_ if hasattr(est, "base_margin_") else est.get_booster()
    gain = booster.get_score(importance_type="total_gain")
    names = booster.feature_names or model.feature_names
    mapping = dict(zip([f"f{i}" for i in range(len(names))], names))
    series = pd.Series({mapping.get(k, k): v for k, v in gain.items()}, name="total_gain")
    return series.reindex(model.feature_names).fillna(0.0).sort_values(ascending=False)


def xgb_interactions(model: TrainedModel, X: pd.DataFrame, *, top: int = 8, max_rows: int = 40,
                     random_state: int = 0) -> dict:
    """SHAP interaction values between the ``top`` descriptors, on at most ``max_rows`` rows.

    Interaction values are expensive (XGBoost computes all descriptor pairs: about 0.4 s per row
    for a 400-tree model on 188 descriptors on 2 cores), so only a sample of rows is used and
    only the pairs among the top descriptors are reported; the result says what was computed.
    """
    import xgboost as xgb  # heavy: loaded when interactions are asked for

    X = model.align(X)
    if len(X) > max_rows:
        X = X.sample(max_rows, random_state=random_state)
    names = explain(model, X).top(top)
    est = model.pipeline[-1]
    booster = est.booster_ if hasattr(est, "base_margin_") else est.get_booster()
    Z = np.asarray(model.pipeline[:-1].transform(X), dtype=np.float32)
    inter = booster.predict(xgb.DMatrix(Z, feature_names=booster.feature_names),
                            pred_interactions=True)[:, :-1, :-1]
    idx = [model.feature_names.index(n) for n in names]
    strength = np.abs(inter[:, idx][:, :, idx]).mean(axis=0)
    pairs = [{"a": names[i], "b": names[j], "mean_abs_interaction": float(strength[i, j] * 2)}
             for i in range(len(idx)) for j in range(i + 1, len(idx))]
    pairs.sort(key=lambda r: -r["mean_abs_interaction"])
    return {"computed_on_rows": len(X), "descriptors": names, "pairs": pairs,
            "note": f"SHAP interaction values (XGBoost pred_interactions) on {len(X)} rows, "
                    f"pairs among the top {len(names)} descriptors only"}


def odds_ratio_view(model: TrainedModel, X: pd.DataFrame, y: pd.Series, top: int, seed: int,
                    n_bootstrap: int = 20) -> dict:
    """The ``top`` odds ratios per standard deviation with bootstrap 95% CIs (logistic regression)."""
    odds = logreg_odds_ratios(model, X, y, n_bootstrap=n_bootstrap, random_state=seed)
    return {"odds_ratios": odds.head(top).reset_index(names="descriptor").to_dict("records")}


def vip_view(model: TrainedModel, X: pd.DataFrame, y: pd.Series, top: int, seed: int) -> dict:
    """VIP and loadings of the ``top`` descriptors (PLS)."""
    views = pls_views(model, X)
    return {"vip": [{"descriptor": d, "vip": float(v)} for d, v in views["vip"].head(top).items()],
            "loadings": views["loadings"].loc[views["vip"].index[:top]].to_dict("index")}


def gain_view(model: TrainedModel, X: pd.DataFrame, y: pd.Series, top: int, seed: int) -> dict:
    """Total gain per descriptor (XGBoost; a secondary view, biased towards many-valued descriptors)."""
    return {"gain_secondary_view": xgb_gain(model).head(top).to_dict()}


def interaction_view(model: TrainedModel, X: pd.DataFrame, seed: int) -> dict:
    """SHAP interaction values between the top descriptors (XGBoost ``pred_interactions``, on a row sample)."""
    return xgb_interactions(model, X, random_state=seed)


#: A family's native view by the kind it names (:attr:`explainsse.models.families.Family.native`).
NATIVE_VIEWS = {"odds-ratios": odds_ratio_view, "vip": vip_view, "gain": gain_view}
#: Optional views by kind (:attr:`explainsse.models.families.Family.extra`).
EXTRA_VIEWS = {"tree-interactions": interaction_view}


def _resolve(kind, views: dict, family: Family, what: str):
    if kind is None or callable(kind):
        return kind
    if kind not in views:
        raise InputDataError(f"family {family.name!r} names {what} {kind!r}; known kinds: {', '.join(views)}")
    return views[kind]


def family_native_view(family: Family, model: TrainedModel, X: pd.DataFrame, y: pd.Series, top: int,
                seed: int) -> dict:
    """The family's own interpretable view of ``model`` (empty when it has none).

    Parameters
    ----------
    family : Family
        Its :attr:`~explainsse.models.families.Family.native` is a kind of :data:`NATIVE_VIEWS` or a callable.
    model : TrainedModel
    X, y : pandas.DataFrame, pandas.Series
        The training descriptors and target.
    top : int
        Descriptors listed.
    seed : int
    """
    view = _resolve(family.native, NATIVE_VIEWS, family, "native view")
    return {} if view is None else view(model, X, y, top, seed)


def family_extra_view(family: Family, name: str, model: TrainedModel, X: pd.DataFrame, seed: int) -> dict | None:
    """The family's optional view ``name`` (e.g. ``"interactions"``), or None when it has none."""
    view = _resolve(family.extra.get(name), EXTRA_VIEWS, family, f"{name} view")
    return None if view is None else view(model, X, seed)
