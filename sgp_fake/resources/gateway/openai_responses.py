"""``POST /v5/responses``: the OpenAI Responses API of the gateway.

What the fake decides:

* **JSON or Server-Sent Events.** Without ``stream`` the answer is one ``response`` object.
  With ``stream: true`` the answer is the Responses event stream (``response.created``,
  ``response.in_progress``, ``response.output_item.added``, ``response.content_part.added``,
  ``response.output_text.delta`` ..., ``response.completed``), each a named event, ended by
  closing the connection (as OpenAI does: no ``[DONE]``) -- **except** for the ``scale-gp-beta``
  SDK (``User-Agent: SGPClient/...`` or ``AsyncSGPClient/...``), which sends ``stream: true``
  but declares no stream type for this route and reads one JSON body: it gets the completed
  ``response`` object.
  ``Accept: text/event-stream`` asks for the events whoever the client is. Both clients send
  ``Accept: application/json``, so the client is told apart by its ``User-Agent``.
* **Which model.** As on every gateway route (:func:`.catalog.resolve`), and only an ``openai``
  model (400 "unsupported vendor" for another vendor, as the route's docstring says), except in
  contract mode.
* **The conversation.** ``input`` (a string: one user message; or items: messages, with
  ``function_call`` items as the assistant's tool calls and ``function_call_output`` items as
  tool results; the calls of one answer, with an assistant message just before them, are one
  assistant turn, as one chat message holds them) after ``instructions`` (a system message): the
  same text as the chat route for the same conversation, and the same scripted responses
  (matchers ``model``, ``prompt``, ``tool_result``, ``turn``; content ``text``, ``texts``,
  ``tool_calls``: answered as ``function_call`` output items). Unscripted, a ``tool_choice``
  that obliges a call (``"required"``: the first function tool; ``{"type": "function",
  "name": ...}``) is answered with that ``function_call``, as the chat route answers it.
* **Structured output.** ``text.format`` as the chat route's ``response_format``: ``json_schema``
  (its ``schema``) answers a JSON document valid against the schema (:mod:`.structured`, seeded
  as the chat route seeds it: the same document for the same conversation), ``json_object``
  ``{"answer": <text>}``; streamed as any text. A scripted text still wins. The response's
  ``text`` echoes the format asked (``{"type": "text"}`` when none, or one of another type).
* ``max_output_tokens`` cuts the text (``status: "incomplete"``, ``incomplete_details.reason:
  "max_output_tokens"``). ``previous_response_id`` and ``store`` are echoed, not acted on: the
  fake keeps no responses (send the whole conversation as ``input``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence, Union

from pydantic import ConfigDict, Field

from ...core.answers import Reply, json_bytes, ok, sse_event, stream
from ...core.call import Call
from ...core.facts import Facts
from ...core.lazy_model import LazyModel
from ...errors import BadRequest, BodyParseError
from ..inference import text
from ..responses.table import Scripted
from . import catalog
from .handlers import (
    _account,
    _Conversation,
    _created,
    _ended,
    _hash,
    _may_hold_surrogate,
    _record_usage,
    _refunding,
    _script,
    forced,
    formatted_text,
    json_body,
)
from .handlers import about as _gateway_about

__all__ = ["OpenAIResponse", "ResponseRequest", "about", "responses"]


class ResponseRequest(LazyModel):
    """Body of ``POST /v5/responses``: the OpenAI Responses parameters (those the fake reads
    are typed; others are kept)."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    # Documented as the handler checks it (400 for another form or vendor), as the chat
    # routes document theirs; the answer stays the handler's.
    model: str = Field(
        description="The model as vendor/name: an openai one.",
        json_schema_extra={"pattern": "^openai/."},
    )
    input: Union[str, List[Any]] = Field(description="A user message, or input items.")
    instructions: Optional[str] = Field(None, description="A system message before the input.")
    max_output_tokens: Optional[int] = None
    stream: Optional[bool] = Field(
        None,
        description="Server-Sent Events of the Responses API; the scale-gp-beta SDK, which "
        "reads only JSON here, gets the completed response object.",
    )
    text: Optional[Mapping[str, Any]] = Field(
        None,
        description="format: text, json_schema (an answer valid against its schema) or "
        "json_object.",
    )
    tools: Optional[List[Any]] = None
    tool_choice: Optional[Union[str, Mapping[str, Any]]] = None
    parallel_tool_calls: Optional[bool] = None
    previous_response_id: Optional[str] = Field(None, description="Echoed; nothing is kept.")
    store: Optional[bool] = Field(None, description="Echoed (true by default); nothing is kept.")
    temperature: Optional[float] = None
    top_p: Optional[float] = None
    metadata: Optional[Mapping[str, Any]] = None


