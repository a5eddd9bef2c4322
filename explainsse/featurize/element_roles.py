"""Which atoms of many padded compositions are Li, anions, hydrogen or other cations, and how many.

Shared by the vectorized electrolyte descriptors (:func:`~explainsse.featurize.vectorized.electrolyte`)
and the ``chem-v1`` descriptors (:func:`~explainsse.featurize.physical_composition.physical_composition`):
both read a per-element table (flags ``anion``, ``li``, ``h`` and numeric properties) at the
padded element indices of each composition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ElementRoles:
    """Role masks and amounts of padded compositions (n compositions x k element slots).

    Attributes
    ----------
    a : numpy.ndarray
        Amounts, 0 in padding slots.
    present, is_anion, is_li, is_h, is_other : numpy.ndarray of bool
        Real slots; anions; Li; H; every other element (the non-Li cations).
    total, li, h, n_an, n_other : numpy.ndarray
        Per composition: all atoms, Li, H, anion and other-cation amounts.
    """

    table: dict
    idx: np.ndarray
    a: np.ndarray
    present: np.ndarray
    is_anion: np.ndarray
    is_li: np.ndarray
    is_h: np.ndarray
    is_other: np.ndarray
    total: np.ndarray
    li: np.ndarray
    h: np.ndarray
    n_an: np.ndarray
    n_other: np.ndarray

    def col(self, name: str) -> np.ndarray:
        """The per-element property ``name`` at every slot (n x k)."""
        return self.table[name][self.idx]


def element_roles(table: dict, elements: np.ndarray, amounts: np.ndarray) -> ElementRoles:
    """:class:`ElementRoles` of padded compositions (element indices ``-1`` for padding) from a per-element table."""
    present = elements >= 0
    idx = np.where(present, elements, 0)
    a = np.where(present, amounts, 0.0)
    is_anion, is_li, is_h = table["anion"][idx] & present, table["li"][idx] & present, table["h"][idx] & present
    is_other = present & ~is_anion & ~is_li & ~is_h
    return ElementRoles(table, idx, a, present, is_anion, is_li, is_h, is_other, a.sum(axis=1),
                        (a * is_li).sum(axis=1), (a * is_h).sum(axis=1), (a * is_anion).sum(axis=1),
                        (a * is_other).sum(axis=1))


__all__ = ["ElementRoles", "element_roles"]
