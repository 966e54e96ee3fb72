"""The installed fake with one part of its work left out, for section 2's CPU breakdown of a
chat completion: what each part costs a loaded server is the difference to the whole fake.

    python benchmarks/ablated_fake.py WHAT [sgp-fake serve flags]

``WHAT`` is one of:

* ``usage``: a call to a deployment (``/v4/models/{id}/...``, what section 2 sends) is not
  counted: no usage record is written (the gateway's calls still are);
* ``constant``: each path is answered, once, as the fake answers it; every later request to
  that path gets the same answer again, without the app working it out. What is left is the
  server around the app: uvicorn's parser, the fake's protocol, the request log.

Everything else runs as ``sgp-fake serve`` with the same flags.
"""

from __future__ import annotations

import sys
from typing import Any

from sgp_fake.cli import main as cli_main
from sgp_fake.core.gateway import DirectAnswer, FakeApp
from sgp_fake.resources.inference import handlers

WHAT = ("usage", "constant")


def _count_nothing(*args: Any) -> None:
    return None


def _answer_once() -> None:
    answer_now = FakeApp.answer_now
    answers: dict[str, DirectAnswer] = {}

    def constant(self: FakeApp, scope: Any, body: bytes, *, coalesce: bool = True) -> Any:
        known = answers.get(scope["path"])
        if known is not None:
            return known
        answer = answer_now(self, scope, body, coalesce=coalesce)
        if answer is not None and isinstance(answer.body, bytes) and answer.error is None:
            answers[scope["path"]] = answer
        return answer

    FakeApp.answer_now = constant  # type: ignore[method-assign]


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in WHAT:
        print(f"usage: ablated_fake.py {{{','.join(WHAT)}}} [serve flags]", file=sys.stderr)
        return 2
    what = sys.argv[1]
    if what == "usage":
        handlers._count = _count_nothing  # type: ignore[assignment]
    else:
        _answer_once()
    return cli_main(["serve", *sys.argv[2:]])


if __name__ == "__main__":
    sys.exit(main())
