"""Optional parts, loaded on demand: the admin API, contract coverage and persistence.

They build on the core and are handed the resources as data: none imports a resource.
"""

__all__: list[str] = []
