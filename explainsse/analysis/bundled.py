"""Build the bundled models (the model floor only says where they are: :mod:`explainsse.models.bundled`).

Rebuild them reproducibly with::

    EXPLAINSSE_DATA_DIR=../shared/datasets explainsse bundle-model -o explainsse/data/models/default --force
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from ..datasets import load_dataset
from ..datasets.table import split_mask
from ..featurize import dataset_descriptors, featurize_dataset
from ..featurize.descriptors import feature_names
from ..models.benchmark import scheme_scores
from ..models.bundled import (
    BUNDLE_FAMILY,
    BUNDLE_TASK,
    DEFAULT_NAME,
    NASICON_FAMILY,
    NASICON_NAME,
    NASICON_PRESET,
    NASICON_THRESHOLD,
    REGRESSION_BUNDLES,
)
from ..models.evaluation import evaluate
from ..models.factory import make_model
from ..models.metrics import classification_metrics
from ..models.persistence import save_model
from ..models.targets import make_target
from ..models.train import final_model
from ..validation.membership import nasicon_membership
from .cards import calibration_lines, scheme_block

#: Schemes the NASICON card scores: random folds, leave-papers-out, leave-dopant-out, cluster-out.
NASICON_CARD_SCHEMES = ("random-kfold", "group-doi", "leave-dopant-out", "cluster-out")


def build_bundled_model(output: str | os.PathLike, *, data_dir=None, seed: int = 0, n_jobs: int = 2,
                        force: bool = False, name: str = DEFAULT_NAME) -> dict:
    """Train a regression bundle on the OBELiX training split, score the test split once, save it.

    ``default`` uses every row (composition descriptors need only the formula);
    ``structure-default`` only the rows with a CIF (:data:`~explainsse.models.bundled.REGRESSION_BUNDLES`).

    Returns
    -------
    dict
        The official-split metrics written into the model card.
    """
    preset, cif_only = REGRESSION_BUNDLES[name]
    ds = load_dataset("obelix", data_dir=data_dir)
    if cif_only:
        ds = replace(ds, frame=ds.frame[ds.frame["has_cif"].astype(bool)],
                     descriptors=ds.descriptors[ds.frame["has_cif"].astype(bool)])
    ds, X = dataset_descriptors(ds, preset, progress=False)
    model = final_model(ds.frame, X, BUNDLE_FAMILY, BUNDLE_TASK, preset=preset, random_state=seed,
                        n_jobs=n_jobs, dataset_info={"name": "obelix" + (" (rows with a CIF)" if cif_only else ""),
                                                     "files_sha256": ds.files}, calibrate=True)
    ev = evaluate(ds.frame, X, BUNDLE_FAMILY, BUNDLE_TASK, "official", n_boot=500, n_scramble=0,
                  random_state=seed, n_jobs=n_jobs)
    metrics = {m: ev.metric(m) for m in ("mae", "rmse", "r2", "spearman", "within_1_log", "n")}
    metrics["mae_uncensored"] = ev.metric("mae", subset="uncensored")
    metrics["mae_median_baseline"] = ev.metric("mae", family="baseline-median")
    r = ev.results
    ci = r[(r.family == BUNDLE_FAMILY) & (r.metric == "mae") & (r.subset == "all")].iloc[0]
    metrics["mae_ci95"] = [float(ci.ci_low), float(ci.ci_high)]
    model.metrics.update({f"official_test_{k}": v for k, v in metrics.items()})
    train = split_mask(ds.frame, "train")
    model.metrics["cv_schemes"] = scheme_scores(ds.frame[train], X[train], BUNDLE_FAMILY, BUNDLE_TASK, model.params,
                                                n_boot=500, random_state=seed, n_jobs=n_jobs)
    save_model(model, output, overwrite=force, extra_files={"MODEL_CARD.md": _card(model, metrics, name)})
    return metrics


def _card(model, m: dict, name: str = DEFAULT_NAME) -> str:
    preset, cif_only = REGRESSION_BUNDLES[name]
    what = ("the Sendek et al. 2017 structure descriptors, Li sublattice and percolation, anion framework and "
            "BVSE barriers of the CIF, plus the electrolyte composition basics; a CIF is needed for the structural "
            "part, without one it is imputed and flagged" if cif_only else "composition only, so a formula is enough")
    rows = ("OBELiX v1.2 official training rows that have a CIF" if cif_only
            else "OBELiX v1.2 official training split")
    limits = ("Structure descriptors are computed on the CIF as given (partial occupancies kept; OBELiX CIFs carry "
              "position noise of 0.01 in fractional coordinates); Li-Li distances below 2 A mark split sites and are "
              "flagged. Trained on ~250 structures: new structure types are extrapolation." if cif_only
              else "Composition descriptors cannot tell polymorphs apart.")
    return f"""# explainsse bundled model: `{name}`

