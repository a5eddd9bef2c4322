"""explainsse: interpretable, descriptor-based models of Li solid-electrolyte conductivity.

Nothing heavy is imported here; the public API is loaded on first attribute access.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "load_dataset": "explainsse.datasets",
    "load_table": "explainsse.datasets",
    "fetch_dataset": "explainsse.datasets",
    "Dataset": "explainsse.datasets",
    "REGISTRY": "explainsse.datasets",
    "DescriptorFeaturizer": "explainsse.featurize",
    "PRESETS": "explainsse.featurize",
    "glossary": "explainsse.featurize",
    "get_settings": "explainsse._config",
    "run_study": "explainsse.analysis",
    "load_study": "explainsse.analysis",
    "Study": "explainsse.analysis",
    "render_study_report": "explainsse.report",
    "register_family": "explainsse.models.families",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'explainsse' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
