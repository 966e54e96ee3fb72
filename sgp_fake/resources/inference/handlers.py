"""What the inference routes do: find the deployment, check it can serve, answer, count.

* The ``{model_deployment_id}`` of a route names a deployment the caller may see (404; a model's
  id there is a 404 that says so and lists the model's deployments). It must be ``READY``
  (400 naming its status), and its model of a type the route serves (400): completions and
  chat a ``COMPLETION`` or ``CHAT_COMPLETION`` model (chat on a ``COMPLETION`` model is a plain
  completion of the prompt, the history ignored), embeddings an ``EMBEDDING`` model, rerankings
  a ``RERANKING`` model. Execute takes any model, through the model's own path.
* ``model_request_parameters.bindings`` must fit the model's template's
  ``model_request_parameters_schema`` (422 at ``["body", "model_request_parameters",
  "bindings", NAME]``), as creation parameters fit the creation schema.
* The content is a scripted response's, else the default of :mod:`.text`; every answer counts
  its tokens in a usage record of the deployment (see :mod:`sgp_fake.resources.usage`).
* In contract mode an unknown deployment is made up ``READY``, of a made-up model of the type
  the route serves.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping, NamedTuple, Sequence

from pydantic_core import to_json

from ...clock import created_at_json
from ...core.answers import Answer, Reply, json_bytes, ok, stream
from ...core.call import Call
from ...core.compact import CompactTable
from ...core.facts import Facts
from ...core.scope import ACCOUNT_SCOPE_KEY, RESPONSE_SCOPE_KEY
from ...core.table import Record
from ...errors import BadRequest, BodyParseError, RequestValidationError
from ..common import cache_small
from ..deployments.handlers import find_deployment
from ..model_templates.parameters import parameter_errors, request_parameters
from ..models.handlers import template_of
from ..responses import KIND as RESPONSES
from ..responses.table import Content, Refunding, ResponseTable, Scripted
from . import text
from .schemas import (
    ChatCompletionRequest,
    CompletionRequest,
    EmbeddingRequest,
    ExecuteRequest,
    ParameterBindings,
    RerankingRequest,
)

__all__ = [
    "chat_completions",
    "completions",
    "embeddings",
    "execute",
    "rerankings",
]

DEPLOYMENTS = "deployments"
MODELS = "models"
USAGE = "usage"
"""The kind of the records each answered call writes (:mod:`sgp_fake.resources.usage`, which
serves these routes as that kind's operations: importing it here would be a circle)."""
READY = "READY"
_COMPLETING = ("COMPLETION", "CHAT_COMPLETION")
_CHAT = "CHAT_COMPLETION"
_BINDINGS = ("body", "model_request_parameters", "bindings")


@cache_small(maxsize=4096)
def _data(body: bytes) -> Mapping[str, Any]:
    """A record's JSON decoded, once per version of it (read only)."""
    data: dict[str, Any] = json.loads(body)
    return data


class Target(NamedTuple):
    """The deployment a call reaches, and its model."""

    deployment: Record
    model: Record
    name: str
    """The deployment's name."""
    model_data: Mapping[str, Any]

    @property
    def model_name(self) -> str:
        return str(self.model_data["name"])

    @property
    def model_type(self) -> str:
        return str(self.model_data["model_type"])

    def facts(self, prompts: Sequence[str]) -> Facts:
        """What a call to it is about, for scripted responses."""
        return {
            "deployment": (self.deployment.id, self.name),
            "model": (self.model.id, self.model_name),
            "prompt": tuple(prompts),
        }


# -- finding the deployment ------------------------------------------------------------------


def _ready(deployment: Record) -> Mapping[str, Any]:
    data = _data(deployment.body)
    status = data.get("status")
    if status != READY:
        raise BadRequest(
            f"Model deployment {deployment.id} is {status}, not {READY}: it serves no requests"
        )
    return data


def _target(
    call: Call, served: Sequence[str], fit: str | None, what: str, model: Record | None = None
) -> Target:
    """The deployment of the path, ready, and its model of a type in ``served`` (any when
    empty); a made-up model is of type ``fit``."""
    deployment = find_deployment(call, call.params["model_deployment_id"], model)
    data = _ready(deployment)
    if model is None:
        model = call.find(
            data["model_instance_id"],
            MODELS,
            account=deployment.account_id,
            fit=None if fit is None else {"model_type": fit},
        )
    model_data = _data(model.body)
    model_type = model_data["model_type"]
    if served and model_type not in served:
        raise BadRequest(
            f"Model deployment {deployment.id} serves {_a(model_type)} model; {what} need "
            f"{' or '.join(served)}"
        )
    # For the journal's account of a call that names none: its deployment's.
    call.scope[ACCOUNT_SCOPE_KEY] = deployment.account_id  # type: ignore[index]
    return Target(deployment, model, str(data.get("name", "")), model_data)


def _a(word: str) -> str:
    """``word`` after its article, chosen by its first letter: "an EMBEDDING", "a COMPLETION"
    (right for every model type)."""
    return f"{'an' if word[:1].upper() in 'AEIOU' else 'a'} {word}"


def _check_bindings(call: Call, target: Target, given: ParameterBindings | None) -> None:
    """``model_request_parameters.bindings`` against the template's request schema (422).

    ``given`` is the bindings as the body's model validated them, with every number made a
    float: what passes as a float passes as sent, so only a call they fail is checked again,
    with the values as sent (an integer beyond a float's exact range is still an integer), and
    the errors show those."""
    template_id = target.model_data.get("model_template_id")
    if template_id is None:
        return
    template = template_of(call, template_id, target.model.account_id, target.model_type)
    parameters = request_parameters(template.body)
    if parameters is None:
        return
    if given is None:
        errors = parameter_errors(parameters, None, _BINDINGS)
        if errors:
            raise RequestValidationError(errors)
        return
    if not parameter_errors(parameters, given.bindings, _BINDINGS):
        return
    body = json.loads(call.raw_body)  # validated already: a JSON object
    errors = parameter_errors(parameters, body["model_request_parameters"]["bindings"], _BINDINGS)
    if errors:
        raise RequestValidationError(errors)


def _acting_account(call: Call, target: Target) -> str:
    """The account a call acts for: the one it selects, else its deployment's (what fault
    rules, scripted responses and the journal's ``account`` mean by it)."""
    return call.selected_account or target.deployment.account_id


def _script(
    call: Call, target: Target, content: Content, prompts: Sequence[str]
) -> Scripted | None:
    """The scripted response that gives this call's ``content``, if one does (counted)."""
    table = call.backend.tables.get(RESPONSES)
    if not isinstance(table, ResponseTable) or not len(table):
        return None
    scripted = table.take(content, target.facts(prompts), _acting_account(call, target))
    if scripted is not None and call.scope.get(RESPONSE_SCOPE_KEY) is None:
        call.answered_by(scripted.id)
    return scripted


# -- counting what was served -----------------------------------------------------------------


def _count(
    call: Call, deployment: Record, model_id: str, prompt_tokens: int, response_tokens: int
) -> None:
    """Count one answered call of ``deployment`` in a usage record (see
    :mod:`sgp_fake.resources.usage`; call it under the fake's lock: a deployment deleted
    meanwhile counts nothing). A made-up deployment (contract mode) counts nothing."""
    if deployment.seq == 0 or call.backend.tables[DEPLOYMENTS].stored(deployment.id) is None:
        return
    table = call.table(USAGE)
    if isinstance(table, CompactTable):  # kept in columns, written as below
        table.add(
            deployment.account_id,
            deployment.id,
            model_instance_id=model_id,
            operation=call.op.name,
            prompt_tokens=prompt_tokens,
            response_tokens=response_tokens,
        )
        return
    with table.lock:
        record_id = table.new_id()
        # As UsageRecord writes it, field by field (a test checks the two agree).
        body = b"".join(
            (
                b'{"id":',
                to_json(record_id),
                b',"account_id":',
                to_json(deployment.account_id),
                b',"created_at":',
                created_at_json(table.clock),
                b',"model_deployment_id":',
                to_json(deployment.id),
                b',"model_instance_id":',
                to_json(model_id),
                b',"operation":',
                to_json(call.op.name),
                b',"prompt_tokens":%d,"response_tokens":%d}' % (prompt_tokens, response_tokens),
            )
        )
        table.insert(record_id, deployment.account_id, body, deployment.id)


# -- completions and chat ----------------------------------------------------------------------


def _as_read(message: Any) -> dict[str, Any]:
    """A chat message as the fake reads it: its role (filled in) and content."""
    content = message.content
    if not isinstance(content, str):
        content = [part.model_dump(mode="json", exclude_none=True) for part in content]
    return {"role": message.role, "content": content}


def _message_tokens(message: Any) -> int:
    content = message.content
    if isinstance(content, str):
        return text.count_tokens(content)
    return sum(text.count_tokens(part.text) for part in content if hasattr(part, "text"))


def _complete(call: Call, *, chat: bool) -> Reply:
    call.identity()
    request: CompletionRequest = call.body(ChatCompletionRequest if chat else CompletionRequest)
    with call.transaction():
        target = _target(
            call, _COMPLETING, _CHAT if chat else "COMPLETION", "chat completions" if chat
            else "completions",
        )  # fmt: skip
        _check_bindings(call, target, request.model_request_parameters)
        # A model without chat completes the prompt alone, as the SDK documents.
        history = request.chat_history if chat and target.model_type == _CHAT else []  # type: ignore[attr-defined]
        # Before a script is taken: a call refused for its prompt uses up no step of one.
        prompt = _encoded(request.prompt)
        scripted = _script(call, target, "text", (request.prompt,))
        if scripted is not None and scripted.text is not None:
            answer = scripted.text
        else:
            messages = [_as_read(message) for message in history]
            answer = text.completion_text(target.model_name, request.prompt, messages)
        answer, cut = text.capped(answer, request.max_tokens)
        prompt_tokens = text.count_tokens(request.prompt) + sum(map(_message_tokens, history))
        response_tokens = text.count_tokens(answer)
        finish = b'"finish_reason":"%s","prompt_tokens":%d,"response_tokens":%d' % (
            b"length" if cut else b"stop",
            prompt_tokens,
            response_tokens,
        )
        # Written before the call counts: one that cannot be answered counts nothing.
        if request.stream:
            pieces = _pieces(answer, scripted)
            events = _events(prompt, pieces, finish)
            if scripted is not None:
                table = call.backend.tables[RESPONSES]
                assert isinstance(table, ResponseTable)
                events = Refunding(events, table, scripted.id, scripted.step)
            reply: Reply = stream(events)
        else:
            # [answer] written as json.dumps writes a one-string list: the string's fast path.
            reply = ok(b'{"completions":[[%s,[%s]]],%s}' % (prompt, _encoded(answer), finish))
        _count(call, target.deployment, target.model.id, prompt_tokens, response_tokens)
    return reply


def _encoded(content: Any) -> bytes:
    """``content`` as JSON; 400 for a string UTF-8 cannot carry (a lone surrogate of the
    request, echoed), as the body would have been refused."""
    try:
        return json_bytes(content)
    except UnicodeEncodeError as exc:
        raise BodyParseError() from exc


def _pieces(answer: str, scripted: Scripted | None) -> list[str]:
    """The deltas of a streamed answer: a scripted response's exact ``chunks`` when the answer
    is all of them (not capped by ``max_tokens``), else one per token."""
    if scripted is not None and scripted.chunks and answer == scripted.text:
        return list(scripted.chunks)
    return text.deltas(answer)


def _events(prompt: bytes, pieces: Sequence[str], finish: bytes) -> Iterator[bytes]:
    """The events of a streamed completion of ``prompt`` (as JSON), each written when the client
    is ready for it (every event repeats the prompt: a long prompt times many deltas is never
    held at once): a delta each, the last with the finish reason and the token counts (as
    ``sse`` writes events: JSON strings hold no line break)."""
    head = b'data: {"completions":[[%s,[' % prompt
    last = len(pieces) - 1
    for index, delta in enumerate(pieces):
        end = b"]]],%s}\n\n" % finish if index == last else b"]]]}\n\n"
        yield b"%s%s%s" % (head, json_bytes(delta), end)


def completions(call: Call) -> Reply:
    """``POST /v4/models/{model_deployment_id}/completions``: JSON, or SSE for
    ``stream: true``."""
    return _complete(call, chat=False)


def chat_completions(call: Call) -> Reply:
    """``POST /v4/models/{model_deployment_id}/chat-completions``: JSON, or SSE for
    ``stream: true``."""
    return _complete(call, chat=True)


# -- embeddings and rerankings ---------------------------------------------------------------


def embeddings(call: Call) -> Answer:
    """``POST /v4/models/{model_deployment_id}/embeddings``: a unit vector per text."""
    call.identity()
    request = call.body(EmbeddingRequest)
    with call.transaction():
        target = _target(call, ("EMBEDDING",), "EMBEDDING", "embeddings")
        _check_bindings(call, target, request.model_request_parameters)
        vectors = []
        for item in request.texts:
            scripted = _script(call, target, "embedding", (item,))
            rule = {} if scripted is None else scripted.rule
            vector = rule.get("embedding")
            if vector is None:
                vector = text.embedding(item, rule.get("dimensions", text.DEFAULT_DIMENSIONS))
            vectors.append(vector)
        used = sum(text.count_tokens(item) for item in request.texts)
        _count(call, target.deployment, target.model.id, used, 0)
    return ok(json_bytes({"embeddings": vectors, "tokens_used": used}))


def rerankings(call: Call) -> Answer:
    """``POST /v4/models/{model_deployment_id}/rerankings``: a score per chunk."""
    call.identity()
    request = call.body(RerankingRequest)
    with call.transaction():
        target = _target(call, ("RERANKING",), "RERANKING", "rerankings")
        _check_bindings(call, target, request.model_request_parameters)
        scores = [text.rerank_score(request.query, chunk) for chunk in request.chunks]
        scripted = _script(call, target, "scores", (request.query,))
        if scripted is not None:
            given = scripted.rule["scores"][: len(scores)]
            scores[: len(given)] = given
        used = text.count_tokens(request.query) + sum(map(text.count_tokens, request.chunks))
        _count(call, target.deployment, target.model.id, used, 0)
    return ok(json_bytes({"chunk_scores": scores, "tokens_used": used}))


# -- execute -----------------------------------------------------------------------------------


def _prompts(request: ExecuteRequest) -> list[str]:
    """The prompts of a free-form execution body: ``prompts`` (a list; an item that is not a
    string is its JSON text), else ``prompt`` (a string)."""
    extra = request.model_extra or {}
    prompts = extra.get("prompts")
    if isinstance(prompts, list):
        return [p if isinstance(p, str) else json.dumps(p, ensure_ascii=False) for p in prompts]
    prompt = extra.get("prompt")
    return [prompt] if isinstance(prompt, str) else []


def execute(call: Call) -> Answer:
    """``POST /v4/models/{model_instance_id}/deployments/{model_deployment_id}/execute``: a
    free-form body, never refused for its unknown fields, and never streamed."""
    call.identity()
    request = call.body(ExecuteRequest, free_form=True)
    prompts = _prompts(request)
    # Before a script is taken: a call refused for its prompts uses up no step of one.
    _encoded(prompts)
    with call.transaction():
        model = call.find(call.params["model_instance_id"], MODELS)
        target = _target(call, (), None, "executions", model)
        whole = _script(call, target, "execute", prompts)
        prompt_tokens = sum(map(text.count_tokens, prompts))
        if whole is not None:
            answer: dict[str, Any] = whole.rule["execute"]
            response_tokens = text.count_tokens(json.dumps(answer, ensure_ascii=False))
        else:
            completions = []
            for prompt in prompts:
                scripted = _script(call, target, "text", (prompt,))
                if scripted is not None and scripted.text is not None:
                    completion = scripted.text
                else:
                    completion = text.completion_text(target.model_name, prompt)
                completions.append([prompt, [completion]])
            answer = {"completions": completions}
            response_tokens = sum(text.count_tokens(c[1][0]) for c in completions)
        body = _encoded(answer)
        _count(call, target.deployment, model.id, prompt_tokens, response_tokens)
    return ok(body)