class OpenAIResponse(LazyModel):
    """The answer of ``POST /v5/responses``."""

    model_config = ConfigDict(extra="allow")

    id: str
    object: str = "response"
    created_at: float
    status: str
    model: str
    output: List[Any]
    parallel_tool_calls: bool
    tool_choice: Union[str, Mapping[str, Any]]
    tools: List[Any]
    usage: Mapping[str, Any]


_SGP_SDK_AGENTS = ("SGPClient/", "AsyncSGPClient/")
"""How the ``scale-gp-beta`` clients' ``User-Agent`` starts."""


# -- what is asked --------------------------------------------------------------------------------


def _messages(instructions: Any, items: Any) -> list[dict[str, Any]]:
    """The ``instructions`` and ``input`` as chat messages (what the chat route reads)."""
    messages: list[dict[str, Any]] = []
    if instructions and isinstance(instructions, str):
        messages.append({"role": "system", "content": instructions})
    if isinstance(items, str):
        messages.append({"role": "user", "content": items})
        return messages
    if not isinstance(items, list):
        return messages
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind == "function_call":
            function = {"name": item.get("name"), "arguments": item.get("arguments")}
            call = {"id": item.get("call_id"), "type": "function", "function": function}
            previous = messages[-1] if messages else None
            if previous is not None and previous["role"] == "assistant":
                # The calls of one answer (and the message before them) are one turn, as
                # one chat message holds its text and all its tool calls.
                previous.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "content": _text(item.get("output"))})
        elif "role" in item:
            messages.append({"role": item["role"], "content": _text(item.get("content"))})
    return messages


def _text(content: Any) -> str:
    # input_text / output_text parts carry "text"; a tool output may be any JSON.
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return "" if content is None else json_bytes(content).decode()


def _wants_events(call: Call, request: ResponseRequest) -> bool:
    if not request.stream:
        return False
    if "text/event-stream" in (call.header(b"accept") or ""):
        return True
    # "SGPClient/Python 0.7.0", "AsyncSGPClient/Python 0.7.0": the class name, then the version.
    return not (call.header(b"user-agent") or "").startswith(_SGP_SDK_AGENTS)


def _format(request: ResponseRequest) -> dict[str, Any]:
    """``text.format`` as asked, or ``{"type": "text"}`` (none, or one of another type)."""
    fmt = (request.text or {}).get("format")
    if isinstance(fmt, Mapping) and fmt.get("type") in ("text", "json_schema", "json_object"):
        return dict(fmt)
    return {"type": "text"}


def _default_text(fmt: Mapping[str, Any], model: str, conversation: _Conversation) -> str:
    """The unscripted text: as the chat route's for ``response_format`` of the same form."""
    return formatted_text(fmt.get("type"), fmt.get("schema"), model, conversation)


