"""The executable schema: schema.graphql with the emulator's resolvers.

Only the fields behind the saved operations have resolvers. Any other
root field, and any field whose Python object lacks the attribute, raises a
GraphQL error that names the field, so a client sees at once what the
emulator does not cover.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ariadne import (
    MutationType,
    ObjectType,
    QueryType,
    ScalarType,
    convert_camel_case_to_snake,
    make_executable_schema,
)
from graphql import (
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    IntValueNode,
    ValueNode,
    get_named_type,
)

from .clock import format_datetime
from .generation import GenerationRequest
from .models import ApiError, ErrorType, InferencesResult
from .paging import InvalidPageRequestError, PageRequest, build_connection
from .state import EmulatorState

__all__ = [
    "RequestContext",
    "auth_middleware",
    "executable_schema",
    "resolve_field_default",
    "resolve_type",
]

_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1


@dataclass
class RequestContext:
    """Per-request context that every resolver receives as `info.context`."""

    state: EmulatorState
    authenticated: bool


def _state(info: GraphQLResolveInfo) -> EmulatorState:
    context: RequestContext = info.context
    return context.state


def not_emulated(info: GraphQLResolveInfo) -> GraphQLError:
    """Return the error for a field the emulator has no data for."""
    return GraphQLError(
        f"layer emulator: field {info.parent_type.name}.{info.field_name} "
        "is not emulated",
        extensions={"code": "NOT_EMULATED"},
    )


@functools.cache
def _snake_case(name: str) -> str:
    return convert_camel_case_to_snake(name)


def resolve_field_default(obj: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
    """Read a field from the attribute of the same name in snake_case.

    Raise a "not emulated" error for a root field without a resolver and for
    an object without that attribute.
    """
    if info.path.prev is None:
        raise not_emulated(info)
    attribute = _snake_case(info.field_name)
    if isinstance(obj, Mapping):
        if attribute in obj:
            return obj[attribute]
        if info.field_name in obj:
            return obj[info.field_name]
        raise not_emulated(info)
    try:
        return getattr(obj, attribute)
    except AttributeError:
        raise not_emulated(info) from None


def resolve_type(
    value: Any, _info: GraphQLResolveInfo, _abstract_type: GraphQLAbstractType
) -> str | None:
    """Name the object type of a union or interface value from its `typename`."""
    typename = getattr(value, "typename", None)
    return typename if isinstance(typename, str) else None


def _can_return_error(info: GraphQLResolveInfo) -> bool:
    named = get_named_type(info.return_type)
    if named.name == ApiError.typename:
        return True
    if isinstance(named, GraphQLUnionType):
        return any(member.name == ApiError.typename for member in named.types)
    return False


def auth_middleware(
    resolve: Any, obj: Any, info: GraphQLResolveInfo, **args: Any
) -> Any:
    """Resolve every root field to UNAUTHORIZED_ERROR when the token was bad.

    The server executes unauthenticated requests only when it is set to
    report a bad token as an `Error` member. A root field whose type has no
    `Error` member gets a GraphQL error instead.
    """
    context: RequestContext = info.context
    if info.path.prev is None and not context.authenticated:
        message = "Invalid or missing API token"
        if _can_return_error(info):
            return ApiError.of(ErrorType.UNAUTHORIZED, message)
        raise GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})
    return resolve(obj, info, **args)


# Scalars. Layer does not publish the wire format of its custom scalars, so
# the emulator picks the common ones: ISO 8601 strings and JSON numbers.


def serialize_datetime(value: Any) -> str:
    """Write a datetime as ISO 8601 in UTC with a `Z` suffix."""
    if isinstance(value, datetime):
        return format_datetime(value)
    return str(value)


def parse_long(value: object) -> int:
    """Accept an integer in the signed 64-bit range, but not a boolean."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"Long must be an integer, got {value!r}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise ValueError(f"Long must be an integer, got {value!r}")
    number = int(value)
    if not _LONG_MIN <= number <= _LONG_MAX:
        raise ValueError(f"Long must be within [-2**63, 2**63 - 1], got {number}")
    return number


def parse_long_literal(node: ValueNode, _variables: Any = None) -> int:
    """Accept an integer literal in the signed 64-bit range."""
    if not isinstance(node, IntValueNode):
        raise ValueError("Long must be an integer literal")
    return parse_long(int(node.value))


def serialize_long(value: Any) -> int:
    """Write a Long as a JSON number."""
    return int(value)


datetime_scalar = ScalarType("DateTime", serializer=serialize_datetime)
long_scalar = ScalarType(
    "Long",
    serializer=serialize_long,
    value_parser=parse_long,
    literal_parser=parse_long_literal,
)


