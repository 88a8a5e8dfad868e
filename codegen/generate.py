"""Regenerate the `layer_graphql` package, or check that it is up to date.

ariadne-codegen writes one client per run, so this runs it twice over the same
package: first the async client, then the sync client, whose run also writes
`__init__.py` exporting both. Usage:

    python codegen/generate.py            # rewrite generated/layer_graphql
    python codegen/generate.py --check    # regenerate elsewhere and compare
"""

import argparse
import contextlib
import copy
import filecmp
import io
import os
import shutil
import sys
import tempfile
import tomllib
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "layer_graphql"

RUNS: list[dict[str, Any]] = [
    {
        "client_name": "AsyncLayerGraphQLClient",
        "client_file_name": "async_client",
        "async_client": True,
        "base_client_name": "AsyncBaseClient",
        "base_client_file_path": "codegen/async_base_client.py",
    },
    {
        "client_name": "LayerGraphQLClient",
        "client_file_name": "client",
        "async_client": False,
        "base_client_name": "BaseClient",
        "base_client_file_path": "codegen/base_client.py",
        "extra_plugins": ["plugins.AsyncClientExportPlugin"],
        # The async run wrote this file as its base client; the sync run
        # would delete it without this.
        "extra_files": ["codegen/async_base_client.py"],
    },
]


def generate(target_dir: Path, *, quiet: bool = False) -> Path:
    """Write the package into target_dir and return the package path."""
    # Paths in the config stay relative to the project root, because
    # ariadne-codegen writes the queries path into every file header and an
    # absolute path would differ between clones. The plugins are imported
    # from codegen/. Both changes are undone afterwards.
    target = target_dir.resolve()
    previous_cwd = Path.cwd()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT / "codegen"))
    try:
        return _generate(target, quiet)
    finally:
        sys.path.remove(str(ROOT / "codegen"))
        os.chdir(previous_cwd)


def _generate(target_dir: Path, quiet: bool) -> Path:
    from ariadne_codegen.main import client

    common = tomllib.loads((ROOT / "codegen" / "common.toml").read_text())
    package_dir = target_dir / PACKAGE
    if package_dir.exists():
        shutil.rmtree(package_dir)
    target_dir.mkdir(parents=True, exist_ok=True)

    for run in RUNS:
        config = copy.deepcopy(common)
        section = config["tool"]["ariadne-codegen"]
        run = dict(run)
        section["plugins"] = section["plugins"] + run.pop("extra_plugins", [])
        section["files_to_include"] = section["files_to_include"] + run.pop(
            "extra_files", []
        )
        section.update(run)
        section["target_package_path"] = str(target_dir)
        # ariadne-codegen prints its settings and file list on stdout, and
        # warns that generateImages is deprecated in favour of createInference.
        with contextlib.ExitStack() as stack:
            if quiet:
                stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
                stack.enter_context(warnings.catch_warnings())
                warnings.simplefilter("ignore", DeprecationWarning)
            client(config)  # type: ignore[no-untyped-call]

    (package_dir / "py.typed").write_text("")
    return package_dir


def differences(left: Path, right: Path) -> list[str]:
    """List the files that differ between two package trees."""
    found: list[str] = []
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    pending = [(comparison, Path())]
    while pending:
        current, prefix = pending.pop()
        found += [f"only in committed: {prefix / n}" for n in current.left_only]
        found += [f"only in regenerated: {prefix / n}" for n in current.right_only]
        found += [
            f"file in one, folder in the other: {prefix / n}"
            for n in current.common_funny
        ]
        for name in current.common_files:
            if (Path(current.left) / name).read_bytes() != (
                Path(current.right) / name
            ).read_bytes():
                found.append(f"differs: {prefix / name}")
        for name, sub in current.subdirs.items():
            pending.append((sub, prefix / name))
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and fail if generated/ differs",
    )
    args = parser.parse_args()

    committed = ROOT / "generated" / PACKAGE
    if not args.check:
        generate(ROOT / "generated")
        print(f"wrote {committed.relative_to(ROOT)}")
        return 0

    with tempfile.TemporaryDirectory() as scratch:
        fresh = generate(Path(scratch), quiet=True)
        if not committed.is_dir():
            print(f"{committed.relative_to(ROOT)} is missing: run `make generate`")
            return 1
        found = differences(committed, fresh)
    if found:
        print("generated/ is out of date with the schema, queries or codegen:")
        for line in found:
            print(f"  {line}")
        print("Run `make generate` and commit the result; never edit generated/.")
        return 1
    print("generated/ matches a fresh regeneration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