* Task: regression of log10 room-temperature ionic conductivity (S/cm) of Li solid electrolytes.
* Family: XGBoost (`hist`, seed {model.random_state}); hyperparameters chosen by 3-fold inner CV grouped
  by chemical system on the training rows: `{model.params}`.
* Descriptors: `{preset}` ({len(model.feature_names)} columns: {what}).
* Training data: {rows} ({model.dataset.get('n_train')} rows; CC BY 4.0;
  F. Therrien et al., arXiv:2502.14234). Censored values (`<1E-10`) at the 1e-15 S/cm floor.
* Official test split ({int(m['n'])} rows{' with a CIF' if cif_only else ''}, scored once when the bundle was built):
  MAE {m['mae']:.2f} (95% bootstrap CI {m['mae_ci95'][0]:.2f}-{m['mae_ci95'][1]:.2f}), RMSE {m['rmse']:.2f},
  R2 {m['r2']:.2f}, Spearman {m['spearman']:.2f}, within one log unit {m['within_1_log']:.2f};
  MAE on uncensored rows {m['mae_uncensored']:.2f}; median-predictor MAE {m['mae_median_baseline']:.2f}.
{scheme_block(model)}
{calibration_lines(model)}
* Limits: predictions for materials far from the training rows (new elements, no Li) are flagged by
  `explainsse explain` and should not be trusted. {limits}
