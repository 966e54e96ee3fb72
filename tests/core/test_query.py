"""Query parsing and the account rule: what the official SDK sends, read one way everywhere."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from sgp_fake.core.query import account_of, parse_query

scale_gp = pytest.importorskip("scale_gp")


def test_scalars_take_the_last_value() -> None:
    assert parse_query(b"account_id=a&limit=5&account_id=b") == {"account_id": "b", "limit": "5"}


def test_list_typed_parameters_split_on_commas_and_concatenate_repeats() -> None:
    query = b"ids=a,b&limit=5&ids=c&ids=&tags="
    assert parse_query(query, {"ids", "tags"}) == {"ids": ["a", "b", "c"], "limit": "5", "tags": []}


def test_names_and_values_are_percent_decoded_and_blanks_kept() -> None:
    assert parse_query(b"account%5Fid=a%2Cb+c&page=") == {"account_id": "a,b c", "page": ""}
    assert parse_query(b"ids=a%2Cb,c", {"ids"}) == {"ids": ["a", "b", "c"]}
    assert parse_query(b"") == {}


def test_the_sdks_query_strings_read_back_as_it_meant_them() -> None:
    # The SDK's own serialiser (comma lists), through httpx's URL encoding.
    sent = {"ids": ["t 1", "t-2", "é"], "account_id": "acct_1", "limit": 5, "flag": True}
    params = scale_gp.SGPClient(api_key="k", base_url="http://sgp").qs.stringify(sent)
    query = httpx.Request("GET", "http://sgp/v4/x", params=params).url.query
    assert parse_query(query, {"ids"}) == {
        "ids": ["t 1", "t-2", "é"],
        "account_id": "acct_1",
        "limit": "5",
        "flag": "true",
    }


# Raw bytes, and strings made of the pieces a query parser can get wrong.
QUERIES = st.binary(max_size=60) | st.lists(
    st.sampled_from([b"a", b"=", b"&", b"%", b"+", b"2C", b"\xe9", b",", b";", b"account_id"])
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(QUERIES)
def test_scalars_read_as_starlette_and_fastapi_read_them(query: bytes) -> None:
    # The list endpoint's answers (and its 422 bodies) depend on exactly this reading.
    assert parse_query(query) == dict(QueryParams(query.decode("latin-1")))


@pytest.mark.parametrize(
    ("carried", "selected", "account"),
    [
        ("acct_1", "acct_2", "acct_1"),
        ("acct_1", None, "acct_1"),
        ("", "acct_2", "acct_2"),
        (None, "acct_2", "acct_2"),
        (["acct_1"], "acct_2", "acct_2"),  # not a string: not an account
        (None, "", None),
        (None, None, None),
    ],
)
def test_the_carried_account_beats_the_selected_one(
    carried: object, selected: str | None, account: str | None
) -> None:
    assert account_of(carried, selected) == account
