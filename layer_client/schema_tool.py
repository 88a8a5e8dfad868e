"""Refresh schema.graphql from the Layer API and check the saved operations.

    python -m layer_client.schema_tool pull [--from-file FILE] [--schema PATH]
                                            [--queries DIR]
    python -m layer_client.schema_tool check [--schema PATH] [--queries DIR]

`pull` introspects the live API (with LAYER_API_KEY) or reads a saved
introspection result, rewrites schema.graphql, lists the breaking and
dangerous changes with the saved operations each one touches, and validates
every saved operation against the new schema. `check` only validates.

graphql-core comes with the `schema` extra: pip install '.[schema]' from a clone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .schema_ops import (
    SavedOperations,
    SavedOperationsError,
    display_path,
    load_saved_operations,
    operations_touched,
    usages_by_operation,
    validate_operations,
)

if TYPE_CHECKING:
    from graphql import GraphQLSchema

DEFAULT_API_URL = "https://api.app.layer.ai/graphql"

EXIT_OK = 0
EXIT_INVALID = 1  # a saved operation does not validate against the schema
EXIT_USAGE = 2  # no schema could be read: missing source, bad file, no access

NO_SOURCE_MESSAGE = (
    "No schema source: set LAYER_API_KEY to introspect the live API, or pass a "
    "saved introspection result with --from-file PATH (make schema FILE=path)."
)
INSTALL_HINT = "pip install '.[schema]' from a clone of layer-client"

_PACKAGE_DIR = Path(__file__).resolve().parent
_INTROSPECTION_TIMEOUT_S = 60.0

_EPILOG = """\
exit status:
  0  the saved operations validate against the schema
  1  a saved operation no longer validates (each one is named, with the error)
  2  no schema could be read: no source, a bad file, or the API refused

pull writes schema.graphql even when a saved operation no longer validates:
you asked for the new schema, and the errors say what to change. It then
exits 1: fix the operations in queries/ and run `make generate`. A bad input
file or a failed download leaves schema.graphql untouched.

