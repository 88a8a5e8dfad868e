"""Client settings: the API key, the endpoint, timeouts and the configs."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from layer_client import (
    DEFAULT_API_URL,
    NO_RETRIES,
    AsyncLayerClient,
    LayerClient,
    LayerInputError,
    PollingConfig,
    RetryConfig,
)
from layer_client.config import DEFAULT_TIMEOUT, check_api_url, resolve_settings
from tests.client.conftest import LayerFactory
from tests.fakes import API_URL, TOKEN, Script, usage_answer

CLIENT_CLASSES = [LayerClient, AsyncLayerClient]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LAYER_API_KEY", "LAYER_WORKSPACE_ID", "LAYER_API_URL"):
        monkeypatch.delenv(name, raising=False)


def settings(**arguments: Any) -> Any:
    defaults: dict[str, Any] = {
        "api_key": TOKEN,
        "workspace_id": None,
        "api_url": None,
        "timeout": None,
        "polling": None,
        "retry": None,
        "environ": {},
    }
    defaults.update(arguments)
    return resolve_settings(**defaults)


@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
def test_missing_key_names_variable(client_class: type[Any]) -> None:
    with pytest.raises(LayerInputError) as caught:
        client_class()

    assert caught.value.field == "api_key"
    assert "LAYER_API_KEY" in str(caught.value)


@pytest.mark.parametrize("key", ["", "   ", "\n"])
def test_blank_key_rejected(key: str) -> None:
    with pytest.raises(LayerInputError, match="LAYER_API_KEY"):
        settings(api_key=key)


def test_key_with_space_rejected() -> None:
    with pytest.raises(LayerInputError) as caught:
        settings(api_key="tok en")

    assert "whitespace" in str(caught.value)
    assert "tok en" not in str(caught.value)


@pytest.mark.parametrize("key", [123, b"token", ["token"]], ids=repr)
@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
def test_key_wrong_type(client_class: type[Any], key: object) -> None:
    with pytest.raises(LayerInputError) as caught:
        client_class(key)

    assert caught.value.field == "api_key"


def test_key_stripped() -> None:
    assert settings(api_key="  tok_1\n").api_key == "tok_1"


def test_environment_used() -> None:
    environ = {
        "LAYER_API_KEY": "tok_env",
        "LAYER_WORKSPACE_ID": "ws_env",
        "LAYER_API_URL": "https://layer.example.test/graphql",
    }

    resolved = settings(api_key=None, environ=environ)

    assert resolved.api_key == "tok_env"
    assert resolved.workspace_id == "ws_env"
    assert resolved.api_url == "https://layer.example.test/graphql"


def test_arguments_beat_environment() -> None:
    environ = {
        "LAYER_API_KEY": "tok_env",
        "LAYER_WORKSPACE_ID": "ws_env",
        "LAYER_API_URL": "https://layer.example.test/graphql",
    }

    resolved = settings(
        api_key="tok_arg",
        workspace_id="ws_arg",
        api_url="https://other.example.test/graphql",
        environ=environ,
    )

    assert resolved.api_key == "tok_arg"
    assert resolved.workspace_id == "ws_arg"
    assert resolved.api_url == "https://other.example.test/graphql"


def test_defaults() -> None:
    resolved = settings()

    assert resolved.api_url == DEFAULT_API_URL
    assert resolved.workspace_id is None
    assert resolved.timeout == DEFAULT_TIMEOUT
    assert resolved.polling == PollingConfig()
    assert resolved.retry == RetryConfig()


def test_blank_workspace_is_unset() -> None:
    resolved = settings(environ={"LAYER_WORKSPACE_ID": "  "})

    assert resolved.workspace_id is None


@pytest.mark.parametrize("workspace", [5, ["ws_1"]], ids=repr)
@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
def test_workspace_wrong_type(client_class: type[Any], workspace: object) -> None:
    with pytest.raises(LayerInputError) as caught:
        client_class(TOKEN, workspace_id=workspace)

    assert caught.value.field == "workspace_id"


async def test_environment_reaches_requests(
    make_layer: LayerFactory, script: Script, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYER_API_KEY", "tok_from_env")
    monkeypatch.setenv("LAYER_WORKSPACE_ID", "ws_from_env")
    monkeypatch.setenv("LAYER_API_URL", API_URL)
    layer = make_layer(api_key=None, workspace_id=None, api_url=None)
    script.add("GetWorkspaceUsage", usage_answer())

    await layer.call("get_usage")

    [request] = script.requests
    assert request.headers["authorization"] == "Bearer tok_from_env"
    assert b"ws_from_env" in request.content


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com/graphql",
        "http://10.0.0.1/graphql",
        "http://192.168.1.5:8000/graphql",
        "http://127.0.0.1@api.example.com/graphql",
        "http://localhost.example.com/graphql",
        "http://127.0.0.1.example.com/graphql",
        "http://[2001:db8::1]/graphql",
    ],
)
def test_plain_http_rejected(url: str) -> None:
    with pytest.raises(LayerInputError) as caught:
        check_api_url(url)

    assert caught.value.field == "api_url"
    assert "https" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/graphql",
        "http://127.9.9.9/graphql",
        "http://localhost:4000/graphql",
        "http://LOCALHOST/graphql",
        "http://[::1]:8000/graphql",
        "http://[::ffff:127.0.0.1]:8000/graphql",
        "https://api.app.layer.ai/graphql",
        "https://10.0.0.1/graphql",
    ],
)
def test_url_accepted(url: str) -> None:
    assert check_api_url(url) == url


@pytest.mark.parametrize(
    "url", ["ftp://api.example.com/", "api.app.layer.ai/graphql", "https://", "//x"]
)
def test_url_invalid(url: str) -> None:
    with pytest.raises(LayerInputError, match="Invalid API URL"):
        check_api_url(url)


@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
def test_client_rejects_plain_http(client_class: type[Any]) -> None:
    with pytest.raises(LayerInputError):
        client_class(TOKEN, api_url="http://api.example.com/graphql")


@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
def test_client_rejects_http_from_env(
    client_class: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYER_API_URL", "http://api.example.com/graphql")

    with pytest.raises(LayerInputError):
        client_class(TOKEN)


@pytest.mark.parametrize(
    "timeout", [0, -1, math.nan, math.inf, True, "10", [10]], ids=repr
)
@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
def test_bad_timeout(client_class: type[Any], timeout: object) -> None:
    with pytest.raises(LayerInputError) as caught:
        client_class(TOKEN, timeout=timeout)

    assert caught.value.field == "timeout"


def test_number_timeout() -> None:
    assert settings(timeout=30).timeout == httpx.Timeout(30.0)


def test_httpx_timeout_kept() -> None:
    timeout = httpx.Timeout(5.0, read=90.0)

    assert settings(timeout=timeout).timeout is timeout


@pytest.mark.parametrize(
    "arguments",
    [
        {"initial_delay": 0},
        {"initial_delay": -1.0},
        {"max_delay": math.nan},
        {"timeout": 0},
        {"timeout": math.inf},
        {"timeout": True},
        {"multiplier": 0.5},
        {"multiplier": math.nan},
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"min_delay": 0},
    ],
    ids=repr,
)
def test_polling_config_rejects(arguments: dict[str, Any]) -> None:
    with pytest.raises(LayerInputError) as caught:
        PollingConfig(**arguments)

    [field] = arguments
    assert caught.value.field == field


def test_polling_config_defaults() -> None:
    config = PollingConfig()

    assert config.initial_delay == 2.0
    assert config.multiplier == 1.5
    assert config.max_delay == 10.0
    assert config.timeout == 120.0
    assert 0 < config.jitter < 1


@pytest.mark.parametrize(
    "arguments",
    [
        {"max_attempts": 0},
        {"max_attempts": True},
        {"max_attempts": 2.0},
        {"initial_delay": 0},
        {"max_delay": -1},
        {"deadline": 0},
        {"deadline": math.nan},
        {"multiplier": 0.9},
    ],
    ids=repr,
)
def test_retry_config_rejects(arguments: dict[str, Any]) -> None:
    with pytest.raises(LayerInputError) as caught:
        RetryConfig(**arguments)

    [field] = arguments
    assert caught.value.field == field


def test_no_retries_one_attempt() -> None:
    assert NO_RETRIES.max_attempts == 1


def test_settings_repr_hides_key() -> None:
    assert TOKEN not in repr(settings())


@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
def test_url_wrong_type(client_class: type[Any]) -> None:
    with pytest.raises(LayerInputError) as caught:
        client_class(TOKEN, api_url=8000)

    assert caught.value.field == "api_url"
