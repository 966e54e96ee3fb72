"""The fake without its state, for section 2's CPU breakdown: ``sgp-fake serve --no-admin``
whose template table answers every create but keeps nothing.

Everything a create does runs (validation, the answer's JSON, the id and time), only the
record is not kept: the difference to the real server is what keeping state costs per request.

    python benchmarks/stateless_fake.py --port N
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sgp_fake.cli.serve import serve
from sgp_fake.core.table import Table


def _keep_nothing(
    self: Table[Any], record_id: str, account_id: str, body: bytes, parent: Any = None
) -> Any:
    return self._record_type(record_id, account_id, 0, body, parent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    Table.insert = _keep_nothing  # type: ignore[method-assign]
    from sgp_fake.cli import build_parser

    return serve(build_parser().parse_args(["serve", "--port", str(args.port), "--no-admin"]))


if __name__ == "__main__":
    sys.exit(main())
