"""`codegen/generate.py --check` passes on the committed tree and catches edits.

The script regenerates the package with ariadne-codegen (about a second), so
the end-to-end checks run it in a subprocess: generate() changes the working
directory and sys.path of the process that runs it. The comparison itself is
tested in-process on copies in tmp_path.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "generated" / "layer_graphql"
# What the script needs to run in a copy of the project.
PROJECT_PARTS = ("codegen", "queries", "schema.graphql", "generated")


def _load_generate() -> ModuleType:
    # codegen/ is a folder of scripts, not a package.
    spec = importlib.util.spec_from_file_location(
        "codegen_generate", ROOT / "codegen" / "generate.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load_generate()


def _run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "codegen" / "generate.py"), "--check"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy_package(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(COMMITTED, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The parts of the project the script reads, copied into tmp_path."""
    root = tmp_path / "project"
    root.mkdir()
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(
                source, root / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, root / part)
    return root


# The comparison ----------------------------------------------------------------


def test_identical_copies_have_no_differences(tmp_path: Path) -> None:
    left = _copy_package(tmp_path, "left")
    right = _copy_package(tmp_path, "right")
    (right / "__pycache__").mkdir()
    (right / "__pycache__" / "client.cpython-311.pyc").write_bytes(b"\0")
    assert generate.differences(left, right) == []


def test_hand_edit_is_detected(tmp_path: Path) -> None:
    committed = _copy_package(tmp_path, "committed")
    fresh = _copy_package(tmp_path, "fresh")
    client = committed / "client.py"
    client.write_text(
        client.read_text(encoding="utf-8").replace(
            'operation_name="GenerateImages"', 'operation_name="GenerateImage"'
        ),
        encoding="utf-8",
    )
    (committed / "enums.py").write_text(
        (committed / "enums.py").read_text(encoding="utf-8") + "# tweak\n",
        encoding="utf-8",
    )
    assert generate.differences(committed, fresh) == [
        "differs: client.py",
        "differs: enums.py",
    ]


def test_added_and_missing_files_are_detected(tmp_path: Path) -> None:
    committed = _copy_package(tmp_path, "committed")
    fresh = _copy_package(tmp_path, "fresh")
    (committed / "helpers.py").write_text("X = 1\n")
    (committed / "list_styles.py").unlink()
    assert generate.differences(committed, fresh) == [
        "only in committed: helpers.py",
        "only in regenerated: list_styles.py",
    ]


# The script, end to end ----------------------------------------------------------


def test_check_passes_on_the_committed_tree() -> None:
    result = _run_check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "generated/ matches a fresh regeneration" in result.stdout


def test_check_fails_on_a_hand_edit_in_a_copy(project_copy: Path) -> None:
    models = project_copy / "generated" / "layer_graphql" / "fragments.py"
    models.write_text(
        models.read_text(encoding="utf-8").replace(
            "    code: str\n", "    code: int\n"
        ),
        encoding="utf-8",
    )

    result = _run_check(project_copy)

    assert result.returncode == 1
    assert "differs: fragments.py" in result.stdout
    assert "make generate" in result.stdout
    # The committed tree is not touched by a check.
    assert "    code: str\n" in (COMMITTED / "fragments.py").read_text(encoding="utf-8")


def test_check_fails_when_a_query_changes_in_a_copy(project_copy: Path) -> None:
    # Editing a saved operation without `make generate` is caught as well.
    query = project_copy / "queries" / "get_style_by_id.graphql"
    query.write_text(
        query.read_text(encoding="utf-8").replace(
            "canForgeFrom", "canForgeFrom\n      createdAt"
        ),
        encoding="utf-8",
    )

    result = _run_check(project_copy)

    assert result.returncode == 1
    assert "differs: get_style_by_id.py" in result.stdout
