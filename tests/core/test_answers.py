"""``answers.json_bytes``: the bytes Starlette's JSONResponse writes, whatever the content."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgp_fake.core.answers import json_bytes


def _starlette(content: Any) -> bytes:
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()


def _assert_written_as_starlette_writes(value: Any) -> None:
    # A value json.dumps refuses (a lone surrogate) is refused with the same error.
    try:
        expected = _starlette(value)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            json_bytes(value)
        return
    assert json_bytes(value) == expected


@given(st.text(alphabet=st.characters(codec=None)))
def test_a_string_is_written_as_json_dumps_writes_it(value: str) -> None:
    # Any code point, lone surrogates too: both ways refuse those with the same error.
    _assert_written_as_starlette_writes(value)


@pytest.mark.parametrize(
    "value",
    ["", "\x00\x1f\x7f\"\\/\b\f\n\r\t", "é€😀", "\ud800", ["a", 1], {"k": "v"}, 1.5],
)
def test_known_values(value: Any) -> None:
    _assert_written_as_starlette_writes(value)
