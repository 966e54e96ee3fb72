"""A griffe extension: the doctest examples of a docstring render as Python sessions.

The package's docstrings are reStructuredText-flavoured and hold bare ``>>>`` examples; as
Markdown those would be paragraphs (and ``x["a"][0]`` a link). This fences each run of doctest
lines, with its expected output, as a ``pycon`` block when the docs are built.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """Fence every doctest example (``>>>`` lines and the output up to a blank line)."""
    out: list[str] = []
    inside = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if not inside and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and not stripped:
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctests of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
