"""Griffe extension: render Sphinx cross-reference roles of the numpydoc docstrings.

The package's docstrings write ``:func:`~explainsse.models.make_model``` as Sphinx would. mkdocstrings
does not read these roles, so they would show as ``:func:`` followed by code. This extension turns each
role into inline code, linked (an *optional* autorefs link: no warning when the target has no page) when
the target is a dotted path; ``~`` shows only the last name, as in Sphinx. The docstrings themselves are
not changed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|meth|class|attr|data|mod|obj|exc|const):`(~?)(\.?)([A-Za-z_][\w.]*)(\(\))?`")


def _replace(match: re.Match) -> str:
    tilde, relative, path, parens = match.groups()
    shown = (path.rsplit(".", 1)[-1] if tilde else path) + (parens or "")
    if relative or "." not in path:
        return f"`{shown}`"
    return f'<autoref identifier="{path}" optional><code>{shown}</code></autoref>'


class SphinxRoles(griffe.Extension):
    """Replace Sphinx roles in every docstring by inline code with an optional cross-reference."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of each object as it is loaded."""
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = _ROLE.sub(_replace, obj.docstring.value)
