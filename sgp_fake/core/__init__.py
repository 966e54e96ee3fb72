"""The request path and the records: knows no resource, takes the operation table as data.

``operations`` declares what is served; ``routing`` compiles it; ``gateway`` is the ASGI front
door (body, access policy, latency, faults, rate limit, dispatch, journal), and ``fallback`` the
Starlette app behind it for what the direct dispatch does not match; ``scope`` names what they
leave in a request's ASGI scope; ``call`` is one request as a handler sees it, and calls its
operation; ``table`` keeps records; ``openapi`` documents the table.
"""

__all__: list[str] = []
