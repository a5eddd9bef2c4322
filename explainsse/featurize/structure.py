"""Structural Li-conduction descriptors computed directly on (partially occupied) CIF structures.

Four families, each value an occupancy-weighted statistic over sites (distances in angstrom,
periodic images included):

* **Sendek et al. 2017** (Energy Environ. Sci. 10, 306): the five descriptors of their final
  logistic model (LLB, SBI, AFC, LASD, LLSD) and the others of their twenty that a CIF defines
  (volume per atom, Li neighbour count and bond ionicity with their spreads, sublattice
  neighbour count, anion-anion separation, Li and sublattice packing fractions, straight-line
  path width);
* **Li sublattice**: mean Li site occupancy, Li sites per Li atom, and the shortest Li-Li hop at
  which the Li sites connect through the crystal in 1, 2 and 3 dimensions (:mod:`.percolation`);
* **anion framework**: volume per anion, shortest anion-anion distance and the similarity of
  each anion's surrounding anions to bcc, fcc and hcp packing (Wang et al., Nat. Mater. 14,
  1026 (2015)), measured with Steinhardt bond-orientational order parameters q4 and q6;
* **bond-valence site energy** (:mod:`.bvse`): the 1D/2D/3D percolation barriers of a Li+ ion.

Disorder is handled, not dropped or randomly ordered:

* every site contributes each element with its occupancy (a Li/vacancy site at 0.5 counts half);
* sites of one element closer than :data:`MERGE_TOL` (split positions of one atom, as written
  by refinements of disordered Li) are merged into one site, occupancies summed (at most 1);
* averages over sites are weighted by occupancy; neighbour counts sum neighbour occupancies.

Bounded, so that no structure can exhaust memory or hold a run: a structure outside the bounds of
:mod:`explainsse._config` (cell edges, sites, volume per site, occupancies; see
:func:`~explainsse.datasets.cifs.structure_problem`) is refused before anything is computed, the
BVSE grid has a size limit, and one time limit covers all descriptors of a structure (what is not
finished in time is NaN, with the reason).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._config import STRUCTURE_TIME_LIMIT_S
from ..datasets.cifs import structure_problem
from .bvse import MAX_BARRIER, RESOLUTION, BVSEError, bvse_barriers
from .descriptor_info import DescriptorInfo
from .oxidation import OxidationError, anion_roles, framework_charges
from .percolation import percolation_distances

#: Sites of one element closer than this (angstrom) are one split position.
MERGE_TOL = 0.5
#: Neighbour cutoff of LLB and SBI (Sendek et al. 2017).
BOND_CUTOFF = 4.0
#: Relative tolerance of the first anion-anion shell (AFC).
SHELL_TOL = 0.10
#: A neighbour within this factor of an atom's shortest distance counts as bonded (LNC, LBI, SNC).
NEIGHBOUR_SHELL = 1.25
#: Longest Li-Li hop searched for the Li-sublattice percolation distances (angstrom).
HOP_CUTOFF = 12.0
#: Radius of Li+ in the packing fraction (Shannon 1976, CN 6).
LI_RADIUS = 0.76
#: Neighbours up to this factor beyond the n-th nearest belong to its shell (q4/q6 of the anion framework).
SHELL_TIES = 1.05
#: Scale of the bcc/fcc/hcp similarity: exp(-distance in the (q4, q6) plane / scale).
SIMILARITY_SCALE = 0.1
#: Sendek et al. 2017, final logistic model: weights of (LLB, SBI, AFC, LASD, LLSD) and bias.
SENDEK_WEIGHTS = (0.18, -4.01, -0.47, 8.70, -2.17)
SENDEK_BIAS = -6.56

SENDEK_2017 = ("A. D. Sendek, Q. Yang, E. D. Cubuk, K.-A. N. Duerloo, Y. Cui, E. J. Reed, \"Holistic "
               "computational structure screening of more than 12 000 candidates for solid lithium-ion "
               "conductor materials\", Energy Environ. Sci. 10, 306-320 (2017), doi:10.1039/C6EE02697D")
WANG_2015 = ("Y. Wang, W. D. Richards, S. P. Ong, L. J. Miara, J. C. Kim, Y. Mo, G. Ceder, \"Design principles "
             "for solid-state lithium superionic conductors\", Nat. Mater. 14, 1026-1031 (2015), "
             "doi:10.1038/nmat4369; order parameters: P. J. Steinhardt, D. R. Nelson, M. Ronchetti, "
             "Phys. Rev. B 28, 784 (1983)")
CHEN_2019 = ("H. Chen, L. L. Wong, S. Adams, \"SoftBV - a software tool for screening the materials genome of "
             "inorganic fast ion conductors\", Acta Cryst. B 75, 18-33 (2019), doi:10.1107/S2052520618015718 "
             "(energy form as in bvlain 0.25.1)")
SUBLATTICE = "explainsse Li-sublattice descriptors (this package; periodic union-find percolation)"

_W = "occupancy-weighted"
#: (label, meaning, unit, citation) of every structure descriptor, in column order.
_SPEC = (
    ("Sendek V/atom volume per atom", "cell volume / atoms in the cell (occupancies summed)",
     "angstrom^3/atom", SENDEK_2017),
    ("Sendek LLB Li neighbours of Li within 4 A", f"{_W} mean number of Li within 4 A of a Li", "atoms",
     SENDEK_2017),
    ("Sendek SBI sublattice bond ionicity", "mean |electronegativity difference| between each non-Li atom "
     "and its non-Li neighbours within 4 A", "Pauling units", SENDEK_2017),
    ("Sendek AFC anion framework coordination", "mean number of anion neighbours of an anion within the "
     "(mean) shortest anion-anion distance + 10%", "atoms", SENDEK_2017),
    ("Sendek LASD mean shortest Li-anion distance", f"{_W} mean over Li of the distance to the nearest anion",
     "angstrom", SENDEK_2017),
    ("Sendek LLSD mean shortest Li-Li distance", f"{_W} mean over Li of the distance to the nearest other Li "
     "site", "angstrom", SENDEK_2017),
    ("Sendek LNC Li neighbour count", "mean number of anions bonded to a Li (within 1.25 x its shortest "
     "Li-anion distance)", "atoms", SENDEK_2017),
    ("Sendek SLNC spread of Li neighbour count", "standard deviation over Li sites of the Li neighbour count",
     "atoms", SENDEK_2017),
    ("Sendek LBI Li bond ionicity", "mean |electronegativity difference| between Li and its bonded anions",
     "Pauling units", SENDEK_2017),
    ("Sendek SLBI spread of Li bond ionicity", "standard deviation over Li sites of the Li bond ionicity",
     "Pauling units", SENDEK_2017),
    ("Sendek SNC sublattice neighbour count", "mean number of non-Li atoms bonded to a non-Li atom (within "
     "1.25 x its shortest distance to one)", "atoms", SENDEK_2017),
    ("Sendek AASD mean anion-anion separation", f"{_W} mean over anions of the distance to the nearest other "
     "anion", "angstrom", SENDEK_2017),
    ("Sendek LPF Li packing fraction", "volume of the Li+ ions (r = 0.76 A, times occupancy) / cell volume",
     "-", SENDEK_2017),
    ("Sendek SPF sublattice packing fraction", "volume of the non-Li ions (Shannon radii of their oxidation "
     "states, times occupancy) / cell volume", "-", SENDEK_2017),
    ("Sendek PW straight-line path width", f"{_W} mean over Li of the closest approach of an anion centre to "
     "the straight line from the Li to its nearest Li", "angstrom", SENDEK_2017),
    ("Li mean site occupancy", "mean occupancy of the Li sites (1: ordered; below 1: Li/vacancy disorder)",
     "-", SUBLATTICE),
    ("Li sites per Li", "Li sites in the cell / Li atoms in the cell (above 1: more sites than ions to fill "
     "them)", "-", SUBLATTICE),
    ("Li percolation 1D hop distance", "shortest Li-Li hop at which Li sites connect through the crystal "
     "along one direction", "angstrom", SUBLATTICE),
    ("Li percolation 2D hop distance", "shortest Li-Li hop at which Li sites connect into layers",
     "angstrom", SUBLATTICE),
    ("Li percolation 3D hop distance", "shortest Li-Li hop at which Li sites connect into a 3D network; "
     "12 = not within 12 A", "angstrom", SUBLATTICE),
    ("Anion framework volume per anion", "cell volume / anions in the cell (occupancies summed)",
     "angstrom^3/anion", WANG_2015),
    ("Anion framework shortest anion-anion distance", "shortest distance between two anion sites",
     "angstrom", WANG_2015),
    ("Anion framework bcc similarity", "exp(-d / 0.1), d: mean distance of each anion's (q4, q6) over its 14 "
     "nearest anions from ideal bcc (1: bcc packing)", "-", WANG_2015),
    ("Anion framework fcc similarity", "exp(-d / 0.1), d: mean distance of each anion's (q4, q6) over its 12 "
     "nearest anions from ideal fcc", "-", WANG_2015),
    ("Anion framework hcp similarity", "exp(-d / 0.1), d: mean distance of each anion's (q4, q6) over its 12 "
     "nearest anions from ideal hcp", "-", WANG_2015),
    ("BVSE Li 1D percolation barrier", "lowest Li+ bond-valence site energy (above the minimum) at which "
     "accessible regions connect along one direction; 10 = not below 10 eV", "eV", CHEN_2019),
    ("BVSE Li 2D percolation barrier", "as the 1D barrier, for connection in layers", "eV", CHEN_2019),
    ("BVSE Li 3D percolation barrier", "as the 1D barrier, for a 3D network (long-range conduction in a "
     "polycrystal)", "eV", CHEN_2019),
    ("Structure available", "1 when the row has a crystal structure (CIF), else 0; the structure "
     "descriptors are missing when 0", "-", "explainsse"),
)
LABELS = tuple(label for label, *_ in _SPEC)
#: The five descriptors of Sendek et al.'s final model, in the order of :data:`SENDEK_WEIGHTS`.
SENDEK_MODEL = LABELS[1:6]
#: Flag column: 1 where the row has a structure.
HAS_STRUCTURE = "Structure available"


def structure_entries() -> list[DescriptorInfo]:
    """Glossary entries of the structure descriptors, in column order."""
    return [DescriptorInfo(label, meaning, unit, "explainsse structure descriptors", citation)
            for label, meaning, unit, citation in _SPEC]


@dataclass(frozen=True)
class Sites:
    """Merged sites holding some kept elements: Cartesian coordinates, occupancy, element fractions."""

    xyz: np.ndarray
    occ: np.ndarray
    species: list

    def __len__(self) -> int:
        return len(self.xyz)


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


def sites_of(structure, keep) -> Sites:
    """The sites holding elements for which ``keep(symbol)`` is true, split positions merged.

    Sites closer than :data:`MERGE_TOL` (periodic) become one, at the first one's position, with
    the occupancies summed (capped at 1) and the element fractions pooled.
    """
    coords, occ, species = _element_sites(structure, keep)
    n = len(coords)
    if n < 2:
        return Sites(coords, occ, [{el: a / sum(s.values()) for el, a in s.items()} for s in species])
    # pairs closer than MERGE_TOL through any periodic image (a neighbour search: memory grows with
    # the sites, not with their square)
    close_i, close_j = _close_pairs(structure.lattice, coords, MERGE_TOL)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(close_i, close_j):
        parent[find(int(i))] = find(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    m_coords, m_occ, m_species = [], [], []
    for members in groups.values():
        m_coords.append(coords[members[0]])
        m_occ.append(min(float(occ[members].sum()), 1.0))
        merged: dict[str, float] = {}
        for i in members:
            for el, amt in species[i].items():
                merged[el] = merged.get(el, 0.0) + amt
        total = sum(merged.values())
        m_species.append({el: amt / total for el, amt in merged.items()})
    return Sites(np.asarray(m_coords), np.asarray(m_occ), m_species)


def _close_pairs(lattice, xyz: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of points closer than ``cutoff`` through some periodic image (coincident ones included)."""
    # heavy: pymatgen loads only where structures/compositions need it
    from pymatgen.optimization.neighbors import find_points_in_spheres

    points = np.ascontiguousarray(xyz, dtype=float)
    i, j, _, d = find_points_in_spheres(points, points, r=float(cutoff), pbc=np.ones(3, dtype=np.int64),
                                        lattice=np.ascontiguousarray(lattice.matrix, dtype=float), tol=1e-8)
    keep = (i < j) & (d < cutoff)
    return i[keep].astype(int), j[keep].astype(int)


