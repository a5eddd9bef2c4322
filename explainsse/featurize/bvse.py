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

The pair sums run in a small numba kernel (compiled on the first landscape of a process, never
at import, and not cached on disk): for each framework species it visits the grid points within
reach once and adds the pair energy in place, with no temporary arrays. The barriers come from
the exact percolation levels of one sweep over the sorted grid (:func:`.percolation.grid_levels`),
read out through the same bisection as before, so the values are those of a bisection that
labels the grid at every level.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from .. import _config
from .._config import BVSE_RESOLUTION_A
from .oxidation import OxidationError, covalent_radius, framework_charges
from .percolation import grid_levels, percolation_thresholds

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
        """Percolation barriers ``[E_1D, E_2D, E_3D]`` (eV; NaN above ``upper``).

        The bisection of :func:`~.percolation.percolation_thresholds` (resolution ``tol``) on the
        percolation dimensionality of ``energy <= level``; that dimensionality is read from the
        exact levels of :func:`~.percolation.grid_levels` (``>= d`` exactly when ``level >= E_d``),
        so no level has to label the grid again.
        """
        if deadline is not None:
            deadline()
        exact = grid_levels(self.energy, upper)
        return percolation_thresholds(lambda level: sum(level >= e for e in exact), upper, tol, deadline)


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
    """Integer grid offsets that can lie within ``r_cut`` of a point inside the cell of grid index 0.

    The offsets ``o`` with ``|(o / shape) @ matrix| <= r_cut + step`` (``step``: the longest
    diagonal of a grid cell), in lexicographic order. Only the candidates of each (i, j) row
    whose k lies within the sphere (solved from the quadratic in k, widened by one step on each
    side) are tested, not the whole box of ``reach`` (about half the box for a right-angled cell,
    far less for a skewed one).
    """
    step, reach = _offset_reach(matrix, shape, r_cut)
    radius = r_cut + step
    steps = matrix / shape[:, None]  # Cartesian vector of one grid step along each axis
    i, j = (x.ravel() for x in np.meshgrid(np.arange(-reach[0], reach[0] + 1), np.arange(-reach[1], reach[1] + 1),
                                           indexing="ij"))
    row = i[:, None] * steps[0] + j[:, None] * steps[1]  # |row + k steps[2]| <= radius: a quadratic in k
    cc = steps[2] @ steps[2]
    b = row @ steps[2]
    disc = b * b - cc * ((row * row).sum(axis=1) - radius ** 2)
    half = np.sqrt(np.maximum(disc, 0.0)) / cc
    lo = np.maximum(np.floor(-b / cc - half) - 1, -reach[2]).astype(int)
    hi = np.minimum(np.ceil(-b / cc + half) + 1, reach[2]).astype(int)
    counts = np.where(disc >= -1e-9 * radius ** 2 * cc, np.maximum(hi - lo + 1, 0), 0)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(int(counts.sum())) - first + np.repeat(lo, counts)
    offsets = np.stack([np.repeat(i, counts), np.repeat(j, counts), k], axis=1)
    keep = np.linalg.norm((offsets / shape) @ matrix, axis=1) <= radius
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

    def add(self, frac: np.ndarray, matrix: np.ndarray, offsets_xyz: np.ndarray, r_cut: float, params: np.ndarray,
            attractive: bool) -> None:
        """Add the energies of a Li+ at the grid points around a batch of framework species.

        For a species at fractional position ``f`` the grid points within ``r_cut`` are fixed
        offsets (Cartesian ``offsets_xyz``) around the grid index ``floor(f * shape)``.
        ``params`` holds one row per species: (weight, Rmin, alpha, D0) for anions
        (``attractive``), (prefactor, screening length) for cations.
        """
        scaled = frac * self.shape
        base = np.minimum(np.floor(scaled).astype(int), self.shape - 1)  # frac % 1.0 can round to 1.0
        delta = ((scaled - base) / self.shape) @ matrix  # species' Cartesian position inside its grid cell
        base_flat = np.ravel_multi_index(tuple((base + self.pad).T), tuple(self.ext))
        offsets_xyz = np.ascontiguousarray(offsets_xyz, dtype=float)
        _pair_kernel()(self.values, base_flat.astype(np.int64), np.ascontiguousarray(delta, dtype=float),
                       self.offset_flat.astype(np.int64), offsets_xyz, (offsets_xyz ** 2).sum(axis=1),
                       np.ascontiguousarray(params, dtype=float), float(r_cut), bool(attractive))

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


#: Cephes' erfc coefficients (S. L. Moshier, Cephes Math Library 2.8, ndtr.c; used by scipy.special.erfc).
_ERFC_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0, 4.86371970985681366614E1,
           1.96520832956077098242E2, 5.26445194995477358631E2, 9.34528527171957607540E2, 1.02755188689515710272E3,
           5.57535335369399327526E2)
_ERFC_Q = (1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2, 9.75708501743205489753E2,
           1.82390916687909736289E3, 2.24633760818710981792E3, 1.65666309194161350182E3, 5.57535340817727675546E2)
