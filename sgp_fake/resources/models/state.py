"""What a state document's models must be: what ``POST`` and ``PATCH /v4/models`` ensure."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from ...core.operations import StateProblem

__all__ = ["check_state"]

TEMPLATES = "model_templates"


def check_state(records: Mapping[str, Sequence[Any]]) -> Iterator[StateProblem]:
    """A model made from a template is of the template's ``model_type`` (the API answers 400
    to any other)."""
    template_types = {
        template.id: _value(template.model_type) for template in records.get(TEMPLATES, ())
    }
    for index, model in enumerate(records.get("models", ())):
        template_id = model.model_template_id
        if template_id is None or template_id not in template_types:
            continue  # built in; a template the document lacks is a dangling reference
        wanted, model_type = template_types[template_id], _value(model.model_type)
        if model_type != wanted:
            yield StateProblem(
                index,
                "model_type",
                f"model {model.id} is of type {model_type}, but its template {template_id} "
                f"makes models of type {wanted}",
            )


def _value(model_type: Any) -> str:
    """A model type as the API writes it (an enum member's value)."""
    return str(getattr(model_type, "value", model_type))