The live API is introspected when LAYER_API_KEY is set and --from-file is not
given; LAYER_API_URL overrides the endpoint (default {url}).
"""


class _Abort(Exception):
    """Stop with a one-line message and an exit status."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run the tool and return its exit status (0, 1 or 2) instead of exiting.

    argv defaults to sys.argv[1:]; prog is the command name shown in help and
    usage messages, e.g. "layer-client schema" when the CLI delegates here.
    """
    parser = _parser(prog or "python -m layer_client.schema_tool")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        _require_graphql()
        if args.command == "pull":
            return pull(
                from_file=args.from_file,
                schema_path=args.schema,
                queries_dir=args.queries,
            )
        return check(schema_path=args.schema, queries_dir=args.queries)
    except _Abort as exc:
        print(str(exc), file=sys.stderr)
        return exc.status


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Refresh schema.graphql and check the saved GraphQL operations.",
        epilog=_EPILOG.format(url=DEFAULT_API_URL),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    pull_parser = commands.add_parser(
        "pull",
        help="rewrite schema.graphql from the API or a file and report the changes",
        description=(
            "Rewrite schema.graphql from the live API (LAYER_API_KEY) or an "
            "introspection JSON, list the breaking and dangerous changes with "
            "the saved operations they touch, and validate the operations."
        ),
        epilog=_EPILOG.format(url=DEFAULT_API_URL),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pull_parser.add_argument(
        "--from-file",
        type=Path,
        metavar="FILE",
        help='introspection JSON, {"data": {"__schema": ...}} or {"__schema": ...}',
    )
    check_parser = commands.add_parser(
        "check",
        help="validate the saved operations against schema.graphql",
        description="Validate every saved operation against schema.graphql.",
        epilog=_EPILOG.format(url=DEFAULT_API_URL),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for sub in (pull_parser, check_parser):
        sub.add_argument(
            "--schema",
            type=Path,
            metavar="PATH",
            help="schema file (default: schema.graphql at the project root)",
        )
        sub.add_argument(
            "--queries",
            type=Path,
            metavar="DIR",
            help="folder of saved operations (default: queries/ at the project root)",
        )
    return parser


def _require_graphql() -> None:
    try:
        import graphql  # noqa: F401
    except ImportError:
        raise _Abort(f"The schema tools need graphql-core: {INSTALL_HINT}") from None


# Paths --------------------------------------------------------------------


def _source_root() -> Path | None:
    """The project root of a source checkout (also an editable install)."""
    root = _PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() else None


def _default_schema_path(for_writing: bool) -> Path:
    root = _source_root()
    if root is not None:
        return root / "schema.graphql"
    if for_writing:
        raise _Abort(
            "layer_client is not running from a source checkout; "
            "pass --schema PATH to say which schema.graphql to write"
        )
    from .resources import schema_path

    try:
        return schema_path()
    except FileNotFoundError as exc:
        raise _Abort(f"{exc}; or pass --schema PATH") from exc


def _default_queries_dir() -> Path:
    root = _source_root()
    if root is None:
        raise _Abort(
            "layer_client is not running from a source checkout, which holds "
            "the saved operations; pass --queries DIR"
        )
    return root / "queries"


# Commands -----------------------------------------------------------------


def pull(
    *,
    from_file: Path | None = None,
    schema_path: Path | None = None,
    queries_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Rewrite schema.graphql, report the changes, validate the operations."""
    from graphql import (
        build_schema,
        find_breaking_changes,
        find_dangerous_changes,
        print_schema,
    )

    env = os.environ if environ is None else environ
    target = schema_path or _default_schema_path(for_writing=True)
    queries = queries_dir or _default_queries_dir()

    if from_file is not None:
        label = display_path(from_file)
        introspection = read_introspection_file(from_file)
    elif env.get("LAYER_API_KEY"):
        label = env.get("LAYER_API_URL") or DEFAULT_API_URL
        introspection = fetch_introspection(label, env["LAYER_API_KEY"])
    else:
        raise _Abort(NO_SOURCE_MESSAGE)
    text = print_schema(_build_client_schema(introspection, label)) + "\n"
    # Compare and validate the schema as schema.graphql will hold it, so that
    # both sides of the comparison come from SDL (introspection reports the
    # built-in directives differently) and match what ariadne-codegen reads.
    schema = build_schema(text)
    saved = _load_saved(queries)
    old_text = _read_text(target)
    previous = _parse_previous_schema(old_text, target)

    written = text != old_text
    if not written:
        print(f"{display_path(target)} is unchanged (from {label}).")
    else:
        try:
            write_atomically(target, text)
        except OSError as exc:
            raise _Abort(f"cannot write {display_path(target)}: {exc}") from exc
        print(f"Wrote {display_path(target)} (from {label}).")

    if previous is None:
        print("No previous schema to compare with.")
    else:
        usages = usages_by_operation([previous, schema], saved)
        for title, changes in (
            ("Breaking changes", find_breaking_changes(previous, schema)),
            ("Dangerous changes", find_dangerous_changes(previous, schema)),
        ):
            print(f"{title}: {len(changes) or 'none'}")
            for change in changes:
                kind = change.type.name
                touched = operations_touched(kind, change.description, usages)
                print(f"  {kind}: {change.description}")
                used_by = ", ".join(touched) or "no saved operation"
                print(f"    used by: {used_by}")

    problems = validate_operations(schema, saved)
    if problems:
        _print_problems(problems, target)
        fix = (
            f"Fix the operations in {display_path(queries)}/, then run `make generate`."
        )
        if written:
            fix = f"{display_path(target)} was written anyway. {fix}"
        print(fix)
        return EXIT_INVALID
    print(
        f"All {len(saved.operations)} saved operations validate against "
        f"{display_path(target)}."
    )
    if written:
        print("Run `make generate` and commit schema.graphql with generated/.")
    return EXIT_OK


def check(*, schema_path: Path | None = None, queries_dir: Path | None = None) -> int:
    """Validate the saved operations against a schema file."""
    from graphql import GraphQLError, build_schema, validate_schema

    target = schema_path or _default_schema_path(for_writing=False)
    text = _read_text(target)
    if text is None:
        raise _Abort(
            f"{display_path(target)}: no such file; run `make schema` or pass "
            "--schema PATH"
        )
    try:
        schema = build_schema(text)
    except (GraphQLError, TypeError) as exc:
        raise _Abort(
            f"{display_path(target)} is not a valid schema ({_one_line(exc)}); "
            "run `make schema` to rewrite it"
        ) from exc
    errors = validate_schema(schema)
    if errors:
        raise _Abort(
            f"{display_path(target)} is not a valid schema "
            f"({_one_line(errors[0])}); run `make schema` to rewrite it"
        )
    saved = _load_saved(queries_dir or _default_queries_dir())
    problems = validate_operations(schema, saved)
    if problems:
        _print_problems(problems, target)
        return EXIT_INVALID
    print(
        f"OK: {len(saved.operations)} saved operations validate against "
        f"{display_path(target)}"
    )
    return EXIT_OK


