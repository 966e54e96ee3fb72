"""``CompactTable``: ids kept as 16 bytes are found by id, and only by their own id."""

from __future__ import annotations

import random
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


def _usage(table: CompactTable, account: str, parent: str, tokens: int = 1) -> str:
    return table.add(account, parent, model_instance_id="m", operation="op",
                     prompt_tokens=tokens, response_tokens=2)  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_every_way_of_writing_and_finding_agrees_with_a_dict(seed: int) -> None:
    # Rows added are placed in the id index only when it is next read: interleave adds,
    # inserts, deletes, clears and lookups at random, across the index growing and the
    # deleted rows being dropped, and compare with what a dict holds.
    rng = random.Random(seed)
    table = SGPFake().tables["usage"]
    assert isinstance(table, CompactTable)
    held: dict[str, str] = {}  # id -> account
    gone: list[str] = []
    for _ in range(6000):
        action = rng.random()
        if action < 0.55:
            account = rng.choice(("a", "b"))
            held[_usage(table, account, "dep")] = account
        elif action < 0.6:
            record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            body = b'{"id":"%s","note":%d}' % (record_id.encode(), rng.randrange(9))
            table.insert(record_id, "a", body, "dep")
            held[record_id] = "a"
        elif action < 0.8 and held:
            record_id = rng.choice(list(held))
            assert table.delete(record_id) is not None
            del held[record_id]
            gone.append(record_id)
        elif action < 0.801:
            account = rng.choice(("a", "b"))
            assert table.clear(account) == sum(1 for a in held.values() if a == account)
            for record_id in [r for r, a in held.items() if a == account]:
                del held[record_id]
                gone.append(record_id)
        elif held:
            record_id = rng.choice(list(held))
            found = table.get(record_id)
            assert found is not None
            assert found.id == record_id
            assert found.account_id == held[record_id]
        if gone and rng.random() < 0.05:
            assert table.get(rng.choice(gone)) is None
    assert len(table) == len(held)
    assert {r.id for r in table.all()} == set(held)
    for record_id, account in held.items():
        assert record_id in table
        stored = table.stored(record_id)
        assert stored is not None
        assert stored.account_id == account
    assert not any(record_id in table for record_id in gone)


def test_a_generator_that_repeats_still_gives_each_record_its_own_id() -> None:
    table = SGPFake().tables["usage"]
    assert isinstance(table, CompactTable)
    ids = iter([f"{n:08d}-0000-4000-8000-000000000000" for n in (1, 1, 1, 2, 2, 3)])
    table.set_id_generator(lambda: next(ids))
    first, second, third = (_usage(table, "a", "dep") for _ in range(3))
    assert (first, second, third) == (
        "00000001-0000-4000-8000-000000000000",
        "00000002-0000-4000-8000-000000000000",
        "00000003-0000-4000-8000-000000000000",
    )
    assert len(table) == 3