# Root fields.

query = QueryType()
mutation = MutationType()
user_type = ObjectType("User")


@query.field("getMyUser")
def resolve_get_my_user(_obj: None, info: GraphQLResolveInfo) -> Any:
    """Return the user the token belongs to."""
    return _state(info).user


@query.field("listStyles")
def resolve_list_styles(
    _obj: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> Any:
    """Return one page of styles that pass the filters in `input`."""
    state = _state(info)
    styles = state.list_styles(
        status=input.get("status"),
        visibility=input.get("visibility"),
        is_featured=input.get("isFeatured"),
        topics=input.get("topics"),
    )
    try:
        return build_connection(
            styles,
            PageRequest.from_input(input),
            connection_typename="StylesConnection",
            edge_typename="StyleEdge",
            default_size=state.config.default_page_size,
            max_size=state.config.max_page_size,
        )
    except InvalidPageRequestError as error:
        return ApiError.of(ErrorType.BAD_REQUEST, str(error))


@query.field("getStyleById")
def resolve_get_style_by_id(
    _obj: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> Any:
    """Return a style, or NOT_FOUND_ERROR."""
    style_id = input["styleId"]
    style = _state(info).get_style(style_id)
    if style is None:
        return ApiError.of(ErrorType.NOT_FOUND, f"Style {style_id} not found")
    return style


@query.field("getInferencesById")
def resolve_get_inferences_by_id(
    _obj: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> Any:
    """Return the known inferences among the ids; unknown ids are left out."""
    return InferencesResult(
        inferences=_state(info).get_inferences(input["inferenceIds"])
    )


@query.field("getWorkspaceUsage")
def resolve_get_workspace_usage(
    _obj: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> Any:
    """Return the workspace's entitlement.

    NOTE: `filtering`, `groupBy` and `ordering` are accepted and ignored.
    """
    return _state(info).workspace_usage(input["workspaceId"])


@mutation.field("generateImages")
def resolve_generate_images(
    _obj: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> Any:
    """Start an inference, or return the `Error` member that prevents it."""
    return _state(info).submit(GenerationRequest.from_input(input))


@mutation.field("deleteInference")
def resolve_delete_inference(
    _obj: None, info: GraphQLResolveInfo, input: dict[str, Any]
) -> Any:
    """Mark an inference DELETED; return null, or NOT_FOUND_ERROR."""
    return _state(info).delete_inference(input["inferenceId"])


@user_type.field("memberships")
def resolve_memberships(
    obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> Any:
    """Return the user's workspace memberships as a Relay connection."""
    memberships = [
        membership
        for membership in obj.membership_list
        if input.get("role") is None or membership.role == input["role"]
        if input.get("includeSuspended") or membership.status != "SUSPENDED"
    ]
    state = _state(info)
    try:
        return build_connection(
            memberships,
            PageRequest.from_input(input),
            connection_typename="WorkspaceMembershipsConnection",
            edge_typename="WorkspaceMembershipEdge",
            default_size=state.config.default_page_size,
            max_size=state.config.max_page_size,
        )
    except InvalidPageRequestError as error:
        # The connection type cannot hold an `Error` member.
        raise GraphQLError(str(error), extensions={"code": "BAD_USER_INPUT"}) from None


def _accept_hide_suggestions(schema: GraphQLSchema) -> None:
    """Let enum `parse_value` take graphql-core's `hide_suggestions` argument.

    ariadne 1.1.1 replaces each enum's `parse_value` with a one-argument
    function, but graphql-core 3.2.14 calls it with two when it coerces a
    variable. Without this, every enum inside a variable (such as
    `listStyles(input: {status: [COMPLETE]})`) fails with a TypeError.
    """
    for named_type in schema.type_map.values():
        if not isinstance(named_type, GraphQLEnumType):
            continue
        parse_value = vars(named_type).get("parse_value")
        if parse_value is None or len(inspect.signature(parse_value).parameters) > 1:
            continue

        def tolerant_parse_value(
            input_value: Any,
            hide_suggestions: bool = False,
            parse_value: Callable[[Any], Any] = parse_value,
        ) -> Any:
            return parse_value(input_value)

        named_type.parse_value = tolerant_parse_value  # type: ignore[method-assign]


@functools.cache
def executable_schema(path: Path) -> GraphQLSchema:
    """Build the executable schema from the SDL file at `path`, once per path."""
    type_defs = path.read_text(encoding="utf-8")
    schema = make_executable_schema(
        type_defs,
        query,
        mutation,
        user_type,
        datetime_scalar,
        long_scalar,
    )
    _accept_hide_suggestions(schema)
    return schema
