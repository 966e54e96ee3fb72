"""The admin API over a real server: the tour."""

from __future__ import annotations

from typing import Any

import httpx

from sgp_fake.cli.process import ServerProcess
from sgp_fake.core.routing import ADMIN_PREFIX
from tests.extras.admin.records import TIMEOUT, state, template
from tests.support.bodies import minimal_body


def test_admin_tour_over_http(tmp_path: Any) -> None:
    """Every admin route, as a script in another language would use them."""
    with (
        ServerProcess(timeout=TIMEOUT, stderr=tmp_path / "stderr.log") as server,
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as http,
    ):
        sgp = {"x-api-key": "k"}
        created = http.post("/v4/model-templates", json=minimal_body(), headers=sgp).json()
        assert http.get("/_fake/state").json() == state(model_templates=[created])
        assert len(http.get("/_fake/requests").json()["requests"]) == 1

        fault = http.post("/_fake/faults", content='{"path": "/v4/model-templates", "status": 503}')
        assert fault.status_code == 201
        assert http.get("/_fake/faults").json()["faults"][0]["id"] == fault.json()["id"]
        assert http.get("/v4/model-templates", headers=sgp).status_code == 503
        assert http.get("/v4/model-templates", headers=sgp).status_code == 200
        assert http.post("/_fake/faults", json={"status": 500, "times": None}).status_code == 201
        assert http.delete("/_fake/faults").json() == {"faults": []}
        other = http.post("/_fake/faults", json={"status": 500}).json()
        assert http.delete(f"/_fake/faults/{other['id']}").json() == {"faults": []}

        assert http.put("/_fake/rate-limit", json={"rate": 0.001, "burst": 1}).status_code == 200
        assert http.get("/v4/model-templates", headers=sgp).status_code == 200
        limited = http.get("/v4/model-templates", headers=sgp)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert http.get("/_fake/rate-limit").json()["rate_limit"] == {"rate": 0.001, "burst": 1}
        assert http.delete("/_fake/rate-limit").json() == {"rate_limit": None}

        coverage = http.get("/_fake/coverage").json()
        create_op = coverage["operations"]["create_model_template"]
        assert (create_op["calls"], create_op["status_codes"]) == (1, {"200": 1})
        assert coverage["operations"]["list_model_templates"]["status_codes"] == {
            "200": 2,
            "429": 1,
            "503": 1,
        }
        assert http.delete("/_fake/coverage").json()["requests"] == 0

        document = {"model_templates": [template("t-1")]}
        assert http.put("/_fake/state", json=document).status_code == 200
        assert http.get("/v4/model-templates/t-1", headers=sgp).status_code == 200
        assert http.put("/_fake/state", json={"model_templates": [{}]}).status_code == 422
        assert [t["id"] for t in http.get("/_fake/state").json()["model_templates"]] == ["t-1"]

        assert http.post("/_fake/reset", params={"account_id": "acct_1"}).json() == {"deleted": 1}
        assert http.post("/_fake/reset").json() == {"deleted": 0}
        assert http.get("/_fake/requests").json() == {"requests": []}
        assert http.delete("/_fake/requests").json() == {"requests": []}
        paths = http.get("/openapi.json").json()["paths"]
        assert f"{ADMIN_PREFIX}/coverage" in paths
        assert server.stop() == 0