def _content(
    scripted: Scripted | None,
    request: ResponseRequest,
    fmt: Mapping[str, Any],
    model: str,
    conversation: _Conversation,
) -> tuple[str | None, Sequence[Mapping[str, Any]]]:
    """The answer's text and its function calls (as a script's ``tool_calls``): a script's,
    else the call a ``tool_choice`` obliges (no text), else the text in the format asked."""
    if scripted is not None:
        return scripted.text, scripted.rule.get("tool_calls") or ()
    obliged = forced(scripted, request.tools, request.tool_choice)
    if obliged is not None:
        seed = _hash(model, conversation.prompt, conversation.history)
        return None, obliged.rule(seed)["tool_calls"]
    return _default_text(fmt, model, conversation), ()


def _tool_choice(value: Any) -> Any:
    if value in ("none", "auto", "required") or (isinstance(value, Mapping) and "type" in value):
        return value
    return "auto"


def about(call: Call) -> Facts:
    """What a Responses request is about, for fault rules: its model, and as its prompt the
    last user message of its ``input``, read as the handler reads it."""
    facts = _gateway_about(call)
    body = json_body(call)
    if body is not None and isinstance(body.get("input"), (str, list)):
        messages = _messages(body.get("instructions"), body["input"])
        facts = {**facts, "prompt": (_Conversation(messages).prompt,)}
    return facts


# -- the answer -----------------------------------------------------------------------------------


def responses(call: Call) -> Reply:
    """``POST /v5/responses``: a ``response`` object, or the Responses event stream (see the
    module docstring for who gets which)."""
    account = _account(call)
    request = call.body(ResponseRequest, free_form=True)
    contract = call.settings.contract
    messages = _messages(request.instructions, request.input)
    conversation = _Conversation(messages)
    fmt = _format(request)
    with call.transaction():
        model = catalog.resolve(call, request.model, account)
        if not contract and not model.startswith("openai/"):
            raise BadRequest(
                f"Model {model}: unsupported vendor {model.partition('/')[0]!r} for "
                "/v5/responses (only openai models serve the Responses API)"
            )
        # What the answer (and each of its events) echoes of the request, written once here:
        # a lone surrogate UTF-8 cannot carry is refused before a script's step is taken or an
        # event is sent.
        echoed: dict[str, Any] = {
            "instructions": request.instructions,
            "model": request.model,
            "previous_response_id": request.previous_response_id,
            "text": {"format": fmt},
            "tool_choice": _tool_choice(request.tool_choice),
            "tools": [t for t in request.tools or () if isinstance(t, Mapping) and "type" in t],
            "metadata": dict(request.metadata or {}),
        }
        if _may_hold_surrogate(call.raw_body):  # else none can be echoed
            try:
                json_bytes(echoed)
            except UnicodeEncodeError as exc:  # a lone surrogate of the request, echoed
                raise BodyParseError() from exc
        response_id = "resp_" + _hash(model, messages, account)
        scripted = _script(call, conversation.facts, model, account)
        content, calls = _content(scripted, request, fmt, model, conversation)
        output: list[dict[str, Any]] = []
        for position, spec in enumerate(calls):
            seed = f"{response_id}/{position}"
            arguments = spec.get("arguments", {})  # a string is sent as the script gives it
            output.append(
                {
                    "type": "function_call",
                    "id": "fc_" + _hash(seed),
                    "call_id": "call_" + _hash(seed, 0),
                    "name": spec["name"],
                    "arguments": arguments
                    if isinstance(arguments, str)
                    else json_bytes(arguments).decode(),
                    "status": "completed",
                }
            )
        capped = False
        if content is not None:
            content, capped = text.capped(content, request.max_output_tokens)
            message = {
                "type": "message",
                "id": "msg_" + _hash(response_id),
                "role": "assistant",
                "status": "incomplete" if capped else "completed",
                "content": [{"type": "output_text", "text": content, "annotations": []}],
            }
            output.insert(0, message)
        output_tokens = sum(
            text.count_tokens(content or "") if item["type"] == "message"
            else text.count_tokens(item["arguments"])
            for item in output
        )  # fmt: skip
        body: dict[str, Any] = {
            "id": response_id,
            "object": "response",
            "created_at": _created(call),
            "status": "incomplete" if capped else "completed",
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if capped else None,
            "instructions": echoed["instructions"],
            "max_output_tokens": request.max_output_tokens,
            "model": echoed["model"],
            "output": output,
            "parallel_tool_calls": (
                True if request.parallel_tool_calls is None else request.parallel_tool_calls
            ),
            "previous_response_id": echoed["previous_response_id"],
            "store": True if request.store is None else request.store,
            "temperature": request.temperature,
            "text": echoed["text"],
            "tool_choice": echoed["tool_choice"],
            "tools": echoed["tools"],
            "top_p": request.top_p,
            "truncation": "disabled",
            "metadata": echoed["metadata"],
            "usage": {
                "input_tokens": conversation.tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": conversation.tokens + output_tokens,
            },
        }
        # A script's exact stream chunks, while the text is all of them (not cut), as on chat.
        chunks = None if scripted is None else scripted.chunks
        if chunks and content != "".join(chunks):
            chunks = None
        if _wants_events(call, request):
            event = _numbered()
            # The last event (response.completed) ends the stream as chat's [DONE] does: a
            # client that stops reading there has the whole answer, and keeps its step.
            leading = _refunding(call, scripted, _events(event, body, chunks))
            reply: Reply = stream(_ended(leading, lambda: _last_event(event, body)))
        else:
            reply = ok(json_bytes(body))
        _record_usage(call, account, model, conversation.tokens, output_tokens)
    return reply


