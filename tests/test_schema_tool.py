"""Tests of `python -m layer_client.schema_tool` (pull and check).

They run against the shared introspection dump and modified copies of it in
tmp_path; the live path is served by pytest-httpx, never the real API.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from layer_client import schema_tool
from layer_client.schema_ops import (
    change_coordinates,
    load_saved_operations,
    operation_usage,
)

ROOT = Path(__file__).resolve().parent.parent
DUMP = ROOT / "tests" / "data" / "layer-introspection-2025-08.json"
QUERIES = ROOT / "queries"
SCHEMA = ROOT / "schema.graphql"
DEFAULT_URL = "https://api.app.layer.ai/graphql"

Dump = dict[str, Any]


@pytest.fixture(scope="module")
def pristine_dump() -> Dump:
    data: Dump = json.loads(DUMP.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def dump(pristine_dump: Dump) -> Dump:
    """A copy of the shared dump that a test may change."""
    return copy.deepcopy(pristine_dump)


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    """A copy of the committed schema.graphql, the 'previous' schema."""
    target = tmp_path / "schema.graphql"
    target.write_bytes(SCHEMA.read_bytes())
    return target


@pytest.fixture(autouse=True)
def _no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAYER_API_KEY", raising=False)
    monkeypatch.delenv("LAYER_API_URL", raising=False)


def _type(dump: Dump, name: str) -> dict[str, Any]:
    types: list[dict[str, Any]] = dump["data"]["__schema"]["types"]
    return next(t for t in types if t["name"] == name)


def _write(tmp_path: Path, body: object, name: str = "introspection.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def _pull(*args: str | Path) -> int:
    return schema_tool.main(["pull", *(str(a) for a in args)])


def _section(out: str, title: str) -> str:
    """The lines of one section of the pull report."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    body = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        body.append(line)
    return "\n".join(body)


def _remove_field(type_name: str, field: str) -> Callable[[Dump], None]:
    def change(dump: Dump) -> None:
        owner = _type(dump, type_name)
        owner["fields"] = [f for f in owner["fields"] if f["name"] != field]

    return change


# pull from a file ------------------------------------------------------------


