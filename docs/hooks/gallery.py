"""MkDocs hook: publish the report gallery and the notebooks from where they live.

``reports/<name>/index.html``, ``reports/<name>/report.html`` and ``reports/<name>/figures/*.svg`` are
served under ``gallery/<name>/``, and ``notebooks/*.ipynb`` under ``notebooks/``, so that the guide links
to the example reports and shows their figures without a second copy inside ``docs/``. Nothing is
written into the repository; the files are copied into the built site only.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

# (folder under the repository root, glob inside it, folder in the site)
SOURCES = (
    ("reports", "*/index.html", "gallery"),
    ("reports", "*/report.html", "gallery"),
    ("reports", "*/figures/*.svg", "gallery"),
    ("notebooks", "*.ipynb", "notebooks"),
)


def on_files(files, config):
    """Add the gallery and notebook files to the site's files."""
    root = Path(config.config_file_path).resolve().parent
    for folder, pattern, dest in SOURCES:
        for path in sorted((root / folder).glob(pattern)):
            uri = f"{dest}/{path.relative_to(root / folder).as_posix()}"
            if files.get_file_from_path(uri) is None:
                files.append(_file(config, uri, path))
    return files


def _file(config, uri: str, path: Path) -> File:
    if hasattr(File, "generated"):  # MkDocs >= 1.6
        return File.generated(config, uri, abs_src_path=str(path))
    f = File(uri, config["docs_dir"], config["site_dir"], config["use_directory_urls"])
    f.abs_src_path = str(path)
    return f
