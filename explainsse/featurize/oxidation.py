"""Oxidation states of a crystal structure without search or guessing that can hang.

Anions are found from the structure (:func:`anion_roles`): the candidate elements with their
nominal charge, unless bonded to a more electronegative candidate. Cation charges are the
combination of pymatgen's common oxidation states that balances the charge best
(:func:`framework_charges`). Used by the BVSE landscape and the packing fraction.
"""

from __future__ import annotations

import itertools

import numpy as np

from .electrolyte import ANION_CHARGES

#: Elements that can be anions, with their nominal charge: the electrolyte anions plus
#: phosphide / arsenide and hydride.
ANION_CANDIDATES = {**ANION_CHARGES, "P": -3, "As": -3, "H": -1}
#: A candidate anion closer to a more electronegative candidate than this factor times the sum
#: of their covalent radii (Cordero et al. 2008) is bonded to it, i.e. a cation (P-S 2.04 A in a
#: thiophosphate against 1.07 + 1.05 A; S-O 1.47 A in a sulfate).
BONDED = 1.25
#: Cation state combinations tried at most (the first, most common, ones).
MAX_COMBINATIONS = 20_000
#: Charge imbalance (per cell) below which an assignment counts as balanced.
BALANCED = 0.05
#: Closer than this (angstrom) two species share one (disordered) position and are not bonded.
SAME_POSITION = 0.5


def covalent_radius(symbol: str) -> float:
    """Covalent radius (angstrom; Cordero et al. 2008, via pymatgen)."""
    # heavy: pymatgen loads only where structures/compositions need it
    from pymatgen.analysis.molecule_structure_comparator import CovalentRadius

    return float(CovalentRadius.radius[symbol])


class OxidationError(ValueError):
    """No charge assignment is possible (the message says why)."""


def anion_roles(structure) -> dict[str, bool]:
    """For each candidate anion element present: True when it acts as an anion.

    A candidate (:data:`ANION_CANDIDATES`) is a cation when its sites sit (median over them)
    closer than :data:`BONDED` x the covalent radii sum to a more electronegative candidate: S in sulfate, P in
    phosphate, N in nitrate, H in hydroxide; it is an anion otherwise (S in a thiophosphate,
    P in a phosphide, H in a hydride).

    Parameters
    ----------
    structure : pymatgen.core.Structure

    Returns
    -------
    dict
        Element symbol -> bool.
    """
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    present = {el.symbol for el in structure.composition.element_composition if el.symbol in ANION_CANDIDATES}
    roles = {}
    for el in present:
        stronger = {o for o in present if Element(o).X > Element(el).X}
        if not stronger:
            roles[el] = True
            continue
        idx = [i for i, s in enumerate(structure) if el in {e.symbol for e in s.species.elements}]
        other = [i for i, s in enumerate(structure) if stronger & {e.symbol for e in s.species.elements}]
        frac = structure.frac_coords
        d = structure.lattice.get_all_distances(frac[idx], frac[other])
        d = np.where(d < SAME_POSITION, np.inf, d)  # O/F sharing one site are not bonded to each other
        bond = BONDED * (covalent_radius(el) + min(covalent_radius(o) for o in stronger))
        roles[el] = bool(np.median(d.min(axis=1)) > bond)
    return roles


def _states(element: str, common_only: bool) -> list[int]:
    """Positive oxidation states to try for a cation, most common first."""
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    if element == "H":
        return [1, -1]
    el = Element(element)
    common = [q for q in el.common_oxidation_states if q > 0]
    if common_only and common:
        return common
    return common + [q for q in el.oxidation_states if q > 0 and q not in common] or [0]


def framework_charges(structure, roles: dict[str, bool] | None = None) -> dict[str, int]:
    """Oxidation state of every element of ``structure`` (Li: +1).

    Parameters
    ----------
    structure : pymatgen.core.Structure
    roles : dict, optional
        :func:`anion_roles` of the structure, when already computed.

    Returns
    -------
    dict
        Element symbol -> integer charge; the cation states are the combination of each
        element's common (pymatgen) positive states with the smallest charge imbalance, ties
        broken by the order pymatgen lists them (most common first); when no such combination
        balances the charge, every known positive state is tried (Bi5+ in Li3BiO4).

    Raises
    ------
    OxidationError
        When the structure holds no anion.
    """
    amounts = {el.symbol: float(a) for el, a in structure.composition.element_composition.items()}
    roles = roles if roles is not None else anion_roles(structure)
    anions = {el: ANION_CANDIDATES[el] for el, is_anion in roles.items() if is_anion}
    if not anions:
        raise OxidationError("no anion (N, O, S, Se, Te, F, Cl, Br, I, P, As, hydride H) in the structure")
    return balance_charges(amounts, anions)[0]


def balance_charges(amounts: dict[str, float], anions: dict[str, int]) -> tuple[dict[str, int], float]:
    """Cation charges that balance fixed anion charges best (Li: +1), and the remaining imbalance.

    The combination of each cation's common (pymatgen) positive states with the smallest
    imbalance, ties broken by the order pymatgen lists them (most common first); when no such
    combination balances the charge, every known positive state is tried.

    Parameters
    ----------
    amounts : dict
        Element -> amount (per formula unit or per cell).
    anions : dict
        Anion element -> its (negative) charge.
    """
    charges = dict(anions)
    charges["Li"] = 1
    cations = [el for el in amounts if el not in charges]
    fixed = sum(charges[el] * amounts[el] for el in charges if el in amounts)
    best, best_key = None, None
    for common_only in (True, False):  # the common states first; all known states if they cannot balance
        options = [_states(el, common_only) for el in cations]
        for combo in itertools.islice(itertools.product(*options), MAX_COMBINATIONS):
            imbalance = abs(fixed + sum(q * amounts[el] for el, q in zip(cations, combo)))
            key = (round(imbalance, 6), sum(opts.index(q) for opts, q in zip(options, combo)))
            if best_key is None or key < best_key:
                best, best_key = combo, key
        if best_key is not None and best_key[0] < BALANCED:
            break
    charges.update(dict(zip(cations, best or ())))
    return charges, float(best_key[0]) if best_key else abs(fixed)


__all__ = ["ANION_CANDIDATES", "BONDED", "OxidationError", "anion_roles", "balance_charges", "covalent_radius",
           "framework_charges"]
