"""Structural Li-conduction descriptors computed directly on (partially occupied) CIF structures.

Groundwork for the ``structure-v1`` preset (not yet in a preset): Sendek et al.'s five descriptors
of their final logistic model (Energy Environ. Sci. 10, 306 (2017)) and the Li-sublattice /
anion-framework basics, as occupancy-weighted site statistics.

Disorder is handled, not dropped or randomly ordered:

* every site contributes each element with its occupancy (a Li/vacancy site at 0.5 counts half);
* sites of one element closer than :data:`MERGE_TOL` (split positions of one atom, as written
  by refinements of disordered Li) are merged into one site, occupancies summed (at most 1);
* averages over sites are weighted by occupancy; neighbour counts sum neighbour occupancies.

Definitions (distances in angstrom, periodic images included):

``LLB``  mean number of Li neighbours of a Li within :data:`BOND_CUTOFF` (4 A);
``SBI``  sublattice bond ionicity: mean |electronegativity difference| between each non-Li atom and
         its non-Li neighbours within 4 A (occupancy-weighted over the species of both sites);
``AFC``  anion framework coordination: mean number of anion neighbours of an anion within the
         structure's shortest anion-anion distance times (1 + :data:`SHELL_TOL`);
``LASD`` mean over Li of the shortest Li-anion distance;
``LLSD`` mean over Li of the shortest Li-Li distance (another Li site).
"""

from __future__ import annotations

import math

import numpy as np

from .electrolyte import ANION_CHARGES

#: Sites of one element closer than this (angstrom) are one split position.
MERGE_TOL = 0.5
#: Neighbour cutoff of LLB and SBI (Sendek et al. 2017).
BOND_CUTOFF = 4.0
#: Relative tolerance of the first anion-anion shell (AFC).
SHELL_TOL = 0.10
#: Sendek et al. 2017, final logistic model: weights of (LLB, SBI, AFC, LASD, LLSD) and bias.
SENDEK_WEIGHTS = (0.18, -4.01, -0.47, 8.70, -2.17)
SENDEK_BIAS = -6.56

LABELS = ("Sendek LLB Li neighbours of Li within 4 A", "Sendek SBI sublattice bond ionicity",
          "Sendek AFC anion framework coordination", "Sendek LASD mean shortest Li-anion distance",
          "Sendek LLSD mean shortest Li-Li distance", "Li mean site occupancy", "Li sites per Li",
          "volume per anion", "shortest anion-anion distance")


