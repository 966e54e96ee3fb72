"""schemathesis hooks for runs against ``sgp-fake serve`` (``tests/schemathesis.toml`` loads them).

Three things the document cannot say for itself:

* A fault rule or a rate limit set through the admin API shapes the answers of later requests,
  by design (a 503, a 429, a broken connection). Each is removed right after the call that set
  it, so that it never reaches another operation's checks; a rate limit is first tried on one
  request, which must be answered (200 or 429, never an error).
* ``PUT /_fake/state`` wants unique template ids, which JSON Schema cannot express (its
  description says so): generated documents get unique ids.
* ``same_status_as_fastapi`` replaces ``negative_data_rejection`` (see the configuration).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import schemathesis

from tests.reference_app import assert_same_status

# What an admin call sets, and how to remove it.
_UNDO = {
    ("POST", "/_fake/faults"): "/_fake/faults",
    ("PUT", "/_fake/rate-limit"): "/_fake/rate-limit",
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
def map_case(context: Any, case: Any) -> Any:
    if (case.method.upper(), case.operation.path) != ("PUT", "/_fake/state"):
        return case
    body = case.body
    templates = body.get("model_templates") if isinstance(body, dict) else None
    if not isinstance(templates, list):
        return case
    seen: set[str] = set()
    for number, template in enumerate(templates):
        if not isinstance(template, dict) or not isinstance(template.get("id"), str):
            continue
        template_id = template["id"]
        if template_id in seen:
            # Still a valid id: under the length limit, no '/', not a dot segment.
            template_id = template["id"] = f"{template_id[:1000]}~{number}"
        seen.add(template_id)
    return case


@schemathesis.check
def same_status_as_fastapi(ctx: Any, response: Any, case: Any) -> None:
    """A create or list is answered with the status FastAPI on the same models gives.

    The real service is FastAPI on pydantic in lax mode, which accepts more than its document
    says (``"1"`` for an integer, ``0`` for a boolean), and so does the fake: any request the
    fake accepts, FastAPI accepts, and the other way round.
    """
    assert_same_status(response)
