"""What the OpenAI-style gateway answers.

* The caller: ``x-api-key`` (or ``Authorization: Bearer``, as the ``openai`` client sends its
  key), as on every route; the ``/v5`` routes also declare ``x-selected-account-id`` required
  (the core answers FastAPI's 422 without it: the v5 SDK always sends it), the ``/v4/beta``
  ones take it when given.
* The model: ``vendor/name``, resolved by :func:`.catalog.resolve` (404 unknown, 400 not ready
  or not ``vendor/name``; anything goes in contract mode).
* The content: a scripted response's (matchers ``model``, ``prompt``: the last user message,
  ``tool_result``, ``turn``; content ``text``, ``texts``, ``tool_calls``), else with a
  ``tool_choice`` that obliges a call (``"required"``: the first function; a named function)
  that call, its ``arguments`` valid against the function's ``parameters``, else with
  ``response_format`` ``json_schema`` a document valid against the schema
  (:mod:`.structured`), with ``json_object`` ``{"answer": <text>}``, else the deterministic
  text of :mod:`sgp_fake.resources.inference.text` (choice ``i > 0`` of ``n``: the text of the
  model named ``<model>#<i>``). Then ``stop`` cuts it before the first stop sequence, and
  ``max_tokens`` / ``max_completion_tokens`` to that many tokens (``finish_reason: "length"``).
* Streams: a first chunk per choice with the role, one chunk per token (deltas that join to
  exactly the text) or per tool call (its id and name, then its arguments), a last chunk per
  choice with the finish reason and an empty delta, the usage chunk (``choices: []``) with
  ``stream_options.include_usage``, then ``event: done`` / ``data: [DONE]``: the SGP SDKs
  skip a named event, ``openai`` stops at ``[DONE]``.
"""

from __future__ import annotations

import hashlib
import json
import re
from json.encoder import encode_basestring
from typing import Any, Callable, Iterator, Mapping, Sequence

from ...clock import FakeClock, created_at_json
from ...core.answers import Reply, json_bytes, kept_encoder, ok, sse_event, stream
from ...core.call import Call
from ...core.compact import CompactTable, Layout
from ...core.facts import Facts
from ...core.scope import RESPONSE_SCOPE_KEY
from ...errors import BadRequest, BodyParseError, RequestValidationError
from ..inference import text
from ..responses import KIND as RESPONSES
from ..responses.table import Refunding, ResponseTable, Scripted
from . import catalog
from .schemas import ROLES, CatalogQuery, ChatRequest, TextCompletionRequest
from .structured import instance

LAYOUT = Layout(
    (
        ("id", "id"),
        ("account_id", "str"),
        ("created_at", "created_at"),
        ("model", "str"),
        ("operation", "str"),
        ("prompt_tokens", "uint"),
        ("completion_tokens", "uint"),
    ),
    quote=json_bytes,
)
"""A gateway usage record's fields as :func:`_record_usage` writes them."""

__all__ = ["KIND", "LAYOUT", "about", "chat_completions", "completions", "json_body", "models"]

KIND = "gateway_usage"
_ROLES = frozenset(ROLES)
_MAX_CHOICES = 128
_DONE = b"event: done\ndata: [DONE]\n\n"
_DELTA = "\x00sgp-fake delta\x00"
"""Where a chat chunk's delta goes in its event's template (see :func:`_chat_events`)."""
_DELTA_JSON = json_bytes(_DELTA)
_FIRST_DELTA = json_bytes({"role": "assistant", "content": ""})
_FIRST_DELTA_NO_TEXT = json_bytes({"role": "assistant", "content": None})
"""The first delta of an answer without text (tool calls only): ``content`` null, as the whole
answer's message has it and OpenAI streams it."""
# A surrogate reaches a request's strings only as a JSON escape (UTF-8 text cannot hold one).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _may_hold_surrogate(raw: bytes) -> bool:
    """Whether the request body ``raw`` may hold a lone surrogate, which an answer echoing it
    could not carry: a UTF-8 body only as a JSON escape; a UTF-16 or UTF-32 body (json reads
    those too, and their escapes have NULs between the characters) in any case. JSON text in
    UTF-8 holds no NUL; in UTF-16 or UTF-32 its first four bytes hold one."""
    return b"\x00" in raw[:4] or _SURROGATE_ESCAPE.search(raw) is not None


