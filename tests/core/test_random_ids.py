"""The default ids (sgp_fake.clock.random_ids): UUID4 strings, and the same with their bytes."""

from __future__ import annotations

import uuid

from sgp_fake import SGPFake
from sgp_fake.clock import packed_ids, random_ids


def test_ids_are_uuid4_strings_written_as_uuid_writes_them() -> None:
    ids = random_ids()
    seen = set()
    for _ in range(5000):
        record_id = ids()
        parsed = uuid.UUID(record_id)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == record_id
        seen.add(record_id)
    assert len(seen) == 5000


def test_ids_given_with_their_bytes_are_uuid4_too_and_the_bytes_are_theirs() -> None:
    ids = packed_ids(random_ids())
    assert ids is not None
    seen = set()
    for _ in range(5000):
        record_id, packed = ids()
        parsed = uuid.UUID(record_id)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == record_id
        assert parsed.bytes == packed
        seen.add(record_id)
    assert len(seen) == 5000


def test_a_generator_of_strings_alone_has_no_bytes_to_give() -> None:
    assert packed_ids(lambda: "0" * 36) is None


def test_records_kept_in_columns_under_random_ids_are_found_by_those_ids() -> None:
    fake = SGPFake()
    table = fake.state.tables["gateway_usage"]
    added = [
        table.add(
            "acct_1",
            model="openai/gpt-4o-mini",
            operation="op",
            prompt_tokens=i,
            completion_tokens=1,
        )
        for i in range(300)
    ]
    for i, record_id in enumerate(added):
        uuid.UUID(record_id)
        record = table.get(record_id)
        assert record is not None
        assert record.id == record_id
        assert record.as_dict()["id"] == record_id
        assert record.as_dict()["prompt_tokens"] == i
