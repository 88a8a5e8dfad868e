"""The ASGI application of the GraphQL API: auth, faults, execution.

Each POST to `/graphql` goes through these steps in order. Parse the JSON
body and count the request under its operation name. Draw a fault, which
may end the request here. Check the Bearer token, execute the operation
with ariadne, rewrite the result for the response faults, and send it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from ariadne import graphql, unwrap_graphql_error
from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, parse

from .asgi import (
    Receive,
    RequestBodyTooLargeError,
    Scope,
    Send,
    drop_connection,
    handle_lifespan,
    read_body,
    send_http_fault,
    send_json,
    send_response,
)
from .counters import Counters
from .faults import FaultKind, FaultPlan, FaultRule
from .schema import (
    RequestContext,
    auth_middleware,
    resolve_field_default,
    resolve_type,
)
from .state import EmulatorState

__all__ = ["GraphQLApp", "operation_name_of"]

logger = logging.getLogger("layer_client.emulator")
graphql_logger = logging.getLogger("layer_client.emulator.graphql")

GRAPHQL_PATH = "/graphql"
MAX_BODY_BYTES = 10 * 1024 * 1024
ANONYMOUS_OPERATION = "anonymous"


def operation_name_of(payload: dict[str, Any]) -> str:
    """Return the request's `operationName`, else the name in its document."""
    name = payload.get("operationName")
    if isinstance(name, str) and name:
        return name
    query = payload.get("query")
    if isinstance(query, str):
        try:
            document = parse(query)
        except GraphQLError:
            return ANONYMOUS_OPERATION
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                return definition.name.value
    return ANONYMOUS_OPERATION


class _GraphQLErrorLogger(logging.LoggerAdapter[logging.Logger]):
    """Log the errors ariadne reports, at INFO unless a resolver crashed.

    Errors in the request (syntax, validation, variable values) have no
    `path`, and errors the emulator raises on purpose ("not emulated") have
    no original exception. Any other error is a resolver bug, so it is
    logged at ERROR with its traceback.
    """

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        error = kwargs.get("exc_info")
        if isinstance(error, GraphQLError) and (
            error.path is None or unwrap_graphql_error(error) is None
        ):
            self.logger.info("returned GraphQL error: %s", error.message)
            return
        self.logger.error(msg, *args, **kwargs)


def is_request_error(result: dict[str, Any]) -> bool:
    """Return whether the operation failed before execution.

    Syntax, validation and variable errors leave `data` null and carry no
    `path`. GraphQL servers such as Apollo send them with status 400.
    """
    errors = result.get("errors") or []
    if result.get("data") is not None or not errors:
        return False
    return all("path" not in error for error in errors)


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def replace_enum_values(node: Any, field: str, value: str) -> int:
    """Set `field` to `value` in the outermost objects that have it.

    Return how many values were replaced.
    """
    if isinstance(node, list):
        return sum(replace_enum_values(item, field, value) for item in node)
    if not isinstance(node, dict):
        return 0
    if isinstance(node.get(field), str):
        node[field] = value
        return 1
    return sum(replace_enum_values(item, field, value) for item in node.values())


def replace_typenames(data: Any, typename: str) -> None:
    """Set `__typename` of every root field's object to `typename`."""
    if not isinstance(data, dict):
        return
    for value in data.values():
        if isinstance(value, dict):
            value["__typename"] = typename


