"""Periodic connectivity: the number of dimensions in which connected sites or grid cells percolate.

A connected region of a crystal percolates in *d* dimensions when it reaches its own periodic
images along *d* independent lattice directions. The test used here is exact: a union-find
whose nodes carry their cell offset relative to their root; joining two nodes of one cluster
through a path that ends in another cell adds that cell offset as a *cycle vector*, and the
cluster's dimensionality is the rank of its cycle vectors (0: isolated pockets, 1: channels,
2: layers, 3: a 3D network).

Used for the Li-sublattice hop distances (:func:`percolation_distances`) and the bond-valence
site-energy barriers (:func:`grid_levels`, :func:`percolation_thresholds`; :func:`grid_dimension`
is the same test for one level).

For an energy grid the exact levels are found in one sweep (:func:`grid_levels`): the cells are
added in order of rising energy into a periodic union-find compiled with numba (on first use,
never at import), and the energy of the cell whose addition first makes some cluster percolate
in *d* dimensions is the level ``E_d``. The percolation of the cells below a level never drops
as the level rises, so ``grid_dimension(energy <= level) >= d`` exactly when ``level >= E_d``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np


class PeriodicUnionFind:
    """Union-find over periodic nodes that records each cluster's wrapping (cycle) vectors.

    Parameters
    ----------
    n : int
        Number of nodes (sites of one unit cell, or labelled regions of a grid).
    """

    def __init__(self, n: int):
        self.parent = list(range(n))
        self.offset = [np.zeros(3, int) for _ in range(n)]  # cell of node relative to its parent
        self.cycles: dict[int, list[np.ndarray]] = {}
        self.rank_: dict[int, int] = {}

    def find(self, i: int) -> tuple[int, np.ndarray]:
        """Root of ``i`` and the cell offset of ``i`` relative to that root."""
        path = []
        while self.parent[i] != i:
            path.append(i)
            i = self.parent[i]
        root, total = i, np.zeros(3, int)
        for node in reversed(path):  # compress: offsets accumulate from the root down
            total = total + self.offset[node]
            self.offset[node] = total.copy()
            self.parent[node] = root
        return root, (self.offset[path[0]] if path else np.zeros(3, int))

    def join(self, a: int, b: int, shift) -> int:
        """Connect ``a`` (cell 0) with ``b`` in cell ``shift``; return the dimensionality of their cluster."""
        shift = np.asarray(shift, int)
        ra, oa = self.find(a)
        rb, ob = self.find(b)
        delta = shift - ob + oa  # cell of rb's copy, relative to ra, that this edge reaches
        if ra != rb:
            self.parent[rb] = ra
            self.offset[rb] = delta
            merged = self.cycles.pop(rb, []) + self.cycles.get(ra, [])
            self.cycles[ra] = merged
            self.rank_.pop(rb, None)
            self.rank_[ra] = int(np.linalg.matrix_rank(np.asarray(merged))) if merged else 0
            return self.rank_[ra]
        if delta.any():
            vectors = self.cycles.setdefault(ra, [])
            if self.rank_.get(ra, 0) < 3:
                vectors.append(delta)
                self.rank_[ra] = int(np.linalg.matrix_rank(np.asarray(vectors)))
        return self.rank_.get(ra, 0)

    def dimension(self) -> int:
        """Largest dimensionality of any cluster."""
        return max(self.rank_.values(), default=0)


def percolation_distances(edges, n: int, deadline: Callable[[], None] | None = None) -> list[float]:
    """Shortest hop distance at which the sites percolate in 1, 2 and 3 dimensions.

    Parameters
    ----------
    edges : list of (i, j, image, distance), or a tuple of arrays (i, j, images, distances)
        Site ``i`` (cell 0) to site ``j`` in cell ``image``, sorted or not.
    n : int
        Number of sites.
    deadline : callable, optional
        Called every few thousand edges; raises (e.g. :class:`TimeoutError`) to stop the search.

    Returns
    -------
    list of float
        ``[d1, d2, d3]``; NaN where the edges given do not reach that dimensionality.

    Examples
    --------
    A square net of one site with spacing 3 (a) and 4 (b) percolates in 1D at 3, in 2D at 4:

    >>> percolation_distances([(0, 0, (1, 0, 0), 3.0), (0, 0, (0, 1, 0), 4.0)], 1)
    [3.0, 4.0, nan]
    """
    if isinstance(edges, tuple) and len(edges) == 4 and isinstance(edges[0], np.ndarray):
        i, j, images, dist = (np.asarray(x) for x in edges)
    else:
        i = np.array([e[0] for e in edges], int)
        j = np.array([e[1] for e in edges], int)
        images = np.array([e[2] for e in edges], int).reshape(-1, 3)
        dist = np.array([e[3] for e in edges], float)
    found = [np.nan] * 3
    uf = PeriodicUnionFind(n)
    for count, k in enumerate(np.argsort(dist, kind="stable")):
        if deadline is not None and count % 4096 == 0:
            deadline()
        dim = uf.join(int(i[k]), int(j[k]), images[k])
        for d in range(dim):
            if np.isnan(found[d]):
                found[d] = float(dist[k])
        if dim == 3:
            break
    return found


#: The 26 neighbour directions of a grid cell (corner-sharing cells are connected).
_DIRECTIONS = np.array([d for d in itertools.product((-1, 0, 1), repeat=3) if any(d)])


class GridPercolation:
    """Percolation dimensionality of cell sets on one periodic 3D grid shape (26-connectivity).

    The pairs of cells that touch across the cell boundary depend only on the grid shape, so
    they are listed once; each :meth:`dimension` call labels the cells (scipy) and joins the
    labels those pairs connect.

    Parameters
    ----------
    shape : tuple of int
        Grid points along a, b, c; the grid repeats periodically along all three axes.
    """

    def __init__(self, shape):
        self.shape = np.asarray(shape)
        face = np.zeros(tuple(shape), bool)
        face[[0, -1], :, :] = face[:, [0, -1], :] = face[:, :, [0, -1]] = True
        cells = np.argwhere(face)
        src, tgt, img = [], [], []
        for d in _DIRECTIONS:
            target = cells + d
            wrap = np.floor_divide(target, self.shape)
            crossing = wrap.any(axis=1)
            src.append(np.ravel_multi_index(tuple(cells[crossing].T), tuple(shape)))
            tgt.append(np.ravel_multi_index(tuple(np.mod(target[crossing], self.shape).T), tuple(shape)))
            img.append((wrap[crossing] + 1) @ np.array([9, 3, 1]))
        self.src, self.tgt, self.img = (np.concatenate(x) for x in (src, tgt, img))

    def dimension(self, mask: np.ndarray) -> int:
        """0 (no cluster reaches its own image), 1, 2 or 3 for the ``True`` cells of ``mask``."""
        from scipy import ndimage  # heavy: scipy loads only where its routines run

        labels, n = ndimage.label(mask, structure=np.ones((3, 3, 3), bool))
        if n == 0:
            return 0
        flat = labels.ravel()
        a, b = flat[self.src], flat[self.tgt]
        ok = (a > 0) & (b > 0)
        if not ok.any():
            return 0
        # one integer per (a, b, image): sorting integers is far faster than unique rows
        codes = np.unique(((a[ok].astype(np.int64) - 1) * n + (b[ok] - 1)) * 27 + self.img[ok])
        uf = PeriodicUnionFind(n)
        for code in codes:
            pair, image = divmod(int(code), 27)
            i, j = divmod(pair, n)
            if uf.join(i, j, (image // 9 - 1, image // 3 % 3 - 1, image % 3 - 1)) == 3:
                return 3
        return uf.dimension()


def grid_dimension(mask: np.ndarray) -> int:
    """Percolation dimensionality of the ``True`` cells of a periodic 3D grid (26-connectivity).

    Parameters
    ----------
    mask : numpy.ndarray of bool, shape (nx, ny, nz)
        One unit cell; the grid repeats periodically along all three axes.

    Returns
    -------
    int
        0 (no cluster reaches its own image), 1, 2 or 3.
    """
    return GridPercolation(mask.shape).dimension(mask)


@functools.lru_cache(maxsize=1)
def _sweep_kernel():
    """The compiled sweep of :func:`grid_levels` (numba, compiled on the first call of a process).

    Plain scalar code: the cells enter in the given order; each joins its 26 neighbours already
    in (periodic union-find with cell offsets, union by size, path compression), and each cluster
    keeps a basis of its independent cycle vectors (exact integer cross/triple products).
    """
    import numba

    @numba.njit(cache=False, nogil=True)
    def find(parent, off, i):
        """Root of ``i``; afterwards ``i`` hangs from it directly and ``off[i]`` is its cell relative to it."""
        root = i
        tx = ty = tz = 0
        while parent[root] != root:
            tx += off[root, 0]
            ty += off[root, 1]
            tz += off[root, 2]
            root = parent[root]
        cur = i
        while cur != root:  # offsets accumulate from the root down
            nxt = parent[cur]
            sx = off[cur, 0]
            sy = off[cur, 1]
            sz = off[cur, 2]
            off[cur, 0] = tx
            off[cur, 1] = ty
            off[cur, 2] = tz
            parent[cur] = root
            tx -= sx
            ty -= sy
            tz -= sz
            cur = nxt
        return root

    @numba.njit(cache=False, nogil=True)
    def add_cycle(basis, rank, root, vx, vy, vz):
        """Add a cycle vector to the basis of ``root``'s cluster when it is independent of it."""
        r = rank[root]
        if r >= 3 or (vx == 0 and vy == 0 and vz == 0):
            return
        bx = basis[root, 0]
        by = basis[root, 1]
        bz = basis[root, 2]
        if r == 1:
            if by * vz - bz * vy == 0 and bz * vx - bx * vz == 0 and bx * vy - by * vx == 0:
                return  # parallel to the one vector
        elif r == 2:
            cx = basis[root, 3]
            cy = basis[root, 4]
            cz = basis[root, 5]
            if (by * cz - bz * cy) * vx + (bz * cx - bx * cz) * vy + (bx * cy - by * cx) * vz == 0:
                return  # in the plane of the two
        basis[root, 3 * r] = vx
        basis[root, 3 * r + 1] = vy
        basis[root, 3 * r + 2] = vz
        rank[root] = r + 1

    @numba.njit(cache=False, nogil=True)
    def sweep(order, energy, nx, ny, nz, upper, directions, levels, parent, size, off, basis, rank):
        # the arrays come allocated from NumPy (allocating them here would compile NumPy's constructors too)
        best = 0
        for idx in order:
            e = energy[idx]
            if not e <= upper:  # above the search (NaN sorts last)
                break
            parent[idx] = idx
            size[idx] = 1
            i = idx // (ny * nz)
            j = (idx // nz) % ny
            k = idx % nz
            for q in range(directions.shape[0]):
                ni = i + directions[q, 0]
                nj = j + directions[q, 1]
                nk = k + directions[q, 2]
                wi = (ni >= nx) - (ni < 0)  # the neighbour's cell
                wj = (nj >= ny) - (nj < 0)
                wk = (nk >= nz) - (nk < 0)
                nb = ((ni - wi * nx) * ny + nj - wj * ny) * nz + nk - wk * nz
                if parent[nb] < 0:
                    continue
                ra = find(parent, off, idx)
                rb = find(parent, off, nb)
                # cell of rb's copy that this contact reaches, relative to ra
                dx = wi - (off[nb, 0] if nb != rb else 0) + (off[idx, 0] if idx != ra else 0)
                dy = wj - (off[nb, 1] if nb != rb else 0) + (off[idx, 1] if idx != ra else 0)
                dz = wk - (off[nb, 2] if nb != rb else 0) + (off[idx, 2] if idx != ra else 0)
                if ra != rb:
                    if size[ra] < size[rb]:  # the smaller tree hangs from the larger
                        ra, rb = rb, ra
                        dx, dy, dz = -dx, -dy, -dz
                    parent[rb] = ra
                    off[rb, 0] = dx
                    off[rb, 1] = dy
                    off[rb, 2] = dz
                    size[ra] += size[rb]
                    for m in range(rank[rb]):
                        add_cycle(basis, rank, ra, basis[rb, 3 * m], basis[rb, 3 * m + 1], basis[rb, 3 * m + 2])
                else:
                    add_cycle(basis, rank, ra, dx, dy, dz)
                while best < rank[ra]:
                    levels[best] = e
                    best += 1
                if best == 3:
                    return

    return sweep


def grid_levels(energy: np.ndarray, upper: float = np.inf) -> list[float]:
    """Exact lowest levels at which the cells ``energy <= level`` percolate in 1, 2 and 3 dimensions.

    Parameters
    ----------
    energy : numpy.ndarray, shape (nx, ny, nz)
        Values on one unit cell of a periodic grid (26-connectivity, as :func:`grid_dimension`).
    upper : float
        Cells above it are not added; a dimensionality not reached at ``upper`` gives ``inf``.

    Returns
    -------
    list of float
        ``[E_1D, E_2D, E_3D]``, each one of the grid's values (or ``inf``):
        ``grid_dimension(energy <= level) >= d`` exactly when ``level >= E_d``.

    Examples
    --------
    >>> energy = np.full((4, 4, 4), 2.0)
    >>> energy[:, 1, 1] = 0.5  # a channel along a
    >>> grid_levels(energy)
    [0.5, 2.0, 2.0]
    """
    energy = np.ascontiguousarray(energy, dtype=float)
    if energy.ndim != 3:
        raise ValueError(f"energy must be a 3D grid, got shape {energy.shape}")
    flat = energy.ravel()
    n = flat.size
    levels = np.full(3, np.inf)
    _sweep_kernel()(np.argsort(flat, kind="stable"), flat, *energy.shape, float(upper), _DIRECTIONS.astype(np.int64),
                    levels,
                    np.full(n, -1, np.int64),  # parent (-1: cell not added yet)
                    np.zeros(n, np.int64),  # size of the tree under a root
                    np.zeros((n, 3), np.int64),  # cell of a node relative to its parent
                    np.zeros((n, 9), np.int64),  # up to three independent cycle vectors of a root's cluster
                    np.zeros(n, np.int64))  # their number: the cluster's percolation dimensionality
    return [float(x) for x in levels]


def percolation_thresholds(dimension_at: Callable[[float], int], upper: float, tol: float = 0.01,
                           deadline: Callable[[], None] | None = None) -> list[float]:
    """Smallest level at which :func:`grid_dimension`-style percolation reaches 1, 2 and 3 dimensions.

    Bisection on the level (dimensionality never decreases as the level rises).

    Parameters
    ----------
    dimension_at : callable
        ``level -> dimensionality`` (e.g. of the grid cells whose energy is below ``level``).
    upper : float
        Highest level searched; a dimensionality not reached there gives NaN.
    tol : float
        Resolution of the bisection.
    deadline : callable, optional
        Called before each evaluation; raises to stop the search.

    Returns
    -------
    list of float
        ``[level_1D, level_2D, level_3D]``.
    """
    cache: dict[float, int] = {}

    def dim(level: float) -> int:
        if level not in cache:
            if deadline is not None:
                deadline()
            cache[level] = dimension_at(level)
        return cache[level]

    out: list[float] = []
    for d in (1, 2, 3):
        if dim(upper) < d:
            out.extend([np.nan] * (4 - d))
            break
        if out and dim(out[-1]) >= d:  # the same level already connects in d dimensions
            out.append(out[-1])
            continue
        lo = out[-1] if out else 0.0  # below the previous level not even d - 1 dimensions connect
        hi = upper
        while hi - lo > tol:
            mid = (lo + hi) / 2
            if dim(mid) >= d:
                hi = mid
            else:
                lo = mid
        out.append(hi)
    return out


__all__ = ["GridPercolation", "PeriodicUnionFind", "grid_dimension", "grid_levels", "percolation_distances",
           "percolation_thresholds"]
