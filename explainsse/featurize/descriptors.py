"""Build a preset's featurizers, list its column names and its glossary."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .crystal import crystal_entries
from .electrolyte import ElectrolyteComposition, electrolyte_entries
from .glossary import (
    DescriptorInfo,
    magpie_entries,
    stoichiometry_entries,
    valence_orbital_entries,
)
from .presets import PRESETS, Preset, get_preset


def _make(key: str):
    from matminer.featurizers.composition import ElementProperty, Stoichiometry, ValenceOrbital

    factories = {
        "magpie": lambda: ElementProperty.from_preset("magpie", impute_nan=False),
        "stoichiometry": Stoichiometry,
        "valence_orbital": lambda: ValenceOrbital(impute_nan=False),
        "electrolyte": ElectrolyteComposition,
    }
    return factories[key]()


def make_featurizers(preset: str | Preset) -> list[tuple[object, str]]:
    """Return ``(featurizer, label prefix)`` for the composition featurizers of a preset.

    Featurizers are built once per process and reused (building matminer's magpie and
    valence-orbital tables costs about 0.2 s; they hold no per-call state).
    """
    name = preset if isinstance(preset, str) else preset.name
    return list(_cached_featurizers(name))


@lru_cache(maxsize=None)
def _cached_featurizers(name: str) -> tuple[tuple[object, str], ...]:
    return tuple((_make(key), prefix) for key, prefix in get_preset(name).composition)


def _entries(key: str, prefix: str) -> list[DescriptorInfo]:
    return {
        "magpie": magpie_entries,
        "stoichiometry": lambda: stoichiometry_entries(prefix),
        "valence_orbital": valence_orbital_entries,
        "electrolyte": electrolyte_entries,
    }[key]()


def preset_entries(preset: str | Preset) -> list[DescriptorInfo]:
    """Glossary entries of every column of a preset, in column order."""
    preset = get_preset(preset) if isinstance(preset, str) else preset
    entries = [e for key, prefix in preset.composition for e in _entries(key, prefix)]
    if preset.crystal:
        entries += crystal_entries()
    return entries


def composition_feature_names(preset: str | Preset) -> list[str]:
    """Column names of a preset's composition featurizers, in order."""
    preset = get_preset(preset) if isinstance(preset, str) else preset
    return [e.name for key, prefix in preset.composition for e in _entries(key, prefix)]


def feature_names(preset: str | Preset) -> list[str]:
    """Column names a preset produces, in order."""
    return [e.name for e in preset_entries(preset)]


def glossary(preset: str | None = None) -> pd.DataFrame:
    """Glossary of descriptors as a DataFrame (``name, meaning, unit, source, citation``).

    Parameters
    ----------
    preset : str, optional
        Limit to one preset's columns (in column order); default: every known descriptor.

    Examples
    --------
    >>> g = glossary("composition-v1")
    >>> g.set_index("name").loc["MagpieData mean Electronegativity", "unit"]
    'Pauling units'
    """
    names = [preset] if preset else list(PRESETS)
    seen, rows = set(), []
    for name in names:
        for entry in preset_entries(name):
            if entry.name not in seen:
                seen.add(entry.name)
                rows.append(entry.as_dict())
    return pd.DataFrame(rows, columns=["name", "meaning", "unit", "source", "citation"])


def describe(name: str) -> DescriptorInfo:
    """Glossary entry of one column; user columns get a generic entry."""
    for preset in PRESETS:
        for entry in preset_entries(preset):
            if entry.name == name:
                return entry
    return DescriptorInfo(name, "descriptor supplied by the user (passed through untouched)",
                          "as supplied", "user input", "")
