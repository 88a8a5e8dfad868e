"""Global options before or after the command, and the keys of JSON output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from layer_client.emulator import Emulator
from tests.cli.conftest import CLI

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")


def all_keys(value: Any) -> set[str]:
    """Return every key of the JSON objects in value, at any depth."""
    if isinstance(value, dict):
        keys = set(value)
        for item in value.values():
            keys |= all_keys(item)
        return keys
    if isinstance(value, list):
        return set().union(*(all_keys(item) for item in value)) if value else set()
    return set()


def test_json_after_command(cli: CLI, emulator: Emulator) -> None:
    run = cli("styles", "--json")

    assert run.code == 0, run.err
    assert emulator.style_id in {style["id"] for style in json.loads(run.out)}


def test_workspace_after_command(cli: CLI) -> None:
    run = cli("usage", "--workspace", "ws_other")

    assert run.code == 5
    assert "Workspace ws_other not found" in run.err


def test_later_workspace_wins(cli: CLI, emulator: Emulator) -> None:
    run = cli(
        "--workspace", "ws_other", "--json", "usage", "--workspace", "ws_emulator"
    )

    assert run.code == 0, run.err
    assert json.loads(run.out)["workspace_id"] == emulator.workspace_id


def test_option_before_command_kept(cli: CLI) -> None:
    run = cli("--workspace", "ws_other", "usage")

    assert run.code == 5
    assert "ws_other" in run.err


def test_api_url_after_command(cli: CLI, unused_port: int) -> None:
    run = cli("styles", "--api-url", f"http://127.0.0.1:{unused_port}/graphql")

    assert run.code == 8
    assert f"127.0.0.1:{unused_port}" in run.err


def test_verbose_after_command(cli: CLI) -> None:
    run = cli("styles", "-vv")

    assert run.code == 0
    assert "DEBUG layer_client" in run.err


def test_command_help_lists_global_options(cli: CLI) -> None:
    run = cli("wait", "--help")

    assert run.code == 0
    assert "global options" in run.out
    assert "--json" in run.out


def test_json_keys_are_snake_case(cli: CLI, emulator: Emulator, tmp_path: Path) -> None:
    outputs = [
        cli("usage", "--json"),
        cli("styles", "--json"),
        cli("workspaces", "--json"),
        cli("generate", "--json", "--style", emulator.style_id, "--out", str(tmp_path)),
        cli("generate", "--json", "--style", "sty_missing", "--out", str(tmp_path)),
    ]

    for run in outputs:
        keys = all_keys(json.loads(run.out))
        assert keys
        assert {key for key in keys if not SNAKE_CASE.match(key)} == set()


def test_usage_json_fields(cli: CLI, emulator: Emulator) -> None:
    usage = json.loads(cli("usage", "--json").out)

    assert usage["workspace_id"] == emulator.workspace_id
    assert usage["has_access"] is True


def test_error_json_fields(cli: CLI, tmp_path: Path) -> None:
    run = cli("--json", "generate", "--style", "sty_missing", "--out", str(tmp_path))

    error = json.loads(run.out)["error"]
    assert error["exit_code"] == 5
    assert error["type"] == "StyleNotUsableError"


@pytest.mark.parametrize("position", ["before", "after"])
def test_batch_json_either_side(
    cli: CLI, emulator: Emulator, tmp_path: Path, position: str
) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"prompt": "a lantern"}\n', encoding="utf-8")
    arguments = ["batch", str(prompts), "--style", emulator.style_id]
    arguments += ["--out", str(tmp_path / "out")]
    argv = ["--json", *arguments] if position == "before" else [*arguments, "--json"]

    run = cli(*argv)

    assert run.code == 0, run.err
    assert json.loads(run.out)["ok"] is True
