"""Factories of realistic payloads, built on Faker: templates, models, deployments and
inference calls, and a factory for any resource from its schemas.

:class:`TemplateFactory` makes create-request bodies (plain dicts, ready for ``json=`` or for
``client.model_templates.create(**body)``) and stored templates (the response shape). Every body
validates against the contract's ``ModelTemplateRequest`` schema; values look like what teams
really deploy: container registries, images and tags, serving commands, environment variables,
Kubernetes quantities, GPU types and parameter schemas. :class:`ModelFactory` and
:class:`DeploymentFactory` do the same for models (with creation parameters that fit a
template's schema) and their deployments; :func:`seed_deployment` stores a template, a model
of it and a ``READY`` deployment in one call. :class:`InferenceFactory` makes the bodies of
the inference routes (completions, chat, embeddings, rerankings, execute), with
``model_request_parameters`` that fit a template's request schema. :func:`for_resource` gives
any resource (one a test declares, too) a factory built from its schemas.

>>> factory = TemplateFactory(seed=7)
>>> body = factory.request(vendor_configuration={"bundle_config": {"tag": "v2"}})
>>> body["vendor_configuration"]["bundle_config"]["tag"]
'v2'
>>> TemplateFactory(seed=7).request() == TemplateFactory(seed=7).request()
True

Overrides merge deeply: a nested mapping changes only the keys it names, any other value replaces
what is there, and :data:`OMIT` removes a key. Mentioning an optional section (even with ``{}``)
includes it, fully generated, whatever ``optional`` says.

This module is a public face: each factory lives in its resource's folder
(``sgp_fake/resources/<kind>/factory.py``), on the engine in ``sgp_fake/testdata/``.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Protocol

from .resources.deployments.factory import DeploymentFactory
from .resources.inference.factory import InferenceFactory
from .resources.model_templates.factory import TemplateFactory
from .resources.models.factory import ModelFactory
from .testdata.faker import OMIT, OptionalSections, deep_merge
from .testdata.generic import DeclaredResource, SchemaFactory

if TYPE_CHECKING:
    from .fake import SGPFake

__all__ = [
    "OMIT",
    "DeploymentFactory",
    "InferenceFactory",
    "ModelFactory",
    "OptionalSections",
    "SchemaFactory",
    "SeededDeployment",
    "TemplateFactory",
    "deep_merge",
    "for_resource",
    "seed_deployment",
    "seed_templates",
]


def for_resource(
    resource: DeclaredResource,
    seed: int | str | None = None,
    *,
    account_id: str | None = None,
    optional: OptionalSections = "random",
) -> SchemaFactory:
    """A factory of ``resource``'s create bodies (``request()``) and stored records
    (``record()``), built from its declaration alone: the create operation's body model and
    the stored schema."""
    return SchemaFactory(resource, seed, account_id=account_id, optional=optional)


class _Store(Protocol):
    def put(self, template: dict[str, Any]) -> Any: ...


class _HasStore(Protocol):
    @property
    def store(self) -> _Store: ...


def seed_templates(
    target: _HasStore | _Store,
    n: int,
    *,
    account_id: str | None = None,
    factory: TemplateFactory | None = None,
    optional: OptionalSections | None = None,
    **overrides: Any,
) -> list[dict[str, Any]]:
    """Store ``n`` generated templates in a fake (or its store); return them as the API would.

    ``account_id`` defaults to the factory's; ``factory`` defaults to a new unseeded one.

    >>> from sgp_fake import SGPFake
    >>> fake = SGPFake()
    >>> templates = seed_templates(fake, 3, account_id="acct_1")
    >>> len(fake.store.all("acct_1"))
    3
    """
    factory = factory or TemplateFactory()
    store = typing.cast(_Store, getattr(target, "store", target))
    if account_id is not None:
        overrides["account_id"] = account_id
    templates = factory.responses(n, optional=optional, **overrides)
    for template in templates:
        store.put(template)
    return templates


class SeededDeployment(NamedTuple):
    """What :func:`seed_deployment` stored, each as the API answers it."""

    template: dict[str, Any]
    model: dict[str, Any]
    deployment: dict[str, Any]


def seed_deployment(
    fake: SGPFake,
    *,
    account_id: str | None = None,
    seed: int | str | None = None,
    template: Mapping[str, Any] | None = None,
    model: Mapping[str, Any] | None = None,
    deployment: Mapping[str, Any] | None = None,
) -> SeededDeployment:
    """Store a template, a model of it and a ``READY`` deployment of the model in ``fake``, in
    one transaction; return the three as the API answers them (the model with its derived
    fields: ``deployment_count`` 1).

    ``template``, ``model`` and ``deployment`` override fields of each (merged deeply, as the
    factories merge them); the three share ``account_id`` (generated when not given).

    The template is generated like any other: its ``model_type`` and its request parameters
    schema vary with ``seed`` (and from run to run without one). A test that calls the
    deployment names what the call needs, e.g. ``template={"model_type": "CHAT_COMPLETION",
    "model_request_parameters_schema": {"parameters": []}}`` for chat completions with any
    bindings, or builds its body with ``InferenceFactory(...).chat(template=seeded.template)``.

    >>> from sgp_fake import SGPFake
    >>> fake = SGPFake()
    >>> seeded = seed_deployment(fake, account_id="acct_1", seed=3)
    >>> seeded.model["deployment_count"], seeded.deployment["status"]
    (1, 'READY')
    """
    import json

    from .resources.models.handlers import render_model

    templates = TemplateFactory(seed, account_id=account_id)
    account = templates.account_id
    models = ModelFactory(templates.seed, account_id=account)
    deployments = DeploymentFactory(templates.seed, account_id=account)
    stored_template = templates.response(
        **{
            "model_creation_parameters_schema": templates.parameter_schema("creation"),
            **dict(template or {}),
        }
    )
    stored_model = models.record(
        template=stored_template,
        **{"model_type": stored_template["model_type"], **dict(model or {})},
    )
    stored_deployment = deployments.response(
        model_instance_id=stored_model["id"], **dict(deployment or {})
    )
    state = fake.state
    with state.transaction():
        state.tables["model_templates"].put(stored_template)
        record = state.tables["models"].put(stored_model)
        state.tables["deployments"].put(stored_deployment)
        answered = json.loads(render_model(state.tables, record))
    return SeededDeployment(stored_template, answered, stored_deployment)