_ERF_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3, 7.00332514112805075473E3,
          5.55923013010394962768E4)
_ERF_U = (3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3, 2.26290000613890934246E4,
          4.92673942608635921086E4)


def _cephes_erfc(a: float) -> float:
    """Complementary error function, Cephes' algorithm and evaluation order (the kernel's ``erfc``).

    For ``0 <= a < 8`` (the kernel's range: ``r < R_CUT`` over a screening length above 1 A) it
    gives the values of ``scipy.special.erfc`` bit for bit; elsewhere it falls back on
    ``math.erfc``. Plain Python here, compiled with numba inside :func:`_pair_kernel`.
    """
    if not 0.0 <= a < 8.0:
        return math.erfc(a)
    if a < 1.0:  # 1 - erf(a), erf(a) = a T(a^2) / U(a^2)
        t, u, z = _ERF_T, _ERF_U, a * a
        return 1.0 - a * ((((t[0] * z + t[1]) * z + t[2]) * z + t[3]) * z + t[4]) / (
            ((((z + u[0]) * z + u[1]) * z + u[2]) * z + u[3]) * z + u[4])
    p, q = _ERFC_P, _ERFC_Q
    num = (((((((p[0] * a + p[1]) * a + p[2]) * a + p[3]) * a + p[4]) * a + p[5]) * a + p[6]) * a + p[7]) * a + p[8]
    den = (((((((a + q[0]) * a + q[1]) * a + q[2]) * a + q[3]) * a + q[4]) * a + q[5]) * a + q[6]) * a + q[7]
    return (math.exp(-a * a) * num) / den


@functools.lru_cache(maxsize=1)
def _pair_kernel():
    """The compiled pair sum of :meth:`_PaddedGrid.add` (numba, compiled on the first call of a process).

    ``values[base[s] + offset_flat[k]] += E(r)`` for every species ``s`` and offset ``k`` with
    ``r < r_cut``, where ``r`` is the distance from the species (``delta[s]`` inside its grid
    cell) to the grid point ``offsets_xyz[k]``, written as ``oo[k] - 2 delta.o + |delta|^2`` (``oo``: the
    offsets' squared lengths).
    ``E`` is the softBV Morse attraction ``w D0 / 2 [(exp(alpha (Rmin - r)) - 1)^2 - 1]``
    (``attractive``; params: w, Rmin, alpha, D0) or the screened Coulomb repulsion
    ``p / max(r, 0.3) erfc(r / s)`` (params: p, s). ``erfc`` is Cephes' (:func:`_cephes_erfc`,
    the one ``scipy.special.erfc`` uses), so the pair energies are those of NumPy and SciPy.
    """
    import numba

    erfc = numba.njit(cache=False, nogil=True)(_cephes_erfc)

    @numba.njit(cache=False, nogil=True)
    def add_pairs(values, base_flat, delta, offset_flat, offsets_xyz, oo, params, r_cut, attractive):
        n_off = offset_flat.shape[0]
        for s in range(base_flat.shape[0]):
            dx, dy, dz = delta[s, 0], delta[s, 1], delta[s, 2]
            dd = dx * dx + dy * dy + dz * dz
            b = base_flat[s]
            if attractive:
                scale, rmin, alpha = params[s, 0] * params[s, 3] / 2, params[s, 1], params[s, 2]
                for k in range(n_off):
                    r = math.sqrt(max(oo[k] - 2 * (dx * offsets_xyz[k, 0] + dy * offsets_xyz[k, 1]
                                                   + dz * offsets_xyz[k, 2]) + dd, 0.0))
                    if r < r_cut:
                        x = math.exp(alpha * (rmin - r)) - 1
                        values[b + offset_flat[k]] += scale * (x * x - 1)
            else:
                prefactor, screening = params[s, 0], params[s, 1]
                for k in range(n_off):
                    r = math.sqrt(max(oo[k] - 2 * (dx * offsets_xyz[k, 0] + dy * offsets_xyz[k, 1]
                                                   + dz * offsets_xyz[k, 2]) + dd, 0.0))
                    if r < r_cut:
                        values[b + offset_flat[k]] += prefactor / max(r, 0.3) * erfc(r / screening)

    return add_pairs


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
    matrix = np.asarray(lattice.matrix, float)
    shape = np.array([max(2, int(length // resolution)) for length in lattice.abc])
    frac = lattice.get_fractional_coords(coords) % 1.0
    offsets = _sphere_offsets(matrix, shape, r_cut)
    offsets_xyz = (offsets / shape) @ matrix
    grid = _PaddedGrid(shape, offsets)
    batch = max(1, 2_000_000 // len(offsets))  # species per time check: a few milliseconds of pairs
    for params, attractive in ((morse, True), (coulomb, False)):
        rows = np.flatnonzero(params[:, 0] > 0)
        for lo in range(0, len(rows), batch):
            if time_limit is not None and time.perf_counter() - start > time_limit:
                raise TimeoutError(f"BVSE grid not finished within {time_limit:g} s")
            part = rows[lo:lo + batch]
            grid.add(frac[part], matrix, offsets_xyz, r_cut, params[part], attractive)
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
