"""The one registry of descriptor presets.

A preset is named with a version (``composition-v1``) and never changes once released: a
change of descriptors means a new version, so a saved model knows exactly which columns it
expects. A preset is an ordered list of featurizer groups (:mod:`.groups`), each declaring
its input kind (composition, lattice columns, structure) and owning its labels and glossary
entries; it says what was left out and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import ExplainsseError
from .groups import GROUPS, FeaturizerGroup

#: Featurizer groups of the v1 presets, in column order (:data:`~explainsse.featurize.groups.GROUPS`).
COMPOSITION_V1 = ("magpie", "stoichiometry", "valence_orbital", "electrolyte")

_LEFT_OUT = (
    "matminer IonProperty and OxidationStates are left out: they need oxidation-state "
    "guessing, which took up to 30 s for one OBELiX composition and fails on non-integer "
    "stoichiometries (doped phases). The electrolyte descriptors use nominal anion charges "
    "instead, which are cheap and never hang."
)


@dataclass(frozen=True)
class Preset:
    """A named, versioned, ordered list of featurizer groups.

    Attributes
    ----------
    name : str
        Registry key including the version, e.g. ``"crystal-v1"``.
    version : int
        Version number (also in the name).
    groups : tuple of FeaturizerGroup
        Featurizer groups in column order; each declares its input kind and owns its labels.
    description : str
        What it is for.
    notes : str
        What was left out and why.
    released : str
        Date the preset was frozen.
    """

    name: str
    version: int
    groups: tuple[FeaturizerGroup, ...]
    description: str
    notes: str = ""
    released: str = ""

    @property
    def requires(self) -> tuple[str, ...]:
        """Dataset columns the preset reads (the union of its groups' inputs, in order)."""
        return tuple(dict.fromkeys(c for g in self.groups for c in g.inputs))

    @property
    def optional(self) -> tuple[str, ...]:
        """Dataset columns the preset reads where they exist (the union of its groups' optional inputs)."""
        return tuple(dict.fromkeys(c for g in self.groups for c in g.optional))

    @property
    def input_kinds(self) -> tuple[str, ...]:
        """Kinds of input the preset needs (``composition``, ``lattice``, ``structure``)."""
        return tuple(dict.fromkeys(g.input_kind for g in self.groups))

    @property
    def crystal(self) -> bool:
        """Whether the preset needs tabulated lattice data."""
        return "lattice" in self.input_kinds

    def summary(self) -> dict:
        """Plain description for JSON: description, notes, release date, groups and input kinds."""
        return {"description": self.description, "notes": self.notes, "released": self.released,
                "groups": [{"name": g.name, "input_kind": g.input_kind, "columns": len(g.labels())}
                           for g in self.groups], "input_kinds": list(self.input_kinds)}

    def groups_of(self, kind: str) -> tuple[FeaturizerGroup, ...]:
        """The groups reading ``kind`` inputs."""
        return tuple(g for g in self.groups if g.input_kind == kind)

    def labels(self) -> list[str]:
        """Every column the preset produces, in order."""
        return [label for g in self.groups for label in g.labels()]

    def subset(self, kinds) -> Preset:
        """The same preset restricted to the groups of ``kinds`` (named ``NAME[kind+kind]``)."""
        kinds = tuple(k for k in self.input_kinds if k in set(kinds))
        return replace(self, name=f"{self.name}[{'+'.join(kinds)}]",
                       groups=tuple(g for g in self.groups if g.input_kind in kinds))

    def subset_available(self, frame) -> Preset:
        """The groups whose inputs ``frame`` has (at least one row with all of them)."""
        return self.subset([g.input_kind for g in self.groups if g.available(frame)])


def _groups(*names: str) -> tuple[FeaturizerGroup, ...]:
    return tuple(GROUPS[n] for n in names)


PRESETS: dict[str, Preset] = {
    "composition-v1": Preset(
        name="composition-v1",
        version=1,
        groups=_groups(*COMPOSITION_V1),
        description=(
            "Composition only: matminer ElementProperty (magpie), Stoichiometry and "
            "ValenceOrbital, plus explainsse electrolyte descriptors (Li content, anion "
            "chemistry, cation mix)."
        ),
        notes=_LEFT_OUT,
        released="2026-11-25",
    ),
    "chem-v1": Preset(
        name="chem-v1",
        version=1,
        groups=_groups("chemistry"),
        description=(
            "Physical composition descriptors for formula-only models, each with a meaning and a citation: "
            "Li content (per anion, per cation, share of the anion charge, excess over the nominal charge "
            "balance), anion identity, size, electronegativity, charge and mixing entropy, the non-Li cations' "
            "nominal charge, Shannon radius, electronegativity, field strength, their spreads and mixing "
            "entropy, Pauling ionic character of Li-anion and cation-anion bonds, the Li/anion radius ratio "
            "and the doping level (share of the formula in non-integer amounts)."
        ),
        notes=("None of the proxy statistics of composition-v1 (element identity, the elements' ground-state "
               "space groups, the number of elements): see 'explainsse descriptors --preset composition-v1' "
               "for the flagged ones. Nominal cation charges are each element's highest common positive "
               "oxidation state (pymatgen), not a guess per composition, so mixed-valence compounds show a "
               "non-zero 'Li excess over charge balance'."),
        released="2026-12-04",
    ),
    "physical-v1": Preset(
        name="physical-v1",
        version=1,
        groups=_groups("chemistry", "magpie_physical", "valence_orbital"),
        description=(
            "chem-v1 plus the composition statistics of composition-v1 that have a physical meaning: "
            "matminer's Magpie statistics (Ward et al. 2016) of covalent radius, electronegativity, "
            "ground-state volume per atom and valence/unfilled s, p, d, f electron counts, and the "
            "valence-orbital fractions. For formula-only models whose drivers should be physical: "
            "as accurate as composition-v1 on new composition clusters (benchmarks/chem_preset.py)."
        ),
        notes=("None of the proxy statistics of composition-v1: the element-identity properties (atomic number "
               "and weight, Mendeleev number, row, column), the elements' ground-state space group, band gap, "
               "magnetic moment and melting point, and the number of elements (see 'explainsse descriptors "
               "--preset composition-v1' for the flagged ones). Near-copies remain (e.g. the s/p/d/f valence "
               "statistics), so read its rankings with the correlated groups."),
        released="2026-12-05",
    ),
    "crystal-v1": Preset(
        name="crystal-v1",
        version=1,
        groups=_groups(*COMPOSITION_V1, "lattice"),
        description=(
            "composition-v1 plus descriptors from tabulated crystallographic data: space "
            "group and crystal system, lattice lengths and angles, cell volume, volume per "
            "atom and per anion, Li number density."
        ),
        notes=_LEFT_OUT + " Structure (CIF) descriptors are in structure-v1 and full-v1.",
        released="2026-11-25",
    ),
    "structure-v1": Preset(
        name="structure-v1",
        version=1,
        groups=_groups("electrolyte", "structure"),
        description=(
            "Descriptors of the crystal structure (CIF), computed on partially occupied sites as they "
            "are: Sendek et al. 2017 (LLB, SBI, AFC, LASD, LLSD and the others a CIF defines), the Li "
            "sublattice (site occupancy, sites per Li, 1D/2D/3D percolation hop distances), the anion "
            "framework (volume per anion, bcc/fcc/hcp similarity) and Li+ bond-valence site-energy "
            "(BVSE) percolation barriers; plus the explainsse electrolyte composition basics."
        ),
        notes=("Rows without a CIF keep NaN structure descriptors and 'Structure available' = 0 (XGBoost "
               "uses missing values natively; logistic regression and PLS impute the training median "
               "and see the indicator). Descriptors a structure leaves undefined (no Li site, no softBV "
               "parameters for an anion, time limit) are NaN with a per-row reason."),
        released="2026-11-27",
    ),
    "full-v1": Preset(
        name="full-v1",
        version=1,
        groups=_groups(*COMPOSITION_V1, "lattice", "structure"),
        description="crystal-v1 plus the structure descriptors of structure-v1 (needs CIFs for some rows).",
        notes=_LEFT_OUT + " Missing structures as in structure-v1.",
        released="2026-11-27",
    ),
    "nasicon-v1": Preset(
        name="nasicon-v1",
        version=1,
        groups=_groups("nasicon"),
        description=(
            "NASICON site descriptors of A(1+x)M2(XO4)3 frameworks (Xu, Zong & Hippalgaonkar 2020; Shannon "
            "1976): A-site filling and alkali radius on one scale for Na and Li, M-site radius, charge and "
            "electronegativity (mean, spread, mismatch), X-site shares and tetrahedral radius, and the "
            "hexagonal lattice a, c, c/a, volume per unit and Xu's h and d (from the lattice columns or "
            "CIF; else estimated inside each training fold from the site radii). Add it to another "
            "preset with '+': composition-v1+nasicon-v1."
        ),
        notes=("Rows that are not NASICON (the formula detector's rule) get NaN, 'NASICON framework' = 0 and the "
               "detector's reason in the descriptor notes."),
        released="2026-11-27",
    ),
}

DEFAULT_PRESET = "composition-v1"


def get_preset(name: str | Preset) -> Preset:
    """Return the preset called ``name`` (a :class:`Preset` is returned as it is) or raise with the known presets.

    ``NAME[kind+kind]`` gives the preset restricted to those input kinds (:meth:`Preset.subset`);
    ``NAME+NAME`` the presets' groups combined, in order (e.g. ``composition-v1+nasicon-v1``).
    """
    if isinstance(name, Preset):
        return name
    if "+" in name and "[" not in name:
        parts = [get_preset(part) for part in name.split("+")]
        groups = tuple(dict.fromkeys(g for p in parts for g in p.groups))
        return Preset(name=name, version=1, groups=groups, description=" + ".join(p.description for p in parts),
                      notes=" ".join(p.notes for p in parts if p.notes), released=max(p.released for p in parts))
    if name.endswith("]") and "[" in name:
        base, kinds = name[:-1].split("[", 1)
        return get_preset(base).subset(kinds.split("+"))
    if name not in PRESETS:
        raise ExplainsseError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}")
    return PRESETS[name]


def choose_preset(frame) -> tuple[str, str]:
    """The richest preset the data supports, with the reason (for when the user names none).

    ``full-v1`` when some rows have a CIF and some have all six lattice parameters,
    ``structure-v1`` when rows have CIFs but none has lattice parameters, ``crystal-v1`` when
    lattice parameters but no CIF, else ``composition-v1`` (any formula allows it).

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
    n_cif = int(frame["has_cif"].astype(bool).sum()) if "has_cif" in frame else 0
    if n_cif and n_lattice:
        return "full-v1", f"{n_cif} of {len(frame)} rows have a CIF and {n_lattice} have lattice parameters"
    if n_cif:
        return "structure-v1", f"{n_cif} of {len(frame)} rows have a CIF (no lattice parameters)"
    if n_lattice:
        return "crystal-v1", f"{n_lattice} of {len(frame)} rows have lattice parameters"
    return DEFAULT_PRESET, "no row has lattice parameters or a CIF (composition descriptors only)"
