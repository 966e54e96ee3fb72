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


def _records(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    records = body.get(kind)
    if not isinstance(records, list):
        return []
    return [r for r in records if isinstance(r, dict) and isinstance(r.get("id"), str)]


def _unique_ids(body: dict[str, Any]) -> None:
    # Every kind of the document: each key whose value is a list of records.
    for kind in [k for k, v in body.items() if isinstance(v, list)]:
        seen: set[str] = set()
        for number, record in enumerate(_records(body, kind)):
            record_id = record["id"]
            if record_id in seen:
                # Still a valid id: under the length limit, no '/', not a dot segment.
                record_id = record["id"] = f"{record_id[:1000]}~{number}"
            seen.add(record_id)


def _point_at(body: dict[str, Any], kind: str, field: str, targets: dict[str, Any]) -> None:
    """Keep the records of ``kind`` whose ``field`` names one of ``targets`` (id -> account)
    in their account; point the others at the first target, or drop them if there is none."""
    records = body.get(kind)
    if not isinstance(records, list):
        return
    kept = []
    for record in records:
        owner = record.get(field) if isinstance(record, dict) else None
        if not isinstance(owner, str) or targets.get(owner, object()) == record.get("account_id"):
            kept.append(record)
        elif targets:
            target_id, account_id = next(iter(targets.items()))
            record[field] = target_id
            record["account_id"] = account_id
            kept.append(record)
    body[kind] = kept


def _whole_references(body: dict[str, Any]) -> None:
    templates = {t["id"]: t.get("account_id") for t in _records(body, "model_templates")}
    for model in _records(body, "models"):
        template = model.get("model_template_id")
        if not isinstance(template, str):
            continue  # absent, or of a wrong type: the document is refused for it anyway
        if template not in templates or templates[template] != model.get("account_id"):
            del model["model_template_id"]
    models = {m["id"]: m.get("account_id") for m in _records(body, "models")}
    _point_at(body, "deployments", "model_instance_id", models)
    deployments = {d["id"]: d.get("account_id") for d in _records(body, "deployments")}
    _point_at(body, "usage", "model_deployment_id", deployments)
    _graph_rules(body)


def _graph_rules(body: dict[str, Any]) -> None:
    """What the API ensures beyond references (``Resource.check_state``): a model is of its
    template's type, a built-in model has one deployment, a usage record names its
    deployment's model."""
    types = {t["id"]: t.get("model_type") for t in _records(body, "model_templates")}
    for model in _records(body, "models"):
        template = model.get("model_template_id")
        if isinstance(template, str) and template in types:
            model["model_type"] = types[template]
    built_in = {m["id"] for m in _records(body, "models") if m.get("model_template_id") is None}
    deployed: set[str] = set()
    kept = []
    for deployment in body.get("deployments") or []:
        model_id = deployment.get("model_instance_id") if isinstance(deployment, dict) else None
        # Fields of a wrong type (a list, a number) stay: the document is refused for them.
        if isinstance(model_id, str) and model_id in built_in:
            if model_id in deployed:
                continue
            deployed.add(model_id)
        kept.append(deployment)
    if isinstance(body.get("deployments"), list):
        body["deployments"] = kept
        deployments = {d["id"] for d in _records(body, "deployments")}
        if isinstance(body.get("usage"), list):
            body["usage"] = [
                u
                for u in body["usage"]
                if not isinstance(u, dict)
                or not isinstance(u.get("model_deployment_id"), str)
                or u["model_deployment_id"] in deployments
            ]
    model_of = {d["id"]: d.get("model_instance_id") for d in _records(body, "deployments")}
    for usage in _records(body, "usage"):
        deployment_id = usage.get("model_deployment_id")
        if isinstance(deployment_id, str) and deployment_id in model_of:
            usage["model_instance_id"] = model_of[deployment_id]


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    # An empty path parameter names no record: /v5/spans/ is the collection's path (FastAPI
    # redirects it to /v5/spans, where GET is not served: 405), and the SDKs never send one
    # ("Expected a non-empty value for `span_id`"). The stateful phase can still build one from
    # a link; send an id that names nothing instead, which the document answers (404).
    parameters = case.path_parameters
    if parameters:
        for name, value in parameters.items():
            if value == "":
                parameters[name] = "no-such-record"


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if (case.method.upper(), case.operation.path) != ("PUT", "/_fake/state"):
        return case
    if isinstance(case.body, dict):
        _unique_ids(case.body)
        _whole_references(case.body)
    return case


@schemathesis.check
def same_status_as_fastapi(ctx: Any, response: Any, case: Any) -> None:
    """A create or list is answered with the status FastAPI on the same models gives.

    The real service is FastAPI on pydantic in lax mode, which accepts more than its document
    says (``"1"`` for an integer, ``0`` for a boolean), and so does the fake: any request the
    fake accepts, FastAPI accepts, and the other way round.
    """
    assert_same_status(response)
