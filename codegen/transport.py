"""Request and response handling shared by the sync and async base clients."""

from typing import Any, TypeVar, cast

import httpx
from pydantic import BaseModel, create_model
from pydantic_core import from_json, to_jsonable_python

from .base_model import UNSET
from .exceptions import (
    GraphQLHttpError,
    GraphQLInvalidResponseError,
    GraphQLResponseErrors,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

# httpx waits 5 s by default, which is too short for a mutation that queues
# a generation. Reads get 60 s; the layer passes a shorter per-request timeout
# when a deadline is closer.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def build_payload(
    query: str, operation_name: str | None, variables: dict[str, Any] | None
) -> Any:
    """Build the JSON body of one operation, leaving out unset variables."""
    serialized: dict[str, Any] = {}
    for key, value in (variables or {}).items():
        if value is UNSET:
            continue
        serialized[key] = _serialize_value(value)
    return to_jsonable_python(
        {"query": query, "operationName": operation_name, "variables": serialized}
    )


def _serialize_value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [_serialize_value(item) for item in value]
    return value


def merge_headers(
    default: dict[str, str] | None, kwargs: dict[str, Any]
) -> dict[str, str]:
    """Return the client's headers updated with the headers of one call."""
    headers = dict(default or {})
    headers.update(kwargs.pop("headers", None) or {})
    return headers


def parse_data(response: httpx.Response) -> dict[str, Any]:
    """Return the `data` object of a GraphQL response.

    Raises GraphQLHttpError on a status outside 2xx, GraphQLInvalidResponseError
    on a body that is not a GraphQL response, and GraphQLResponseErrors on an
    `errors` array (keeping any partial `data`).
    """
    if not 200 <= response.status_code <= 299:
        raise GraphQLHttpError(response)

    try:
        body = from_json(response.content)
    except ValueError as exc:
        raise GraphQLInvalidResponseError(
            response, f"the response body is not JSON ({exc})"
        ) from exc

    if not isinstance(body, dict):
        raise GraphQLInvalidResponseError(
            response,
            f"the response body is a JSON {type(body).__name__}, not an object",
        )

    data = body.get("data")
    errors = body.get("errors")
    if errors:
        if not isinstance(errors, list):
            errors = [{"message": str(errors)}]
        partial = data if isinstance(data, dict) else None
        raise GraphQLResponseErrors(
            [e if isinstance(e, dict) else {"message": str(e)} for e in errors],
            partial,
        )

    if not isinstance(data, dict):
        raise GraphQLInvalidResponseError(
            response, "the response has neither a `data` object nor `errors`"
        )
    return data


# One envelope model per operation result model, built on first use.
_ENVELOPES: dict[type[BaseModel], type[BaseModel]] = {}


def _envelope(model: type[BaseModel]) -> type[BaseModel]:
    envelope = _ENVELOPES.get(model)
    if envelope is None:
        data_type: Any = model | None
        envelope = create_model(
            f"{model.__name__}Response",
            data=(data_type, None),
            errors=(list[Any] | None, None),
        )
        _ENVELOPES[model] = envelope
    return envelope


def parse_response(response: httpx.Response, model: type[ModelT]) -> ModelT:
    """Parse a GraphQL response into the operation's result model.

    A plain successful response is validated from the raw bytes in one pass.
    Anything else (a status outside 2xx, an `errors` array, no `data`, or a
    body the model rejects) goes through `parse_data` and `model_validate`,
    which raise the precise exception.
    """
    if 200 <= response.status_code <= 299:
        try:
            envelope = _envelope(model).model_validate_json(response.content)
        except ValueError:
            envelope = None
        if envelope is not None:
            fields = envelope.__dict__
            if fields["data"] is not None and not fields["errors"]:
                return cast(ModelT, fields["data"])
    return model.model_validate(parse_data(response))
