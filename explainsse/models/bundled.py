"""Where the bundled models are and what they are (built by :mod:`explainsse.analysis.bundled`).

The bundled default model: XGBoost regression of log10 sigma on `composition-v1` descriptors;
``structure-default``: the same on the CIF descriptors of `structure-v1` (OBELiX rows with a CIF);
``nasicon-default``: the NASICON classifier.

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

from .._config import DEFAULT_THRESHOLD_S_CM

DEFAULT_NAME = "default"
BUNDLE_PRESET = "physical-v1"
BUNDLE_FAMILY = "xgb"
BUNDLE_TASK = "regression"

#: The bundled NASICON classifier: logistic regression on the NASICON site descriptors, 1e-4 S/cm.
NASICON_NAME = "nasicon-default"
NASICON_PRESET = "nasicon-v1"
NASICON_FAMILY = "logreg"
NASICON_THRESHOLD = DEFAULT_THRESHOLD_S_CM
#: The bundled structure-aware model: XGBoost regression on the CIF descriptors of ``structure-v1``,
#: trained on the OBELiX training rows that have a CIF (``explain --cifs``).
STRUCTURE_NAME = "structure-default"
STRUCTURE_PRESET = "structure-v1"
#: Regression bundles: name -> (preset, only rows with a CIF).
REGRESSION_BUNDLES = {DEFAULT_NAME: (BUNDLE_PRESET, False), STRUCTURE_NAME: (STRUCTURE_PRESET, True)}
#: Names that always mean a bundled model (a folder of that name is reached as ``./NAME``).
BUNDLED_NAMES = (DEFAULT_NAME, NASICON_NAME, STRUCTURE_NAME)


def bundled_model_dir(name: str = DEFAULT_NAME) -> Path:
    """Folder of a bundled model inside the installed package."""
    return Path(str(resources.files("explainsse") / "data" / "models" / name))


def resolve_model_dir(value: str | os.PathLike) -> Path:
    """``"default"`` / ``"nasicon-default"`` / ``"structure-default"`` -> the bundled model folder, always; anything else is a path.

    A folder that happens to be named ``default`` in the current folder is reached as
    ``./default``, so it can never stand in for the bundled model by accident.

    Examples
    --------
    >>> resolve_model_dir("default") == bundled_model_dir()
    True
    >>> str(resolve_model_dir("./default"))
    'default'
    """
    if isinstance(value, str) and value in BUNDLED_NAMES:
        return bundled_model_dir(value)
    return Path(value)


__all__ = ["BUNDLED_NAMES", "BUNDLE_FAMILY", "BUNDLE_PRESET", "BUNDLE_TASK", "DEFAULT_NAME", "NASICON_FAMILY",
           "NASICON_NAME", "NASICON_PRESET", "NASICON_THRESHOLD", "REGRESSION_BUNDLES", "STRUCTURE_NAME",
           "STRUCTURE_PRESET", "bundled_model_dir", "resolve_model_dir"]
