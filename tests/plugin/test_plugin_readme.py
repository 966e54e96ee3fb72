"""The pytest guides keep an example in each section a user looks for, and every one of them runs:
the sections moved from the README's "Using it from pytest" to the guides by task, and
tests/docs/test_docs_examples.py runs each Python block of the docs as a test module under pytester
(as a user would run it); this checks each section still has its blocks and that none of them is
skipped there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.test_docs_examples import EXAMPLES, FRAGMENTS

DOCS = Path(__file__).resolve().parents[2] / "docs"

# section title -> the page that holds it (a ``## `` heading there)
SECTIONS = {
    "Fixtures": "guides/v4-sdk.md",
    "The official SDK clients": "guides/v4-sdk.md",
    "Interception": "guides/v4-sdk.md",
    "The live server": "guides/v4-sdk.md",
    "The request journal": "guides/v4-sdk.md",
    "Faults, retries and timeouts": "guides/faults.md",
    "Factories": "guides/v4-sdk.md",
    "Models and deployments": "guides/model-lifecycle.md",
    "Calling deployed models": "guides/scripting.md",
    "Deterministic mode": "guides/deterministic.md",
    "Example payloads": "guides/v4-sdk.md",
}


def section_blocks(page: Path, title: str) -> list[tuple[int, str]]:
    """(first line of the code, code) of every Python block in the ``## title`` section."""
    text = page.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    end = len(text) if end == -1 else end
    return [
        (text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in re.finditer(r"```python\n(.*?)```", text[:end], re.DOTALL)
        if match.start() > start
    ]


@pytest.mark.parametrize("title", SECTIONS)
def test_every_section_has_an_example_that_runs(title: str) -> None:
    page = DOCS / SECTIONS[title]
    blocks = section_blocks(page, title)
    assert blocks, (page, title)
    run = {(example.path, example.start_line) for example in EXAMPLES}
    for line, code in blocks:
        # pytest-examples numbers a block by its opening fence, one line above the code
        assert (page, line - 1) in run or (page, line) in run, (page, line)
        assert not any(text in code for text in FRAGMENTS), (page, line)
        assert re.search(r"^(async )?def test_", code, re.MULTILINE) or "assert" in code