# -- who and which account ------------------------------------------------------------------------


def _account(call: Call) -> str | None:
    """The account of the call: the selected one (which the ``/v5`` routes declare required:
    the core answers FastAPI's 422 without it), else the caller's only account, else none (a
    rule for every account still matches)."""
    selected = call.selected_account
    if selected:
        return selected
    accounts = call.identity().accounts
    return next(iter(accounts)) if accounts is not None and len(accounts) == 1 else None


def _choices(n: int | None, contract: bool) -> int:
    if n is None:
        return 1
    if contract:  # the generated tests send n=0
        return min(max(n, 1), _MAX_CHOICES)
    if not 1 <= n <= _MAX_CHOICES:
        raise BadRequest(f"n must be from 1 to {_MAX_CHOICES}, not {n}")
    return n


def _stops(stop: str | list[str] | None) -> list[str]:
    if stop is None:
        return []
    return [s for s in ([stop] if isinstance(stop, str) else stop) if s]


def _limit(*values: int | None) -> int | None:
    given = [v for v in values if v is not None]
    return min(given) if given else None


def _finish(answer: str, stops: Sequence[str], max_tokens: int | None) -> tuple[str, str]:
    """The text after ``stop`` and the token limit, and its finish reason."""
    cut = min((i for i in (answer.find(s) for s in stops) if i >= 0), default=-1)
    if cut >= 0:
        answer = answer[:cut]
    answer, capped = text.capped(answer, max_tokens)
    return answer, "length" if capped else "stop"


_hash_json = kept_encoder(json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str))
"""``json.dumps(..., ensure_ascii=False, sort_keys=True, default=str)``, kept."""


def _hash(*parts: Any) -> str:
    raw = _hash_json(parts)
    return hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _created(call: Call) -> int:
    """Now on the fake's clock, in Unix seconds (``created``)."""
    clock = call.table(KIND).clock
    if isinstance(clock, FakeClock) and not clock.step:
        return int(clock.now())  # what reading it as a datetime gives, without building one
    return int(clock().timestamp())