def _print_problems(problems: list[str], target: Path) -> None:
    print(
        f"Saved operations that do not validate against {display_path(target)} "
        f"({len(problems)} error(s)):"
    )
    for problem in problems:
        print(f"  {problem}")


def _load_saved(queries: Path) -> SavedOperations:
    try:
        return load_saved_operations(queries)
    except SavedOperationsError as exc:
        raise _Abort(str(exc)) from exc


# Reading and writing ------------------------------------------------------


def read_introspection_file(path: Path) -> dict[str, Any]:
    """Return the `{"__schema": ...}` object of an introspection JSON file."""
    label = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _Abort(
            f"{label}: no such file; pass the path of an introspection JSON "
            "with --from-file (make schema FILE=path)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _Abort(
            f"cannot read {label} ({_one_line(exc)}); pass a readable "
            "introspection JSON with --from-file"
        ) from exc
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise _Abort(
            f"{label} is not JSON ({_one_line(exc)}); pass the JSON body an "
            "introspection query returned"
        ) from exc
    return unwrap_introspection(body, label)


def unwrap_introspection(body: object, label: str) -> dict[str, Any]:
    """Accept `{"data": {"__schema": ...}}` or `{"__schema": ...}`."""
    if isinstance(body, dict):
        data = body.get("data", body)
        if isinstance(data, dict) and isinstance(data.get("__schema"), dict):
            return data
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0]
            message = first.get("message") if isinstance(first, dict) else first
            raise _Abort(
                f"{label} holds GraphQL errors instead of a schema "
                f"({_one_line(message)}); introspect again or use another file"
            )
    raise _Abort(
        f'{label} is not an introspection result: expected {{"data": '
        f'{{"__schema": ...}}}} or {{"__schema": ...}}; save the response to '
        "graphql-core's get_introspection_query()"
    )


def fetch_introspection(url: str, token: str) -> dict[str, Any]:
    """Introspect the live API with a Bearer token."""
    import httpx
    from graphql import get_introspection_query

    payload = {
        "query": get_introspection_query(descriptions=True),
        "operationName": "IntrospectionQuery",
    }
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    try:
        response = httpx.post(
            url,
            json=payload,
            headers=headers,
            timeout=httpx.Timeout(_INTROSPECTION_TIMEOUT_S, connect=10.0),
        )
    except httpx.HTTPError as exc:
        raise _Abort(
            f"could not introspect {url} ({type(exc).__name__}: {_one_line(exc)}); "
            "check the network and LAYER_API_URL, or pass --from-file"
        ) from exc
    status = response.status_code
    if status in (401, 403):
        raise _Abort(f"{url} refused the token (HTTP {status}); check LAYER_API_KEY")
    if not 200 <= status <= 299:
        raise _Abort(
            f"{url} returned HTTP {status} to the introspection query; "
            "try again later or pass --from-file"
        )
    try:
        body = response.json()
    except ValueError:
        raise _Abort(
            f"{url} did not return JSON to the introspection query; check LAYER_API_URL"
        ) from None
    return unwrap_introspection(body, url)


def _build_client_schema(introspection: dict[str, Any], label: str) -> GraphQLSchema:
    from graphql import GraphQLError, build_client_schema, validate_schema

    try:
        schema = build_client_schema(introspection)  # type: ignore[arg-type]
    except (GraphQLError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise _Abort(
            f"{label} is not a complete introspection result ({_one_line(exc)}); "
            "introspect again with graphql-core's get_introspection_query()"
        ) from exc
    errors = validate_schema(schema)
    if errors:
        raise _Abort(
            f"{label} describes an invalid schema ({_one_line(errors[0])}); "
            "introspect again or use another file"
        )
    return schema


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _Abort(f"cannot read {display_path(path)} ({_one_line(exc)})") from exc


def _parse_previous_schema(text: str | None, path: Path) -> GraphQLSchema | None:
    """The schema being replaced, or None when there is none to compare."""
    from graphql import GraphQLError, build_schema

    if text is None:
        return None
    try:
        return build_schema(text)
    except (GraphQLError, TypeError) as exc:
        print(
            f"The previous {display_path(path)} does not parse ({_one_line(exc)}); "
            "the changes are not listed.",
            file=sys.stderr,
        )
        return None


def write_atomically(path: Path, text: str) -> None:
    """Replace path with text so readers see the old or the new file, whole."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


if __name__ == "__main__":
    sys.exit(main())
