"""Each command of `layer-client` against the emulator: output and exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layer_client import LayerClient
from layer_client.emulator import BUILDING_STYLE_ID, Emulator
from tests.cli.conftest import CLI

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def submit(emulator: Emulator, prompt: str = "a castle", batch_size: int = 1) -> str:
    """Submit a generation with the library and return the inference id."""
    with LayerClient(
        emulator.token, workspace_id=emulator.workspace_id, api_url=emulator.url
    ) as layer:
        inference = layer.generate_images(
            style_id=emulator.style_id, prompt=prompt, batch_size=batch_size
        )
    return inference.id


def test_help_lists_commands_and_exit_codes(cli: CLI) -> None:
    run = cli("--help")

    assert run.code == 0
    for command in ("styles", "usage", "workspaces", "generate", "wait", "download"):
        assert command in run.out
    assert "exit status:" in run.out
    assert "130  interrupted" in run.out
    assert "LAYER_API_KEY" in run.out


def test_version(cli: CLI) -> None:
    run = cli("--version")

    assert run.code == 0
    assert run.out.startswith("layer-client ")


def test_styles_table(cli: CLI) -> None:
    run = cli("styles")

    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "TYPE", "MODALITY", "NAME"]
    assert any(line.startswith("sty_0001 ") for line in lines)
    assert any(BUILDING_STYLE_ID in line and "BUILDING" in line for line in lines)
    assert run.err == ""


def test_styles_json(cli: CLI) -> None:
    run = cli("--json", "styles")

    assert run.code == 0
    styles = json.loads(run.out)
    assert {"id", "name", "slug", "status", "type", "modality"} <= set(styles[0])
    assert "__typename" not in styles[0]
    assert BUILDING_STYLE_ID in {style["id"] for style in styles}


def test_styles_status_filter(cli: CLI) -> None:
    run = cli("--json", "styles", "--status", "building")

    assert run.code == 0, run.err
    assert [style["id"] for style in json.loads(run.out)] == [BUILDING_STYLE_ID]


def test_styles_featured_filter(cli: CLI) -> None:
    featured = json.loads(cli("--json", "styles", "--featured").out)
    others = json.loads(cli("--json", "styles", "--no-featured").out)

    assert featured
    assert others
    assert not {s["id"] for s in featured} & {s["id"] for s in others}


def test_styles_visibility_filter(cli: CLI) -> None:
    public = cli("--json", "styles", "--visibility", "PUBLIC")
    private = cli("--json", "styles", "--visibility", "PRIVATE")

    assert public.code == 0
    assert private.code == 0
    public_ids = {s["id"] for s in json.loads(public.out)}
    private_ids = {s["id"] for s in json.loads(private.out)}
    assert public_ids
    assert private_ids
    assert not public_ids & private_ids


def test_usage_text(cli: CLI, emulator: Emulator) -> None:
    run = cli("usage")

    assert run.code == 0
    assert f"workspace  {emulator.workspace_id}" in run.out
    assert "balance" in run.out
    assert "access     yes" in run.out


def test_usage_json(cli: CLI, emulator: Emulator) -> None:
    run = cli("--json", "usage")

    assert run.code == 0
    usage = json.loads(run.out)
    assert usage["workspace_id"] == emulator.workspace_id
    assert usage["has_access"] is True
    assert usage["balance"] > 0


def test_workspace_option_overrides_variable(cli: CLI, emulator: Emulator) -> None:
    run = cli("--workspace", "ws_other", "usage")

    assert run.code == 5
    assert "Workspace ws_other not found" in run.err


def test_workspaces(cli: CLI, emulator: Emulator) -> None:
    text = cli("workspaces")
    as_json = cli("--json", "workspaces")

    assert text.code == 0
    assert emulator.workspace_id in text.out
    assert as_json.code == 0
    memberships = json.loads(as_json.out)
    assert memberships[0]["workspace"]["id"] == emulator.workspace_id


def test_generate_saves_pngs(cli: CLI, emulator: Emulator, tmp_path: Path) -> None:
    run = cli(
        "generate",
        "--style",
        emulator.style_id,
        "--prompt",
        "a castle",
        "--batch-size",
        "2",
        "--seed",
        "42",
        "--width",
        "256",
        "--height",
        "256",
        "--steps",
        "20",
        "--guidance",
        "7.5",
        "--out",
        str(tmp_path),
    )

    assert run.code == 0, run.err
    paths = [Path(line) for line in run.out.splitlines()]
    assert len(paths) == 2
    for path in paths:
        assert path.parent == tmp_path.resolve()
        assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert "Generating (inference" in run.err


def test_generate_json(cli: CLI, emulator: Emulator, tmp_path: Path) -> None:
    run = cli(
        "--json",
        "generate",
        "--style",
        emulator.style_id,
        "--prompt",
        "a tower",
        "--out",
        str(tmp_path),
    )

    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert result["inference"]["status"] == "COMPLETE"
    assert len(result["paths"]) == len(result["inference"]["files"])
    assert all(Path(path).is_file() for path in result["paths"])


def test_wait_prints_status(cli: CLI, emulator: Emulator) -> None:
    first = submit(emulator)
    second = submit(emulator, batch_size=2)

    run = cli("wait", first, second, "--timeout", "30")

    assert run.code == 0, run.err
    assert f"{first}  COMPLETE  1 file" in run.out
    assert f"{second}  COMPLETE  2 files" in run.out


def test_wait_json(cli: CLI, emulator: Emulator) -> None:
    inference_id = submit(emulator)

    run = cli("--json", "wait", inference_id)

    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert [i["id"] for i in result["inferences"]] == [inference_id]
    assert result["inferences"][0]["status"] == "COMPLETE"


def test_download_complete_inference(
    cli: CLI, emulator: Emulator, tmp_path: Path
) -> None:
    inference_id = submit(emulator, batch_size=2)
    assert cli("wait", inference_id).code == 0

    run = cli("download", inference_id, "--out", str(tmp_path / "files"))

    assert run.code == 0, run.err
    paths = [Path(line) for line in run.out.splitlines()]
    assert [path.name for path in paths] == [
        f"{inference_id}-1.png",
        f"{inference_id}-2.png",
    ]
    assert all(path.read_bytes().startswith(PNG_SIGNATURE) for path in paths)


def test_download_json(cli: CLI, emulator: Emulator, tmp_path: Path) -> None:
    inference_id = submit(emulator)
    assert cli("wait", inference_id).code == 0

    run = cli("--json", "download", inference_id, "--out", str(tmp_path))

    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert result["inference"]["id"] == inference_id
    assert len(result["paths"]) == 1


def test_schema_check_delegates(cli: CLI) -> None:
    run = cli("schema", "check")

    assert run.code == 0, run.err


def test_emulator_help_delegates(cli: CLI) -> None:
    run = cli("emulator", "--help")

    assert run.code == 0
    assert "--speed" in run.out


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--json"], "--json does not apply"),
        (["--workspace=ws_1"], "--workspace does not apply"),
        (["--json", "--workspace=ws_1"], "--json and --workspace do not apply"),
    ],
)
def test_emulator_rejects_global_options(
    cli: CLI, options: list[str], named: str
) -> None:
    run = cli(*options, "emulator", "--port", "0")

    assert run.code == 2
    assert f"{named} to `emulator`" in run.err


def test_schema_rejection_names_given_option(cli: CLI) -> None:
    run = cli("--json", "schema", "check")

    assert run.code == 2
    assert "--json does not apply to `schema`" in run.err
    assert "--workspace" not in run.err.splitlines()[-1]


def test_schema_help_names_layer_client(cli: CLI) -> None:
    run = cli("schema", "--help")

    assert run.code == 0
    assert run.out.startswith("usage: layer-client schema ")
    assert "python -m" not in run.out
