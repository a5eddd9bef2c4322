"""Fetch dataset files into the data directory and verify them by sha256.

The rules (as in pooch and scikit-learn's ``fetch_*``):

* a file present on disk is hashed before use; a mismatch is a :class:`DataIntegrityError`
  naming the file and both hashes, and the file is not used;
* a missing file is downloaded to a temporary file next to its destination, verified, and only
  then renamed into place, so a failed or corrupted download leaves no partial file;
* with no copy and no network the error names the URL and ``EXPLAINSSE_DATA_DIR``.
"""

from __future__ import annotations

from pathlib import Path

from .._config import DOWNLOAD_TIMEOUT_S, MAX_DOWNLOAD_BYTES, Settings, get_settings
from ..errors import DataIntegrityError, DataUnavailableError
from ..io import atomic_file, sha256_file
from .registry import REGISTRY, DatasetSpec, FileSpec, get_spec


def verify_file(path: Path, spec: FileSpec) -> str:
    """Check ``path`` against ``spec.sha256``; return the hash or raise.

    Raises
    ------
    DataIntegrityError
        When the hashes differ; the message names the file and both hashes.
    """
    actual = sha256_file(path)
    if actual != spec.sha256:
        raise DataIntegrityError(
            f"{path}: sha256 mismatch (expected {spec.sha256}, found {actual}); "
            "the file was not used. Delete it to download a fresh copy, or point "
            "EXPLAINSSE_DATA_DIR at a verified copy."
        )
    return actual


def _download(url: str, destination: Path, timeout: float) -> None:
    """Download ``url`` to ``destination`` with pooch's HTTP downloader."""
    import pooch  # imported lazily: keeps `import explainsse` light

    downloader = pooch.HTTPDownloader(progressbar=False, timeout=timeout)
    downloader(url, str(destination), None)


def fetch_file(
    spec: FileSpec,
    dataset_dir: Path,
    *,
    download: bool = True,
    timeout: float = DOWNLOAD_TIMEOUT_S,
) -> Path:
    """Return the verified local path of one dataset file, downloading it if missing.

    Parameters
    ----------
    spec : FileSpec
        File to fetch.
    dataset_dir : pathlib.Path
        ``<data_dir>/<dataset>``.
    download : bool, default True
        When False a missing file is an error instead of a download.
    timeout : float
        Connect/read timeout of the download, in seconds.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataIntegrityError
        The file on disk, or the downloaded bytes, do not match ``spec.sha256``.
    DataUnavailableError
        The file is missing and could not be downloaded.
    """
    target = dataset_dir / spec.name
    if target.is_file():
        verify_file(target, spec)
        return target
    hint = (
        f"{spec.name} is not in {dataset_dir}. Download it from {spec.url} into that folder, "
        "or set EXPLAINSSE_DATA_DIR to a folder holding <dataset>/<file> copies."
    )
    if not download:
        raise DataUnavailableError(hint)
    try:
        dataset_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataUnavailableError(f"cannot create {dataset_dir} ({exc}). {hint}") from exc
    with atomic_file(target) as tmp:  # renamed into place only once verified
        try:
            _download(spec.url, tmp, timeout)
        except Exception as exc:  # network errors come from requests, urllib3, OS...
            raise DataUnavailableError(
                f"could not download {spec.url} ({type(exc).__name__}: {exc}). "
                f"No local copy in {dataset_dir}; set EXPLAINSSE_DATA_DIR to a folder "
                "holding <dataset>/<file> copies to work offline."
            ) from exc
        size = tmp.stat().st_size
        if size > MAX_DOWNLOAD_BYTES:
            raise DataIntegrityError(
                f"{spec.url}: download is {size} bytes, over the {MAX_DOWNLOAD_BYTES} byte limit"
            )
        actual = sha256_file(tmp)
        if actual != spec.sha256:
            raise DataIntegrityError(
                f"{spec.url}: downloaded {spec.name} has sha256 {actual}, expected "
                f"{spec.sha256}; it was discarded."
            )
    return target


def dataset_dir(name: str, settings: Settings | None = None) -> Path:
    """Return ``<data_dir>/<name>`` for a registered dataset."""
    settings = settings or get_settings()
    return settings.data_dir / get_spec(name).name


def fetch_dataset(
    name: str,
    files: list[str] | None = None,
    *,
    settings: Settings | None = None,
    download: bool = True,
) -> dict[str, Path]:
    """Fetch and verify the files of a registered dataset.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"obelix"``.
    files : list of str, optional
        Subset of file names; default all.
    settings : Settings, optional
        Resolved settings (default :func:`explainsse._config.get_settings`).
    download : bool, default True
        Allow downloading missing files.

    Returns
    -------
    dict
        File name -> verified local path.
    """
    spec: DatasetSpec = get_spec(name)
    settings = settings or get_settings()
    folder = settings.data_dir / spec.name
    wanted = files or [f.name for f in spec.files]
    return {fname: fetch_file(spec.file(fname), folder, download=download) for fname in wanted}


def dataset_status(data_dir=None) -> tuple[Path, list[dict]]:
    """Which registered datasets are on disk and pass their sha256 check (nothing is downloaded).

    Parameters
    ----------
    data_dir : path-like, optional
        Default: settings' data folder.

    Returns
    -------
    data_dir : pathlib.Path
    rows : list of dict
        Per dataset: ``name, title, files, on_disk, verified, failing_sha256, license``.
    """
    settings = get_settings(data_dir=data_dir)
    rows = []
    for spec in REGISTRY.values():
        paths = {f: settings.data_dir / spec.name / f.name for f in spec.files}
        present = [f for f, p in paths.items() if p.is_file()]
        failing = [f.name for f in present if sha256_file(paths[f]) != f.sha256]
        rows.append({"name": spec.name, "title": spec.title, "files": len(spec.files),
                     "on_disk": len(present), "verified": len(present) - len(failing),
                     "failing_sha256": failing, "license": spec.license})
    return settings.data_dir, rows
