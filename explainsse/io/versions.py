"""Installed package versions, as recorded in manifests and cache keys."""

from __future__ import annotations

from importlib import metadata


def package_versions(names) -> dict[str, str]:
    """``{name: version}`` of installed distributions; ``"not-installed"`` for a missing one.

    Examples
    --------
    >>> package_versions(["no-such-package-xyz"])
    {'no-such-package-xyz': 'not-installed'}
    """
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not-installed"
    return out


__all__ = ["package_versions"]
