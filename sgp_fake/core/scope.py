"""The keys the fake leaves in a request's ASGI scope, in one place.

A request carries what its parts tell each other in its scope: the in-process transports say
how the client waits (:data:`SYNC_SCOPE_KEY`, :data:`READ_TIMEOUT_SCOPE_KEY`) and read back
whether it gave up (:data:`TIMED_OUT_SCOPE_KEY`); the gateway leaves the body, the operation and
the fault rule met; a handler names the scripted response that answered; the admin API, its
checked query. Every key starts with ``sgp_fake.``, so none clashes with a server's own.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_SCOPE_KEY",
    "ADMIN_QUERY_SCOPE_KEY",
    "BODY_SCOPE_KEY",
    "DEADLINE_SCOPE_KEY",
    "OPERATION_SCOPE_KEY",
    "READ_TIMEOUT_SCOPE_KEY",
    "RESPONSE_SCOPE_KEY",
    "RULE_SCOPE_KEY",
    "SYNC_SCOPE_KEY",
    "TIMED_OUT_SCOPE_KEY",
]

# -- set by the in-process transports ----------------------------------------------------------

SYNC_SCOPE_KEY = "sgp_fake.sync"
"""Set by the sync in-process transport: the app must not wait on an event loop."""
READ_TIMEOUT_SCOPE_KEY = "sgp_fake.read_timeout"
"""Set by the in-process transports: seconds the client waits for the answer (httpx's read
timeout), when it has one."""

# -- set by the gateway ------------------------------------------------------------------------

BODY_SCOPE_KEY = "sgp_fake.body"
"""Where the gateway leaves the request body in the ASGI scope."""
TIMED_OUT_SCOPE_KEY = "sgp_fake.timed_out"
"""Set by the app when a latency outlasted the client's read timeout: the client gave up."""
OPERATION_SCOPE_KEY = "sgp_fake.operation"
"""The name of the operation serving a request, for requests the Starlette routes serve."""
RULE_SCOPE_KEY = "sgp_fake.rule"
"""The id of the fault rule a request met, once one fired (a request meets one at most)."""
DEADLINE_SCOPE_KEY = "sgp_fake.deadline"
"""When the client stops waiting for the answer to start (:func:`.realtime.monotonic`), if it
does."""

# -- set by a handler or an admin route --------------------------------------------------------

RESPONSE_SCOPE_KEY = "sgp_fake.response"
"""Where a handler names the scripted response that gave its answer
(:meth:`~sgp_fake.core.call.Call.answered_by`), for the journal."""
ACCOUNT_SCOPE_KEY = "sgp_fake.account"
"""Where a handler names the account of the record its path names (an inference call's
deployment), for the journal's ``account`` of a request that names none."""
ADMIN_QUERY_SCOPE_KEY = "sgp_fake.admin_query"
"""Where an admin route finds its query string, once checked against the route's parameters."""