def test_removed_field_is_breaking_and_names_the_operations(
    tmp_path: Path, dump: Dump, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _remove_field("Inference", "etaAt")(dump)
    source = _write(tmp_path, dump)

    status = _pull("--from-file", source, "--schema", schema_file, "--queries", QUERIES)

    out = capsys.readouterr().out
    assert status == 1
    breaking = _section(out, "Breaking changes")
    assert "Breaking changes: 1" in breaking
    assert "FIELD_REMOVED: Inference.etaAt was removed." in breaking
    assert "used by: GenerateImages, GetInferencesById" in breaking
    assert "Dangerous changes: none" in out
    # Both operations spread InferenceFields, which selects etaAt.
    for name in ("GenerateImages", "GetInferencesById"):
        assert f"{name}: Cannot query field 'etaAt' on type 'Inference'." in out
    assert "queries/fragments.graphql:" in out
    assert "make generate" in out
    # The user asked for the new schema: it is written despite the errors.
    assert "etaAt" not in schema_file.read_text(encoding="utf-8")


def test_enum_value_added_is_dangerous(
    tmp_path: Path, dump: Dump, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _type(dump, "StyleStatus")["enumValues"].append(
        {
            "name": "PENDING_REVIEW",
            "description": None,
            "isDeprecated": False,
            "deprecationReason": None,
        }
    )
    source = _write(tmp_path, dump)

    status = _pull("--from-file", source, "--schema", schema_file, "--queries", QUERIES)

    out = capsys.readouterr().out
    assert status == 0
    assert "Breaking changes: none" in out
    dangerous = _section(out, "Dangerous changes")
    assert (
        "VALUE_ADDED_TO_ENUM: PENDING_REVIEW was added to enum type StyleStatus."
        in (dangerous)
    )
    # Both read Style.status through StyleFields.
    assert "used by: GetStyleById, ListStyles" in dangerous
    assert "All 7 saved operations validate" in out
    assert "  PENDING_REVIEW\n" in schema_file.read_text(encoding="utf-8")


def test_union_member_added_is_dangerous(
    tmp_path: Path, dump: Dump, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _type(dump, "InferenceResponse")["possibleTypes"].append(
        {"kind": "OBJECT", "name": "Style", "ofType": None}
    )
    source = _write(tmp_path, dump)

    status = _pull("--from-file", source, "--schema", schema_file, "--queries", QUERIES)

    out = capsys.readouterr().out
    assert status == 0
    dangerous = _section(out, "Dangerous changes")
    assert "TYPE_ADDED_TO_UNION: Style was added to union type InferenceResponse." in (
        dangerous
    )
    assert "used by: GenerateImages\n" in dangerous + "\n"
    assert "union InferenceResponse = Inference | Error | Style" in (
        schema_file.read_text(encoding="utf-8")
    )


def test_change_no_operation_uses_says_so(
    tmp_path: Path, dump: Dump, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _remove_field("Inference", "styles")(dump)
    source = _write(tmp_path, dump)

    status = _pull("--from-file", source, "--schema", schema_file, "--queries", QUERIES)

    out = capsys.readouterr().out
    assert status == 0
    assert "FIELD_REMOVED: Inference.styles was removed." in out
    assert "used by: no saved operation" in out


def test_identical_dump_reports_no_changes_and_keeps_the_file(
    dump: Dump, tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = schema_file.stat()
    status = _pull("--from-file", DUMP, "--schema", schema_file, "--queries", QUERIES)

    out = capsys.readouterr().out
    assert status == 0
    assert "is unchanged" in out
    assert "Breaking changes: none" in out
    assert "Dangerous changes: none" in out
    assert schema_file.read_bytes() == SCHEMA.read_bytes()
    assert schema_file.stat().st_mtime_ns == before.st_mtime_ns


def test_bare_schema_object_is_accepted(
    tmp_path: Path, dump: Dump, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _write(tmp_path, dump["data"])
    status = _pull("--from-file", source, "--schema", schema_file, "--queries", QUERIES)
    assert status == 0
    assert "is unchanged" in capsys.readouterr().out


def test_first_pull_writes_the_schema_atomically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "schema.graphql"
    target.parent.mkdir()

    status = _pull("--from-file", DUMP, "--schema", target, "--queries", QUERIES)

    out = capsys.readouterr().out
    assert status == 0
    assert "No previous schema to compare with." in out
    assert "make generate" in out
    assert target.read_bytes() == SCHEMA.read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == ["schema.graphql"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_written_schema_keeps_the_previous_file_mode(
    tmp_path: Path, dump: Dump, schema_file: Path
) -> None:
    schema_file.chmod(0o664)
    _remove_field("Inference", "styles")(dump)
    _pull("--from-file", _write(tmp_path, dump), "--schema", schema_file)
    assert schema_file.stat().st_mode & 0o777 == 0o664


# bad input -------------------------------------------------------------------


def test_no_token_and_no_file_prints_one_line(
    schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = _pull("--schema", schema_file, "--queries", QUERIES)

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert "LAYER_API_KEY" in lines[0]
    assert "--from-file" in lines[0]
    assert "FILE=" in lines[0]
    assert schema_file.read_bytes() == SCHEMA.read_bytes()


def test_empty_token_counts_as_no_token(
    monkeypatch: pytest.MonkeyPatch, schema_file: Path
) -> None:
    monkeypatch.setenv("LAYER_API_KEY", "")
    assert _pull("--schema", schema_file, "--queries", QUERIES) == 2


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.json", None, "no such file"),
        ("not-json.json", "<html>Bad gateway</html>", "is not JSON"),
        ("list.json", "[]", "is not an introspection result"),
        ("other.json", '{"data": {"user": {}}}', "is not an introspection result"),
        (
            "errors.json",
            '{"data": null, "errors": [{"message": "Introspection is disabled"}]}',
            "Introspection is disabled",
        ),
        (
            "partial.json",
            '{"__schema": {"queryType": {"name": "Query"}, "types": []}}',
            "not a complete introspection result",
        ),
        ("no-query.json", '{"__schema": {"types": []}}', "describes an invalid schema"),
    ],
)
def test_bad_file_gives_one_line_and_leaves_the_schema_untouched(
    tmp_path: Path,
    schema_file: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | None,
    expected: str,
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_text(content, encoding="utf-8")

    status = _pull("--from-file", source, "--schema", schema_file, "--queries", QUERIES)

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert name in lines[0]
    assert expected in lines[0]
    assert "--from-file" in lines[0] or "introspect" in lines[0]
    assert schema_file.read_bytes() == SCHEMA.read_bytes()
    assert sorted(p.name for p in schema_file.parent.iterdir()) == sorted(
        {"schema.graphql", *([name] if content is not None else [])}
    )


def test_missing_queries_folder_is_a_usage_error(
    schema_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = _pull(
        "--from-file", DUMP, "--schema", schema_file, "--queries", tmp_path / "nope"
    )
    assert status == 2
    assert "--queries DIR" in capsys.readouterr().err
    assert schema_file.read_bytes() == SCHEMA.read_bytes()


def test_missing_graphql_core_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "graphql", None)
    assert schema_tool.main(["check"]) == 2
    assert "pip install '.[schema]'" in capsys.readouterr().err


def test_help_explains_the_exit_status_and_the_write_on_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert schema_tool.main(["pull", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--from-file FILE" in out
    assert (
        "writes schema.graphql even when a saved operation no longer validates" in out
    )
    assert "run `make generate`" in out
    assert "LAYER_API_KEY" in out


def test_usage_error_returns_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert schema_tool.main(["push"]) == 2
    assert "invalid choice" in capsys.readouterr().err


# pull from the live API (mocked) ---------------------------------------------


def test_live_pull_sends_the_token_to_the_configured_url(
    monkeypatch: pytest.MonkeyPatch,
    httpx_mock: HTTPXMock,
    pristine_dump: Dump,
    schema_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "https://layer.example.test/graphql"
    monkeypatch.setenv("LAYER_API_KEY", "tok_secret")
    monkeypatch.setenv("LAYER_API_URL", url)
    httpx_mock.add_response(method="POST", url=url, json=pristine_dump)

    status = _pull("--schema", schema_file, "--queries", QUERIES)

    assert status == 0
    request = httpx_mock.get_request()
    assert request is not None
    assert str(request.url) == url
    assert request.headers["Authorization"] == "Bearer tok_secret"
    body = json.loads(request.content)
    assert body["operationName"] == "IntrospectionQuery"
    assert "__schema" in body["query"]
    assert request.extensions["timeout"]["read"] >= 30
    out = capsys.readouterr().out
    assert f"from {url}" in out
    assert "tok_secret" not in out


def test_live_pull_defaults_to_the_layer_endpoint(
    monkeypatch: pytest.MonkeyPatch,
    httpx_mock: HTTPXMock,
    pristine_dump: Dump,
    schema_file: Path,
) -> None:
    monkeypatch.setenv("LAYER_API_KEY", "tok_secret")
    httpx_mock.add_response(method="POST", url=DEFAULT_URL, json=pristine_dump)

    assert _pull("--schema", schema_file, "--queries", QUERIES) == 0
    request = httpx_mock.get_request()
    assert request is not None
    assert str(request.url) == DEFAULT_URL


def test_file_wins_over_the_token(
    monkeypatch: pytest.MonkeyPatch, httpx_mock: HTTPXMock, schema_file: Path
) -> None:
    monkeypatch.setenv("LAYER_API_KEY", "tok_secret")
    assert (
        _pull("--from-file", DUMP, "--schema", schema_file, "--queries", QUERIES) == 0
    )
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"status_code": 401, "json": {"message": "no"}}, "check LAYER_API_KEY"),
        ({"status_code": 502, "text": "<html>Bad gateway</html>"}, "HTTP 502"),
        ({"status_code": 200, "text": "<html>login</html>"}, "did not return JSON"),
        (
            {
                "status_code": 200,
                "json": {"errors": [{"message": "Introspection off"}]},
            },
            "Introspection off",
        ),
    ],
)
def test_live_pull_failure_leaves_the_schema_untouched(
    monkeypatch: pytest.MonkeyPatch,
    httpx_mock: HTTPXMock,
    schema_file: Path,
    capsys: pytest.CaptureFixture[str],
    response: dict[str, Any],
    expected: str,
) -> None:
    monkeypatch.setenv("LAYER_API_KEY", "tok_secret")
    httpx_mock.add_response(method="POST", url=DEFAULT_URL, **response)

    status = _pull("--schema", schema_file, "--queries", QUERIES)

    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1
    assert expected in err
    assert "tok_secret" not in err
    assert schema_file.read_bytes() == SCHEMA.read_bytes()


def test_live_pull_network_failure(
    monkeypatch: pytest.MonkeyPatch,
    httpx_mock: HTTPXMock,
    schema_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import httpx

    monkeypatch.setenv("LAYER_API_KEY", "tok_secret")
    httpx_mock.add_exception(httpx.ConnectError("name resolution failed"))

    assert _pull("--schema", schema_file, "--queries", QUERIES) == 2
    err = capsys.readouterr().err
    assert "could not introspect" in err
    assert "ConnectError" in err


# check -----------------------------------------------------------------------


def test_check_passes_on_the_committed_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert schema_tool.main(["check"]) == 0
    assert capsys.readouterr().out.startswith("OK: 7 saved operations validate")


def test_check_names_the_operation_and_the_error(
    schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = schema_file.read_text(encoding="utf-8")
    schema_file.write_text(text.replace("  canForgeFrom(", "  canForge("))

    status = schema_tool.main(["check", "--schema", str(schema_file)])

    out = capsys.readouterr().out
    assert status == 1
    line = next(x for x in out.splitlines() if "GetStyleById:" in x)
    assert "Cannot query field 'canForgeFrom' on type 'Style'." in line
    assert line.endswith("(queries/get_style_by_id.graphql:6:7)")


def test_check_reports_a_syntax_error_with_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    for path in QUERIES.glob("*.graphql"):
        (queries / path.name).write_bytes(path.read_bytes())
    (queries / "broken.graphql").write_text("query Broken { getMyUser { ")

    status = schema_tool.main(["check", "--queries", str(queries)])

    out = capsys.readouterr().out
    assert status == 1
    assert "broken.graphql: Syntax Error" in out


def test_check_rejects_a_missing_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = schema_tool.main(["check", "--schema", str(tmp_path / "none.graphql")])
    assert status == 2
    assert "make schema" in capsys.readouterr().err


def test_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "layer_client.schema_tool", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LAYER_API_KEY": ""},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK:")


# usage analysis ----------------------------------------------------------------


def test_operation_usage_covers_fragments_inputs_and_read_types() -> None:
    from graphql import build_schema

    schema = build_schema(SCHEMA.read_text(encoding="utf-8"))
    saved = {op.name: op for op in load_saved_operations(QUERIES).operations}
    used = operation_usage(schema, saved["GenerateImages"].document)

    assert "Inference.etaAt" in used  # through InferenceFields
    assert "File.previewUrl" in used  # through FileFields, nested
    assert "Mutation.generateImages(input:)" in used
    assert "GenerateImagesInput.batchSize" in used  # a field it may send
    assert "InferenceParametersInput.seed" in used  # nested input type
    assert "out:InferenceStatus" in used
    assert "out:ErrorType" in used
    # Sent, not read: a new value there does not surprise the operation.
    assert "GenerationType" in used
    assert "out:GenerationType" not in used


@pytest.mark.parametrize(
    ("kind", "description", "expected"),
    [
        (
            "ARG_REMOVED",
            "Query.listStyles arg input was removed.",
            "Query.listStyles(input:)",
        ),
        (
            "REQUIRED_INPUT_FIELD_ADDED",
            "A required field foo on input type GenerateImagesInput was added.",
            "GenerateImagesInput",
        ),
        ("TYPE_REMOVED", "Standard scalar Float was removed because ...", "Float"),
        ("DIRECTIVE_ARG_REMOVED", "if was removed from include.", "@include(if:)"),
        (
            "VALUE_REMOVED_FROM_ENUM",
            "OLD was removed from enum type StyleStatus.",
            "StyleStatus",
        ),
    ],
)
def test_change_coordinates(kind: str, description: str, expected: str) -> None:
    assert change_coordinates(kind, description) == [frozenset([expected])]


def test_unknown_change_falls_back_to_the_names_it_mentions() -> None:
    groups = change_coordinates("SOMETHING_NEW", "Style.slug got odd.")
    assert frozenset(["Style.slug"]) in groups


def test_prog_names_the_calling_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert schema_tool.main(["--help"], prog="layer-client schema") == 0
    assert capsys.readouterr().out.startswith("usage: layer-client schema")


def test_unchanged_schema_with_a_broken_operation_is_not_rewritten(
    tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "queries"
    shutil.copytree(QUERIES, queries)
    (queries / "extra.graphql").write_text("query Extra { getMyUser { nope } }")
    before = schema_file.stat().st_mtime_ns

    status = _pull("--from-file", DUMP, "--schema", schema_file, "--queries", queries)

    out = capsys.readouterr().out
    assert status == 1
    assert "Extra: Cannot query field 'nope' on type 'UserResponse'." in out
    assert "written anyway" not in out
    assert "then run `make generate`" in out
    assert schema_file.stat().st_mtime_ns == before
