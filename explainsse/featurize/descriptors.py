"""A preset's featurizers, column names and glossary, read from its featurizer groups."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .descriptor_info import DescriptorInfo
from .presets import PRESETS, Preset, get_preset


def make_featurizers(preset: str | Preset) -> list[tuple[object, str]]:
    """``(featurizer, label prefix)`` of a preset's composition groups (built once per process)."""
    return [(g.featurizer(), g.prefix) for g in get_preset(preset).groups_of("composition")]


def preset_entries(preset: str | Preset) -> list[DescriptorInfo]:
    """Glossary entries of every column of a preset, in column order (from its groups)."""
    return [e for g in get_preset(preset).groups for e in g.entries()]


def composition_feature_names(preset: str | Preset) -> list[str]:
    """Column names of a preset's composition groups, in order."""
    return [label for g in get_preset(preset).groups_of("composition") for label in g.labels()]


def feature_names(preset: str | Preset) -> list[str]:
    """Column names a preset produces, in order."""
    return get_preset(preset).labels()


def glossary(preset: str | None = None, *, search: str | None = None) -> pd.DataFrame:
    """Glossary of descriptors as a DataFrame (``name, meaning, unit, source, citation, group, flag``).

    Parameters
    ----------
    preset : str, optional
        Limit to one preset's columns (in column order); default: every known descriptor.
    search : str, optional
        Keep descriptors whose name or meaning contains this text (case-insensitive).

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
    table = pd.DataFrame(rows, columns=["name", "meaning", "unit", "source", "citation", "group", "flag"])
    if search:
        table = table[table["name"].str.contains(search, case=False, regex=False)
                      | table["meaning"].str.contains(search, case=False, regex=False)]
    return table


def describe(name: str) -> DescriptorInfo:
    """Glossary entry of one column; user columns get a generic entry."""
    entry = _all_entries().get(name)
    if entry is not None:
        return entry
    return DescriptorInfo(name, "descriptor supplied by the user (passed through untouched)",
                          "as supplied", "user input", "")


@lru_cache(maxsize=1)
def _all_entries() -> dict[str, DescriptorInfo]:
    """Every known descriptor's glossary entry, by name."""
    return {e.name: e for preset in PRESETS for e in preset_entries(preset)}

