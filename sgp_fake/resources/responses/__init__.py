"""Scripted responses: rules that give deployed models' answers, set by the test.

No SGP route serves them: a test sets them in process (``fake.respond()``,
``fake.responses``), with the pytest marker's ``responses`` or the ``sgp_fake_responses``
fixture, or over the admin API (``/_fake/responses``). They are records like any other, so
resets, the state document and state files cover them. The inference routes
(:mod:`sgp_fake.resources.inference`) read them.
"""

from __future__ import annotations

from typing import Any

from ...core.operations import AdminRecords, Resource
from ...core.table import Record, Table
from .schemas import ResponseSpec, ScriptedResponse
from .table import ResponseTable

__all__ = ["KIND", "RESOURCE", "ResponseSpec", "ResponseTable", "ScriptedResponse"]

KIND = "responses"


def _add(table: Table[Any], spec: Any) -> Record:
    assert isinstance(table, ResponseTable)
    return table.add_record(spec)


RESOURCE = Resource(
    kind=KIND,
    stored=ScriptedResponse,
    noun="Scripted response",
    tag="sgp-fake admin",
    operations=(),
    table=ResponseTable,
    admin=AdminRecords(
        path=KIND,
        spec=ResponseSpec,
        add=_add,
        summary="scripted response",
        description="What deployed models answer: the first rule that matches a call (its "
        "deployment or model by id or name, its account, its prompt by substring or regular "
        "expression) and has content for its route gives the content (a text, the next of "
        "texts, an embedding or a dimension, reranking scores, an execute answer). Errors and "
        "delays are fault rules (/_fake/faults), which match the same way.",
    ),
    example={"text": "Hello!"},
)
