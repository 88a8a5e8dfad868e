"""Files shipped with layer_client: the schema the emulator executes."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def schema_path() -> Path:
    """Return the path of `schema.graphql`.

    A wheel ships the schema inside the package. A source checkout (also an
    editable install) keeps it at the project root, which `make schema`
    rewrites, so that copy is used there.
    """
    candidates = [
        _PACKAGE_DIR.parent / "schema.graphql",
        _PACKAGE_DIR / "schema.graphql",
    ]
    if (_PACKAGE_DIR.parent / "pyproject.toml").is_file():
        ordered = candidates
    else:
        ordered = list(reversed(candidates))
    for candidate in ordered:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "schema.graphql was not found next to layer_client; reinstall the package"
    )