def _usage_json(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _record_usage(
    call: Call, account: str | None, model: str, prompt_tokens: int, completion_tokens: int
) -> None:
    """Count one answered call for its account (a call without one counts nothing)."""
    if account is None:
        return
    table = call.table(KIND)
    if isinstance(table, CompactTable):  # kept in columns, written as below
        table.add(
            account,
            model=model,
            operation=call.op.name,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        return
    with table.lock:
        record_id = table.new_id()
        body = json_bytes(
            {
                "id": record_id,
                "account_id": account,
                "created_at": json.loads(created_at_json(table.clock)),
                "model": model,
                "operation": call.op.name,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
            }
        )
        table.insert(record_id, account, body)


# -- the conversation -----------------------------------------------------------------------------


def _content_text(content: Any) -> str:
    """A message's text: its string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


class _Conversation:
    """What the fake reads of a chat's messages: one pass for what every answer needs (the
    prompt, the token count, the history as the default text's key), the rest when asked."""

    __slots__ = ("_key", "_last_user", "_messages", "prompt", "tokens")

    def __init__(self, messages: Sequence[Mapping[str, Any]]) -> None:
        self._messages = messages
        texts = []
        entries = []  # the history as the default text's key, the prompt's dropped below
        last_user = -1
        for index, message in enumerate(messages):
            content = message.get("content")
            if type(content) is not str:
                content = _content_text(content)
            texts.append(content)
            role = message.get("role")
            calls = message.get("tool_calls")
            # Tool calls and results shape the next turn's default text too.
            entries.append(
                (role if type(role) is str else text.history_role(role), content)
                if not calls
                else text.history_entry(role, [content, calls])
            )
            if role == "user":
                last_user = index
        self._last_user = last_user
        self.prompt = ""
        if last_user >= 0:
            self.prompt = texts[last_user]
            del entries[last_user]
        self.tokens = text.count_tokens_in(texts)
        self._key = tuple(entries)

    @property
    def history(self) -> list[dict[str, Any]]:
        """The messages but the prompt, as
        :func:`~sgp_fake.resources.inference.text.completion_text` takes them."""
        return [
            {"role": m.get("role"), "content": _history_content(m)}
            for i, m in enumerate(self._messages)
            if i != self._last_user
        ]

    @property
    def tool_result(self) -> bool:
        """Whether the last message is a tool's (or a function's) result."""
        return bool(self._messages) and self._messages[-1].get("role") in ("tool", "function")

    @property
    def turn(self) -> int:
        """How many assistant messages came before."""
        return sum(1 for m in self._messages if m.get("role") == "assistant")

    def completion(self, model_name: str) -> str:
        """The default text of ``model_name`` after this conversation."""
        return text.completion_text_of(model_name, self.prompt, self._key)

    def facts(self, model: str) -> Facts:
        return {
            "model": (model,),
            "prompt": (self.prompt,),
            "tool_result": ("true" if self.tool_result else "false",),
            "turn": (str(self.turn),),
        }


def _history_content(message: Mapping[str, Any]) -> Any:
    # Tool calls and results shape the next turn's default text too.
    content = _content_text(message.get("content"))
    calls = message.get("tool_calls")
    return content if not calls else [content, calls]


def _known_role(role: Any) -> bool:
    # Any JSON value may come: a list or an object is no role (and is not hashable).
    return isinstance(role, str) and role in _ROLES


def _check_messages(messages: Sequence[Mapping[str, Any]], contract: bool) -> None:
    if contract:  # the generated tests send [{"foo": "bar"}]
        return
    if not messages:
        raise BadRequest("messages must hold one message at least")
    errors = [
        _role_error(index, message)
        for index, message in enumerate(messages)
        if not _known_role(message.get("role"))
    ]
    if errors:
        raise RequestValidationError(errors)


def _role_error(index: int, message: Mapping[str, Any]) -> dict[str, Any]:
    """The error pydantic gives a message's ``role``: missing, or not one of the roles."""
    loc: list[str | int] = ["body", "messages", index, "role"]
    if "role" not in message:
        return {"type": "missing", "loc": loc, "msg": "Field required", "input": message}
    return literal_error(loc, sorted(_ROLES), message["role"])


def literal_error(loc: list[str | int], choices: Sequence[str], value: Any) -> dict[str, Any]:
    """Pydantic's error for ``value`` where one of the strings ``choices`` is expected."""
    quoted = [repr(choice) for choice in choices]
    expected = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return {
        "type": "literal_error",
        "loc": loc,
        "msg": f"Input should be {expected}",
        "input": value,
        "ctx": {"expected": expected},
    }


def _script(
    call: Call,
    facts: Facts | Callable[[str], Facts],
    model: str | None,
    account: str | None,
    content: Any = "chat",
) -> Scripted | None:
    """The scripted response that answers this call, if any: ``facts`` are the call's, or
    ``facts(model)`` gives them (read only when some response is scripted)."""
    table = call.backend.tables.get(RESPONSES)
    if not isinstance(table, ResponseTable) or not len(table):
        return None
    if callable(facts):
        facts = facts(model or "")
    scripted = table.take(content, facts, account or "*")
    if scripted is not None and call.scope.get(RESPONSE_SCOPE_KEY) is None:
        call.answered_by(scripted.id)
    return scripted


def _ended(events: Iterator[bytes], end: Callable[[], bytes] | None = None) -> Iterator[bytes]:
    """``events``, then the end marker (``end()``, else ``[DONE]``). ``events`` have all been
    sent before it: a client that stops reading at the marker (``openai`` closes the stream
    there) has the whole answer, so a scripted response's step is not given back (see
    :func:`_refunding`).

    Closing it closes ``events``, even before the first was read (a client that closes the
    stream unread): the generator is started here, parked before the first event, because a
    generator closed before it started never runs its ``finally``, and the step would stay
    taken. (A generator, not a class: its ``yield from`` passes each event on at C speed.)"""
    ending = _ending(events, end)
    next(ending)
    return ending


def _ending(events: Iterator[bytes], end: Callable[[], bytes] | None) -> Iterator[bytes]:
    try:
        yield b""  # taken by _ended: parks the generator inside the try
        yield from events
        yield _DONE if end is None else end()
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def _written_if_echoing(call: Call, events: Iterator[bytes]) -> Iterator[bytes]:
    """A stream's ``events``, written out at once when the body may hold a lone surrogate the
    answer would echo (a forced call's arguments from the tool's parameters, the model in
    contract mode), so that it is refused with the 400 of an unstreamed answer rather than
    cutting the stream; else as they are, produced as they are read."""
    return iter(list(events)) if _may_hold_surrogate(call.raw_body) else events


def _give_back(call: Call, *taken: Scripted | None) -> None:
    """Give the scripted responses' steps back: the call is refused after the script took
    them."""
    table = call.backend.tables.get(RESPONSES)
    if isinstance(table, ResponseTable):
        for scripted in taken:
            if scripted is not None:
                table.refund(scripted.id, scripted.step)


def _refunding(call: Call, scripted: Scripted | None, events: Iterator[bytes]) -> Iterator[bytes]:
    """``events``, giving the scripted response's step back if the stream never ends (see
    :class:`~sgp_fake.resources.responses.table.Refunding`)."""
    table = call.backend.tables.get(RESPONSES)
    if scripted is None or not isinstance(table, ResponseTable):
        return events
    return Refunding(events, table, scripted.id, scripted.step)


# -- chat -----------------------------------------------------------------------------------------


class _Choice:
    __slots__ = ("chunks", "finish", "index", "text", "tool_calls")

    def __init__(
        self,
        index: int,
        content: str | None,
        finish: str,
        tool_calls: list[dict[str, Any]],
        chunks: Sequence[str] | None = None,
    ) -> None:
        self.index = index
        self.text = content
        self.finish = finish
        self.tool_calls = tool_calls
        # A scripted response's exact stream chunks, used while the text is all of them.
        self.chunks = chunks if chunks and content == "".join(chunks) else None

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        return message

    def deltas(self) -> Iterator[bytes]:
        """Each delta's JSON."""
        yield _FIRST_DELTA if self.text is not None else _FIRST_DELTA_NO_TEXT
        if self.text:
            # Most deltas are a piece of text: written without the encoder's dispatch.
            for piece in self.chunks or text.deltas(self.text):
                yield b'{"content":%s}' % encode_basestring(piece).encode()
        for position, call in enumerate(self.tool_calls):
            function = call["function"]
            yield json_bytes(
                {
                    "tool_calls": [
                        {
                            "index": position,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": function["name"], "arguments": ""},
                        }
                    ]
                }
            )
            for piece in text.deltas(function["arguments"]):
                yield json_bytes(
                    {"tool_calls": [{"index": position, "function": {"arguments": piece}}]}
                )


def formatted_text(kind: Any, schema: Any, name: str, conversation: _Conversation) -> str:
    """The unscripted text of ``name`` after ``conversation`` in the format asked (chat's
    ``response_format``, the Responses API's ``text.format``): a document valid against a
    ``json_schema`` format's ``schema``, ``{"answer": ...}`` for ``json_object`` (and for a
    ``json_schema`` format without a schema object: any JSON document is valid), else words."""
    if kind == "json_schema" and isinstance(schema, Mapping):
        seed = _hash(name, conversation.prompt, conversation.history)
        return json.dumps(instance(schema, seed), ensure_ascii=False)
    answer = conversation.completion(name)
    if kind in ("json_object", "json_schema"):
        return json.dumps({"answer": answer}, ensure_ascii=False)
    return answer


def _default_text(request: ChatRequest, model: str, conversation: _Conversation, index: int) -> str:
    name = model if index == 0 else f"{model}#{index}"
    fmt = request.response_format or {}
    spec = fmt.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    return formatted_text(fmt.get("type"), schema, name, conversation)


def _arguments(spec: Mapping[str, Any]) -> str:
    """A scripted tool call's ``arguments`` as the answer carries them: an object as JSON, a
    string exactly as the script gives it."""
    arguments = spec.get("arguments", {})
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def _function(tool: Any) -> tuple[str, Any] | None:
    """A function tool's name and ``parameters``: chat's ``{"type": "function", "function":
    {...}}`` or the Responses API's flat ``{"type": "function", "name": ...}``."""
    if not isinstance(tool, Mapping) or tool.get("type") != "function":
        return None
    spec = tool.get("function", tool)
    if not isinstance(spec, Mapping) or type(spec.get("name")) is not str:
        return None
    return spec["name"], spec.get("parameters")


class Forced:
    """The function call a ``tool_choice`` obliges an unscripted answer to make."""

    __slots__ = ("finish", "name", "parameters")

    def __init__(self, name: str, parameters: Any, named: bool) -> None:
        self.name = name
        self.parameters = parameters if isinstance(parameters, Mapping) else {"type": "object"}
        # OpenAI's finish reason: "stop" when the choice named the function.
        self.finish = "stop" if named else "tool_calls"

    def rule(self, seed: str) -> dict[str, Any]:
        """The call as a script's ``tool_calls`` gives it, its ``arguments`` a JSON object
        valid against the function's ``parameters`` (chosen by ``seed``)."""
        arguments = json.dumps(instance(self.parameters, seed), ensure_ascii=False)
        return {"tool_calls": [{"name": self.name, "arguments": arguments}]}


def forced(scripted: Scripted | None, tools: Any, tool_choice: Any) -> Forced | None:
    """Unscripted, the call a ``tool_choice`` obliges: ``"required"`` the first function of
    ``tools``, a named choice (chat's ``{"type": "function", "function": {"name": ...}}``, the
    Responses API's ``{"type": "function", "name": ...}``) that function. ``None`` when a
    script answers or the model may answer in words (``auto``, ``none``, no function tool)."""
    if scripted is not None or tool_choice is None:  # nearly every call: nothing to build
        return None
    functions = [f for f in map(_function, tools or ()) if f is not None]
    if tool_choice == "required":
        return Forced(*functions[0], named=False) if functions else None
    if not isinstance(tool_choice, Mapping) or tool_choice.get("type") != "function":
        return None
    spec = tool_choice.get("function", tool_choice)
    name = spec.get("name") if isinstance(spec, Mapping) else None
    if type(name) is not str:
        return None
    return Forced(name, next((p for n, p in functions if n == name), None), named=True)


def _tool_calls(rule: Mapping[str, Any], seed: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{_hash(seed, position)}",
            "type": "function",
            "function": {
                "name": spec["name"],
                "arguments": _arguments(spec),
            },
        }
        for position, spec in enumerate(rule.get("tool_calls") or ())
    ]


def chat_completions(call: Call) -> Reply:
    """``POST /v5/chat/completions`` and ``POST /v4/beta/chat/completions``: a
    ``chat.completion``, or with ``stream: true`` Server-Sent Events of
    ``chat.completion.chunk``."""
    account = _account(call)
    request = call.body(ChatRequest, free_form=True)
    contract = call.settings.contract
    _check_messages(request.messages, contract)
    n = _choices(request.n, contract)
    stops = _stops(request.stop)
    max_tokens = _limit(request.max_tokens, request.max_completion_tokens)
    conversation = _Conversation(request.messages)
    with call.transaction():
        model = catalog.resolve(call, request.model)
        completion_id = "chatcmpl-" + _hash(model, request.messages, n, account)
        scripted = _script(call, conversation.facts, model, account)
        obliged = forced(scripted, request.tools, request.tool_choice)
        choices = []
        for index in range(n):
            tool_calls: list[dict[str, Any]] = []
            content: str | None
            if scripted is not None:
                content = scripted.text
                tool_calls = _tool_calls(scripted.rule, f"{completion_id}/{index}")
            elif obliged is not None:
                content = None
                rule = obliged.rule(_hash(model, index, conversation.prompt, conversation.history))
                tool_calls = _tool_calls(rule, f"{completion_id}/{index}")
            else:
                content = _default_text(request, model, conversation, index)
            finish = "stop"
            if content is not None:
                content, finish = _finish(content, stops, max_tokens)
            if tool_calls:
                finish = "tool_calls" if obliged is None else obliged.finish
            chunks = None if scripted is None else scripted.chunks
            choices.append(_Choice(index, content, finish, tool_calls, chunks))
        completion_tokens = sum(
            text.count_tokens(choice.text or "")
            + sum(text.count_tokens(c["function"]["arguments"]) for c in choice.tool_calls)
            for choice in choices
        )
        usage = _usage_json(conversation.tokens, completion_tokens)
        created = _created(call)
        head = {"id": completion_id, "created": created, "model": request.model}
        try:
            if request.stream:
                include = bool((request.stream_options or {}).get("include_usage"))
                events = _chat_events(head, choices, usage if include else None)
                events = _written_if_echoing(call, events)
                reply: Reply = stream(_ended(_refunding(call, scripted, events)), ready=True)
            else:
                reply = ok(_completion_json(completion_id, created, request.model, choices, usage))
        except UnicodeEncodeError as exc:  # a lone surrogate of the request, echoed
            _give_back(call, scripted)  # the 400 answers nothing the script said
            raise BodyParseError() from exc
        _record_usage(call, account, model, conversation.tokens, completion_tokens)
    return reply


_ONE_TEXT_CHOICE = (
    b'{"id":%s,"object":"chat.completion","created":%d,"model":%s,"choices":[{"index":0,'
    b'"message":{"role":"assistant","content":%s},"finish_reason":%s}],"usage":'
    b'{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}'
)
"""A ``chat.completion`` of one choice of text, as :func:`_completion_dict` writes it."""


def _completion_json(
    completion_id: str,
    created: int,
    model: Any,
    choices: Sequence[_Choice],
    usage: Mapping[str, int],
) -> bytes:
    """The ``chat.completion`` answered: :func:`_completion_dict` as JSON."""
    if len(choices) == 1:
        choice = choices[0]
        content = choice.text
        if not choice.tool_calls and type(content) is str and type(model) is str:
            # Nearly every answer: written into its template, each string as the encoder
            # writes it (a test compares the two), without building the nested dicts.
            return _ONE_TEXT_CHOICE % (
                encode_basestring(completion_id).encode(),
                created,
                encode_basestring(model).encode(),
                encode_basestring(content).encode(),
                encode_basestring(choice.finish).encode(),
                usage["prompt_tokens"],
                usage["completion_tokens"],
                usage["total_tokens"],
            )
    return json_bytes(_completion_dict(completion_id, created, model, choices, usage))


def _completion_dict(
    completion_id: str,
    created: int,
    model: Any,
    choices: Sequence[_Choice],
    usage: Mapping[str, int],
) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": c.index, "message": c.message(), "finish_reason": c.finish} for c in choices
        ],
        "usage": usage,
    }