class GraphQLApp:
    """ASGI app that serves the emulated GraphQL API at `/graphql`."""

    def __init__(
        self,
        *,
        schema: GraphQLSchema,
        state: EmulatorState,
        counters: Counters,
        faults: FaultPlan,
        token: str,
        unauthorized_as_error_member: bool,
    ) -> None:
        self.schema = schema
        self.state = state
        self.counters = counters
        self.faults = faults
        self._token = token.encode("utf-8")
        self.unauthorized_as_error_member = unauthorized_as_error_member

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await handle_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        date = self.state.clock.reported(self.state.clock.now())

        if scope["path"].rstrip("/") != GRAPHQL_PATH:
            body = _error_body(
                f"Not found: send requests to {GRAPHQL_PATH}", "NOT_FOUND"
            )
            await send_json(send, 404, body, date=date)
            return
        if scope["method"] != "POST":
            body = _error_body(
                f"Method {scope['method']} not allowed: use POST", "METHOD_NOT_ALLOWED"
            )
            await send_json(send, 405, body, date=date, headers=[("allow", "POST")])
            return

        try:
            raw = await read_body(receive, limit=MAX_BODY_BYTES)
        except RequestBodyTooLargeError as error:
            await send_json(send, 413, _error_body(str(error), "PAYLOAD_TOO_LARGE"))
            return
        payload = self._parse_payload(raw)
        if isinstance(payload, str):
            await send_json(send, 400, _error_body(payload, "BAD_REQUEST"), date=date)
            return

        operation = operation_name_of(payload)
        self.counters.record_request(operation)
        decision = self.faults.decide(operation)
        kind, rule = decision if decision is not None else (FaultKind.OK, None)
        if rule is not None:
            self.counters.record_fault(kind.value)
            logger.debug("injecting fault %s into %s", kind.value, operation)
            if kind is FaultKind.SLOW:
                await asyncio.sleep(rule.delay)
            if await send_http_fault(send, kind, rule, date=date):
                return
            if kind is FaultKind.DROP_BEFORE:
                await drop_connection(
                    send, content_type="application/json", declared_length=1024
                )
            if kind is FaultKind.GRAPHQL_ERRORS:
                body = {
                    "data": None,
                    **_error_body(rule.message, "GRAPHQL_VALIDATION_FAILED"),
                }
                await send_json(send, 200, body, date=date)
                return

        authenticated = self._is_authenticated(scope)
        if not authenticated and not self.unauthorized_as_error_member:
            logger.debug("rejected %s: missing or invalid bearer token", operation)
            await send_json(
                send,
                401,
                _error_body(
                    "Invalid or missing API token: send 'Authorization: Bearer "
                    "<token>' with the emulator's token",
                    "UNAUTHENTICATED",
                ),
                date=date,
                headers=[("www-authenticate", 'Bearer realm="layer-emulator"')],
            )
            return

        context = RequestContext(state=self.state, authenticated=authenticated)
        _, result = await graphql(
            self.schema,
            payload,
            context_value=context,
            middleware=[auth_middleware],
            field_resolver=resolve_field_default,
            type_resolver=resolve_type,
            logger=_GraphQLErrorLogger(graphql_logger, {}),
        )
        status = 400 if is_request_error(result) else 200
        if rule is not None:
            self._rewrite(result, kind, rule)
        await self._send_result(send, status, result, kind)

    @staticmethod
    def _parse_payload(raw: bytes) -> dict[str, Any] | str:
        """Return the request object, or a message saying why it is invalid."""
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return f"Request body is not valid JSON: {error}"
        if not isinstance(payload, dict):
            return "Request body must be a JSON object with 'query' and 'variables'"
        if not isinstance(payload.get("query"), str):
            return "Request body must contain the operation text in 'query'"
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return "'variables' must be a JSON object"
        return payload

    def _is_authenticated(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name.lower() != b"authorization":
                continue
            scheme, _, credentials = value.partition(b" ")
            if scheme.lower() != b"bearer":
                return False
            return hmac.compare_digest(credentials.strip(), self._token)
        return False

    @staticmethod
    def _rewrite(result: dict[str, Any], kind: FaultKind, rule: FaultRule) -> None:
        if kind is FaultKind.UNKNOWN_ENUM:
            replace_enum_values(result.get("data"), rule.enum_field, rule.enum_value)
        elif kind is FaultKind.UNKNOWN_UNION:
            replace_typenames(result.get("data"), rule.typename)

    async def _send_result(
        self, send: Send, status: int, result: dict[str, Any], kind: FaultKind
    ) -> None:
        body = json.dumps(result, separators=(",", ":")).encode("utf-8")
        date = self.state.clock.reported(self.state.clock.now())
        if kind is FaultKind.DROP_AFTER:
            await drop_connection(
                send,
                content_type="application/json",
                declared_length=len(body),
                partial_body=body[: len(body) // 2],
                date=date,
            )
        await send_response(
            send, status, body, content_type="application/json", date=date
        )
