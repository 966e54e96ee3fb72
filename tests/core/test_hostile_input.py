"""Hostile input: rules and request bodies that once stalled or broke the fake."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from sgp_fake.factories import OMIT, seed_deployment

TIMEOUT = 30.0
EVIL = "(a+)+$"  # backtracks exponentially in Python's re on "aaa...a!"


def _deployment(fake: SGPFake) -> str:
    seeded = seed_deployment(
        fake,
        template={"model_type": "COMPLETION", "model_request_parameters_schema": OMIT},
    )
    return str(seeded.deployment["id"])


# -- defect 1: a rule's regular expression cannot stall the server ------------------------------


@pytest.mark.parametrize("kind", ["responses", "faults"])
def test_a_backtracking_pattern_stalls_no_other_request(kind: str) -> None:
    fake = SGPFake(admin=True)
    deployment = _deployment(fake)
    rule: dict[str, Any] = {"prompt_regex": EVIL}
    rule.update({"text": "x"} if kind == "responses" else {"status": 503, "times": None})
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as http,
    ):
        assert http.post(f"/_fake/{kind}", json=rule).status_code == 201
        answers: list[int] = []

        def hostile() -> None:
            with httpx.Client(
                base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT
            ) as other:
                for _ in range(3):
                    answer = other.post(
                        f"/v4/models/{deployment}/completions", json={"prompt": "a" * 29 + "!"}
                    )
                    answers.append(answer.status_code)

        thread = threading.Thread(target=hostile, daemon=True)
        start = time.monotonic()
        thread.start()
        unrelated = http.get("/v4/model-templates")
        elapsed = time.monotonic() - start
        thread.join(TIMEOUT)
        assert unrelated.status_code == 200
        assert elapsed < 5.0, f"an unrelated request waited {elapsed:.1f} s"
        assert answers == [200, 200, 200]  # "a"*29+"!" does not end in a's: no match


def test_a_pattern_re2_cannot_match_in_linear_time_is_refused_in_process() -> None:
    fake = SGPFake(admin=True)
    for pattern in (r"(a)\1", r"a(?=b)", r"(?<!x)a"):
        with pytest.raises(ValueError, match="no backreferences and no lookaround"):
            fake.respond(prompt_regex=pattern, text="x")
        with pytest.raises(ValueError, match="no backreferences and no lookaround"):
            fake.faults.add(prompt_regex=pattern, status=503)
    assert fake.faults.list() == []


@pytest.mark.parametrize(
    ("route", "rule"), [("/_fake/responses", {"text": "x"}), ("/_fake/faults", {"status": 503})]
)
def test_a_pattern_re2_cannot_match_in_linear_time_is_a_422(route: str, rule: Any) -> None:
    fake = SGPFake(admin=True)
    with fake.client(api_key=None) as admin:
        answer = admin.post(route, json={**rule, "prompt_regex": r"(\w+) \1"})
    assert answer.status_code == 422, answer.text
    error = answer.json()["detail"][0]
    assert error["loc"] == ["body", "prompt_regex"]
    assert "backreferences" in error["msg"]


def test_a_linear_pattern_still_matches() -> None:
    fake = SGPFake(admin=True)
    deployment = _deployment(fake)
    fake.respond(prompt_regex=r"(?i)^refund\b", text="Refunds take 5 days.")
    fake.faults.add(prompt_regex=r"\d{3}-\d{4}$", status=503)
    with fake.client() as client:
        url = f"/v4/models/{deployment}/completions"
        answer = client.post(url, json={"prompt": "REFUND please"})
        assert answer.json()["completions"][0][1][0] == "Refunds take 5 days."
        assert client.post(url, json={"prompt": "call 555-1234"}).status_code == 503


# -- defect 2: the journal shows every request it kept ------------------------------------------


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
def test_the_journal_lists_a_request_whose_body_holds_no_finite_number(number: str) -> None:
    fake = SGPFake(admin=True)
    deployment = _deployment(fake)
    raw = '{"prompt": "hi", "temperature": ' + number + "}"
    with fake.client() as client:
        client.post(
            f"/v4/models/{deployment}/completions",
            content=raw,
            headers={"content-type": "application/json"},
        )
        client.get("/v4/model-templates")
    with fake.client(api_key=None) as admin:
        answer = admin.get("/_fake/requests")
        assert answer.status_code == 200, answer.text
        kept = answer.json()["requests"]
    assert [entry["method"] for entry in kept] == ["POST", "GET"]
    assert kept[0]["body"] == raw  # shown as sent: its raw text
    assert isinstance(kept[0]["response_body"], (dict, str))
    assert fake.journal.entries()[0].body == raw.encode()


def test_the_journal_still_decodes_a_finite_json_body() -> None:
    fake = SGPFake(admin=True)
    with fake.client() as client:
        client.get("/v4/model-templates", params={"limit": 1})
        client.post("/v4/model-templates", content=b"null")
    with fake.client(api_key=None) as admin:
        kept = admin.get("/_fake/requests").json()["requests"]
    assert isinstance(kept[0]["response_body"], dict)
    assert kept[1]["body"] == "null"  # as before: a null body is shown as its text


# -- defects 4 and 5: a fault rule does something, and what it answers can be sent ---------------

UNSENDABLE: list[tuple[dict[str, Any], str]] = [
    ({}, "a fault needs a status, a connection fault, a latency, a cut or a stall"),
    ({"times": None}, "a fault needs a status"),
    ({"status": 101}, "status 101 cannot carry"),
    ({"status": 199}, "status 199 cannot carry"),
    ({"status": 204}, "status 204 cannot carry"),
    ({"status": 304}, "status 304 cannot carry"),
    ({"status": 503, "headers": {"x-a": "1\r\nx-b: 2"}}, "CR, LF or NUL"),
    ({"status": 503, "headers": {"x-a": "1\n"}}, "CR, LF or NUL"),
    ({"status": 503, "headers": {"x-a\r\nx-b": "1"}}, "not an HTTP token"),
    ({"status": 503, "headers": {"x a": "1"}}, "not an HTTP token"),
    ({"status": 503, "headers": {"x-a": "😀"}}, "HTTP cannot carry"),
    ({"status": 503, "headers": {"content-length": "5"}}, "content-length '5' contradicts"),
    ({"status": 503, "body": "abc", "headers": {"Content-Length": "4"}}, "it must be 3"),
    ({"status": 503, "headers": {"transfer-encoding": "chunked"}}, "transfer-encoding"),
]


@pytest.mark.parametrize(("rule", "message"), UNSENDABLE)
def test_a_fault_that_cannot_be_sent_is_refused_in_process(
    rule: dict[str, Any], message: str
) -> None:
    fake = SGPFake()
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        fake.faults.add(path="/v4/model-templates", **rule)
    assert fake.faults.list() == []


@pytest.mark.parametrize(("rule", "message"), UNSENDABLE)
def test_a_fault_that_cannot_be_sent_is_a_422(rule: dict[str, Any], message: str) -> None:
    fake = SGPFake(admin=True)
    with fake.client(api_key=None) as admin:
        answer = admin.post("/_fake/faults", json={"path": "/v4/model-templates", **rule})
        assert answer.status_code == 422, answer.text
        assert message in answer.json()["detail"][0]["msg"]
        assert admin.get("/_fake/faults").json() == {"faults": []}


def test_a_fault_with_a_matching_content_length_is_sent() -> None:
    fake = SGPFake()
    fake.faults.add(
        path="/v4/model-templates", status=503, body="busy", headers={"content-length": "4"}
    )
    fake.faults.add(path="/v4/model-templates", status=299, headers={"x-why": "é"})
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as http,
    ):
        answer = http.get("/v4/model-templates")
        assert (answer.status_code, answer.content) == (503, b"busy")
        answer = http.get("/v4/model-templates")
        assert (answer.status_code, answer.headers["x-why"]) == (299, "é")


# -- defect 11: "an" before a vowel ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_type", "route", "body", "phrase"),
    [
        ("EMBEDDING", "completions", {"prompt": "a"}, "serves an EMBEDDING model"),
        ("AGENT", "embeddings", {"texts": ["a"]}, "serves an AGENT model"),
        ("COMPLETION", "embeddings", {"texts": ["a"]}, "serves a COMPLETION model"),
    ],
)
def test_a_model_type_takes_its_article(
    model_type: str, route: str, body: dict[str, Any], phrase: str
) -> None:
    fake = SGPFake()
    seeded = seed_deployment(
        fake, template={"model_type": model_type, "model_request_parameters_schema": OMIT}
    )
    with fake.client() as client:
        answer = client.post(f"/v4/models/{seeded.deployment['id']}/{route}", json=body)
    assert answer.status_code == 400, answer.text
    assert phrase in answer.json()["detail"]
