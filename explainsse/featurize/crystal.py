"""Crystallographic descriptors from tabulated lattice data (no CIF needed).

Vectorized over rows with numpy: the inputs are the normalized columns ``space_group_number,
a, b, c, alpha, beta, gamma, formula_units_per_cell`` plus per-row atom counts taken from the
composition. ``formula_units_per_cell`` says how many copies of ``formula`` the cell holds
(1 for OBELiX, whose formula is the whole cell content).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..chemistry import FormulaError, parse_formula
from .descriptor_info import OBELIX_LATTICE, DescriptorInfo
from .electrolyte import ANION_CHARGES

PREFIX = "Crystal "

#: (name, first space group, last space group) of the seven crystal systems.
CRYSTAL_SYSTEMS = (
    ("triclinic", 1, 2),
    ("monoclinic", 3, 15),
    ("orthorhombic", 16, 74),
    ("tetragonal", 75, 142),
    ("trigonal", 143, 167),
    ("hexagonal", 168, 194),
    ("cubic", 195, 230),
)

#: Input columns the crystal descriptors read.
CRYSTAL_INPUT_COLUMNS = (
    "space_group_number", "a", "b", "c", "alpha", "beta", "gamma", "formula_units_per_cell",
)

_SPEC = [
    ("space group number", "international space-group number (1-230)", "-"),
    *[(f"system is {name}", f"1 if the space group is {name}, else 0", "-")
      for name, _, _ in CRYSTAL_SYSTEMS],
    ("lattice a", "unit-cell length a", "angstrom"),
    ("lattice b", "unit-cell length b", "angstrom"),
    ("lattice c", "unit-cell length c", "angstrom"),
    ("lattice alpha", "unit-cell angle alpha", "degree"),
    ("lattice beta", "unit-cell angle beta", "degree"),
    ("lattice gamma", "unit-cell angle gamma", "degree"),
    ("cell volume", "unit-cell volume from the six lattice parameters", "angstrom^3"),
    ("atoms per cell", "atoms in the unit cell (formula atoms x formula units per cell)", "atoms"),
    ("volume per atom", "cell volume / atoms in the cell (open frameworks have more room)", "angstrom^3/atom"),
    ("volume per anion", "cell volume / anions in the cell (anion-framework openness)", "angstrom^3/anion"),
    ("Li number density", "Li atoms per unit volume (carrier concentration upper bound)", "nm^-3"),
]


def crystal_entries() -> list[DescriptorInfo]:
    """Glossary entries of the crystal descriptors."""
    return [DescriptorInfo(PREFIX + name, meaning, unit, "explainsse crystal descriptors",
                           OBELIX_LATTICE) for name, meaning, unit in _SPEC]


def crystal_labels() -> list[str]:
    """Column names of :func:`crystal_descriptors`, in order."""
    return [PREFIX + name for name, *_ in _SPEC]


def cell_volume(a, b, c, alpha, beta, gamma) -> np.ndarray:
    """Unit-cell volume (angstrom^3) from lengths (angstrom) and angles (degrees), vectorized.

    Examples
    --------
    >>> float(cell_volume(2.0, 3.0, 4.0, 90.0, 90.0, 90.0))
    24.0
    """
    ca, cb, cg = (np.cos(np.radians(np.asarray(x, dtype=float))) for x in (alpha, beta, gamma))
    root = 1.0 - ca**2 - cb**2 - cg**2 + 2.0 * ca * cb * cg
    with np.errstate(invalid="ignore"):
        return np.asarray(a, float) * np.asarray(b, float) * np.asarray(c, float) * np.sqrt(
            np.where(root > 0, root, np.nan)
        )


def crystal_descriptors(
    table: pd.DataFrame, atoms: np.ndarray, li: np.ndarray, anions: np.ndarray
) -> np.ndarray:
    """Compute the crystal descriptors for every row at once.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns :data:`CRYSTAL_INPUT_COLUMNS` (missing values give NaN descriptors).
    atoms, li, anions : numpy.ndarray
        Atoms, Li atoms and anion atoms per ``formula`` (one value per row).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, len(crystal_labels()))``.
    """
    col = {name: pd.to_numeric(table[name], errors="coerce").to_numpy(float)
           for name in CRYSTAL_INPUT_COLUMNS}
    sg = col["space_group_number"]
    systems = [np.where(np.isnan(sg), np.nan, ((sg >= lo) & (sg <= hi)).astype(float))
               for _, lo, hi in CRYSTAL_SYSTEMS]
    volume = cell_volume(col["a"], col["b"], col["c"], col["alpha"], col["beta"], col["gamma"])
    fu = col["formula_units_per_cell"]
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_atoms = fu * atoms
        per_atom = volume / cell_atoms
        per_anion = np.where(anions > 0, volume / (fu * anions), np.nan)
        li_density = 1000.0 * fu * li / volume
    columns = [sg, *systems, col["a"], col["b"], col["c"], col["alpha"], col["beta"],
               col["gamma"], volume, cell_atoms, per_atom, per_anion, li_density]
    out = np.column_stack(columns)
    out[~np.isfinite(out)] = np.nan
    return out


def anion_count(comp) -> float:
    """Anion atoms (N, O, S, Se, Te, F, Cl, Br, I) in a pymatgen composition."""
    return float(sum(amt for el, amt in comp.element_composition.items()
                     if el.symbol in ANION_CHARGES))


def formula_counts(formulas) -> np.ndarray:
    """Atoms, Li atoms and anion atoms per formula (rows; NaN where a formula cannot be parsed)."""
    counts = {}
    for f in dict.fromkeys(formulas):
        try:
            comp = parse_formula(f)
            counts[f] = (float(comp.num_atoms), float(comp.get("Li", 0.0)), anion_count(comp))
        except (FormulaError, ValueError, TypeError):
            counts[f] = (np.nan, np.nan, np.nan)
    return np.array([counts[f] for f in formulas], dtype=float).reshape(-1, 3)


class LatticeDescriptors:
    """Featurizer of the lattice group: :func:`crystal_descriptors` for a table of rows.

    Reads ``formula`` and :data:`CRYSTAL_INPUT_COLUMNS`; counts atoms, Li and anions per formula
    itself.
    """

    def feature_labels(self) -> list[str]:
        """Column names, in order."""
        return crystal_labels()

    def featurize_table(self, table: pd.DataFrame) -> np.ndarray:
        """Descriptors of every row of ``table`` (shape ``(n_rows, n_labels)``)."""
        counts = formula_counts(table["formula"].astype("string").fillna("").str.strip().tolist())
        return crystal_descriptors(table, counts[:, 0], counts[:, 1], counts[:, 2])

    def citations(self) -> list[str]:
        """What to cite for the input data."""
        return [OBELIX_LATTICE]