def _pairs(lattice, a: np.ndarray, b: np.ndarray, cutoff: float, images: bool = False):
    """(i, j, distance[, image]) for every point of ``b`` (periodic images) within ``cutoff`` of a point of ``a``.

    Pairs of a point with itself (distance 0) are left out; its periodic images are kept. The
    image is the lattice translation of ``b[j]`` (as given) that the pair reaches. Uses
    pymatgen's compiled neighbour search.
    """
    # heavy: pymatgen loads only where structures/compositions need it
    from pymatgen.optimization.neighbors import find_points_in_spheres

    if not len(a) or not len(b):
        empty = (np.zeros(0, int), np.zeros(0, int), np.zeros(0))
        return (*empty, np.zeros((0, 3), int)) if images else empty
    i, j, img, d = find_points_in_spheres(
        np.ascontiguousarray(b, dtype=float), np.ascontiguousarray(a, dtype=float), r=float(cutoff),
        pbc=np.ones(3, dtype=np.int64), lattice=np.ascontiguousarray(lattice.matrix, dtype=float), tol=1e-8)
    keep = d > 1e-8
    result = (i[keep].astype(int), j[keep].astype(int), d[keep])
    return (*result, np.rint(img[keep]).astype(int)) if images else result


def _shortest(lattice, a: np.ndarray, b: np.ndarray, same: bool) -> np.ndarray:
    """Shortest distance from each point of ``a`` to another point of ``b`` (periodic images included)."""
    if not len(a) or not len(b):
        return np.full(len(a), np.nan)
    if not same:
        return lattice.get_all_distances(lattice.get_fractional_coords(a), lattice.get_fractional_coords(b)).min(axis=1)
    # the shortest lattice vector is at most min(a, b, c): every point has a neighbour that close.
    # Search a small sphere first (about two neighbour spacings) and widen it only for the points
    # without a neighbour in it: a large dense cell would otherwise list millions of pairs.
    longest = min(lattice.abc) + 1e-6
    radius = min(longest, 2.0 * (lattice.volume / len(b)) ** (1 / 3))
    out = np.full(len(a), np.inf)
    todo = np.arange(len(a))
    while len(todo):
        i, _, d = _pairs(lattice, a[todo], b, radius)
        found = np.full(len(todo), np.inf)
        np.minimum.at(found, i, d)
        out[todo] = found
        if radius >= longest:
            break
        todo = todo[~np.isfinite(found)]
        radius = min(2 * radius, longest)
    return out