def _chat_events(
    head: Mapping[str, Any], choices: Sequence[_Choice], usage: Mapping[str, int] | None
) -> Iterator[bytes]:
    base = {"id": head["id"], "object": "chat.completion.chunk", "created": head["created"],
            "model": head["model"]}  # fmt: skip
    for choice in choices:
        # Every delta's event is the same but for the delta: the rest is written once, and
        # each delta's JSON goes in its place (as the encoder writes a nested value alone).
        template = sse_event(
            {
                **base,
                "choices": [{"index": choice.index, "delta": _DELTA, "finish_reason": None}],
            }
        )
        before, _, after = template.rpartition(_DELTA_JSON)  # the delta comes last but one
        for delta in choice.deltas():
            yield before + delta + after
        yield sse_event(
            {
                **base,
                "choices": [{"index": choice.index, "delta": {}, "finish_reason": choice.finish}],
            }
        )
    if usage is not None:
        yield sse_event({**base, "choices": [], "usage": usage})


# -- text completions -----------------------------------------------------------------------------


def completions(call: Call) -> Reply:
    """``POST /v5/completions`` and ``POST /v4/beta/completions``: a ``text_completion``, or
    with ``stream: true`` Server-Sent Events of it (one per token; ``finish_reason`` null
    before each choice's last)."""
    account = _account(call)
    request = call.body(TextCompletionRequest, free_form=True)
    contract = call.settings.contract
    n = _choices(request.n, contract)
    stops = _stops(request.stop)
    prompts = [request.prompt] if isinstance(request.prompt, str) else list(request.prompt)
    if not prompts:
        prompts = [""]
    with call.transaction():
        model = catalog.resolve(call, request.model)
        completion_id = "cmpl-" + _hash(model, prompts, n, account)
        choices: list[tuple[int, str, str]] = []
        exact: dict[int, Sequence[str]] = {}  # a choice's scripted chunks
        taken: list[Scripted] = []
        prompt_tokens = 0
        for prompt in prompts:
            prompt_tokens += text.count_tokens(prompt)
            facts: Facts = {"model": (model,), "prompt": (prompt,)}
            scripted = _script(call, facts, None, account, "text")
            if scripted is not None:
                taken.append(scripted)
            for index in range(n):
                if scripted is not None and scripted.text is not None:
                    answer = scripted.text
                else:
                    name = model if index == 0 else f"{model}#{index}"
                    answer = text.completion_text(name, prompt)
                answer, finish = _finish(answer, stops, request.max_tokens)
                if request.echo:
                    answer = prompt + answer
                if scripted is not None and scripted.chunks and answer == scripted.text:
                    exact[len(choices)] = scripted.chunks
                choices.append((len(choices), answer, finish))
        completion_tokens = sum(text.count_tokens(answer) for _, answer, _ in choices)
        usage = _usage_json(prompt_tokens, completion_tokens)
        head = {"id": completion_id, "object": "text_completion", "created": _created(call),
                "model": request.model}  # fmt: skip
        try:
            if request.stream:
                include = bool((request.stream_options or {}).get("include_usage"))
                events = _completion_events(head, choices, usage if include else None, exact)
                events = _written_if_echoing(call, events)
                for scripted in taken:
                    events = _refunding(call, scripted, events)
                reply: Reply = stream(_ended(events), ready=True)
            else:
                body = {
                    **head,
                    "choices": [
                        {"index": i, "text": t, "finish_reason": f, "logprobs": None}
                        for i, t, f in choices
                    ],
                    "usage": usage,
                }
                reply = ok(json_bytes(body))
        except UnicodeEncodeError as exc:  # a lone surrogate of the request, echoed
            _give_back(call, *taken)  # the 400 answers nothing the script said
            raise BodyParseError() from exc
        _record_usage(call, account, model, prompt_tokens, completion_tokens)
    return reply


