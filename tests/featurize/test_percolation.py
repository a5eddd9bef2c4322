"""Periodic percolation: exact dimensionality of site graphs and grid regions."""

import numpy as np
import pytest

from explainsse.featurize.percolation import (
    PeriodicUnionFind,
    grid_dimension,
    percolation_distances,
    percolation_thresholds,
)


def test_a_chain_of_two_sites_wraps_in_one_direction_only():
    uf = PeriodicUnionFind(2)
    assert uf.join(0, 1, (0, 0, 0)) == 0  # same cell: no wrapping yet
    assert uf.join(1, 0, (1, 0, 0)) == 1  # back to 0 one cell further: a channel along a
    assert uf.join(0, 0, (2, 0, 0)) == 1  # parallel to the first cycle: still 1D
    assert uf.join(1, 1, (0, 0, 1)) == 2
    assert uf.join(0, 1, (0, 1, 0)) == 3


def test_separate_clusters_keep_their_own_dimensionality():
    uf = PeriodicUnionFind(3)
    uf.join(0, 0, (1, 0, 0))
    uf.join(1, 1, (0, 1, 0))
    uf.join(1, 1, (0, 0, 1))
    assert uf.dimension() == 2  # cluster {1} is a layer; {0} only a channel
    assert uf.join(0, 1, (0, 0, 0)) == 3  # joining them combines the cycles


def test_hop_distances_of_an_orthorhombic_lattice_are_its_edges():
    edges = [(0, 0, (1, 0, 0), 3.0), (0, 0, (0, 1, 0), 4.0), (0, 0, (0, 0, 1), 5.0), (0, 0, (1, 1, 0), 5.0)]
    assert percolation_distances(edges, 1) == [3.0, 4.0, 5.0]


@pytest.mark.parametrize(("cells", "expected"), [
    (lambda m: m.__setitem__((2, 2, slice(None)), True), 1),      # a straight channel along c
    (lambda m: m.__setitem__((slice(None), slice(None), 3), True), 2),  # a plane
    (lambda m: m.__setitem__((slice(1, 3), slice(1, 3), slice(1, 3)), True), 0),  # an isolated pocket
    (lambda m: m.fill(True), 3),
])
def test_grid_dimension(cells, expected):
    mask = np.zeros((6, 5, 7), bool)
    cells(mask)
    assert grid_dimension(mask) == expected


def test_a_diagonal_channel_crossing_the_corner_is_connected():
    mask = np.zeros((5, 5, 5), bool)
    for k in range(5):
        mask[k, k, k] = True  # corner-sharing cells only: 26-connectivity joins them across the corner
    assert grid_dimension(mask) == 1


def test_thresholds_bisect_each_dimension():
    energy = np.full((8, 8, 8), 3.0)
    energy[:, 4, 4] = 0.5  # channel along a at 0.5 eV
    energy[:, :, 4] = np.minimum(energy[:, :, 4], 1.0)  # layer at 1 eV
    levels = percolation_thresholds(lambda e: grid_dimension(energy <= e), upper=5.0, tol=0.01)
    assert levels == pytest.approx([0.5, 1.0, 3.0], abs=0.011)
    assert percolation_thresholds(lambda e: grid_dimension(energy <= e), upper=2.0)[2] != \
        percolation_thresholds(lambda e: grid_dimension(energy <= e), upper=2.0)[2]  # NaN: not reached