def _electronegativity(species: dict) -> float:
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    values = [(Element(el).X, amt) for el, amt in species.items() if not math.isnan(Element(el).X)]
    total = sum(a for _, a in values)
    return sum(x * a for x, a in values) / total if total else math.nan


def _weighted_std(values: np.ndarray, weights: np.ndarray) -> float:
    mean = np.average(values, weights=weights)
    return float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))


def _bonded(lattice, centres: Sites, others: Sites, same: bool):
    """Pairs (i, j, d) where ``others[j]`` lies within :data:`NEIGHBOUR_SHELL` x the shortest distance of ``centres[i]``."""
    shortest = _shortest(lattice, centres.xyz, others.xyz, same)
    reach = float(np.nanmax(shortest)) * NEIGHBOUR_SHELL + 1e-6
    i, j, d = _pairs(lattice, centres.xyz, others.xyz, reach)
    keep = d <= shortest[i] * NEIGHBOUR_SHELL + 1e-6
    return i[keep], j[keep], d[keep]


def _q46(lattice, sites: Sites, n_neighbours: int, deadline=None) -> np.ndarray:
    """Steinhardt q4 and q6 of every site over its ``n_neighbours`` nearest sites (occupancy-weighted).

    Sites tied with the n-th nearest (within :data:`SHELL_TIES`) are included, so that the value
    does not depend on how ties are broken (a supercell gives the same value).

    Uses the addition theorem, q_l^2 = sum_jk w_j w_k P_l(u_j . u_k) / (sum w)^2, so no spherical
    harmonics are needed.
    """
    from scipy.special import eval_legendre  # heavy: scipy loads only where its routines run

    volume_per_site = lattice.volume / max(len(sites), 1)
    radius = (3 * volume_per_site * (n_neighbours + 4) / (4 * math.pi)) ** (1 / 3) * 1.5
    i, j, d, img = _pairs(lattice, sites.xyz, sites.xyz, radius, images=True)
    frac = lattice.get_fractional_coords(sites.xyz)
    vectors = lattice.get_cartesian_coords(frac[j] + img) - sites.xyz[i]
    out = np.full((len(sites), 2), np.nan)
    order = np.lexsort((d, i))
    i, j, vectors, d_sorted = i[order], j[order], vectors[order], d[order]
    starts = np.searchsorted(i, np.arange(len(sites)))
    counts = np.bincount(i, minlength=len(sites))
    for k in range(len(sites)):
        if deadline is not None and k % 64 == 0:
            deadline()
        if counts[k] < n_neighbours:
            continue
        ranked = d_sorted[starts[k]:starts[k] + counts[k]]
        # the whole shell of the n-th neighbour (ties would otherwise be broken arbitrarily)
        near = slice(starts[k], starts[k] + int(np.searchsorted(ranked, ranked[n_neighbours - 1] * SHELL_TIES,
                                                                side="right")))
        units = vectors[near] / np.linalg.norm(vectors[near], axis=1, keepdims=True)
        w = sites.occ[j[near]]
        cos = np.clip(units @ units.T, -1, 1)
        ww = np.outer(w, w) / w.sum() ** 2
        out[k] = [math.sqrt(max(float((ww * eval_legendre(order_l, cos)).sum()), 0.0)) for order_l in (4, 6)]
    return out


