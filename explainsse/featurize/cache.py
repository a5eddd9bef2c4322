"""On-disk feature cache (Parquet) keyed by preset, input content and package versions."""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import _config
from ..io import HashIndex, atomic_file, package_versions, read_parquet, sha256_file, write_parquet
from .presets import get_preset

#: Packages whose versions enter the cache key: a new release invalidates old features.
KEY_PACKAGES = ("explainsse", "matminer", "pymatgen", "numpy", "pandas")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 of the featurization source files: a change to a descriptor's code invalidates old values."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key_inputs(preset, inputs: pd.DataFrame, backend: str = "vectorized") -> dict:
    """Everything a cache key depends on besides the input values.

    The preset's name, its groups (name, input kind) and the digest of every column label they
    produce, the composition backend (``vectorized`` or ``matminer``), the featurization code
    (:func:`code_digest`), the structure limits of :mod:`explainsse._config` (a changed cap
    computes again), the package versions, and the input columns.
    """
    spec = get_preset(preset)
    labels = hashlib.sha256(json.dumps(spec.labels()).encode()).hexdigest()[:16]
    return {"preset": spec.name, "groups": [[g.name, g.input_kind] for g in spec.groups], "labels": labels,
            "backend": backend, "code": code_digest(),
            "limits": {name: getattr(_config, name) for name in _config.STRUCTURE_LIMITS},
            "versions": package_versions(KEY_PACKAGES), "columns": list(map(str, inputs.columns))}


def cache_key(preset, inputs: pd.DataFrame, backend: str = "vectorized") -> str:
    """Hash of :func:`key_inputs` and the input columns' content."""
    digest = hashlib.sha256()
    digest.update(json.dumps(key_inputs(preset, inputs, backend), sort_keys=True).encode())
    digest.update(pd.util.hash_pandas_object(inputs.astype(str), index=False).to_numpy().tobytes())
    return digest.hexdigest()[:32]


class FeatureCache:
    """Parquet files under ``<root>/features/<preset>/<key>.parquet``, verified on every read.

    Each file's sha256 and the inputs of its key are recorded in
    ``<root>/features/<preset>/index.json`` (:class:`~explainsse.io.HashIndex`) when it
    is written. A file that no longer matches its entry (truncated, corrupted, or edited so that
    it still reads as a valid table), or that has no entry, is not used: :meth:`get` returns
    None, the caller recomputes and :meth:`put` replaces it; :attr:`problems` says why, once
    per file.

    Parameters
    ----------
    root : path-like
        The writable cache directory (settings' ``cache_dir``).
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root) / "features"
        self.problems: list[str] = []

    def path(self, preset: str, key: str) -> Path:
        """Location of one cached table."""
        return self.root / preset / f"{key}.parquet"

    def get(self, preset: str, key: str) -> pd.DataFrame | None:
        """Return the cached table, or None when absent or failing verification."""
        path = self.path(preset, key)
        if not path.is_file():
            return None
        state = HashIndex(path.parent).verify(path.name)
        if state != "ok":
            found = sha256_file(path)[:12]
            why = {"modified": f"its content (sha256 {found}...) does not match the sha256 recorded when it "
                               "was written",
                   "unindexed": f"it (sha256 {found}...) has no entry in the cache index"}.get(state, state)
            self.problems.append(f"feature cache file {path} not used ({why}); recomputed and replaced")
            return None
        try:
            return read_parquet(path)
        except Exception as exc:  # unreadable although the hash matches (e.g. pyarrow changed): recompute
            self.problems.append(f"feature cache file {path} not readable ({type(exc).__name__}); recomputed")
            return None

    def put(self, preset: str, key: str, table: pd.DataFrame, inputs: dict | None = None) -> Path:
        """Write atomically (temporary file, then rename) and record its sha256 in the index."""
        path = self.path(preset, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as tmp:
            write_parquet(table, tmp)
        HashIndex(path.parent).record(path.name, inputs={"key": key, **(inputs or {})})
        return path
