"""``answers.json_bytes``: the bytes Starlette's JSONResponse writes, whatever the content."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgp_fake.core.answers import json_bytes, kept_encoder


def _starlette(content: Any) -> bytes:
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


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
    ["", '\x00\x1f\x7f"\\/\b\f\n\r\t', "é€😀", "\ud800", ["a", 1], {"k": "v"}, 1.5],
)
def test_known_values(value: Any) -> None:
    _assert_written_as_starlette_writes(value)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec=None)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
        | st.tuples(children, children)
    ),
    max_leaves=12,
)


@given(_JSON)
def test_json_bytes_writes_any_value_as_starlette_does(value: Any) -> None:
    # Floats too (their repr, NaN refused with json's ValueError), nested, tuples as lists.
    try:
        expected = _starlette(value)
    except (UnicodeEncodeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            json_bytes(value)
        return
    assert json_bytes(value) == expected


_ENCODERS = [
    json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str),
    json.JSONEncoder(),
    json.JSONEncoder(separators=(",", ":"), allow_nan=False),
]


@pytest.mark.parametrize("encoder", _ENCODERS, ids=["sorted-default-str", "defaults", "compact"])
@given(
    value=_JSON
    | st.builds(lambda k: {k: {1, 2}}, st.text(max_size=3))  # no JSON: default decides
    | st.dictionaries(st.integers() | st.floats() | st.booleans() | st.none(), st.integers())
)
def test_a_kept_encoder_writes_what_its_encoder_writes(
    encoder: json.JSONEncoder, value: Any
) -> None:
    # Its options all carried over: key order, escapes, separators, NaN, default, keys that
    # are not strings.
    kept = kept_encoder(encoder)
    try:
        expected = encoder.encode(value)
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            kept(value)
        return
    assert kept(value) == expected