@lru_cache(maxsize=None)
def _ideal_q46(packing: str) -> tuple[float, float]:
    """(q4, q6) of an ideal bcc, fcc or hcp lattice, from the same code as the measured values."""
    from pymatgen.core import (  # heavy: pymatgen loads only where structures/compositions need it
        Lattice,
        Structure,
    )

    if packing == "hcp":
        s = Structure(Lattice.hexagonal(1.0, math.sqrt(8 / 3)), ["O", "O"], [[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]])
    else:
        s = Structure.from_spacegroup("Im-3m" if packing == "bcc" else "Fm-3m", Lattice.cubic(1.0), ["O"], [[0, 0, 0]])
    sites = sites_of(s, lambda el: True)
    return tuple(_q46(s.lattice, sites, 14 if packing == "bcc" else 12)[0])


def _packing_similarity(lattice, anions: Sites, deadline=None) -> dict[str, float]:
    out = {}
    by_count = {n: _q46(lattice, anions, n, deadline) for n in (12, 14)}
    for packing in ("bcc", "fcc", "hcp"):
        q = by_count[14 if packing == "bcc" else 12]
        ok = np.isfinite(q).all(axis=1)
        if not ok.any():
            out[f"Anion framework {packing} similarity"] = math.nan
            continue
        dist = np.linalg.norm(q[ok] - np.asarray(_ideal_q46(packing)), axis=1)
        out[f"Anion framework {packing} similarity"] = float(
            np.exp(-np.average(dist, weights=anions.occ[ok]) / SIMILARITY_SCALE))
    return out