def _completion_events(
    head: Mapping[str, Any],
    choices: Sequence[tuple[int, str, str]],
    usage: Mapping[str, int] | None,
    exact: Mapping[int, Sequence[str]],
) -> Iterator[bytes]:
    for index, answer, finish in choices:
        pieces = exact.get(index) or text.deltas(answer)
        last = len(pieces) - 1
        for position, piece in enumerate(pieces):
            yield sse_event(
                {
                    **head,
                    "choices": [
                        {
                            "index": index,
                            "text": piece,
                            "finish_reason": finish if position == last else None,
                            "logprobs": None,
                        }
                    ],
                }
            )
    if usage is not None:
        yield sse_event({**head, "choices": [], "usage": usage})


# -- the catalog ----------------------------------------------------------------------------------


def models(call: Call) -> Reply:
    """``GET /v5/chat/completions/models``: the chat models the caller can call: the fake's
    catalog and the caller's ready ``/v5/models`` records, by vendor then name."""
    query = call.query(CatalogQuery)
    entries = {e.full_name: e for e in catalog.catalog(call.settings)}
    for entry in catalog.v5_model_entries(call):
        entries.setdefault(entry.full_name, entry)
    items = sorted(
        (e for e in entries.values() if e.model_type == "chat_completion"),
        key=lambda e: (e.vendor, e.name),
        reverse=query.sort_order == "desc",
    )
    if query.model_vendor is not None:
        items = [e for e in items if e.vendor == query.model_vendor]
    if query.limit is not None:  # below 1, an empty list, as /v5/models pages it
        items = items[: max(query.limit, 0)]
    body = {
        "object": "list",
        "items": [
            {
                "model_name": e.name,
                "model_vendor": e.vendor,
                "model_type": e.model_type,
                "model_availability": "available",
            }
            for e in items
        ],
    }
    return ok(json_bytes(body))


# -- what a request is about, for fault rules -----------------------------------------------------


def json_body(call: Call) -> dict[str, Any] | None:
    """The request's body as it is, when it is a JSON object (for :func:`about`)."""
    try:
        body = json.loads(call.raw_body)
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def about(call: Call) -> Facts:
    """The model (``vendor/name`` as asked) and prompt (the last user message, or the
    prompts) of a gateway request, read from the body as it is."""
    body = json_body(call)
    if body is None:
        return {}
    facts: dict[str, tuple[str, ...]] = {}
    if isinstance(body.get("model"), str):
        facts["model"] = (body["model"],)
    messages = body.get("messages")
    if isinstance(messages, list):
        good = [m for m in messages if isinstance(m, dict)]
        facts["prompt"] = (_Conversation(good).prompt,)
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        facts["prompt"] = (prompt,)
    elif isinstance(prompt, list):
        facts["prompt"] = tuple(p for p in prompt if isinstance(p, str))
    return facts
