"""Engines the resources' test data is built on; they know no resource.

* :mod:`.faker`: seeded Faker, :data:`~.faker.OMIT`, :func:`~.faker.deep_merge` and the pruning
  of optional sections a resource factory uses;
* :mod:`.invalid`: :class:`~.invalid.InvalidPayload` and the named ways to break a body, each
  given the :class:`Target` it is sent to (an operation: its body model and path template);
* :mod:`.expected`: the 422 entries pydantic gives a wrong value, predicted from an annotation;
* :mod:`.generic`: a factory and a set of invalid payloads for any resource, read from its
  declaration alone.

Nothing here imports the rest of the package: a resource's ``factory.py`` and ``invalid.py``
import these, and the public faces (``sgp_fake.factories``, ``sgp_fake.payloads``) re-export
both.
"""

__all__: list[str] = []