def _ionic_volume(species: dict, charges: dict) -> float:
    from pymatgen.core import (  # heavy: pymatgen loads only where structures/compositions need it
        Element,
        Species,
    )

    volume = 0.0
    for el, amt in species.items():
        try:
            with warnings.catch_warnings():  # pymatgen warns for states without a Shannon radius
                warnings.simplefilter("ignore")
                radius = Species(el, charges[el]).ionic_radius
        except Exception:  # an unusual state has no tabulated radius
            radius = None
        if radius is None:
            radius = Element(el).atomic_radius
        volume += amt * 4 / 3 * math.pi * float(radius) ** 3
    return volume


@dataclass(frozen=True)
class StructureValues:
    """Descriptors of one structure.

    Attributes
    ----------
    values : dict
        Label (:data:`LABELS`) -> value; NaN where undefined.
    reasons : list of str
        Why values are missing (e.g. ``"no Li site: Li descriptors undefined"``); empty when all
        are defined.
    seconds : dict
        Time spent per descriptor family.
    """

    values: dict
    reasons: list
    seconds: dict


def _sendek(lattice, volume: float, n_atoms: float, li: Sites, anion: Sites, frame: Sites, charges: dict | None,
            reasons: list, deadline=lambda: None) -> dict:
    out: dict[str, float] = {"Sendek V/atom volume per atom": volume / n_atoms if n_atoms else math.nan}
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    if len(anion):
        shortest_aa = _shortest(lattice, anion.xyz, anion.xyz, same=True)
        # the shell is set by the mean shortest distance, not the single smallest pair, which the
        # 0.1 A position noise of the public CIFs shrinks (and the shell with it)
        d_aa = float(np.average(shortest_aa, weights=anion.occ))
        i, j, d = _pairs(lattice, anion.xyz, anion.xyz, d_aa * (1 + SHELL_TOL))
        counts = np.bincount(i, weights=anion.occ[j], minlength=len(anion))
        out["Sendek AFC anion framework coordination"] = float(np.average(counts, weights=anion.occ))
        out["Sendek AASD mean anion-anion separation"] = float(np.average(shortest_aa, weights=anion.occ))
        out["Anion framework shortest anion-anion distance"] = float(shortest_aa.min())
    deadline()
    shortest_ll = _shortest(lattice, li.xyz, li.xyz, same=True)
    if len(li):
        i, j, d = _pairs(lattice, li.xyz, li.xyz, BOND_CUTOFF)
        counts = np.bincount(i, weights=li.occ[j], minlength=len(li))
        out["Sendek LLB Li neighbours of Li within 4 A"] = float(np.average(counts, weights=li.occ))
        out["Sendek LLSD mean shortest Li-Li distance"] = float(np.average(shortest_ll, weights=li.occ))
        out["Sendek LPF Li packing fraction"] = float(li.occ.sum() * 4 / 3 * math.pi * LI_RADIUS ** 3 / volume)
    deadline()
    if len(li) and len(anion):
        out["Sendek LASD mean shortest Li-anion distance"] = float(
            np.average(_shortest(lattice, li.xyz, anion.xyz, same=False), weights=li.occ))
        i, j, _ = _bonded(lattice, li, anion, same=False)
        lnc = np.bincount(i, weights=anion.occ[j], minlength=len(li))
        out["Sendek LNC Li neighbour count"] = float(np.average(lnc, weights=li.occ))
        out["Sendek SLNC spread of Li neighbour count"] = _weighted_std(lnc, li.occ)
        chi_li = Element("Li").X
        gap = np.abs(chi_li - np.array([_electronegativity(s) for s in anion.species]))[j]
        per_li = np.bincount(i, weights=gap * anion.occ[j], minlength=len(li)) / np.maximum(lnc, 1e-12)
        out["Sendek LBI Li bond ionicity"] = float(np.average(per_li, weights=li.occ))
        out["Sendek SLBI spread of Li bond ionicity"] = _weighted_std(per_li, li.occ)
        out["Sendek PW straight-line path width"] = _path_width(lattice, li, anion, shortest_ll, deadline=deadline)
    deadline()
    if len(frame):
        chi = np.array([_electronegativity(s) for s in frame.species])
        i, j, d = _pairs(lattice, frame.xyz, frame.xyz, BOND_CUTOFF)
        w = frame.occ[i] * frame.occ[j]
        diff = np.abs(chi[i] - chi[j])
        ok = np.isfinite(diff)
        if ok.any() and w[ok].sum() > 0:
            out["Sendek SBI sublattice bond ionicity"] = float(np.average(diff[ok], weights=w[ok]))
        if len(frame) > 1 or min(lattice.abc) < BOND_CUTOFF:
            i, j, _ = _bonded(lattice, frame, frame, same=True)
            snc = np.bincount(i, weights=frame.occ[j], minlength=len(frame))
            out["Sendek SNC sublattice neighbour count"] = float(np.average(snc, weights=frame.occ))
        if charges is not None:
            ionic = sum(o * _ionic_volume(s, charges) for o, s in zip(frame.occ, frame.species))
            out["Sendek SPF sublattice packing fraction"] = float(ionic / volume)
        else:
            reasons.append("no oxidation states: SPF undefined")
    return out


