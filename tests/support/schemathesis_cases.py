"""What the schemathesis hooks (``schemathesis_hooks.py``) do to a case, as plain functions:
importing the hooks module registers its hooks and check with schemathesis for the whole
process, so tests import these instead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def name_a_record(parameters: dict[str, Any]) -> None:
    """Send an empty path parameter as an id that names nothing (the document answers 404).

    An empty one names no record: ``/v5/spans/`` is the collection's path (FastAPI redirects it
    to ``/v5/spans``, where GET is not served: 405), and the SDKs never send one ("Expected a
    non-empty value for `span_id`"); the stateful phase can still build one from a link.
    """
    for name, value in parameters.items():
        if value == "":
            parameters[name] = "no-such-record"


def _records(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    records = body.get(kind)
    if not isinstance(records, list):
        return []
    return [r for r in records if isinstance(r, dict) and isinstance(r.get("id"), str)]


def unique_ids(body: dict[str, Any]) -> None:
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


def whole_references(body: dict[str, Any]) -> None:
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
    given = body.get("deployments")
    # A negative case may send anything there (true, a number): it is refused for it anyway.
    for deployment in given if isinstance(given, list) else []:
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
    _span_rules(body)


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _span_rules(body: dict[str, Any]) -> None:
    """The spans' rules (their ``check_state``): a span ends after it starts, and no parent is
    a span of another trace or closes a cycle. A parent that names a span of the document is
    dropped (one naming nothing stays, as the routes take it)."""
    spans = _records(body, "spans")
    # Negative cases send anything (an account that is a dict): refused for it anyway.
    named = {(s.get("account_id"), s["id"]) for s in spans if isinstance(s.get("account_id"), str)}
    for span in spans:
        start, end = _moment(span.get("start_timestamp")), _moment(span.get("end_timestamp"))
        if start is not None and end is not None:
            try:
                if end < start:
                    del span["end_timestamp"]
            except OverflowError:  # out of range in UTC: refused for its own reason
                pass
        parent, account = span.get("parent_id"), span.get("account_id")
        if isinstance(parent, str) and isinstance(account, str) and (account, parent) in named:
            del span["parent_id"]
