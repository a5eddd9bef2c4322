"""The composition featurizer groups the vectorized backend computes, by group name (see :mod:`.groups`).

matminer's magpie (all of it, or the physical properties of ``physical-v1``), Stoichiometry and
ValenceOrbital and the electrolyte descriptors come from
:mod:`.vectorized`; the ``chem-v1`` descriptors from :mod:`.physical_composition`.
"""

from __future__ import annotations

import numpy as np

from .groups import GROUPS
from .physical_composition import physical_composition
from .vectorized import electrolyte, magpie, stoichiometry, valence_orbital


def magpie_physical(elements: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """The magpie statistics of the properties with a physical meaning (``physical-v1``)."""
    return magpie(elements, amounts, GROUPS["magpie_physical"].featurizer().features)


#: Vectorized function of each composition group: ``f(elements, amounts) -> (n x columns)``.
VECTORIZED_GROUPS = {"magpie": magpie, "stoichiometry": stoichiometry, "valence_orbital": valence_orbital,
                     "electrolyte": electrolyte, "chemistry": physical_composition,
                     "magpie_physical": magpie_physical}


def group_values(groups, elements: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Values of the named composition groups, side by side in the given order."""
    if not len(elements):
        return np.empty((0, 0))
    return np.hstack([VECTORIZED_GROUPS[g](elements, amounts) for g in groups])


__all__ = ["VECTORIZED_GROUPS", "group_values"]