def _element_sites(structure, keep) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Cartesian coordinates, occupancy (of the kept elements) and species of sites holding any kept element."""
    coords, occ, species = [], [], []
    for site in structure:
        kept = {el.symbol: float(amt) for el, amt in site.species.element_composition.items() if keep(el.symbol)}
        total = sum(kept.values())
        if total > 0:
            coords.append(site.coords)
            occ.append(min(total, 1.0))
            species.append(kept)
    return np.asarray(coords, float).reshape(-1, 3), np.asarray(occ, float), species


def _merge(structure, coords: np.ndarray, occ: np.ndarray, species: list[dict]):
    """Merge sites closer than :data:`MERGE_TOL` (periodic) into one, summing occupancies (capped at 1)."""
    n = len(coords)
    if n < 2:
        return coords, occ, species
    frac = structure.lattice.get_fractional_coords(coords)
    dist = structure.lattice.get_all_distances(frac, frac)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(dist < MERGE_TOL, k=1))):
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    m_coords, m_occ, m_species = [], [], []
    for members in groups.values():
        first = members[0]
        m_coords.append(coords[first])  # positions within 0.5 A: the first stands for the split site
        m_occ.append(min(float(occ[members].sum()), 1.0))
        merged: dict[str, float] = {}
        for i in members:
            for el, amt in species[i].items():
                merged[el] = merged.get(el, 0.0) + amt
        total = sum(merged.values())
        m_species.append({el: amt / total for el, amt in merged.items()})
    return np.asarray(m_coords), np.asarray(m_occ), m_species


def _pairs(structure, a: np.ndarray, b: np.ndarray, cutoff: float):
    """(i, j, distance) for every point of ``b`` (periodic images) within ``cutoff`` of a point of ``a``."""
    lattice = structure.lattice
    fb = lattice.get_fractional_coords(b)
    out_i, out_j, out_d = [], [], []
    for i, centre in enumerate(a):
        hits = lattice.get_points_in_sphere(fb, centre, cutoff)
        for _, dist, j, _ in hits:
            out_i.append(i)
            out_j.append(int(j))
            out_d.append(float(dist))
    return np.asarray(out_i, int), np.asarray(out_j, int), np.asarray(out_d, float)


def _shortest(structure, a: np.ndarray, b: np.ndarray, same: bool) -> np.ndarray:
    """Shortest distance from each point of ``a`` to a point of ``b`` (periodic images included).

    With ``same`` (``a`` is ``b``) a point's own periodic images count as other atoms, itself not.
    """
    if not len(a) or not len(b):
        return np.full(len(a), np.nan)
    if not same:
        fa = structure.lattice.get_fractional_coords(a)
        fb = structure.lattice.get_fractional_coords(b)
        return structure.lattice.get_all_distances(fa, fb).min(axis=1)
    # the shortest lattice vector is at most min(a, b, c): every point has a neighbour that close
    i, _, d = _pairs(structure, a, b, min(structure.lattice.abc) + 1e-6)
    keep = d > 1e-8
    out = np.full(len(a), np.inf)
    np.minimum.at(out, i[keep], d[keep])
    return out


def _electronegativity(species: dict) -> float:
    from pymatgen.core import Element

    values = [(Element(el).X, amt) for el, amt in species.items() if not math.isnan(Element(el).X)]
    total = sum(a for _, a in values)
    return sum(x * a for x, a in values) / total if total else math.nan


def sendek_descriptors(structure) -> dict[str, float]:
    """The descriptors of :data:`LABELS` for one pymatgen ``Structure`` (ordered or not).

    Parameters
    ----------
    structure : pymatgen.core.Structure
        As parsed from a CIF; partial occupancies are used as they are.

    Returns
    -------
    dict
        Label -> value; NaN where undefined (e.g. no Li site, no anion), with the reason under
        the key ``"reason"`` (empty when every value is defined).
    """
    li = _merge(structure, *_element_sites(structure, lambda el: el == "Li"))
    anion = _merge(structure, *_element_sites(structure, lambda el: el in ANION_CHARGES))
    frame = _merge(structure, *_element_sites(structure, lambda el: el != "Li"))
    out = dict.fromkeys(LABELS, math.nan)
    reasons = []
    n_li_atoms = float(structure.composition.element_composition.get("Li", 0.0))
    n_anions = sum(float(a) for el, a in structure.composition.element_composition.items() if el.symbol in ANION_CHARGES)
    if n_anions > 0:
        out["volume per anion"] = structure.volume / n_anions
    (li_xyz, li_occ, _), (an_xyz, an_occ, _) = li, anion
    if len(an_xyz):
        shortest_aa = _shortest(structure, an_xyz, an_xyz, same=True)
        d_aa = float(shortest_aa.min())
        out["shortest anion-anion distance"] = d_aa
        i, j, d = _pairs(structure, an_xyz, an_xyz, d_aa * (1 + SHELL_TOL))
        keep = d > 1e-8
        counts = np.bincount(i[keep], weights=an_occ[j[keep]], minlength=len(an_xyz))
        out["Sendek AFC anion framework coordination"] = float(np.average(counts, weights=an_occ))
    else:
        reasons.append("no anion site")
    if len(li_xyz):
        out["Li mean site occupancy"] = float(np.average(li_occ, weights=np.ones(len(li_occ))))
        out["Li sites per Li"] = len(li_xyz) / n_li_atoms if n_li_atoms else math.nan
        i, j, d = _pairs(structure, li_xyz, li_xyz, BOND_CUTOFF)
        keep = d > 1e-8
        counts = np.bincount(i[keep], weights=li_occ[j[keep]], minlength=len(li_xyz))
        out["Sendek LLB Li neighbours of Li within 4 A"] = float(np.average(counts, weights=li_occ))
        out["Sendek LLSD mean shortest Li-Li distance"] = float(
            np.average(_shortest(structure, li_xyz, li_xyz, same=True), weights=li_occ))
        if len(an_xyz):
            out["Sendek LASD mean shortest Li-anion distance"] = float(
                np.average(_shortest(structure, li_xyz, an_xyz, same=False), weights=li_occ))
    else:
        reasons.append("no Li site")
    f_xyz, f_occ, f_species = frame
    if len(f_xyz):
        chi = np.array([_electronegativity(s) for s in f_species])
        i, j, d = _pairs(structure, f_xyz, f_xyz, BOND_CUTOFF)
        keep = d > 1e-8
        w = f_occ[i[keep]] * f_occ[j[keep]]
        diff = np.abs(chi[i[keep]] - chi[j[keep]])
        ok = np.isfinite(diff)
        if ok.any() and w[ok].sum() > 0:
            out["Sendek SBI sublattice bond ionicity"] = float(np.average(diff[ok], weights=w[ok]))
    out["reason"] = "; ".join(reasons)
    return out


def sendek_probability(values: dict[str, float]) -> float:
    """Sendek et al.'s published logistic model: probability that the material is superionic.

    Parameters
    ----------
    values : dict
        From :func:`sendek_descriptors`.

    Returns
    -------
    float
        sigmoid(0.18 LLB - 4.01 SBI - 0.47 AFC + 8.70 LASD - 2.17 LLSD - 6.56); NaN when a
        descriptor is missing.
    """
    x = [values[label] for label in LABELS[:5]]
    if any(math.isnan(v) for v in x):
        return math.nan
    z = SENDEK_BIAS + sum(w * v for w, v in zip(SENDEK_WEIGHTS, x))
    return 1.0 / (1.0 + math.exp(-z))


__all__ = ["BOND_CUTOFF", "LABELS", "MERGE_TOL", "SENDEK_BIAS", "SENDEK_WEIGHTS", "sendek_descriptors",
           "sendek_probability"]
