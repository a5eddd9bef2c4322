"""The one registry of descriptor presets.

A preset is named with a version (``composition-v1``) and never changes once released: a
change of descriptors means a new version, so a saved model knows exactly which columns it
expects. Each preset lists its featurizers and says what was left out and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ExplainsseError

#: Featurizers used by the v1 presets: (key, label prefix added to matminer's labels).
COMPOSITION_V1 = (
    ("magpie", ""),
    ("stoichiometry", "Stoichiometry "),
    ("valence_orbital", ""),
    ("electrolyte", ""),
)

_LEFT_OUT = (
    "matminer IonProperty and OxidationStates are left out: they need oxidation-state "
    "guessing, which took up to 30 s for one OBELiX composition and fails on non-integer "
    "stoichiometries (doped phases). The electrolyte descriptors use nominal anion charges "
    "instead, which are cheap and never hang."
)


@dataclass(frozen=True)
class Preset:
    """A named, versioned list of featurizers.

    Attributes
    ----------
    name : str
        Registry key including the version, e.g. ``"crystal-v1"``.
    version : int
        Version number (also in the name).
    composition : tuple of (str, str)
        Composition featurizer keys with the label prefix they get.
    crystal : bool
        Whether the lattice-based crystal descriptors are added (needs lattice columns).
    description : str
        What it is for.
    notes : str
        What was left out and why.
    released : str
        Date the preset was frozen.
    """

    name: str
    version: int
    composition: tuple[tuple[str, str], ...]
    crystal: bool
    description: str
    notes: str = ""
    released: str = ""
    requires: tuple[str, ...] = field(default_factory=tuple)


PRESETS: dict[str, Preset] = {
    "composition-v1": Preset(
        name="composition-v1",
        version=1,
        composition=COMPOSITION_V1,
        crystal=False,
        description=(
            "Composition only: matminer ElementProperty (magpie), Stoichiometry and "
            "ValenceOrbital, plus explainsse electrolyte descriptors (Li content, anion "
            "chemistry, cation mix)."
        ),
        notes=_LEFT_OUT,
        released="2026-11-25",
        requires=("formula",),
    ),
    "crystal-v1": Preset(
        name="crystal-v1",
        version=1,
        composition=COMPOSITION_V1,
        crystal=True,
        description=(
            "composition-v1 plus descriptors from tabulated crystallographic data: space "
            "group and crystal system, lattice lengths and angles, cell volume, volume per "
            "atom and per anion, Li number density."
        ),
        notes=_LEFT_OUT + " Structure (CIF) descriptors come in a later preset.",
        released="2026-11-25",
        requires=("formula", "space_group_number", "a", "b", "c", "alpha", "beta", "gamma",
                  "formula_units_per_cell"),
    ),
}

DEFAULT_PRESET = "composition-v1"


def get_preset(name: str) -> Preset:
    """Return the preset called ``name`` or raise with the list of known presets."""
    if name not in PRESETS:
        raise ExplainsseError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}")
    return PRESETS[name]


def choose_preset(frame) -> tuple[str, str]:
    """The richest preset the data supports, with the reason (for when the user names none).

    ``crystal-v1`` when at least one row has all six lattice parameters, else
    ``composition-v1`` (any formula allows it). Structure presets join this choice once they exist.

    Parameters
    ----------
    frame : pandas.DataFrame
        A normalized table (:attr:`explainsse.datasets.Dataset.frame`).

    Returns
    -------
    name : str
    reason : str

    Examples
    --------
    >>> import pandas as pd
    >>> choose_preset(pd.DataFrame({"formula": ["Li2O"], **{k: [float("nan")] for k in "a b c alpha beta gamma".split()}}))[0]
    'composition-v1'
    """
    lattice = frame[["a", "b", "c", "alpha", "beta", "gamma"]] if "a" in frame else None
    n_lattice = 0 if lattice is None else int(lattice.notna().all(axis=1).sum())
    if n_lattice:
        return "crystal-v1", f"{n_lattice} of {len(frame)} rows have lattice parameters"
    return DEFAULT_PRESET, "no row has lattice parameters (composition descriptors only)"