def _numbered() -> Callable[..., bytes]:
    """What writes the events of one stream: each named by its type, with the next
    ``sequence_number``."""
    sequence = iter(range(1 << 62))

    def event(kind: str, **fields: Any) -> bytes:
        return sse_event({"type": kind, "sequence_number": next(sequence), **fields}, kind)

    return event


def _events(
    event: Callable[..., bytes], body: Mapping[str, Any], chunks: Sequence[str] | None = None
) -> Iterator[bytes]:
    """The Responses event stream of the answer ``body`` but its last event
    (:func:`_last_event`): ``response.created``, ``response.in_progress``, the item events.
    ``chunks``: the message's text deltas, as a script gives them."""
    started = {**body, "status": "in_progress", "output": [], "usage": None,
               "incomplete_details": None}  # fmt: skip
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    for index, item in enumerate(body["output"]):
        yield from _item_events(event, index, item, chunks)


def _last_event(event: Callable[..., bytes], body: Mapping[str, Any]) -> bytes:
    """``response.completed`` (or ``response.incomplete``), with the whole answer."""
    final = "response.incomplete" if body["status"] == "incomplete" else "response.completed"
    return event(final, response=body)


def _item_events(
    event: Any, index: int, item: Mapping[str, Any], chunks: Sequence[str] | None = None
) -> Iterator[bytes]:
    if item["type"] == "function_call":
        yield event("response.output_item.added", output_index=index,
                    item={**item, "arguments": "", "status": "in_progress"})  # fmt: skip
        for piece in text.deltas(item["arguments"]):
            yield event("response.function_call_arguments.delta", item_id=item["id"],
                        output_index=index, delta=piece)  # fmt: skip
        yield event("response.function_call_arguments.done", item_id=item["id"],
                    output_index=index, name=item["name"], arguments=item["arguments"])  # fmt: skip
        yield event("response.output_item.done", output_index=index, item=item)
        return
    where = {"item_id": item["id"], "output_index": index, "content_index": 0}
    part: Mapping[str, Any] = item["content"][0]
    yield event("response.output_item.added", output_index=index,
                item={**item, "status": "in_progress", "content": []})  # fmt: skip
    yield event("response.content_part.added", **where, part={**part, "text": ""})
    for piece in chunks or text.deltas(part["text"]):
        yield event("response.output_text.delta", **where, delta=piece, logprobs=[])
    yield event("response.output_text.done", **where, text=part["text"], logprobs=[])
    yield event("response.content_part.done", **where, part=part)
    yield event("response.output_item.done", output_index=index, item=item)