* Rebuild: `EXPLAINSSE_DATA_DIR=../shared/datasets explainsse bundle-model --name {name} -o explainsse/data/models/{name} --force`
"""


def build_nasicon_model(output: str | os.PathLike, *, data_dir=None, seed: int = 0, n_jobs: int = 2,
                        force: bool = False) -> dict:
    """Train the bundled NASICON classifier on every OBELiX NASICON (and Xu's Na set if CV says it helps).

    The choice is made by leave-papers-out CV on the OBELiX NASICON rows (group 5-fold by DOI):
    the same classifier trained on the fold's OBELiX rows alone, and on those plus Xu et al.'s 70
    Na NASICONs relabelled at the same threshold from their measured conductivities (Xu rows are
    only ever added to training). The better balanced accuracy decides; both numbers go into the
    model card.

    Returns
    -------
    dict
        The CV numbers and the choice.
    """
    obx, xu = load_dataset("obelix", data_dir=data_dir), load_dataset("xu2020", data_dir=data_dir)
    cols = feature_names(NASICON_PRESET)
    member, _ = nasicon_membership(obx.frame)
    X_all = featurize_dataset(obx, NASICON_PRESET, progress=False).X[cols]
    rows = obx.frame.index[member.reindex(obx.frame.index, fill_value=False)].intersection(X_all.index)
    frame, X = obx.frame.loc[rows], X_all.loc[rows]
    y = make_target(frame, "classification", NASICON_THRESHOLD)
    X_xu = featurize_dataset(xu, NASICON_PRESET, progress=False).X[cols]
    frame_xu = xu.frame.loc[X_xu.index]
    y_xu = make_target(frame_xu, "classification", NASICON_THRESHOLD)
    groups = frame["doi"].astype(str).to_numpy()
    scores = {"obelix": np.full(len(y), np.nan), "obelix+xu2020": np.full(len(y), np.nan)}
    for tr, te in GroupKFold(5).split(X, y, groups):
        for name, extra in (("obelix", False), ("obelix+xu2020", True)):
            Xt, yt = X.iloc[tr], y.iloc[tr]
            if extra:
                Xt, yt = pd.concat([Xt, X_xu]), pd.concat([yt, y_xu])
            model = make_model(NASICON_FAMILY, "classification", random_state=seed).fit(Xt, yt)
            scores[name][te] = model.predict_proba(X.iloc[te])[:, 1]
    cv = {name: {k: float(v) for k, v in classification_metrics(y.to_numpy(), s).items()
                 if k in ("accuracy", "balanced_accuracy", "mcc", "roc_auc")} for name, s in scores.items()}
    use_xu = cv["obelix+xu2020"]["balanced_accuracy"] > cv["obelix"]["balanced_accuracy"]
    if use_xu:
        offset = int(frame.index.max()) + 1
        frame = pd.concat([frame, frame_xu.set_axis(frame_xu.index + offset)])
        X = pd.concat([X, X_xu.set_axis(X_xu.index + offset)])
    frame = frame.assign(split=pd.NA)
    model = final_model(frame, X, NASICON_FAMILY, "classification", preset=NASICON_PRESET,
                        threshold=NASICON_THRESHOLD, random_state=seed, n_jobs=n_jobs, use_split=False, calibrate=True,
                        dataset_info={"name": "obelix NASICONs" + (" + xu2020" if use_xu else ""),
                                      "files_sha256": {**obx.files, **(xu.files if use_xu else {})}})
    result = {"leave_papers_out_cv": cv, "xu2020_added": bool(use_xu), "n_obelix": int(len(rows)),
              "n_positive_obelix": int(y.sum()), "n_train": int(len(X))}
    model.metrics.update({"nasicon_bundle": result})
    # the chosen hyperparameters on the OBELiX NASICONs under every scheme (Xu rows, if added, are not scored)
    model.metrics["cv_schemes"] = scheme_scores(obx.frame.loc[rows], X_all.loc[rows], NASICON_FAMILY, "classification",
                                                model.params, schemes=NASICON_CARD_SCHEMES, threshold=NASICON_THRESHOLD,
                                                n_boot=500, random_state=seed, n_jobs=n_jobs)
    save_model(model, output, overwrite=force, extra_files={"MODEL_CARD.md": _nasicon_card(model, result)})
    return result


def _nasicon_card(model, r: dict) -> str:
    cv = r["leave_papers_out_cv"]
    line = lambda name: (f"accuracy {cv[name]['accuracy']:.2f}, balanced accuracy {cv[name]['balanced_accuracy']:.2f}, "  # noqa: E731
                         f"MCC {cv[name]['mcc']:.2f}, ROC AUC {cv[name]['roc_auc']:.2f}")
    return f"""# explainsse bundled model: `{NASICON_NAME}`

* Task: is a NASICON-type A(1+x)M2(XO4)3 compound a superionic conductor, sigma >= {NASICON_THRESHOLD:g} S/cm at
  room temperature? Output: the probability.
* Family: logistic regression on standardized descriptors (L2, C by 3-fold inner CV on the training rows:
  `{model.params}`); its SHAP values are exact and read as log-odds.
* Descriptors: `{NASICON_PRESET}` ({len(model.feature_names)} NASICON site descriptors: A-site filling and
  alkali radius, M-site radius / charge / electronegativity, X-site shares, hexagonal lattice a, c, c/a,
  volume per unit and Xu's h, d). From a formula alone the lattice is estimated from the site radii by the
  linear fit the model learned on its training rows.
* Training data: all {r['n_obelix']} NASICON-labelled OBELiX materials ({r['n_positive_obelix']} superionic;
  CC BY 4.0; F. Therrien et al., arXiv:2502.14234){' plus Xu et al. 2020 (70 Na NASICONs, relabelled at the same threshold from their measured conductivities)' if r['xu2020_added'] else ''}: {r['n_train']} rows.
* Was Xu's Na set added? Leave-papers-out CV on the OBELiX NASICONs (group 5-fold by DOI; Xu rows only ever
  in training) decided ({'added' if r['xu2020_added'] else 'not added'}):
  - OBELiX rows only: {line('obelix')}
  - plus Xu's Na rows: {line('obelix+xu2020')}
{scheme_block(model)}
{calibration_lines(model)}
* Limits: only NASICON frameworks (formulas the detector rejects are flagged and their prediction means
  nothing); paper-to-paper spread of measured conductivity for the same composition is large (one log unit
  for LATP), so probabilities near 0.5 are not decisions. There is no held-out test split: OBELiX's official
  test split holds only 3 NASICONs. Full validation: `explainsse validate nasicon --dataset obelix --preset
  {NASICON_PRESET}` and `benchmarks/nasicon.py`.
* Rebuild: `EXPLAINSSE_DATA_DIR=../shared/datasets explainsse bundle-model --name {NASICON_NAME} -o
  explainsse/data/models/{NASICON_NAME} --force`
"""


__all__ = ["build_bundled_model", "build_nasicon_model"]