def _path_width(lattice, li: Sites, anion: Sites, shortest: np.ndarray, samples: int = 11, deadline=None) -> float:
    """Mean over Li of the closest approach of an anion centre to the segment from the Li to its nearest Li.

    ``shortest`` holds each Li site's shortest Li-Li distance.
    """
    if not np.isfinite(shortest).any():
        return math.nan
    i, j, d, img = _pairs(lattice, li.xyz, li.xyz, float(np.nanmax(shortest)) + 1e-6, images=True)
    width = np.full(len(li), np.nan)
    frac_li = lattice.get_fractional_coords(li.xyz)
    frac_an = lattice.get_fractional_coords(anion.xyz)
    t = np.linspace(0, 1, samples)[1:-1, None]
    hops = np.flatnonzero(np.isclose(d, shortest[i], atol=1e-6))  # each Li to its nearest Li (ties: all)
    # the sample points of many hops go to one distance call (each distance is computed on its own,
    # so the values are those of one call per hop); chunks bound the (points x anions) matrix
    chunk = max(1, 2_000_000 // (len(t) * max(len(anion), 1)))
    for lo in range(0, len(hops), chunk):
        if deadline is not None:
            deadline()
        k = hops[lo:lo + chunk]
        a, b = frac_li[i[k]][:, None, :], (frac_li[j[k]] + img[k])[:, None, :]
        points = (a + t[None] * (b - a)).reshape(-1, 3)
        closest = lattice.get_all_distances(points, frac_an).reshape(len(k), -1).min(axis=1)
        np.fmax.at(width, i[k], closest)  # the widest of a Li's nearest hops (NaN until its first)
    ok = np.isfinite(width)
    return float(np.average(width[ok], weights=li.occ[ok])) if ok.any() else math.nan


def _li_sublattice(lattice, li: Sites, n_li_atoms: float, deadline=None) -> dict:
    out = {"Li mean site occupancy": float(li.occ.mean()),
           "Li sites per Li": len(li) / n_li_atoms if n_li_atoms else math.nan}
    # hops up to a third, two thirds, all of HOP_CUTOFF: the edges up to a distance are the first
    # ones of the sorted list, so a search that percolates in 3D early gives the same values
    # without listing the (many) longer hops
    for cutoff in (HOP_CUTOFF / 3, 2 * HOP_CUTOFF / 3, HOP_CUTOFF):
        i, j, d, img = _pairs(lattice, li.xyz, li.xyz, cutoff, images=True)
        half = i <= j  # each hop once (arrays, not Python tuples: a dense cell has millions of them)
        distances = percolation_distances((i[half], j[half], img[half], d[half]), len(li), deadline=deadline)
        if not np.isnan(distances).any():
            break
    for dim, value in zip((1, 2, 3), distances):
        out[f"Li percolation {dim}D hop distance"] = value
    return out


class _Deadline:
    """The time limit of one structure: ``check()`` raises :class:`TimeoutError` once it has passed."""

    def __init__(self, limit: float | None):
        self.limit = limit
        self.end = None if limit is None else time.perf_counter() + limit

    def remaining(self) -> float | None:
        return None if self.end is None else max(self.end - time.perf_counter(), 0.0)

    def __call__(self) -> None:
        if self.end is not None and time.perf_counter() > self.end:
            raise TimeoutError(f"time limit of {self.limit:g} s per structure reached")


def refused_values(reason: str) -> StructureValues:
    """All descriptors NaN and ``Structure available`` 0: a structure refused before anything was computed."""
    values = dict.fromkeys(LABELS, math.nan)
    values[HAS_STRUCTURE] = 0.0
    return StructureValues(values, [f"structure refused: {reason}"], {})


def structure_descriptors(structure, *, bvse: bool = True, resolution: float | None = None,
                          time_limit: float | None = STRUCTURE_TIME_LIMIT_S) -> StructureValues:
    """Every structure descriptor (:data:`LABELS`) of one pymatgen ``Structure``, ordered or not.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        As parsed from a CIF; partial occupancies are used as they are.
    bvse : bool
        Compute the bond-valence site-energy barriers (the slowest part).
    resolution : float, optional
        BVSE grid spacing (angstrom; default :data:`explainsse.featurize.bvse.RESOLUTION`).
    time_limit : float, optional
        Seconds for all descriptors of this structure together (default
        :data:`~explainsse._config.STRUCTURE_TIME_LIMIT_S`; None: no limit). The families not
        finished in time are NaN, with the reason.

    Returns
    -------
    StructureValues
        A structure outside the bounds of :mod:`explainsse._config` (cell edges, sites, volume
        per site, occupancies; :func:`~explainsse.datasets.cifs.structure_problem`) is refused
        before anything is computed: every value NaN, ``Structure available`` 0 and the reason
        ``"structure refused: ..."``.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> li2o = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.61), ["Li", "O"], [[.25, .25, .25], [0, 0, 0]])
    >>> v = structure_descriptors(li2o, bvse=False).values
    >>> round(v["Sendek LLSD mean shortest Li-Li distance"], 3), v["Sendek AFC anion framework coordination"]
    (2.305, 12.0)
    """
    problem = structure_problem(structure)
    if problem:
        return refused_values(problem)
    deadline = _Deadline(time_limit)
    clock: dict[str, float] = {}
    reasons: list[str] = []
    values = dict.fromkeys(LABELS, math.nan)
    values[HAS_STRUCTURE] = 1.0
    lattice = structure.lattice
    state: dict = {}

    def prepare():
        state["li"] = sites_of(structure, lambda el: el == "Li")
        deadline()
        roles = anion_roles(structure)
        anions = {el for el, is_anion in roles.items() if is_anion}
        state["anions"] = anions
        state["anion"] = sites_of(structure, lambda el: el in anions)
        deadline()
        state["frame"] = sites_of(structure, lambda el: el != "Li")
        deadline()
        state["amounts"] = structure.composition.element_composition  # pymatgen builds it anew on every access
        try:
            state["charges"] = framework_charges(structure, roles)
        except OxidationError:
            state["charges"] = None

    def sendek():
        amounts = state["amounts"]
        values.update(_sendek(lattice, structure.volume, float(amounts.num_atoms), state["li"], state["anion"],
                              state["frame"], state["charges"], reasons, deadline))

    def sublattice():
        li = state["li"]
        if not len(li):
            reasons.append("no Li site: Li descriptors undefined")
            return
        n_li_atoms = float(state["amounts"].get("Li", 0.0))
        values.update(_li_sublattice(lattice, li, n_li_atoms, deadline))
        capped = [dim for dim in (1, 2, 3) if math.isnan(values[f"Li percolation {dim}D hop distance"])]
        for dim in capped:  # not connected within the search: the cap is the value (a lower bound)
            values[f"Li percolation {dim}D hop distance"] = HOP_CUTOFF
        if capped:
            reasons.append(f"Li sites do not connect in {'/'.join(f'{d}D' for d in capped)} with hops up to "
                           f"{HOP_CUTOFF:g} A (value set to {HOP_CUTOFF:g})")

    def framework():
        anion = state["anion"]
        if not len(anion):
            reasons.append("no anion site (N, O, S, Se, Te, F, Cl, Br, I, P, As, hydride H): anion descriptors "
                           "undefined")
            return
        amounts = state["amounts"]
        n_anions = sum(float(a) for el, a in amounts.items() if el.symbol in state["anions"])
        values["Anion framework volume per anion"] = structure.volume / n_anions
        values.update(_packing_similarity(lattice, anion, deadline))

    def site_energy():
        if not bvse:
            reasons.append("BVSE not computed (switched off)")
            return
        if not len(state["li"]):
            return
        deadline()
        try:
            barriers = bvse_barriers(structure, resolution or RESOLUTION, time_limit=deadline.remaining(),
                                     charges=state["charges"])
        except BVSEError as exc:
            reasons.append(f"BVSE: {exc}")
            return
        capped = [dim for dim in (1, 2, 3) if math.isnan(barriers[f"E_{dim}D"])]
        for dim in (1, 2, 3):  # not percolating below the search's ceiling: the ceiling is the value
            values[f"BVSE Li {dim}D percolation barrier"] = MAX_BARRIER if dim in capped else barriers[f"E_{dim}D"]
        if capped:
            reasons.append(f"BVSE: no {'/'.join(f'{d}D' for d in capped)} percolation below {MAX_BARRIER:g} eV "
                           f"(value set to {MAX_BARRIER:g})")

    stages = (("preparation", prepare), ("Sendek", sendek), ("Li sublattice", sublattice),
              ("anion framework", framework), ("BVSE", site_energy))
    for k, (name, stage) in enumerate(stages):
        start = time.perf_counter()
        try:
            stage()
        except TimeoutError:
            if time_limit is None:  # not ours: no limit was set
                raise
            left = [n for n, _ in stages[k:] if n != "preparation" and (n != "BVSE" or bvse)]
            for label in _FAMILY_LABELS.get(name, ()):  # what the stage had set is dropped with it
                values[label] = math.nan
            reasons.append(f"time limit of {time_limit:g} s per structure reached during {name}: "
                           f"{', '.join(left)} descriptors not computed (STRUCTURE_TIME_LIMIT_S)")
            clock[name] = time.perf_counter() - start
            break
        clock[name] = time.perf_counter() - start
    return StructureValues(values, reasons, clock)


#: Labels each stage of :func:`structure_descriptors` sets (cleared when its time runs out half way).
_FAMILY_LABELS = {
    "Sendek": tuple(label for label in LABELS if label.startswith("Sendek")) + (
        "Anion framework shortest anion-anion distance",),
    "Li sublattice": tuple(label for label in LABELS if label.startswith("Li ")),
    "anion framework": tuple(label for label in LABELS if label.startswith("Anion framework")
                             and label != "Anion framework shortest anion-anion distance"),
    "BVSE": tuple(label for label in LABELS if label.startswith("BVSE")),
}


def sendek_probability(values: dict[str, float]) -> float:
    """Sendek et al.'s published logistic model: probability that the material is superionic.

    Parameters
    ----------
    values : dict
        Descriptor values (:data:`SENDEK_MODEL` labels), e.g. ``structure_descriptors(s).values``.

    Returns
    -------
    float
        sigmoid(0.18 LLB - 4.01 SBI - 0.47 AFC + 8.70 LASD - 2.17 LLSD - 6.56); NaN when a
        descriptor is missing.
    """
    x = [values[label] for label in SENDEK_MODEL]
    if any(math.isnan(v) for v in x):
        return math.nan
    z = SENDEK_BIAS + sum(w * v for w, v in zip(SENDEK_WEIGHTS, x))
    return 1.0 / (1.0 + math.exp(-z))


__all__ = ["BOND_CUTOFF", "HAS_STRUCTURE", "HOP_CUTOFF", "LABELS", "MERGE_TOL", "SENDEK_BIAS", "SENDEK_MODEL",
           "SENDEK_WEIGHTS", "Sites", "StructureValues", "refused_values", "sendek_probability", "sites_of",
           "structure_descriptors", "structure_entries"]
