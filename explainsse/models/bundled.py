"""The bundled default model: XGBoost regression of log10 sigma on `composition-v1` descriptors.

It is trained on the official OBELiX training split, so that ``explainsse explain "Li7La3Zr2O12"``
works on a machine with no data at all (composition descriptors need only the formula). The
official test split is scored once, when the bundle is built, and the numbers go into its model
card. Rebuild it reproducibly with::

    EXPLAINSSE_DATA_DIR=../shared/datasets explainsse bundle-model -o explainsse/data/models/default --force
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

DEFAULT_NAME = "default"
BUNDLE_PRESET = "composition-v1"
BUNDLE_FAMILY = "xgb"
BUNDLE_TASK = "regression"


def bundled_model_dir(name: str = DEFAULT_NAME) -> Path:
    """Folder of a bundled model inside the installed package."""
    return Path(str(resources.files("explainsse") / "data" / "models" / name))


def resolve_model_dir(value: str | os.PathLike) -> Path:
    """``"default"`` -> the bundled model folder, always; anything else is a path.

    A folder that happens to be named ``default`` in the current folder is reached as
    ``./default``, so it can never stand in for the bundled model by accident.

    Examples
    --------
    >>> resolve_model_dir("default") == bundled_model_dir()
    True
    >>> str(resolve_model_dir("./default"))
    'default'
    """
    if isinstance(value, str) and value == DEFAULT_NAME:
        return bundled_model_dir()
    return Path(value)


def build_bundled_model(output: str | os.PathLike, *, data_dir=None, seed: int = 0, n_jobs: int = 2,
                        force: bool = False) -> dict:
    """Train the default model on the OBELiX training split, score the test split once, save it.

    Returns
    -------
    dict
        The official-split metrics written into the model card.
    """
    from ..datasets import load_dataset
    from ..featurize import featurize_dataset
    from .evaluate import evaluate
    from .persistence import save_model
    from .train import train_model

    ds = load_dataset("obelix", data_dir=data_dir)
    X = featurize_dataset(ds, BUNDLE_PRESET, progress=False)
    model = train_model(ds.frame, X, BUNDLE_FAMILY, BUNDLE_TASK, preset=BUNDLE_PRESET, random_state=seed,
                        n_jobs=n_jobs, dataset_info={"name": "obelix", "files_sha256": ds.files})
    ev = evaluate(ds.frame, X, BUNDLE_FAMILY, BUNDLE_TASK, "official", n_boot=500, n_scramble=0,
                  random_state=seed, n_jobs=n_jobs)
    metrics = {m: ev.metric(m) for m in ("mae", "rmse", "r2", "spearman", "within_1_log")}
    metrics["mae_uncensored"] = ev.metric("mae", subset="uncensored")
    metrics["mae_median_baseline"] = ev.metric("mae", family="baseline-median")
    r = ev.results
    ci = r[(r.family == BUNDLE_FAMILY) & (r.metric == "mae") & (r.subset == "all")].iloc[0]
    metrics["mae_ci95"] = [float(ci.ci_low), float(ci.ci_high)]
    model.metrics.update({f"official_test_{k}": v for k, v in metrics.items()})
    save_model(model, output, overwrite=force, extra_files={"MODEL_CARD.md": _card(model, metrics)})
    return metrics


def _card(model, m: dict) -> str:
    return f"""# explainsse bundled model: `{DEFAULT_NAME}`

* Task: regression of log10 room-temperature ionic conductivity (S/cm) of Li solid electrolytes.
* Family: XGBoost (`hist`, seed {model.random_state}); hyperparameters chosen by 3-fold inner CV grouped
  by chemical system on the training rows: `{model.params}`.
* Descriptors: `{BUNDLE_PRESET}` ({len(model.feature_names)} columns, composition only, so a formula is enough).
* Training data: OBELiX v1.2 official training split ({model.dataset.get('n_train')} rows; CC BY 4.0;
  F. Therrien et al., arXiv:2502.14234). Censored values (`<1E-10`) at the 1e-15 S/cm floor.
* Official test split (121 rows, scored once when the bundle was built):
  MAE {m['mae']:.2f} (95% bootstrap CI {m['mae_ci95'][0]:.2f}-{m['mae_ci95'][1]:.2f}), RMSE {m['rmse']:.2f},
  R2 {m['r2']:.2f}, Spearman {m['spearman']:.2f}, within one log unit {m['within_1_log']:.2f};
  MAE on uncensored rows {m['mae_uncensored']:.2f}; median-predictor MAE {m['mae_median_baseline']:.2f}.
* Limits: trained on 478 Li conductors from 20+ structural families; predictions for compositions far
  from them (new elements, no Li) are flagged by `explainsse explain` and should not be trusted.
  Composition descriptors cannot tell polymorphs apart.
* Rebuild: `EXPLAINSSE_DATA_DIR=../shared/datasets explainsse bundle-model -o explainsse/data/models/default --force`
"""
