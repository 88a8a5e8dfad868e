"""Parsing and checking the rows of a prompts file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layer_client.batch import BatchRow, RowProblem, group_problems, read_rows
from layer_client.batch.rows import parse_row
from layer_client.errors import LayerInputError

STYLE = "sty_1"
WORKSPACE = "ws_1"


def parse(text: str, style: str | None = STYLE) -> BatchRow | RowProblem:
    return parse_row(7, text, default_style_id=style, workspace_id=WORKSPACE)


def reason_of(text: str, style: str | None = STYLE) -> str:
    parsed = parse(text, style)
    assert isinstance(parsed, RowProblem), f"{text} was accepted"
    assert parsed.line == 7
    return parsed.reason


def test_row_with_every_key() -> None:
    parsed = parse(
        json.dumps(
            {
                "prompt": "a castle",
                "style_id": "sty_2",
                "seed": -5,
                "batch_size": 2,
                "width": 64,
                "height": 32,
                "name": "castle",
            }
        )
    )
    assert isinstance(parsed, BatchRow)
    assert parsed.style_id == "sty_2"
    assert parsed.generate_arguments() == {
        "style_id": "sty_2",
        "prompt": "a castle",
        "seed": -5,
        "batch_size": 2,
        "width": 64,
        "height": 32,
    }
    assert parsed.label == "castle"


def test_row_takes_default_style() -> None:
    parsed = parse('{"prompt": "a castle"}')
    assert isinstance(parsed, BatchRow)
    assert parsed.style_id == STYLE
    assert parsed.label == "line 7"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"prompt": "a"', "invalid JSON"),
        ('["a"]', "expected a JSON object, got list"),
        ('{"prompt": "a", "colour": "red"}', "unknown keys colour"),
        ('{"seed": 1}', "prompt is missing"),
        ('{"prompt": 3}', "invalid prompt 3"),
        ('{"prompt": "  "}', "expected a non-empty string"),
        ('{"prompt": "a", "name": 4}', "invalid name 4"),
        ('{"prompt": "a", "seed": true}', "Invalid seed True"),
        ('{"prompt": "a", "seed": 9223372036854775808}', "Invalid seed"),
        ('{"prompt": "a", "seed": 1.5}', "Invalid seed 1.5"),
        ('{"prompt": "a", "batch_size": 17}', "allowed range is 1 to 16"),
        ('{"prompt": "a", "batch_size": 0}', "allowed range is 1 to 16"),
        ('{"prompt": "a", "width": -1}', "Invalid width -1"),
        ('{"prompt": "a", "height": "64"}', "Invalid height '64'"),
        ('{"prompt": "a", "style_id": ""}', "style_id is missing"),
        ('{"prompt": "a", "style_id": 12}', "Invalid style_id 12"),
    ],
)
def test_invalid_row_reason(text: str, expected: str) -> None:
    assert expected in reason_of(text)


def test_missing_style_names_option() -> None:
    reason = reason_of('{"prompt": "a"}', style=None)
    assert "style_id is missing" in reason
    assert "--style" in reason


def test_prompt_length_limit() -> None:
    long_prompt = json.dumps({"prompt": "x" * 100_001})
    assert "100000" in reason_of(long_prompt)


def test_hash_follows_content() -> None:
    first = parse('{"prompt": "a"}')
    same = parse('{ "prompt" : "a" }')
    other_style = parse('{"prompt": "a"}', style="sty_9")
    other_prompt = parse('{"prompt": "b"}')
    assert isinstance(first, BatchRow)
    assert isinstance(same, BatchRow)
    assert isinstance(other_style, BatchRow)
    assert isinstance(other_prompt, BatchRow)
    assert first.row_hash == same.row_hash
    assert first.row_hash != other_style.row_hash
    assert first.row_hash != other_prompt.row_hash
    other_workspace = parse_row(
        7, '{"prompt": "a"}', default_style_id=STYLE, workspace_id="ws_2"
    )
    assert isinstance(other_workspace, BatchRow)
    assert first.row_hash != other_workspace.row_hash


def test_read_rows_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text(
        "\ufeff"
        '{"prompt": "one"}\r\n'
        "\n"
        "   \n"
        '{"prompt": "two\u2028still two"}\n'
        "not json\n"
        '{"prompt": "three"}',
        encoding="utf-8",
    )
    rows, problems = read_rows(path, default_style_id=STYLE, workspace_id=WORKSPACE)
    assert [row.line for row in rows] == [1, 4, 6]
    assert rows[1].prompt == "two\u2028still two"
    assert [problem.line for problem in problems] == [5]


def test_read_rows_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LayerInputError, match="not found"):
        read_rows(
            tmp_path / "nope.jsonl", default_style_id=STYLE, workspace_id=WORKSPACE
        )


def test_read_rows_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_bytes(b'{"prompt": "\xff"}\n')
    with pytest.raises(LayerInputError, match="not UTF-8"):
        read_rows(path, default_style_id=STYLE, workspace_id=WORKSPACE)


def test_group_problems_lists_each_reason_once() -> None:
    problems = [
        *(
            RowProblem(line=line, reason="Style sty_nope was not found")
            for line in (1, 2, 3, 5, 7, 8)
        ),
        RowProblem(line=4, reason="unknown keys n"),
    ]
    assert group_problems(sorted(problems, key=lambda item: item.line)) == [
        ("lines 1-3, 5, 7-8", "Style sty_nope was not found"),
        ("line 4", "unknown keys n"),
    ]
