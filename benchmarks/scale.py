"""Section 5: does a big store slow anything down, and how much memory does a template take?

Four fakes hold 1k, 10k, 100k and 1M full templates spread over 100 accounts. Through the sync
in-process client we time a list of 100 (a middle page, of all accounts and of one account) and a
retrieve of random ids on each, rotating which size goes first; each figure is the time at
10k, 100k or 1M over the time at 1k in the same repetition. Creates are timed the same way (the
store grows a little during the run). Memory per stored template is measured with
tracemalloc, and the resident memory (RSS) of a server holding 1M is measured in a fresh
process, configured as ``sgp-fake serve`` is by default (journal and coverage on), its
creates through the app.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import httpx
from common import API_KEY, Ratio, Section, body_for, fmt, ratios

from sgp_fake import SGPFake
from sgp_fake.resources.model_templates.schemas import ModelTemplateRequest
from sgp_fake.settings import DEFAULT_IDENTITY

SIZES = (1_000, 10_000, 100_000, 1_000_000)
ACCOUNTS = [f"acct_{i:02d}" for i in range(100)]
REQUESTS = [ModelTemplateRequest.model_validate(body_for(a)) for a in ACCOUNTS]


RSS_COUNT = 1_000_000


def _size(count: int) -> str:
    return f"{count // 1_000_000}M" if count >= 1_000_000 else f"{count // 1000}k"


def _filled(size: int) -> tuple[SGPFake, list[str]]:
    fake = SGPFake(journal_limit=1000)
    ids = [fake.store.create(REQUESTS[i % 100], DEFAULT_IDENTITY).id for i in range(size)]
    return fake, ids


def _per_op(fn: Callable[[int], object], n: int) -> float:
    # The garbage collector stays on: a big heap makes its passes longer, and users pay that.
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - start) / n


def run(quick: bool) -> Section:
    section = Section("5. Scale: 1k, 10k, 100k and 1M stored templates across 100 accounts")
    reps = 5 if quick else 9
    n = 200 if quick else 500
    fakes = {size: _filled(size) for size in SIZES}
    clients = {size: fakes[size][0].client(api_key=API_KEY) for size in SIZES}
    rng = random.Random(1)

    def list_all(size: int) -> Callable[[int], object]:
        client = clients[size]
        page = size // 100 // 2
        return lambda i: _ok(client.get("/v4/model-templates", params={"limit": 100, "page": page}))

    def list_account(size: int) -> Callable[[int], object]:
        # Limit 10, so that even the 1k store (10 per account) answers a full page.
        client = clients[size]
        page = max(1, size // 100 // 10 // 2)
        return lambda i: _ok(
            client.get(
                "/v4/model-templates",
                params={"limit": 10, "page": page, "account_id": ACCOUNTS[i % 100]},
            )
        )

    def retrieve(size: int) -> Callable[[int], object]:
        client = clients[size]
        ids = fakes[size][1]
        picks = [rng.choice(ids) for _ in range(n)]
        return lambda i: _ok(client.get(f"/v4/model-templates/{picks[i]}"))

    def create(size: int) -> Callable[[int], object]:
        client = clients[size]
        bodies = [body_for(ACCOUNTS[i % 100]) for i in range(n)]
        return lambda i: _ok(client.post("/v4/model-templates", json=bodies[i]))

    operations = {
        "list, limit 100, middle page of all accounts": list_all,
        "list, limit 10, middle page of one account": list_account,
        "retrieve a random id": retrieve,
        "create (the store growing)": create,
    }
    for label, make in operations.items():
        times: dict[int, list[float]] = {size: [] for size in SIZES}
        for rep in range(reps):
            order = list(SIZES[rep % len(SIZES) :] + SIZES[: rep % len(SIZES)])
            for size in order:
                times[size].append(_per_op(make(size), n))
        for size in SIZES[1:]:
            section.add(
                Ratio(
                    section.title,
                    f"{label}: {_size(size)} / 1k",
                    ratios(times[size], times[1000]),
                    1.5,
                    "le",
                    note=f"{statistics.median(times[size]) * 1e6:.0f} us vs "
                    f"{statistics.median(times[1000]) * 1e6:.0f} us per request",
                )
            )
    for client in clients.values():
        client.close()
    fakes.clear()
    clients.clear()
    gc.collect()

    per_template, body_size = _memory_per_template(10_000 if quick else 50_000)
    section.add(
        Ratio(
            section.title,
            "memory per stored full template",
            [per_template / 1024],
            4.0,
            "lt",
            note=f"its JSON alone is {body_size} bytes",
            unit=" KB",
        )
    )
    section.lines.append(
        f"Memory: {fmt(per_template)} bytes per template held by the store (tracemalloc), "
        f"for full templates of {body_size} bytes of JSON."
    )
    rss = _rss_per_template(RSS_COUNT)
    section.add(
        Ratio(
            section.title,
            f"resident memory (RSS) per stored full template, {_size(RSS_COUNT)}, "
            "serve's default config",
            [rss / 1024],
            2.25,  # the figure at 100k before the store was measured at 1M
            "le",
            note="journal (10,000 entries) and coverage on, creates through the app",
            unit=" KB",
        )
    )
    return section


# Run in a fresh interpreter: RSS counts everything the process holds.
_RSS_SCRIPT = """
import json, sys
from common import body_for
from sgp_fake import SGPFake
from sgp_fake.core.scope import SYNC_SCOPE_KEY
from sgp_fake.transport import _run_without_loop

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024

count = int(sys.argv[1])
fake = SGPFake(admin=True, coverage=True)  # as `sgp-fake serve` builds it
bodies = [json.dumps(body_for(f"acct_{i:02d}")).encode() for i in range(100)]
headers = [(b"x-api-key", b"k"), (b"content-type", b"application/json")]

def create(body):
    sent = []
    async def receive():
        if sent:
            return {"type": "http.disconnect"}
        sent.append(1)
        return {"type": "http.request", "body": body, "more_body": False}
    async def send(message):
        pass
    scope = {"type": "http", "method": "POST", "path": "/v4/model-templates",
             "query_string": b"", "headers": headers, "root_path": "", SYNC_SCOPE_KEY: True}
    _run_without_loop(fake.app(scope, receive, send))

warm = 11_000  # the journal full (it keeps 10,000), the coverage queue and caches in place
for i in range(warm):
    create(bodies[i % 100])
before = rss()
for i in range(count):
    create(bodies[i % 100])
after = rss()
assert len(fake.store) == warm + count
print(json.dumps({"per_template": (after - before) / count}))
"""


def _rss_per_template(count: int) -> float:
    here = Path(__file__).resolve().parent
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(count)],
        cwd=here,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    ).stdout
    per_template: float = json.loads(out.strip().splitlines()[-1])["per_template"]
    return per_template


def _memory_per_template(count: int) -> tuple[float, int]:
    fake = SGPFake(journal_limit=0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            fake.store.create(REQUESTS[i % 100], DEFAULT_IDENTITY)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    body_size = len(next(iter(fake.store.all())).body)
    return (after - before) / count, body_size


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, response.text
    return response
