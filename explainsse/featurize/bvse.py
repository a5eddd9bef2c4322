"""Bond-valence site energy (BVSE) of a Li+ ion and the percolation barriers of its energy landscape.

The energy of a Li+ test ion at a grid point is the softBV model of Chen, Wong & Adams
(Acta Cryst. B 75, 18 (2019)), in the form implemented by ``bvlain`` 0.25.1:

* attraction to every anion within :data:`R_CUT`, a Morse term
  ``D0/2 [(exp(alpha (Rmin - R)) - 1)^2 - 1]`` with the softBV Li+-anion parameters
  (:data:`SOFTBV_LI`);
* screened Coulomb repulsion from every cation,
  ``14.4 q_Li q / sqrt(n_Li n) / R erfc(R / (f (rc_Li + rc)))`` (eV, angstrom), with the
  principal quantum numbers ``n`` (the element's period), covalent radii ``rc`` (Cordero et al.
  2008, as in ``ase`` and pymatgen) and the screening factor ``f = 0.74``.

Partial occupancy is handled by weighting each framework species by its site occupancy (Li
itself is the mobile ion and is left out of the framework). The 1D/2D/3D barriers are the
lowest energies above the landscape's minimum at which the region below that energy connects
to its periodic images in 1, 2 or 3 independent directions (:mod:`.percolation`).

Oxidation states come from :func:`~explainsse.featurize.oxidation.framework_charges`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .. import _config
from .._config import BVSE_RESOLUTION_A
from .oxidation import OxidationError, covalent_radius, framework_charges
from .percolation import GridPercolation, percolation_thresholds

#: softBV Li+-anion Morse parameters (Rmin / A, alpha / A^-1, D0 / eV) by anion element.
#: Chen, Wong & Adams, Acta Cryst. B 75, 18 (2019), the values distributed with softBV and
#: bvlain 0.25.1 (``data/cation.pkl``, Li+ entries).
SOFTBV_LI: dict[str, tuple[float, float, float]] = {
    "N": (2.132557, 1.569859, 2.054953),
    "O": (1.940013, 1.937984, 0.98816),
    "F": (1.87265, 1.968504, 0.49611),
    "S": (2.40971, 1.531394, 1.04027),
    "Cl": (2.39647, 1.577287, 0.49302),
    "Se": (2.68386, 1.461988, 0.8875),
    "Br": (2.58255, 1.481481, 0.4491),
    "Te": (2.73313, 1.371742, 0.88544),
    "I": (2.78807, 1.360544, 0.44117),
}
#: Screening factor of the Coulomb repulsion (softBV).
SCREENING = 0.74
#: Cutoff of the Li-framework interaction (angstrom).
R_CUT = 6.0
#: Default grid spacing (angstrom).
RESOLUTION = BVSE_RESOLUTION_A
#: Highest barrier searched (eV); a percolation not reached below it gives NaN.
MAX_BARRIER = 10.0
_COULOMB = 14.399645  # e^2 / (4 pi eps0) in eV A


class BVSEError(ValueError):
    """The landscape cannot be computed for this structure (the message says why)."""


def _charges(structure) -> dict[str, int]:
    try:
        return framework_charges(structure)
    except OxidationError as exc:
        raise BVSEError(str(exc)) from exc


@dataclass(frozen=True)
class Landscape:
    """A Li+ site-energy grid over one unit cell.

    Attributes
    ----------
    energy : numpy.ndarray, shape (nx, ny, nz)
        eV, relative to the grid's minimum.
    spacing : float
        Requested grid spacing (angstrom).
    charges : dict
        Oxidation state used for each framework element.
    """

    energy: np.ndarray
    spacing: float
    charges: dict

    def barriers(self, upper: float = MAX_BARRIER, tol: float = 0.01, deadline=None) -> list[float]:
        """Percolation barriers ``[E_1D, E_2D, E_3D]`` (eV; NaN above ``upper``)."""
        grid = GridPercolation(self.energy.shape)
        return percolation_thresholds(lambda level: grid.dimension(self.energy <= level), upper, tol, deadline)


def _period(symbol: str) -> int:
    from pymatgen.core import Element  # heavy: pymatgen loads only where structures/compositions need it

    return int(Element(symbol).row)


def _framework(structure, charges: dict[str, int]):
    """Per framework species: Cartesian position, occupancy and element (Li left out)."""
    coords, occ, elements = [], [], []
    for site in structure:
        for el, amt in site.species.element_composition.items():
            if el.symbol != "Li" and float(amt) > 0:
                coords.append(site.coords)
                occ.append(float(amt))
                elements.append(el.symbol)
    return np.asarray(coords, float).reshape(-1, 3), np.asarray(occ, float), elements


def _pair_parameters(elements: list[str], occ: np.ndarray, charges: dict[str, int]):
    """Arrays of the Morse (anions) and Coulomb (cations) parameters of each framework species."""
    n = len(elements)
    morse = np.zeros((n, 4))  # weight, Rmin, alpha, D0
    coulomb = np.zeros((n, 2))  # prefactor (eV A), screening length (A)
    rc_li, n_li = covalent_radius("Li"), _period("Li")
    for k, el in enumerate(elements):
        q = charges[el]
        if q < 0:
            if el not in SOFTBV_LI:
                raise BVSEError(f"no softBV Li+ parameters for the anion {el}{q}")
            morse[k] = (occ[k], *SOFTBV_LI[el])
        elif q > 0:
            coulomb[k] = (occ[k] * _COULOMB * q / math.sqrt(n_li * _period(el)),
                          SCREENING * (rc_li + covalent_radius(el)))
    return morse, coulomb


def _offset_reach(matrix: np.ndarray, shape: np.ndarray, r_cut: float) -> tuple[float, np.ndarray]:
    """Longest diagonal of one grid cell, and the grid steps along each axis that ``r_cut`` (plus it) can span."""
    step = np.linalg.norm(matrix / shape[:, None], axis=1).sum()  # longest diagonal of one grid cell
    reach = np.ceil((r_cut + step) * np.linalg.norm(np.linalg.inv(matrix), axis=0) * shape).astype(int)
    return step, reach


def grid_size(lattice, resolution: float = RESOLUTION, r_cut: float = R_CUT) -> tuple[tuple[int, int, int], int]:
    """Shape of the BVSE grid of a cell, and the points of the padded grid that is allocated for it.

    The padded grid (the cell grid extended by the interaction reach on every side) bounds the
    memory of :func:`li_landscape`: about 35 bytes per point at the peak. It is compared with
    :data:`~explainsse._config.MAX_BVSE_GRID_POINTS` before anything is allocated.
    """
    matrix = np.asarray(lattice.matrix, float)
    shape = np.array([max(2, int(length // resolution)) for length in lattice.abc])
    _, reach = _offset_reach(matrix, shape, r_cut)
    padded = shape + 2 * reach
    # the offsets box (2 reach + 1 per axis) is allocated too: count the larger of the two
    return tuple(int(x) for x in shape), int(max(np.prod(padded.astype(float)), np.prod(2 * reach + 1.0)))


def _sphere_offsets(matrix: np.ndarray, shape: np.ndarray, r_cut: float) -> np.ndarray:
    """Integer grid offsets that can lie within ``r_cut`` of a point inside the cell of grid index 0."""
    step, reach = _offset_reach(matrix, shape, r_cut)
    offsets = np.stack(np.meshgrid(*[np.arange(-k, k + 1) for k in reach], indexing="ij"), -1).reshape(-1, 3)
    keep = np.linalg.norm((offsets / shape) @ matrix, axis=1) <= r_cut + step
    return offsets[keep]


class _PaddedGrid:
    """The grid extended by the offsets' reach on every side, so that index arithmetic needs no modulo.

    Energies are added into the padded grid at ``base + offset`` (one integer addition per
    pair, on flattened indices) and folded back onto the periodic unit-cell grid once.
    """

    def __init__(self, shape: np.ndarray, offsets: np.ndarray):
        self.shape = shape
        self.pad = np.abs(offsets).max(axis=0)
        self.ext = shape + 2 * self.pad
        strides = np.array([self.ext[1] * self.ext[2], self.ext[2], 1])
        self.offset_flat = offsets @ strides  # flat displacement of each offset (may be negative)
        self.values = np.zeros(int(self.ext.prod()))

    def add(self, base: np.ndarray, energies: np.ndarray) -> None:
        """Add ``energies`` (species x offsets) around the grid indices ``base`` (species x 3)."""
        base_flat = np.ravel_multi_index(tuple(base.T), tuple(self.ext))
        index = (base_flat[:, None] + self.offset_flat[None, :]).ravel()
        self.values += np.bincount(index, weights=energies.ravel(), minlength=self.values.size)

    def folded(self) -> np.ndarray:
        """The unit-cell grid: every padded index added onto its periodic image."""
        out = self.values.reshape(tuple(self.ext))
        for axis, (n, pad) in enumerate(zip(self.shape, self.pad)):
            target = (np.arange(out.shape[axis]) - pad) % n
            folded_shape = list(out.shape)
            folded_shape[axis] = n
            acc = np.zeros(folded_shape)
            for src in range(out.shape[axis]):
                index = [slice(None)] * 3
                index[axis] = target[src]
                take = [slice(None)] * 3
                take[axis] = src
                acc[tuple(index)] += out[tuple(take)]
            out = acc
        return out


def _species_energy(matrix: np.ndarray, shape: np.ndarray, offsets_xyz: np.ndarray, frac: np.ndarray,
                    r_cut: float, params: np.ndarray, attractive: bool) -> tuple[np.ndarray, np.ndarray]:
    """Grid index and energies of a Li+ at the grid points around a batch of framework species.

    For a species at fractional position ``f`` the grid points within ``r_cut`` are fixed
    offsets (Cartesian ``offsets_xyz``) around the grid index ``floor(f * shape)``; distances
    come from one matrix product. ``params`` holds one row per species: (weight, Rmin, alpha,
    D0) for anions (``attractive``), (prefactor, screening length) for cations.

    Returns
    -------
    base : numpy.ndarray (species x 3)
    energies : numpy.ndarray (species x offsets)
    """
    from scipy.special import erfc  # heavy: scipy loads only where its routines run

    scaled = frac * shape
    base = np.minimum(np.floor(scaled).astype(int), shape - 1)  # frac % 1.0 can round to 1.0
    delta = ((scaled - base) / shape) @ matrix  # species' Cartesian position inside its grid cell
    r2 = (offsets_xyz ** 2).sum(axis=1)[None, :] - 2 * delta @ offsets_xyz.T + (delta ** 2).sum(axis=1)[:, None]
    r = np.sqrt(np.maximum(r2, 0.0))
    p = [params[:, k:k + 1] for k in range(params.shape[1])]
    if attractive:
        values = p[0] * p[3] / 2 * ((np.exp(p[2] * (p[1] - r)) - 1) ** 2 - 1)
    else:
        values = p[0] / np.maximum(r, 0.3) * erfc(r / p[1])
    values *= r < r_cut
    return base, values


def li_landscape(structure, resolution: float = RESOLUTION, r_cut: float = R_CUT,
                 time_limit: float | None = None, charges: dict | None = None) -> Landscape:
    """The BVSE of a Li+ test ion on a grid over the unit cell.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        Ordered or partially occupied.
    resolution : float
        Grid spacing (angstrom); the grid has ``max(2, int(L / resolution))`` points along a
        cell edge of length ``L``.
    r_cut : float
        Interaction cutoff (angstrom).
    time_limit : float, optional
        Seconds; :class:`TimeoutError` when exceeded.
    charges : dict, optional
        Oxidation state per element, when already known (default:
        :func:`~explainsse.featurize.oxidation.framework_charges`).

    Returns
    -------
    Landscape

    Raises
    ------
    BVSEError
        Also when the grid (padded by the interaction reach, :func:`grid_size`) would have more
        than :data:`~explainsse._config.MAX_BVSE_GRID_POINTS` points (read at call time).
    """
    start = time.perf_counter()
    shape, points = grid_size(structure.lattice, resolution, r_cut)
    if points > _config.MAX_BVSE_GRID_POINTS:
        raise BVSEError(f"grid of {points:,} points ({'x'.join(map(str, shape))} at {resolution:g} A, padded by the "
                        f"{r_cut:g} A cutoff) is over the limit of {_config.MAX_BVSE_GRID_POINTS:,} "
                        f"(MAX_BVSE_GRID_POINTS)")
    charges = charges if charges is not None else _charges(structure)
    coords, occ, elements = _framework(structure, charges)
    if not len(coords):
        raise BVSEError("no framework atoms besides Li")
    morse, coulomb = _pair_parameters(elements, occ, charges)
    if not morse[:, 0].any():
        raise BVSEError("no anion site")
    lattice = structure.lattice
    shape = np.array([max(2, int(length // resolution)) for length in lattice.abc])
    frac = lattice.get_fractional_coords(coords) % 1.0
    offsets = _sphere_offsets(lattice.matrix, shape, r_cut)
    offsets_xyz = (offsets / shape) @ lattice.matrix
    grid = _PaddedGrid(shape, offsets)
    batch = max(1, 150_000 // len(offsets))
    for params, attractive in ((morse, True), (coulomb, False)):
        rows = np.flatnonzero(params[:, 0] > 0)
        for lo in range(0, len(rows), batch):
            if time_limit is not None and time.perf_counter() - start > time_limit:
                raise TimeoutError(f"BVSE grid not finished within {time_limit:g} s")
            part = rows[lo:lo + batch]
            base, values = _species_energy(lattice.matrix, shape, offsets_xyz, frac[part], r_cut, params[part],
                                           attractive)
            grid.add(base + grid.pad, values)
    energy = grid.folded()
    return Landscape(energy - energy.min(), resolution, charges)


def bvse_barriers(structure, resolution: float = RESOLUTION, r_cut: float = R_CUT,
                  time_limit: float | None = None, charges: dict | None = None) -> dict[str, float]:
    """1D, 2D and 3D Li+ percolation barriers (eV) of ``structure``.

    Parameters
    ----------
    structure : pymatgen.core.Structure
    resolution, r_cut : float
        See :func:`li_landscape`.
    time_limit : float, optional
        Seconds for the grid and the percolation search together.
    charges : dict, optional
        See :func:`li_landscape`.

    Returns
    -------
    dict
        ``{"E_1D": ..., "E_2D": ..., "E_3D": ...}``; NaN when not percolating below
        :data:`MAX_BARRIER`.
    """
    start = time.perf_counter()
    landscape = li_landscape(structure, resolution, r_cut, time_limit, charges)

    def deadline():
        if time_limit is not None and time.perf_counter() - start > time_limit:
            raise TimeoutError(f"BVSE percolation search not finished within {time_limit:g} s")

    return dict(zip(("E_1D", "E_2D", "E_3D"), landscape.barriers(deadline=deadline)))


__all__ = ["MAX_BARRIER", "RESOLUTION", "R_CUT", "SCREENING", "SOFTBV_LI", "BVSEError", "Landscape",
           "bvse_barriers", "grid_size", "li_landscape"]
