"""schemathesis hooks for runs against ``sgp-fake serve`` (``tests/schemathesis.toml`` loads them).

Three things the document cannot say for itself:

* A fault rule, a rate limit or a scripted response set through the admin API shapes the
  answers of later requests, by design (a 503, a 429, a broken connection, a scripted text).
  Each is removed right after the call that set it, so that it never reaches another
  operation's checks; a rate limit is first tried on one request, which must be answered (200
  or 429, never an error).
* ``PUT /_fake/state`` wants unique ids (in every kind), and references that name a record
  of the document in the same account (a model's template, a deployment's model, a usage
  record's deployment), which JSON Schema cannot express: generated documents get unique ids, and
  references that name nothing are removed (a model's template) or pointed at a record of the
  document (a deployment's model, a usage record's deployment; dropped when there is none); and
  the graph follows the API's own rules (a model of its template's type, one deployment for a
  built-in model, a usage record of its deployment's model).
* ``same_status_as_fastapi`` replaces ``negative_data_rejection`` (see the configuration).
* An empty path parameter (which the stateful phase can take from a link) names the collection,
  not a record; it is sent as an id that names nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import schemathesis

from tests.support.reference_app import assert_same_status
from tests.support.schemathesis_cases import name_a_record, unique_ids, whole_references

# What an admin call sets, and how to remove it.
_UNDO = {
    ("POST", "/_fake/faults"): "/_fake/faults",
    ("PUT", "/_fake/rate-limit"): "/_fake/rate-limit",
    ("POST", "/_fake/responses"): "/_fake/responses",
}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    undo = _UNDO.get((case.method.upper(), case.operation.path))
    if undo is None or response.status_code >= 300:
        return
    parts = urlsplit(response.request.url)
    base = f"{parts.scheme}://{parts.netloc}"
    if undo == "/_fake/rate-limit":
        # Whatever limit was accepted, a request under it is answered, limited or not.
        probe = httpx.get(f"{base}/v4/model-templates", headers={"x-api-key": "probe"}, timeout=30)
        assert probe.status_code in (200, 429), (case.body, probe.status_code, probe.text)
    httpx.delete(base + undo, timeout=30).raise_for_status()


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    if case.path_parameters:
        name_a_record(case.path_parameters)
    # As the request is sent, not as the case is generated (map_case): the stateful phase can
    # set a document's fields from a link afterwards (seen once: a usage record naming a
    # deployment the document does not hold).
    if (case.method.upper(), case.operation.path) == ("PUT", "/_fake/state") and isinstance(
        case.body, dict
    ):
        unique_ids(case.body)
        whole_references(case.body)


@schemathesis.check
def same_status_as_fastapi(ctx: Any, response: Any, case: Any) -> None:
    """A create or list is answered with the status FastAPI on the same models gives.

    The real service is FastAPI on pydantic in lax mode, which accepts more than its document
    says (``"1"`` for an integer, ``0`` for a boolean), and so does the fake: any request the
    fake accepts, FastAPI accepts, and the other way round.
    """
    assert_same_status(response)
