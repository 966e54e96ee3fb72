"""The admin API's answers shown beside its curl examples (docs/reference/admin-api.md, "By
example") and the list of operation ids (docs/guides/v4-sdk.md, the request journal), both moved
there from the README, say what the fake does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sgp_fake import SGPFake
from sgp_fake.core.operations import operations
from sgp_fake.resources import REGISTRY

DOCS = Path(__file__).resolve().parents[2] / "docs"
ADMIN_PAGE = (DOCS / "reference" / "admin-api.md").read_text(encoding="utf-8")
JOURNAL_PAGE = (DOCS / "guides" / "v4-sdk.md").read_text(encoding="utf-8")


def _admin_block() -> str:
    start = ADMIN_PAGE.index("## By example")
    start = ADMIN_PAGE.index("```sh\n", start)
    return ADMIN_PAGE[start : ADMIN_PAGE.index("```\n", start + 6)]


def _annotations() -> list[tuple[str, int, str]]:
    """(the curl command, the status, the body shown) of every ``#   -> STATUS BODY`` line,
    the body's continuation lines joined."""
    found = []
    command: list[str] = []
    lines = _admin_block().splitlines()
    for index, line in enumerate(lines):
        if line.startswith("curl "):
            command = [line]
        elif command and line.startswith("  ") and not line.startswith("#"):
            command.append(line)
        match = re.match(r"#   -> (\d{3}) (.*)", line)
        if match:
            body = match.group(2)
            for more in lines[index + 1 :]:
                if not more.startswith("#      ") or more.startswith("#      ("):
                    break
                body += more[len("#      ") :]
            found.append((" ".join(command), int(match.group(1)), body))
    return found


def _request(command: str) -> tuple[str, str, Any]:
    method = re.search(r"-X (\w+)", command)
    url = re.search(r'"?\$URL(/[^\s"]*)"?', command)
    data = re.search(r"-d '(.*)'", command, re.S)
    assert url is not None, command
    body = json.loads(re.sub(r"\s+", " ", data.group(1))) if data else None
    return (method.group(1) if method else "GET"), url.group(1), body


ANNOTATIONS = _annotations()


def test_every_curl_of_the_admin_api_shows_its_answer() -> None:
    commands = [line for line in _admin_block().splitlines() if line.startswith("curl ")]
    shown = [command for command, _, _ in ANNOTATIONS]
    # Each route shows its answer once; the other examples of a route answer alike.
    routes = {_request(c)[:2] for c in commands}
    assert {(m, re.sub(r"/(fault|response)_\d+|\?.*", "", p)) for m, p in routes} <= {
        (m, re.sub(r"/(fault|response)_\d+|\?.*", "", p)) for m, p, _ in map(_request, shown)
    }


def _matches(shown: str, real: str) -> bool:
    """Whether ``real`` is the answer ``shown`` (where ``...`` stands for any text)."""
    if not shown.startswith(("{", "[")):
        return True  # prose: "the state now, as GET answers it"
    shown = shown.split("}: ", maxsplit=1)[0] + "}" if "}: " in shown else shown
    pattern = ".*?".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(pattern, real, re.S) is not None


def _ids(text: str) -> str:
    # Rule ids count over the whole process: the page shows a fresh server's.
    return re.sub(r"(fault|response)_\d+", r"\1_N", text)


def test_the_answers_shown_are_the_fakes_in_order() -> None:
    """Every curl of the block run in order on one fake, as a reader would."""
    fake = SGPFake(admin=True, coverage=True)
    shown_for = {command: (status, shown) for command, status, shown in ANNOTATIONS}
    block = _admin_block()
    commands = re.findall(r"^curl .*?(?=\n(?:#|curl|$))", block, re.M | re.S)
    added: dict[str, list[str]] = {"fault": [], "response": []}
    checked = 0
    with fake.client() as client:
        for command in commands:
            method, path, body = _request(command)
            if "@" in command or "DEPLOYMENT_ID" in json.dumps(body):
                continue  # a file of the reader's; a record of theirs (see test_admin)
            if path.startswith("/_fake/requests"):
                client.get("/v4/model-templates")  # something to list
                path = path.replace("after=41", "after=0")
            for kind in added:  # /_fake/faults/fault_3: the third rule added here
                found = re.search(rf"{kind}_(\d+)", path)
                if found:
                    path = path.replace(found.group(0), added[kind][int(found.group(1)) - 1])
            answer = client.request(method, path, json=body)
            if method == "POST" and answer.status_code == 201:
                added["fault" if "faults" in path else "response"].append(answer.json()["id"])
            key = " ".join(command.splitlines())
            if key not in shown_for:
                assert answer.status_code < 300, (command, answer.text)
                continue
            status, shown = shown_for[key]
            assert answer.status_code == status, (command, answer.text)
            checked += 1
            if '"now"' in shown:  # the clock's readings differ from run to run
                assert set(answer.json()) == {"now", "offset"}
                continue
            shown = re.sub(r'"sequence":\d+', '"sequence":...', shown)
            real = re.sub(r'"sequence":\d+', '"sequence":...', answer.text)
            assert _matches(_ids(shown), _ids(real)), (command, shown, answer.text)
    assert checked == len(ANNOTATIONS) - 2  # all but the status route's and the file's


def test_the_journal_guide_lists_every_operation_id_journal_calls_takes() -> None:
    start = JOURNAL_PAGE.index("<!-- operation-ids")
    end = JOURNAL_PAGE.index("<!-- /operation-ids")
    listed = re.findall(r"`([a-z_0-9]+)`", JOURNAL_PAGE[start:end])
    kinds = {r.kind for r in REGISTRY}
    ids = [name for name in listed if name not in kinds]
    assert ids == [op.name for op in operations(REGISTRY)]


def test_the_openapi_document_is_get_openapi() -> None:
    fake = SGPFake()
    with fake.client() as client:
        client.get("/openapi.json")
    assert fake.journal.calls("get_openapi")
