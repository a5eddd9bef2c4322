"""The compiled BVSE kernels equal slow references: pair sums, sphere offsets, percolation levels, erfc."""

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from scipy.special import erfc

from explainsse.featurize import bvse
from explainsse.featurize.bvse import li_landscape
from explainsse.featurize.oxidation import framework_charges
from explainsse.featurize.percolation import (
    GridPercolation,
    grid_dimension,
    grid_levels,
    percolation_thresholds,
)


def li2o():
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.61), ["Li", "O"], [[0.25, 0.25, 0.25], [0, 0, 0]])


def triclinic_disordered():
    """A skewed cell with a cation, two anions and a half-occupied anion site."""
    lattice = Lattice.from_parameters(5.1, 6.3, 4.7, 78, 101, 66)
    return Structure(lattice, ["Li", "Zr", "O", "S", {"O": 0.5}],
                     [[0.1, 0.2, 0.3], [0.55, 0.45, 0.6], [0.3, 0.7, 0.1], [0.8, 0.1, 0.85], [0.6, 0.9, 0.4]])


def reference_landscape(structure, resolution, r_cut=bvse.R_CUT):
    """The NumPy landscape the kernel replaced: dense pair energies, bincount into the padded grid."""
    charges = framework_charges(structure)
    coords, occ, elements = bvse._framework(structure, charges)
    morse, coulomb = bvse._pair_parameters(elements, occ, charges)
    matrix = np.asarray(structure.lattice.matrix)
    shape = np.array([max(2, int(length // resolution)) for length in structure.lattice.abc])
    frac = structure.lattice.get_fractional_coords(coords) % 1.0
    offsets = bvse._sphere_offsets(matrix, shape, r_cut)
    offsets_xyz = (offsets / shape) @ matrix
    grid = bvse._PaddedGrid(shape, offsets)
    for params, attractive in ((morse, True), (coulomb, False)):
        rows = np.flatnonzero(params[:, 0] > 0)
        scaled = frac[rows] * shape
        base = np.minimum(np.floor(scaled).astype(int), shape - 1)
        delta = ((scaled - base) / shape) @ matrix
        r2 = (offsets_xyz ** 2).sum(axis=1)[None, :] - 2 * delta @ offsets_xyz.T + (delta ** 2).sum(axis=1)[:, None]
        r = np.sqrt(np.maximum(r2, 0.0))
        p = [params[rows, k:k + 1] for k in range(params.shape[1])]
        if attractive:
            values = p[0] * p[3] / 2 * ((np.exp(p[2] * (p[1] - r)) - 1) ** 2 - 1)
        else:
            values = p[0] / np.maximum(r, 0.3) * erfc(r / p[1])
        values *= r < r_cut
        flat = np.ravel_multi_index(tuple((base + grid.pad).T), tuple(grid.ext))
        index = (flat[:, None] + grid.offset_flat[None, :]).ravel()
        grid.values += np.bincount(index, weights=values.ravel(), minlength=grid.values.size)
    energy = grid.folded()
    return energy - energy.min()


@pytest.mark.parametrize(("make", "resolution"), [(li2o, 0.3), (li2o, 0.2), (triclinic_disordered, 0.3)])
def test_the_compiled_pair_sums_equal_the_numpy_reference(make, resolution):
    s = make()
    fast = li_landscape(s, resolution=resolution).energy
    slow = reference_landscape(s, resolution)
    assert fast.shape == slow.shape
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-9)


def test_the_barriers_equal_a_bisection_that_labels_the_grid_at_every_level():
    for s in (li2o(), triclinic_disordered()):
        land = li_landscape(s, resolution=0.3)
        grid = GridPercolation(land.energy.shape)
        labelled = percolation_thresholds(lambda level: grid.dimension(land.energy <= level), bvse.MAX_BARRIER, 0.01)
        np.testing.assert_array_equal(land.barriers(), labelled)  # bit for bit (NaN where not reached)


def _box_offsets(matrix, shape, r_cut):
    """Every offset of the box of reach, filtered by length: what _sphere_offsets narrows down."""
    step, reach = bvse._offset_reach(matrix, shape, r_cut)
    offsets = np.stack(np.meshgrid(*[np.arange(-k, k + 1) for k in reach], indexing="ij"), -1).reshape(-1, 3)
    return offsets[np.linalg.norm((offsets / shape) @ matrix, axis=1) <= r_cut + step]


def test_sphere_offsets_are_those_of_the_whole_box():
    rng = np.random.default_rng(0)
    lattices = [Lattice.cubic(4.61), Lattice.hexagonal(4.27, 7.59), triclinic_disordered().lattice]
    for _ in range(20):
        a, b, c = rng.uniform(3, 15, 3)
        alpha, beta, gamma = rng.uniform(60, 120, 3)
        try:
            lattices.append(Lattice.from_parameters(a, b, c, alpha, beta, gamma))
        except ValueError:  # not a valid cell
            continue
    for lattice in lattices:
        matrix = np.asarray(lattice.matrix)
        if not np.isfinite(lattice.volume) or lattice.volume < 1:
            continue
        for resolution in (0.3, 0.5):
            shape = np.array([max(2, int(length // resolution)) for length in lattice.abc])
            np.testing.assert_array_equal(bvse._sphere_offsets(matrix, shape, 6.0), _box_offsets(matrix, shape, 6.0))


def test_grid_levels_are_exact_on_random_grids():
    rng = np.random.default_rng(1)
    for trial in range(60):
        shape = tuple(int(n) for n in rng.integers(2, 8, 3))  # axes of 2 cells wrap onto themselves
        energy = rng.random(shape)
        if trial % 3 == 0:
            energy = np.round(energy * 5) / 5  # ties
        levels = grid_levels(energy)
        for value in np.unique(energy):
            assert grid_dimension(energy <= value) == sum(value >= e for e in levels), (trial, value)


def test_grid_levels_stop_at_the_upper_level():
    energy = np.full((6, 5, 7), 3.0)
    energy[2, 2, :] = 0.5  # a channel along c
    assert grid_levels(energy, upper=2.0) == [0.5, np.inf, np.inf]
    assert grid_levels(energy) == [0.5, 3.0, 3.0]


def test_the_kernels_erfc_is_scipys():
    import numba

    compiled = numba.njit(bvse._cephes_erfc)
    x = np.linspace(0.0, 7.999, 20_001)
    got = np.array([compiled(v) for v in x])
    np.testing.assert_array_equal(got, erfc(x))
    assert compiled(9.0) == pytest.approx(erfc(9.0), rel=1e-12)  # outside Cephes' range: math.erfc
