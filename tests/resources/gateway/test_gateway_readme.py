"""The gateway guide's "The OpenAI-style gateway" examples (moved there from the README) run as
written: a block with test functions is a test module run by pytester, any other block a
script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "guides" / "gateway.md"
SECTION = "## The OpenAI-style gateway"


def python_blocks() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    end = len(text) if end == -1 else end
    return re.findall(r"```python\n(.*?)```", text[start:end], re.DOTALL)


BLOCKS = python_blocks()


def test_the_section_has_its_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block-{i}" for i in range(len(BLOCKS))])
def test_the_example_runs(pytester: pytest.Pytester, code: str) -> None:
    pytest.importorskip("scale_gp_beta")
    pytest.importorskip("openai")
    if "def test_" not in code:
        exec(compile(code, str(PAGE), "exec"), {"__name__": "gateway_guide_example"})
        return
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_gateway_guide_example=code)
    result = pytester.runpytest(
        "-p",
        "no:randomly",
        "-p",
        "no:schemathesis",
        # The plugin is imported already by this test's own pytest, in the same process: run
        # as the `pytest` script, the inner run warns it cannot rewrite it.
        "-W",
        "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert set(outcomes) <= {"passed"}, result.stdout.str()
