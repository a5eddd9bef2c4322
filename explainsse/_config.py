"""The one place for defaults.

Every tunable default of the toolkit lives in :class:`Settings`. Values are read from the
environment only when :func:`get_settings` is called (never at import time), so tests and
notebooks can change ``EXPLAINSSE_*`` variables freely.

Environment variables
---------------------
EXPLAINSSE_DATA_DIR
    Folder holding dataset files as ``<dir>/<dataset>/<file>`` (may be read-only, e.g. a
    shared copy). Default: the platform's user cache dir, ``.../explainsse/data``.
EXPLAINSSE_CACHE_DIR
    Writable folder for derived files (extracted CIFs, feature tables). Default: the
    platform's user cache dir, ``.../explainsse/cache``.
EXPLAINSSE_N_JOBS
    Worker processes for featurization (default 1: matminer's multiprocessing was slower
    than one process on 2 cores, and is known to hang).
EXPLAINSSE_RANDOM_STATE
    Seed used wherever the toolkit needs randomness (default 0).
EXPLAINSSE_CENSORED_FLOOR
    Conductivity (S/cm) used for text upper bounds such as ``<1E-10`` (default 1e-15,
    the value of the published OBELiX benchmark).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .errors import InputDataError

APP_NAME = "explainsse"

#: Conductivity (S/cm) assigned to censored rows (text upper bounds such as ``<1E-10``).
#: 1e-15 S/cm is the value used by the OBELiX benchmark (Therrien et al. 2025), so that
#: numbers stay comparable with the published baselines.
DEFAULT_CENSORED_FLOOR = 1e-15

#: Accepted range of conductivities (S/cm): below 1e-40 is no measurement; above 10 S/cm no
#: solid ion conductor has been measured (the best Li conductors reach about 0.03 S/cm), so such
#: a value is almost always a unit mix-up (mS/cm, S/m) or a typo.
MIN_SIGMA_S_CM = 1e-40
MAX_SIGMA_S_CM = 10.0


def check_censored_floor(floor: object, source: str = "censored floor") -> float:
    """Return ``floor`` as a float, or raise :class:`~explainsse.errors.InputDataError` with the reason.

    The floor must be a finite conductivity in [1e-40, 10) S/cm (the range accepted for measured
    values); rows whose upper bound is not above it become per-row issues when loading.

    Examples
    --------
    >>> check_censored_floor("1e-12")
    1e-12
    >>> check_censored_floor(0)
    Traceback (most recent call last):
    ...
    explainsse.errors.InputDataError: censored floor 0 is not a conductivity in [1e-40, 10) S/cm
    """
    try:
        value = float(floor)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and MIN_SIGMA_S_CM <= value < MAX_SIGMA_S_CM):
        raise InputDataError(f"{source} {floor!r} is not a conductivity in [1e-40, 10) S/cm")
    return value


#: Largest single file the downloader accepts, and the largest CIF archive / member the
#: extractor accepts (bytes). OBELiX's archive is 0.1 MB packed, 0.75 MB unpacked.
MAX_DOWNLOAD_BYTES = 512 * 1024**2
MAX_ARCHIVE_BYTES = 256 * 1024**2
MAX_CIF_MEMBER_BYTES = 16 * 1024**2
MAX_ARCHIVE_MEMBERS = 200_000

#: Download timeout in seconds (connect and read).
DOWNLOAD_TIMEOUT_S = 30.0

#: Model families a report, benchmark and ``importance --family all`` use by default.
DEFAULT_FAMILIES = ("logreg", "pls", "xgb")
#: Superionic threshold (S/cm) of the classification task.
DEFAULT_THRESHOLD_S_CM = 1e-4
#: Worker processes for model fitting (reports, validations, benchmarks): two single-threaded
#: fits side by side beat one fit on two threads for a few hundred rows (featurization has its
#: own setting, :attr:`Settings.n_jobs`).
DEFAULT_WORKERS = 2
#: y-scrambling refits per validated model: 19 is the fewest for which p can reach 0.05.
DEFAULT_N_SCRAMBLE = 19
#: Composition clusters of the cluster-out (LOCO-CV) scheme; each is held out in turn.
DEFAULT_CLUSTERS = 10
#: CV schemes a report runs beside its own (hyperparameters reused, no y-scrambling): random folds,
#: grouped by chemical system, leave-cluster-out; side by side they show the extrapolation penalty.
SIDE_SCHEMES = ("random-kfold", "group-chemsys", "cluster-out")
#: How well the pipeline finds known drivers, as measured by benchmarks/driver_recovery.py (10 simulated
#: truths on OBELiX's full-v1 matrix at its repeat-measurement noise, sd 0.59 decades; mean [95% t-interval]):
#: reports and ``importance`` quote it beside every descriptor ranking. Keys: a family's own ranking, the same
#: with near-copies merged ("xgb merged"), and the consensus headline (near-copies merged). The target counts a
#: true driver found when it or a near-copy is in the top k. Re-measure when the pipeline changes.
DRIVER_RECOVERY = {
    "benchmark": "benchmarks/driver_recovery.py", "noise_sd_decades": 0.59, "truths": 10, "target": 0.8,
    "precision_at_k": {"pls": (0.49, 0.39, 0.60), "xgb": (0.53, 0.42, 0.64), "pls merged": (0.47, 0.38, 0.55),
                       "xgb merged": (0.56, 0.41, 0.71), "headline": (0.56, 0.41, 0.71)},
    "group_credited": {"pls": (0.51, 0.41, 0.61), "xgb": (0.63, 0.49, 0.78), "pls merged": (0.52, 0.42, 0.63),
                       "xgb merged": (0.70, 0.53, 0.87), "headline": (0.71, 0.55, 0.87)},
}
#: Headline level of prediction intervals and conformal prediction sets.
INTERVAL_LEVEL = 0.9
#: Every level at which intervals are given (the headline one among them).
INTERVAL_LEVELS = (0.8, 0.9, 0.95)
#: Normalized conformal intervals: a prediction's difficulty is DIFFICULTY_BETA + the mean
#: distance to its DIFFICULTY_K nearest training materials (in units of the calibration rows'
#: median distance); chosen by cluster-out CV on the OBELiX training rows: beta = 2 gives the most even
#: coverage across distance bins (0.82-0.94 at 90%; beta = 0.05 gave 0.63-1.00), benchmarks/uncertainty.py.
DIFFICULTY_K = 1
DIFFICULTY_BETA = 2.0
#: Grid spacing (angstrom) of the Li+ bond-valence site-energy landscape: within 0.05 eV of
#: bvlain's barriers at 0.2 A on OBELiX's ordered CIFs, about 3x faster (benchmarks/structure.py).
BVSE_RESOLUTION_A = 0.3
#: Seconds allowed per structure for all its descriptors together (Sendek, Li sublattice, anion
#: framework, BVSE landscape and percolation search); beyond it the descriptors not yet computed
#: are NaN with the reason. OBELiX's 321 CIFs take about 0.3 s each (at most a few seconds).
STRUCTURE_TIME_LIMIT_S = 60.0

#: Longest formula accepted (characters). A longer string is a row issue, never parsed:
#: pymatgen's reader is quadratic in the length (``'Li' * 2**21`` hung for minutes).
MAX_FORMULA_LENGTH = 256
#: Largest doping grid ``screen --parent --substitute --range`` builds (candidates, all dopants
#: together). It is counted before anything is built or written; larger grids are refused.
MAX_GRID_CANDIDATES = 5_000_000

# --- structure bounds: CIF cells, sites, grid points ---
# Checked on every CIF before pymatgen builds its structure, and again on every structure before
# a descriptor is computed (read at call time, so tests may monkeypatch them). A structure beyond a
# bound is a row issue: the row keeps its composition descriptors, its structure ones are NaN.
# Measured on OBELiX's 321 CIFs (v1.2, as parsed with pymatgen, 78% partially occupied):
# cell edges 3.31-26.04 A, at most 352 sites (49 atom-site rows, 192 symmetry operations),
# at least 5.71 A^3 per site (7.98 A^3 per atom), occupancies 0.004-1.0, BVSE grid at 0.3 A:
# at most 120,768 points in the cell and 1,227,072 with the 6 A interaction padding.
#: Shortest cell edge accepted (angstrom): no crystal repeats within 2 A (OBELiX's shortest: 3.31 A).
#: A 0.01 A cell put billions of periodic images inside the neighbour cutoffs (7.5 GB).
MIN_CELL_LENGTH_A = 2.0
#: Longest cell edge accepted (angstrom): 4x OBELiX's longest (26.04 A). Memory of the BVSE grid
#: grows with the cube of the edge (a 150 A cell took 3.8 GB).
MAX_CELL_LENGTH_A = 100.0
#: Smallest cell volume per site (angstrom^3); denser than diamond (5.67 A^3/atom) is not a
#: solid at ambient pressure. OBELiX's smallest: 5.71 A^3 per site (split positions included).
#: Bounds the neighbours within the 12 A Li-hop cutoff to about 3,600 per site.
MIN_VOLUME_PER_SITE_A3 = 2.0
#: Most sites in a cell (after the symmetry operations are applied). OBELiX's largest: 352 sites.
#: A 25,600-site cell used 6.1 GB (a 13,600 x 13,600 distance matrix); a 1,728-site cell at
#: 2 A^3 per site (the densest allowed) now takes about 40 MB and 8 s, BVSE included.
MAX_STRUCTURE_SITES = 2_000
#: Most atom-site rows x symmetry operations in one CIF data block, checked on the text before
#: pymatgen applies the operations (an upper bound of the sites it would create). pymatgen's
#: expansion takes time quadratic in the sites: 4,000 took 8 s, 20,000 took 75-350 s.
#: OBELiX's largest: 1,344 (7 rows x 192 operations).
MAX_CIF_EXPANDED_SITES = 5_000
#: Largest occupancy of one CIF atom site (and of the species summed on one position); values in
#: (1, 1.05] are rounding and are scaled to 1 (pymatgen's ``occupancy_tolerance``). Occupancies
#: must be above 0 and finite. OBELiX's range: 0.004-1.0.
MAX_SITE_OCCUPANCY = 1.05
#: Most points of a Li+ BVSE grid, including the padding by the 6 A interaction cutoff that is
#: folded back into the cell (the array actually allocated); a larger grid leaves the BVSE
#: barriers NaN with the reason (the other structure descriptors are kept). OBELiX's largest at
#: 0.3 A: 1,227,072 (120,768 in the cell), at 0.2 A: 3,869,580. About 35 bytes per point at the
#: peak: 16,000,000 points stay below 0.6 GB (a 150 A cell at 0.3 A would need 130 million).
MAX_BVSE_GRID_POINTS = 16_000_000
#: The settings above that change structure descriptors: part of every feature-cache key.
STRUCTURE_LIMITS = ("BVSE_RESOLUTION_A", "STRUCTURE_TIME_LIMIT_S", "MIN_CELL_LENGTH_A", "MAX_CELL_LENGTH_A",
                    "MIN_VOLUME_PER_SITE_A3", "MAX_STRUCTURE_SITES", "MAX_CIF_EXPANDED_SITES", "MAX_SITE_OCCUPANCY",
                    "MAX_BVSE_GRID_POINTS")


@dataclass(frozen=True)
class Settings:
    """Resolved run-time settings.

    Parameters
    ----------
    data_dir : pathlib.Path
        Root holding ``<dataset>/<file>``; may be read-only.
    cache_dir : pathlib.Path
        Writable root for derived files (extracted CIFs, feature cache).
    n_jobs : int
        Worker processes for featurization.
    random_state : int
        Default seed.
    censored_floor : float
        Conductivity (S/cm) used for censored rows.
    data_dir_from_env : bool
        True when ``data_dir`` came from ``EXPLAINSSE_DATA_DIR``.
    """

    data_dir: Path
    cache_dir: Path
    n_jobs: int = 1
    random_state: int = 0
    censored_floor: float = DEFAULT_CENSORED_FLOOR
    data_dir_from_env: bool = False


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().absolute() if value else None


def _env_number(name: str, kind, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError as exc:
        raise InputDataError(f"{name}={value!r} is not a valid {kind.__name__}") from exc


def _censored_floor() -> float:
    value = os.environ.get("EXPLAINSSE_CENSORED_FLOOR", "").strip()
    if not value:
        return DEFAULT_CENSORED_FLOOR
    return check_censored_floor(value, "EXPLAINSSE_CENSORED_FLOOR")


def get_settings(
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> Settings:
    """Resolve settings: explicit argument > ``EXPLAINSSE_*`` variable > platform default.

    Parameters
    ----------
    data_dir, cache_dir : path-like, optional
        Explicit folders; they win over the environment.

    Returns
    -------
    Settings
    """
    env_data = _env_path("EXPLAINSSE_DATA_DIR")
    if data_dir is not None:
        resolved_data, from_env = Path(data_dir).expanduser(), False
    elif env_data is not None:
        resolved_data, from_env = env_data, True
    else:
        resolved_data, from_env = Path(platformdirs.user_cache_dir(APP_NAME)) / "data", False
    if cache_dir is not None:
        resolved_cache = Path(cache_dir).expanduser()
    else:
        resolved_cache = _env_path("EXPLAINSSE_CACHE_DIR") or (
            Path(platformdirs.user_cache_dir(APP_NAME)) / "cache"
        )
    return Settings(
        data_dir=resolved_data,
        cache_dir=resolved_cache,
        n_jobs=_env_number("EXPLAINSSE_N_JOBS", int, 1),
        random_state=_env_number("EXPLAINSSE_RANDOM_STATE", int, 0),
        censored_floor=_censored_floor(),
        data_dir_from_env=from_env,
    )
