"""The tokenizer's sum over several texts, and the default text from a prebuilt history."""

from __future__ import annotations

import pytest

from sgp_fake.resources.inference import text


@pytest.mark.parametrize(
    "texts",
    [
        [],
        [""],
        ["abc", "def"],  # joined without a separator they would be one token
        ["Hello,", "world!", " spaced  ", "\u00e9t\u00e9", "a_b"],
        ["word " * 3000, "tail"],  # longer than the cached texts: counted one by one
    ],
)
def test_count_tokens_in_is_the_sum_of_the_counts(texts: list[str]) -> None:
    assert text.count_tokens_in(texts) == sum(text.count_tokens(t) for t in texts)


def test_completion_text_of_takes_the_history_as_completion_text_reads_it() -> None:
    history = [
        {"role": "system", "content": "Be brief."},
        {"role": "assistant", "content": ["", [{"id": "c1", "function": {"name": "f"}}]]},
    ]
    key = tuple(text.history_entry(m["role"], m["content"]) for m in history)
    assert text.completion_text_of("m", "Hi", key) == text.completion_text("m", "Hi", history)
    assert text.completion_text_of("m", "Hi", key) != text.completion_text("m", "Hi")
