"""A chat completion written into its template reads as the encoder writes the whole answer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgp_fake.core.answers import json_bytes
from sgp_fake.resources.gateway.handlers import _Choice, _completion_dict, _completion_json

_INTS = st.integers(min_value=0, max_value=2**63)


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _both(completion_id: str, created: int, model: Any, choices: list[_Choice], usage: Any) -> Any:
    try:
        fast: Any = _completion_json(completion_id, created, model, choices, usage)
    except UnicodeEncodeError:
        fast = UnicodeEncodeError
    try:
        whole: Any = json_bytes(_completion_dict(completion_id, created, model, choices, usage))
    except UnicodeEncodeError:
        whole = UnicodeEncodeError
    return fast, whole


@given(
    completion_id=st.text(),
    created=st.integers(min_value=-(2**40), max_value=2**40),
    model=st.text(),
    content=st.text(),
    finish=st.sampled_from(["stop", "length"]),
    prompt=_INTS,
    completion=_INTS,
)
def test_one_choice_of_text_is_written_as_the_encoder_writes_it(
    *,
    completion_id: str,
    created: int,
    model: str,
    content: str,
    finish: str,
    prompt: int,
    completion: int,
) -> None:
    # Any text: quotes, backslashes, control characters, non-ASCII, and lone surrogates, which
    # neither can write as UTF-8 (the handler answers such a request 400).
    fast, whole = _both(
        completion_id, created, model, [_Choice(0, content, finish, [])], _usage(prompt, completion)
    )
    assert fast == whole


@pytest.mark.parametrize(
    "choices",
    [
        [
            _Choice(
                0,
                None,
                "tool_calls",
                [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{}"},
                    }
                ],
            )
        ],
        [_Choice(0, "a", "stop", []), _Choice(1, "b", "length", [])],
        [
            _Choice(
                0,
                "text and a call",
                "tool_calls",
                [
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "g", "arguments": '{"x":1}'},
                    }
                ],
            )
        ],
    ],
    ids=["tool calls alone", "two choices", "text and tool calls"],
)
def test_other_answers_are_written_whole(choices: list[_Choice]) -> None:
    fast, whole = _both("chatcmpl-1", 1, "openai/gpt-4o-mini", choices, _usage(3, 4))
    assert fast == whole
