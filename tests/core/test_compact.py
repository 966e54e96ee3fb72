"""``CompactTable``: ids kept as 16 bytes are found by id, and only by their own id."""

from __future__ import annotations

import uuid

import pytest

from sgp_fake import SGPFake
from sgp_fake.core.compact import CompactTable, _pack_id


@pytest.mark.parametrize(
    "record_id",
    [
        "0F8FAD5B-D9CB-469F-A165-70867728950E",  # upper case: written back lower, so not kept
        "0f8fad5b-d9cb-469f-a165-70867728 50e",  # fromhex skips the space
        "0f8fad5b d9cb-469f-a165-70867728950e",
        "0f8fad5b-d9cb-469f-a165-7086772895-e",
        "x" * 36,
        "usage-1",
        "",
    ],
)
def test_only_a_lower_case_uuid_packs(record_id: str) -> None:
    assert _pack_id(record_id) is None


def test_a_uuid_packs_to_its_bytes() -> None:
    value = uuid.uuid4()
    assert _pack_id(str(value)) == value.bytes


def test_ids_that_do_not_pack_are_found_among_packed_rows() -> None:
    table = SGPFake().tables["usage"]
    assert isinstance(table, CompactTable)
    added = [
        table.add("acct", "dep", model_instance_id="m", operation="op", prompt_tokens=1,
                  response_tokens=2)
        for _ in range(300)
    ]  # fmt: skip
    table.insert("usage-1", "acct", b'{"id":"usage-1"}', "dep")
    for record_id in added:
        assert table.stored(record_id) is not None
    assert table.stored("usage-1") is not None
    # Ids that pack to nothing never match a packed row, however the probes run.
    for n in range(300):
        assert table.stored(f"usage-{n + 2}") is None
    assert table.stored(str(uuid.uuid4())) is None


def test_add_keeps_an_odd_count_as_given_and_a_missing_field_adds_nothing() -> None:
    table = SGPFake().tables["usage"]
    assert isinstance(table, CompactTable)
    kept = table.add("acct", "dep", model_instance_id="m", operation="op", prompt_tokens=1,
                     response_tokens=2)  # fmt: skip
    odd = table.add("acct", "dep", model_instance_id="m", operation="op",
                    prompt_tokens=1 << 40, response_tokens=3)  # fmt: skip
    assert len(table._raw) == 1  # the odd one only
    records = {r.id: r for r in table.children("dep")}
    assert list(records) == [kept, odd]
    assert records[odd].as_dict()["prompt_tokens"] == 1 << 40
    assert records[kept].as_dict()["response_tokens"] == 2
    assert records[odd].seq == records[kept].seq + 1
    with pytest.raises(KeyError):
        table.add("acct", "dep", model_instance_id="m", operation="op", prompt_tokens=1)
    assert [r.id for r in table.all("acct")] == [kept, odd]
    later = table.add("acct", "dep", model_instance_id="m", operation="op", prompt_tokens=1,
                      response_tokens=2)  # fmt: skip
    stored = table.stored(later)
    assert stored is not None
    assert stored.seq == records[odd].seq + 1


def test_fakes_share_each_layouts_compiled_row_writer() -> None:
    # Compiling a layout's writer costs hundreds of microseconds: a fake per test must not pay it.
    first, second = SGPFake(), SGPFake()
    tables = [
        (a, b)
        for a, b in zip(first.tables.values(), second.tables.values(), strict=True)
        if isinstance(a, CompactTable)
    ]
    assert tables
    for a, b in tables:
        assert a._add_row is b._add_row
