"""Section 1: one create at a time, in process, against the bare reference on the same transport.

Three ways a test suite talks to the fake in process: an ``httpx.Client`` on the sync transport,
an ``httpx.AsyncClient`` on the async transport, and the official SDK wired to the sync
transport. Each is measured against the bare Starlette app behind the very same transport and
client, so the ratio is what the fake's own work costs on top of a minimal Starlette service.

Then a chat completion of a deployment, whole and streamed (every chunk read), against the
Starlette+pydantic chat reference answering the same bytes (see ``chat.py``), through the sync
transport and the official SDK.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import httpx
from chat import CHAT_BODY, CHAT_BODY_BYTES, STREAM_BODY_BYTES, answers, chat_deployment
from common import API_KEY, FULL_BODY, FULL_BODY_BYTES, Ratio, Section, alternate, ratios, timed
from references import bare_app, chat_app, constant_answer, pydantic_app
from starlette.types import ASGIApp

from sgp_fake import AsyncFakeTransport, FakeTransport, SGPFake

BASE_URL = "https://api.egp.scale.com"
HEADERS = {"x-api-key": API_KEY, "content-type": "application/json"}


def _sync_runner(app: ASGIApp) -> Callable[[], object]:
    client = httpx.Client(transport=FakeTransport(app), base_url=BASE_URL, headers=HEADERS)

    def create() -> object:
        response = client.post("/v4/model-templates", content=FULL_BODY_BYTES)
        assert response.status_code == 200, response.text
        return response

    return create


def _sdk_runner(app: ASGIApp) -> Callable[[], object]:
    from scale_gp import SGPClient

    sdk = SGPClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        http_client=httpx.Client(transport=FakeTransport(app)),
        max_retries=0,
    )

    def create() -> object:
        return sdk.model_templates.create(**FULL_BODY)

    return create


def _async_measure(app: ASGIApp, n: int) -> float:
    async def run() -> float:
        async with httpx.AsyncClient(
            transport=AsyncFakeTransport(app), base_url=BASE_URL, headers=HEADERS
        ) as client:
            for _ in range(20):  # warm-up
                await client.post("/v4/model-templates", content=FULL_BODY_BYTES)
            start = time.perf_counter()
            for _ in range(n):
                response = await client.post("/v4/model-templates", content=FULL_BODY_BYTES)
                assert response.status_code == 200, response.text
            return (time.perf_counter() - start) / n

    return asyncio.run(run())


def run(quick: bool) -> Section:
    section = Section("1. In process: create, one request at a time")
    reps = 5 if quick else 11
    n = 300 if quick else 1500
    answer = constant_answer(FULL_BODY_BYTES)
    fake = SGPFake()
    bare = bare_app(answer)
    pyd = pydantic_app(answer)
    fake_answer = fake.client(api_key=API_KEY).post("/v4/model-templates", json=FULL_BODY).content
    section.lines.append(
        f"Answer sizes: fake {len(fake_answer)} bytes, references {len(answer)} bytes. "
        f"{reps} repetitions of {n} creates each, alternating fake and reference."
    )

    rows: list[tuple[str, Callable[[ASGIApp], Callable[[], float]]]] = [
        ("sync transport (httpx.Client)", lambda app: _timer(_sync_runner(app), n)),
        ("async transport (httpx.AsyncClient)", lambda app: lambda: _async_measure(app, n)),
        ("official SDK (SGPClient, sync transport)", lambda app: _timer(_sdk_runner(app), n)),
    ]
    for label, make in rows:
        fake_run, bare_run, pyd_run = make(fake.app), make(bare), make(pyd)
        for f in (fake_run, bare_run, pyd_run):
            f()  # warm-up
        fake_t, bare_t = alternate(fake_run, bare_run, reps)
        fake_t2, pyd_t = alternate(fake_run, pyd_run, reps)
        section.add(
            Ratio(
                section.title,
                f"{label}: fake / bare app",
                ratios(fake_t, bare_t),
                1.3,
                "le",
                note=_abs(fake_t, bare_t),
            )
        )
        section.add(
            Ratio(
                section.title,
                f"{label}: fake / pydantic app",
                ratios(fake_t2, pyd_t),
                note=_abs(fake_t2, pyd_t),
            )
        )
    section.lines.append(f"Templates stored by the fake during this section: {len(fake.store)}.")
    inference_rows(section, quick)
    return section


def _chat_runner(app: ASGIApp, path: str, stream: bool) -> Callable[[], object]:
    client = httpx.Client(transport=FakeTransport(app), base_url=BASE_URL, headers=HEADERS)
    body = STREAM_BODY_BYTES if stream else CHAT_BODY_BYTES

    def chat() -> object:
        if not stream:
            response = client.post(path, content=body)
            assert response.status_code == 200, response.text
            return response
        with client.stream("POST", path, content=body) as response:
            assert response.status_code == 200
            return sum(1 for _ in response.iter_raw())

    return chat


def _sdk_chat_runner(app: ASGIApp, path: str, stream: bool) -> Callable[[], object]:
    from scale_gp import SGPClient

    sdk = SGPClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        http_client=httpx.Client(transport=FakeTransport(app)),
        max_retries=0,
    )
    deployment_id = path.split("/")[3]

    def chat() -> object:
        answer = sdk.models.chat_completions.create(deployment_id, stream=stream, **CHAT_BODY)
        return list(answer) if stream else answer  # type: ignore[call-overload]

    return chat


def inference_rows(section: Section, quick: bool) -> None:
    """A chat completion, whole and streamed: the fake against the chat reference."""
    reps = 5 if quick else 11
    n = 200 if quick else 1000
    fake = SGPFake()
    path = chat_deployment(fake)
    answer, events = answers(fake, path, API_KEY)
    reference = chat_app(answer, events, constant_answer(FULL_BODY_BYTES))
    section.lines.append(
        f"Chat completion: a {len(answer)}-byte answer, or {len(events)} events when streamed "
        f"({sum(map(len, events))} bytes); the reference validates the body with the same "
        f"request model and answers the same bytes. {reps} repetitions of {n} calls each."
    )
    rows: list[tuple[str, Callable[[ASGIApp, bool], Callable[[], object]]]] = [
        ("sync transport (httpx.Client)", lambda app, s: _chat_runner(app, path, s)),
        ("official SDK (SGPClient, sync transport)", lambda app, s: _sdk_chat_runner(app, path, s)),
    ]
    for label, make in rows:
        for stream in (False, True):
            fake_run = _timer(make(fake.app, stream), n)
            ref_run = _timer(make(reference, stream), n)
            fake_run()  # warm-up
            ref_run()
            fake_t, ref_t = alternate(fake_run, ref_run, reps)
            what = "streamed chat completion" if stream else "chat completion"
            section.add(
                Ratio(
                    section.title,
                    f"{what}, {label}: fake / pydantic chat app",
                    ratios(fake_t, ref_t),
                    note=_abs(fake_t, ref_t),
                )
            )
    section.lines.append(
        f"Usage records kept by the fake during the chat rows: {len(fake.tables['usage'])}."
    )


def _timer(fn: Callable[[], object], n: int) -> Callable[[], float]:
    return lambda: timed(fn, n)


def _abs(a: list[float], b: list[float]) -> str:
    import statistics

    return f"{statistics.median(a) * 1e6:.0f} us vs {statistics.median(b) * 1e6:.0f} us per request"


def main(args: Any = None) -> None:  # pragma: no cover - manual use
    for r in run(quick=True).ratios:
        print(r.name, r.text(), r.note)


if __name__ == "__main__":
    main()
