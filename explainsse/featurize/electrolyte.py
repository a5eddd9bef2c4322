"""Electrolyte-specific composition descriptors (Li content, anion chemistry, cation mix).

No oxidation-state guessing is involved: anions are the elements of :data:`ANION_CHARGES`
with their usual nominal charge (N3-, O2-, S2-, Se2-, Te2-, F-, Cl-, Br-, I-); hydrogen is
counted apart (it is a cation in OH groups and an anion in hydrides); every other element
except Li is a non-Li cation. This is cheap, deterministic and never hangs, unlike
matminer's oxidation-state based featurizers (see the preset notes).
"""

from __future__ import annotations

import math

from matminer.featurizers.base import BaseFeaturizer
from pymatgen.core import Composition, Element, Species

from ..chemistry import ANION_CHARGES  # re-exported here: the anion-forming elements and their charge
from .descriptor_info import EXPLAINSSE, PAULING, SHANNON_1976, DescriptorInfo

PREFIX = "Electrolyte "

_DIMLESS = "-"
_SPEC = [
    ("Li atomic fraction", "fraction of all atoms that are Li", _DIMLESS, EXPLAINSSE),
    ("non-Li cation atomic fraction", "fraction of all atoms that are cations other than Li (H excluded)", _DIMLESS, EXPLAINSSE),
    ("anion atomic fraction", "fraction of all atoms that are anions (N, O, S, Se, Te, F, Cl, Br, I)", _DIMLESS, EXPLAINSSE),
    ("H atomic fraction", "fraction of all atoms that are hydrogen", _DIMLESS, EXPLAINSSE),
    ("Li share of cations", "Li atoms / all cation atoms (Li + other cations, H excluded)", _DIMLESS, EXPLAINSSE),
    ("Li per non-Li cation", "Li atoms per other cation atom (missing when Li is the only cation)", "Li/cation", EXPLAINSSE),
    ("Li per anion", "Li atoms per anion atom", "Li/anion", EXPLAINSSE),
    *[(f"{el} share of anions", f"fraction of anion atoms that are {el}", _DIMLESS, EXPLAINSSE) for el in ANION_CHARGES],
    ("distinct non-Li cations", "number of different cation elements besides Li (H excluded)", "count", EXPLAINSSE),
    ("distinct anions", "number of different anion elements (mixed-anion compounds have > 1)", "count", EXPLAINSSE),
    ("mean anion electronegativity", "anion-weighted mean Pauling electronegativity of the anions (lower = more polarizable framework)", "Pauling units", PAULING),
    ("mean non-Li cation electronegativity", "weighted mean Pauling electronegativity of the non-Li cations", "Pauling units", PAULING),
    ("anion-cation electronegativity difference", "mean anion minus mean cation (Li included) electronegativity: a bond ionicity proxy", "Pauling units", PAULING),
    ("mean anion radius", "weighted mean Shannon ionic radius of the anions at their nominal charge", "angstrom", SHANNON_1976),
    ("Li charge share", "Li+ charge / total nominal anion charge: share of the anion charge balanced by mobile Li", _DIMLESS, EXPLAINSSE),
]


def electrolyte_entries() -> list[DescriptorInfo]:
    """Glossary entries of :class:`ElectrolyteComposition`."""
    return [
        DescriptorInfo(PREFIX + name, meaning, unit, "explainsse ElectrolyteComposition", cite)
        for name, meaning, unit, cite in _SPEC
    ]


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def _weighted_mean(values: dict[str, float], weights: dict[str, float]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return math.nan
    return sum(values[k] * w for k, w in weights.items()) / total


class ElectrolyteComposition(BaseFeaturizer):
    """Composition descriptors that an electrolyte chemist reads directly.

    Examples
    --------
    >>> from pymatgen.core import Composition
    >>> f = ElectrolyteComposition()
    >>> dict(zip(f.feature_labels(), f.featurize(Composition("Li7La3Zr2O12"))))[
    ...     "Electrolyte Li atomic fraction"]
    0.2916666666666667
    """

    def featurize(self, comp: Composition) -> list[float]:
        """Compute the descriptors of one composition (labels: :meth:`feature_labels`)."""
        amounts = {el.symbol: float(amt) for el, amt in comp.element_composition.items()}
        total = sum(amounts.values())
        li = amounts.get("Li", 0.0)
        h = amounts.get("H", 0.0)
        anions = {el: amt for el, amt in amounts.items() if el in ANION_CHARGES}
        others = {el: amt for el, amt in amounts.items()
                  if el not in ANION_CHARGES and el not in ("Li", "H")}
        n_an, n_other = sum(anions.values()), sum(others.values())
        en = {el: Element(el).X for el in amounts}
        cations = {**others, **({"Li": li} if li else {})}
        radii = {el: float(Species(el, ANION_CHARGES[el]).ionic_radius) for el in anions}
        anion_charge = sum(amt * -ANION_CHARGES[el] for el, amt in anions.items())
        mean_an_en = _weighted_mean(en, anions)
        return [
            li / total,
            n_other / total,
            n_an / total,
            h / total,
            _ratio(li, li + n_other),
            _ratio(li, n_other),
            _ratio(li, n_an),
            *[_ratio(anions.get(el, 0.0), n_an) for el in ANION_CHARGES],
            float(len(others)),
            float(len(anions)),
            mean_an_en,
            _weighted_mean(en, others),
            mean_an_en - _weighted_mean(en, cations),
            _weighted_mean(radii, anions),
            _ratio(li, anion_charge),
        ]

    def feature_labels(self) -> list[str]:
        """Column names, in the order :meth:`featurize` returns values."""
        return [PREFIX + name for name, *_ in _SPEC]

    def citations(self) -> list[str]:
        """References (Shannon radii; the descriptors themselves are this package's)."""
        return [SHANNON_1976]

    def implementors(self) -> list[str]:
        """Who wrote the featurizer."""
        return ["explainsse developers"]
