"""Request bodies: from raw bytes to a validated engine filter, or a 400 naming the field.

msgspec does the validation (the engine's filter Structs carry every constraint). What
it cannot do alone is SPEC §5's leniency: an integer field also takes a string of ASCII
digits, since existing clients send ``"2023"``. Those strings become integers first,
so ``{"annee": "2023"}`` and ``{"annee": 2023}`` decode to the same, hashable filter.
Nor does msgspec see a key given twice (the last one wins), or say which field holds a
lone surrogate escape: the standard library's parser, which reports both, looks at the
body for them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Reference, Schema

from api.errors import BadFilter
from engine.filters import Filter

_decoder = msgspec.json.Decoder()

# Where msgspec says which field a ValidationError is about.
_AT_FIELD = re.compile(r"^(?P<problem>.*) - at `\$\.(?P<field>[^`.\[]+)`")
_UNKNOWN_FIELD = re.compile(r"unknown field `(?P<field>[^`]*)`")
# The problems whose msgspec wording a dashboard user should not have to decode.
_CLEARER = {
    "Invalid RFC3339 encoded date": "must be a calendar date written YYYY-MM-DD",
}


@cache
def integer_fields(filter_type: type[Filter]) -> frozenset[str]:
    """The fields of ``filter_type`` that hold an integer (and so also take digit strings)."""
    info = msgspec.inspect.type_info(filter_type)
    assert isinstance(info, msgspec.inspect.StructType)
    return frozenset(
        field.name
        for field in info.fields
        if any(isinstance(t, msgspec.inspect.IntType) for t in _members(_bare(field.type)))
    )


def _members(t: msgspec.inspect.Type) -> tuple[msgspec.inspect.Type, ...]:
    return t.types if isinstance(t, msgspec.inspect.UnionType) else (t,)


def _bare(t: msgspec.inspect.Type) -> msgspec.inspect.Type:
    """``t`` without the description a field's ``Meta`` wraps it in."""
    return t.type if isinstance(t, msgspec.inspect.Metadata) else t


def _description(t: msgspec.inspect.Type) -> str | None:
    if isinstance(t, msgspec.inspect.Metadata) and t.extra_json_schema:
        found = t.extra_json_schema.get("description")
        return found if isinstance(found, str) else None
    return None


def _digits_to_int(name: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    if not (value.isascii() and value.isdigit()):
        raise BadFilter("must be an integer or a string of digits (0-9 only)", name)
    significant = value.lstrip("0") or "0"
    if len(significant) > 19:  # past any id, and past int()'s guard on huge strings
        raise BadFilter("is out of range", name)
    return int(significant)


def decode_filter(body: bytes, filter_type: type[Filter]) -> Filter:
    """Decode and validate one endpoint's body; an empty body is the empty filter."""
    if not body.strip():
        return filter_type()
    try:
        raw = _decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise _lone_surrogate(body) or BadFilter(
            f"the body is not valid JSON in UTF-8: {error}"
        ) from None
    except RecursionError:  # thousands of nested arrays fit in 64 KiB
        raise BadFilter("the body is nested too deeply to be a filter") from None
    if not isinstance(raw, dict):
        raise BadFilter(f"the body must be a JSON object, not {_json_kind(raw)}")
    if twice := _key_given_twice(body):
        raise BadFilter("is given twice: which value is meant?", twice)
    numeric = integer_fields(filter_type)
    fields: dict[str, Any] = {
        name: _digits_to_int(name, value) if name in numeric else value
        for name, value in raw.items()
    }
    try:
        return msgspec.convert(fields, filter_type, strict=True)
    except msgspec.ValidationError as error:
        raise _bad_filter(str(error), filter_type) from None


def _key_given_twice(body: bytes) -> str | None:
    """The first key the body's top-level object repeats, if any. Objects are complete
    from the innermost out, so the top-level one is the last the hook sees."""
    repeated: list[str | None] = []

    def pairs(members: list[tuple[str, Any]]) -> None:
        seen: set[str] = set()
        for key, _ in members:
            if key in seen:
                repeated.append(key)
                return
            seen.add(key)
        repeated.append(None)

    try:
        json.loads(body, object_pairs_hook=pairs)
    except (ValueError, RecursionError):  # not seen: msgspec took the body, so it won't be
        return None
    return repeated[-1]


def _encodes(value: object) -> bool:
    """Whether every string of ``value`` is text: no lone surrogate stops UTF-8."""
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def _lone_surrogate(body: bytes) -> BadFilter | None:
    """The 400 for a body whose fault is a \\ud800-\\udfff escape without its other half
    (msgspec calls that truncated input), naming the field that holds it; else None."""
    try:
        # Strict UTF-8 first: json.loads would let an encoded surrogate through too.
        raw = json.loads(body.decode("utf-8"))  # and, unlike msgspec, takes escaped ones
    except (ValueError, RecursionError):
        return None
    if _encodes(raw):
        return None
    members = raw.items() if isinstance(raw, dict) else ()
    field = next((k for k, v in members if _encodes(k) and not _encodes(v)), None)
    where = "" if field else "the body "
    return BadFilter(
        f"{where}holds a lone surrogate escape (\\ud800 to \\udfff without its pair), "
        "which is no character",
        field,
    )


def _bad_filter(message: str, filter_type: type[Filter]) -> BadFilter:
    if found := _UNKNOWN_FIELD.search(message):
        return BadFilter("is not a field of this endpoint", found["field"])
    if found := _AT_FIELD.match(message):
        problem = found["problem"]
        return BadFilter(_CLEARER.get(problem, problem), found["field"])
    # A check across fields (start_date after end_date) names its field first.
    first_word = message.split(" ", 1)[0]
    named = first_word if first_word in filter_type.__struct_fields__ else None
    return BadFilter(message, named)


def _json_kind(value: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def body_schema(filter_type: type[Filter]) -> Schema:
    """The OpenAPI schema of ``filter_type`` as a body, digit strings included, each
    field with what it keeps (the fields' ``Meta``, their ``{date}`` the filter's)."""
    info = msgspec.inspect.type_info(filter_type)
    assert isinstance(info, msgspec.inspect.StructType)
    properties: dict[str, Schema | Reference] = {}
    for field in info.fields:
        schema = _field_schema(_bare(field.type))
        said = _description(field.type)
        schema.description = said.format(date=filter_type.DATE) if said else None
        properties[field.encode_name] = schema
    return Schema(
        type=OpenAPIType.OBJECT,
        title=filter_type.__name__,
        description=filter_type.__doc__,
        properties=properties,
        additional_properties=False,
    )


def _field_schema(t: msgspec.inspect.Type) -> Schema:
    alternatives: list[Schema] = []
    for member in _members(t):
        match member:
            case msgspec.inspect.IntType(ge=minimum, le=maximum):
                alternatives += [
                    Schema(type=OpenAPIType.INTEGER, minimum=minimum, maximum=maximum),
                    Schema(
                        type=OpenAPIType.STRING,
                        pattern="^[0-9]+$",
                        description=f"ASCII digits, {minimum} to {maximum}",
                    ),
                ]
            case msgspec.inspect.StrType(max_length=longest):
                alternatives.append(Schema(type=OpenAPIType.STRING, max_length=longest))
            case msgspec.inspect.DateType():
                alternatives.append(Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE))
            case msgspec.inspect.NoneType():
                alternatives.append(Schema(type=OpenAPIType.NULL))
            case _:
                raise TypeError(f"no OpenAPI schema for a filter field of type {member}")
    return Schema(one_of=alternatives)
