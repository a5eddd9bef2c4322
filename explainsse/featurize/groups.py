"""Featurizer groups: the building blocks of a preset, each owning its inputs, labels and glossary.

A group says what it reads (:attr:`FeaturizerGroup.input_kind`: ``composition`` for a formula,
``lattice`` for tabulated cell parameters, ``structure`` for a CIF), builds its featurizer, and
takes its column labels from the featurizer itself (``feature_labels()``, matminer's
convention), with the glossary entry of each label. Adding a featurizer is one group here and
its name in a preset (:mod:`.presets`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .crystal import LatticeDescriptors, crystal_entries
from .descriptor_info import MAGPIE_PROPERTIES, MAGPIE_STATS, WARD_2016, DescriptorInfo
from .electrolyte import ElectrolyteComposition, electrolyte_entries
from .meaning import proxy_flag
from .nasicon_descriptors import NasiconSiteFeaturizer, nasicon_entries
from .physical_composition import PhysicalComposition, physical_entries
from .structure import structure_entries
from .structure_table import NOTES, StructureFeaturizer


@dataclass(frozen=True)
class FeaturizerGroup:
    """One featurizer of a preset.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"magpie"``.
    input_kind : {"composition", "lattice", "structure"}
        ``composition`` groups run ``featurize(Composition)`` once per distinct formula; the
        others run ``featurize_table(table)`` on all rows at once.
    inputs : tuple of str
        Normalized dataset columns the group reads.
    make : callable
        Builds the featurizer (an object with ``feature_labels()`` and ``featurize`` or
        ``featurize_table``).
    describe : callable
        ``describe(label) -> DescriptorInfo`` for each of the featurizer's own labels.
    prefix : str
        Added in front of the featurizer's labels (keeps names unique across groups).
    optional : tuple of str
        Columns the group reads where the input has them (they enter the cache key then).
    notes : bool
        Whether ``featurize_table`` also returns the notes column (reasons for missing values).
    """

    name: str
    input_kind: str
    inputs: tuple[str, ...]
    make: Callable
    describe: Callable
    prefix: str = ""
    optional: tuple[str, ...] = ()
    notes: bool = False

    def featurizer(self):
        """The featurizer, built once per process (matminer's tables cost ~0.2 s to build)."""
        return _built(self)

    def labels(self) -> list[str]:
        """Column names, from the featurizer's own ``feature_labels()`` (with :attr:`prefix`)."""
        return [self.prefix + label for label in self.featurizer().feature_labels()]

    def entries(self) -> list[DescriptorInfo]:
        """Glossary entries of :meth:`labels`, in column order."""
        return [self.describe(label) for label in self.labels()]

    def available(self, frame: pd.DataFrame) -> bool:
        """Whether at least one row of ``frame`` has every input this group needs.

        A structure group needs a CIF (the dataset's ``has_cif`` column) or a ``structure`` column.
        """
        if self.input_kind == "structure":
            if "structure" in frame:
                return bool(frame["structure"].notna().any())
            return bool("has_cif" in frame and frame["has_cif"].astype(bool).any())
        required = [c for c in self.inputs if c != "formula_units_per_cell"]
        if any(c not in frame for c in required):
            return False
        return bool(frame[required].notna().all(axis=1).any()) if len(frame) else False


@lru_cache(maxsize=None)
def _built(group: FeaturizerGroup):
    return group.make()


# -- matminer composition featurizers ------------------------------------------------------------

def _magpie():
    # heavy: matminer loads only when its featurizers run
    from matminer.featurizers.composition import ElementProperty

    return ElementProperty.from_preset("magpie", impute_nan=False)


def _describe_magpie(label: str) -> DescriptorInfo:
    _, stat, prop = label.split(" ", 2)
    meaning, unit = MAGPIE_PROPERTIES[prop]
    return DescriptorInfo(label, MAGPIE_STATS[stat].format(p=meaning), unit,
                          "matminer ElementProperty (magpie preset)", WARD_2016)


def _stoichiometry():
    # heavy: matminer loads only when its featurizers run
    from matminer.featurizers.composition import Stoichiometry

    return Stoichiometry()


def _describe_stoichiometry(label: str) -> DescriptorInfo:
    p = label.rsplit(" ", 1)[-1].split("-")[0]
    meaning = ("number of distinct elements" if p == "0" else
               f"L{p} norm of the atomic fractions (higher = dominated by fewer elements)")
    return DescriptorInfo(label, meaning, "-", "matminer Stoichiometry", WARD_2016)


def _magpie_physical():
    """Magpie statistics of the element properties with a physical meaning (none flagged as a proxy).

    Left out: the element-identity properties (atomic number and weight, Mendeleev number, row,
    column), the elements' ground-state space group, band gap and magnetic moment, and the melting
    point, whose statistics :func:`~explainsse.featurize.meaning.proxy_flag` marks as proxies.
    """
    full = _magpie()
    keep = [p for p in full.features if all(proxy_flag(f"MagpieData {s} {p}") is None for s in full.stats)]
    return type(full)(full.data_source, keep, full.stats, impute_nan=False)


def _valence_orbital():
    # heavy: matminer loads only when its featurizers run
    from matminer.featurizers.composition import ValenceOrbital

    return ValenceOrbital(impute_nan=False)


def _describe_valence(label: str) -> DescriptorInfo:
    kind, orb = label.split(" ")[:2]
    if kind == "avg":
        return DescriptorInfo(label, f"composition-weighted mean number of {orb} valence electrons per atom",
                              "electrons/atom", "matminer ValenceOrbital", WARD_2016)
    return DescriptorInfo(label, f"fraction of all valence electrons that are {orb} electrons", "-",
                          "matminer ValenceOrbital", WARD_2016)


# -- explainsse featurizers --------------------------------------------------------------------

def _electrolyte():
    return ElectrolyteComposition()


def _describe_electrolyte(label: str) -> DescriptorInfo:
    return {e.name: e for e in electrolyte_entries()}[label]


def _chemistry():
    return PhysicalComposition()


def _describe_chemistry(label: str) -> DescriptorInfo:
    return {e.name: e for e in physical_entries()}[label]


def _lattice():
    return LatticeDescriptors()


def _describe_lattice(label: str) -> DescriptorInfo:
    return {e.name: e for e in crystal_entries()}[label]


def _structure():
    return StructureFeaturizer()


def _describe_structure(label: str) -> DescriptorInfo:
    return {e.name: e for e in structure_entries()}[label]


def _nasicon():
    return NasiconSiteFeaturizer()


def _describe_nasicon(label: str) -> DescriptorInfo:
    return {e.name: e for e in nasicon_entries()}[label]


#: Every featurizer group, by name.
GROUPS: dict[str, FeaturizerGroup] = {
    "magpie": FeaturizerGroup("magpie", "composition", ("formula",), _magpie, _describe_magpie),
    "magpie_physical": FeaturizerGroup("magpie_physical", "composition", ("formula",), _magpie_physical,
                                       _describe_magpie),
    "stoichiometry": FeaturizerGroup("stoichiometry", "composition", ("formula",), _stoichiometry,
                                     _describe_stoichiometry, prefix="Stoichiometry "),
    "valence_orbital": FeaturizerGroup("valence_orbital", "composition", ("formula",), _valence_orbital,
                                       _describe_valence),
    "electrolyte": FeaturizerGroup("electrolyte", "composition", ("formula",), _electrolyte,
                                   _describe_electrolyte),
    "chemistry": FeaturizerGroup("chemistry", "composition", ("formula",), _chemistry, _describe_chemistry),
    "lattice": FeaturizerGroup("lattice", "lattice", ("formula", "space_group_number", "a", "b", "c", "alpha",
                                                      "beta", "gamma", "formula_units_per_cell"),
                               _lattice, _describe_lattice),
    "structure": FeaturizerGroup("structure", "structure", ("structure",), _structure, _describe_structure,
                                 notes=True),
    "nasicon": FeaturizerGroup("nasicon", "sites", ("formula",), _nasicon, _describe_nasicon,
                               optional=("space_group_number", "a", "b", "c", "alpha", "beta", "gamma",
                                         "formula_units_per_cell", "structure"), notes=True),
}


def featurize_tables(groups, table: pd.DataFrame, *, n_jobs: int | None = None,
                     progress: bool = False) -> pd.DataFrame:
    """Values of every table group (lattice, structure, sites) for all rows of ``table``.

    Groups with notes (structure, NASICON sites) also return the notes column (reasons for
    missing values); the notes of several groups are joined with "; ". ``n_jobs`` and
    ``progress`` apply to the structure group (one structure per work unit).
    """
    parts, notes = [], []
    for g in groups:
        featurizer = g.featurizer()
        if g.input_kind == "structure":
            part = featurizer.featurize_table(table, n_jobs=n_jobs, progress=progress)
        elif g.notes:
            part = featurizer.featurize_table(table)
        else:
            part = pd.DataFrame(np.asarray(featurizer.featurize_table(table), float), index=table.index,
                                columns=g.labels())
        if NOTES in part:
            notes.append(part.pop(NOTES).fillna("").astype(str))
        parts.append(part)
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=table.index)
    if notes:
        out[NOTES] = ["; ".join(filter(None, parts)) for parts in zip(*notes)]
    return out


__all__ = ["GROUPS", "FeaturizerGroup", "featurize_tables"]
