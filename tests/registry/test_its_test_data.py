"""A declared resource's test data, from the declaration alone: a factory and invalid payloads
whose 422 is predicted exactly."""

from __future__ import annotations

from typing import Any

import pytest

from sgp_fake import SGPFake, payloads
from sgp_fake.core.call import Call
from sgp_fake.core.operations import Operation, Resource
from sgp_fake.factories import for_resource
from sgp_fake.payloads import invalid_payloads_for
from sgp_fake.testdata import invalid as engine
from tests.registry.resources import (
    WIDGET,
    WIDGETS,
    Widget,
    WidgetRequest,
)

WIDGET_PAYLOADS = invalid_payloads_for(WIDGETS)


def test_it_gets_a_factory_whose_bodies_and_records_the_fake_takes(widgets: SGPFake) -> None:
    factory = for_resource(WIDGETS, seed=3, account_id="acct_1")
    again = for_resource(WIDGETS, seed=3, account_id="acct_1")
    bodies = [factory.request(optional=o) for o in ("all", "none", "random")]
    assert bodies == [again.request(optional=o) for o in ("all", "none", "random")]
    assert set(bodies[0]) == {"name", "color", "account_id"}
    assert set(bodies[1]) == {"name", "account_id"}
    assert factory.request(color="blue", name="x")["color"] == "blue"
    with widgets.client() as client:
        for body in bodies:
            created = client.post(WIDGETS.collection, json=body)
            assert created.status_code == 200, created.text
            assert {k: created.json()[k] for k in body} == body
        record = factory.record(id="w-made", optional="all")
        assert Widget.model_validate(record).account_id == "acct_1"
        widgets.tables["widgets"].put(record)
        assert client.get("/v4/widgets/w-made").json() == record
        with widgets.client(api_key=None) as admin:
            document = {"widgets": [factory.record(id=f"w-{i}") for i in range(3)]}
            assert admin.put("/_fake/state", json=document).status_code == 200
        assert client.get("/v4/widgets").json()["total_item_count"] == 3


def test_it_gets_invalid_payloads_of_every_kind() -> None:
    assert list(WIDGET_PAYLOADS) == [
        "missing_name",
        "missing_account_id",
        "wrong_type_name",
        "bad_color",
        "wrong_type_account_id",
        "malformed_json",
        "truncated_json",
        "empty_body",
        "not_an_object",
        "text_content_type",
    ]


@pytest.mark.parametrize("name", list(WIDGET_PAYLOADS))
def test_its_invalid_payloads_earn_the_exact_422_predicted(widgets: SGPFake, name: str) -> None:
    payload = WIDGET_PAYLOADS[name]
    assert payload.path == "/v4/widgets"  # its own create route, read from its operations
    with widgets.client() as client:
        answer = payload.post(client)
    assert answer.status_code == payload.expected_status == 422
    assert answer.content == payload.expected_content


def _never(call: Call) -> Any:
    raise AssertionError


def test_the_engine_never_falls_back_to_another_resources_route() -> None:
    # A body model no registered operation takes is refused, not sent to the templates' route.
    with pytest.raises(ValueError, match="WidgetRequest"):
        payloads.missing(WIDGET, "name", model=WidgetRequest)
    create = next(op for op in WIDGETS.operations if op.verb == "create")
    given = payloads.missing(WIDGET, "name", model=WidgetRequest, operation=create)
    assert (given.path, given.content) == (
        "/v4/widgets",
        b'{"color": "blue", "account_id": "acct_1"}',
    )
    # The engine has no default operation at all.
    with pytest.raises(TypeError):
        engine.missing(WIDGET, "name")  # type: ignore[call-arg]
    # A resource with no create operation gets no bodies, rather than another's.
    gadgets = Resource(
        kind="gadgets",
        stored=Widget,
        noun="Gadget",
        operations=(Operation("get_gadget", "GET", "/v4/gadgets/{gadget_id}", _never),),
    )
    with pytest.raises(ValueError, match="no create operation"):
        invalid_payloads_for(gadgets)
    with pytest.raises(ValueError, match="no create operation"):
        for_resource(gadgets).request()
    # An operation that takes no body is refused too.
    bodiless = Operation("ping", "POST", "/v4/ping", _never)
    with pytest.raises(ValueError, match="takes no body"):
        engine.empty_body(operation=bodiless)
    # And every registered catalogue sends to its own resource's route.
    assert {p.path for p in payloads.invalid_payloads().values()} == {"/v4/model-templates"}
    assert {p.path for p in payloads.invalid_model_payloads().values()} == {"/v4/models"}
    assert {p.path for p in payloads.invalid_deployment_payloads().values()} == {
        "/v4/models/{model_instance_id}/deployments"
    }
