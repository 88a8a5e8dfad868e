"""The saved GraphQL operations in queries/: load, validate, match schema changes.

`layer_client.schema_tool` uses this module to tell which saved operations a
schema change touches and whether they still validate. graphql-core is
imported inside the functions: it ships in the `schema` extra, not in the
core install.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphql import (
        DefinitionNode,
        DocumentNode,
        FragmentDefinitionNode,
        GraphQLError,
        GraphQLSchema,
        OperationDefinitionNode,
    )

__all__ = [
    "OUTPUT",
    "QUERY_FILE_SUFFIXES",
    "SavedOperation",
    "SavedOperations",
    "SavedOperationsError",
    "change_coordinates",
    "display_path",
    "load_saved_operations",
    "operation_usage",
    "operations_touched",
    "usages_by_operation",
    "validate_operations",
]

# The file kinds ariadne-codegen reads from the queries folder, recursively.
QUERY_FILE_SUFFIXES = (".graphql", ".graphqls", ".gql")

# Prefix of the usage coordinates of types an operation reads in a response
# (as opposed to types it only sends, like input types).
OUTPUT = "out:"


class SavedOperationsError(Exception):
    """The queries folder cannot be read at all."""


@dataclass
class SavedOperation:
    """One named operation with the fragments it spreads, transitively."""

    name: str
    path: Path
    document: DocumentNode


@dataclass
class SavedOperations:
    """Everything read from the queries folder."""

    operations: list[SavedOperation] = field(default_factory=list)
    # Fragments no operation spreads: ariadne-codegen still generates them.
    unused_fragments: list[FragmentDefinitionNode] = field(default_factory=list)
    # Problems found while reading: syntax errors, duplicate or missing names.
    problems: list[str] = field(default_factory=list)


def display_path(path: Path) -> str:
    """Return path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_saved_operations(queries_dir: Path) -> SavedOperations:
    """Parse every query file below queries_dir, as ariadne-codegen does."""
    from graphql import (
        FragmentDefinitionNode,
        GraphQLSyntaxError,
        OperationDefinitionNode,
        Source,
        parse,
    )

    if not queries_dir.is_dir():
        raise SavedOperationsError(
            f"{display_path(queries_dir)} is not a folder of saved operations; "
            "pass --queries DIR"
        )
    files = sorted(
        path
        for path in queries_dir.glob("**/*")
        if path.suffix in QUERY_FILE_SUFFIXES and path.is_file()
    )
    if not files:
        raise SavedOperationsError(
            f"{display_path(queries_dir)} holds no .graphql files; pass --queries DIR"
        )

    saved = SavedOperations()
    operations: dict[str, tuple[OperationDefinitionNode, Path]] = {}
    fragments: dict[str, FragmentDefinitionNode] = {}
    for path in files:
        label = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
            document = parse(Source(text, label))
        except (OSError, UnicodeDecodeError) as exc:
            raise SavedOperationsError(f"cannot read {label}: {exc}") from exc
        except GraphQLSyntaxError as exc:
            saved.problems.append(f"{label}: {_one_line(exc.message)}{_where(exc)}")
            continue
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                if definition.name is None:
                    saved.problems.append(
                        f"{label}: an operation has no name; name every operation"
                    )
                elif definition.name.value in operations:
                    saved.problems.append(
                        f"{label}: operation {definition.name.value} is defined twice"
                    )
                else:
                    operations[definition.name.value] = (definition, path)
            elif isinstance(definition, FragmentDefinitionNode):
                if definition.name.value in fragments:
                    saved.problems.append(
                        f"{label}: fragment {definition.name.value} is defined twice"
                    )
                else:
                    fragments[definition.name.value] = definition
            else:
                saved.problems.append(
                    f"{label}: only operations and fragments belong in queries/"
                )

    spread: set[str] = set()
    for name, (operation, path) in sorted(operations.items()):
        used = _fragments_used(operation, fragments)
        spread.update(used)
        definitions: list[DefinitionNode] = [operation]
        definitions += [fragments[n] for n in sorted(used)]
        saved.operations.append(SavedOperation(name, path, _document(definitions)))
    saved.unused_fragments = [
        fragment for name, fragment in sorted(fragments.items()) if name not in spread
    ]
    return saved


def _document(definitions: Iterable[DefinitionNode]) -> DocumentNode:
    from graphql import DocumentNode

    return DocumentNode(definitions=tuple(definitions))


def _fragments_used(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> set[str]:
    """Names of the fragments operation spreads, directly or through others."""
    from graphql import FragmentSpreadNode, Visitor, visit

    found: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
            found.add(node.name.value)

    pending: list[OperationDefinitionNode | FragmentDefinitionNode] = [operation]
    seen: set[str] = set()
    while pending:
        found.clear()
        visit(pending.pop(), Spreads())
        for name in found - seen:
            seen.add(name)
            if name in fragments:
                pending.append(fragments[name])
    # Unknown names stay out; validation reports them as unknown fragments.
    return {name for name in seen if name in fragments}


def validate_operations(schema: GraphQLSchema, saved: SavedOperations) -> list[str]:
    """Return one line per problem: reading problems, then validation errors.

    Each validation error names the operation (or the unused fragment) and
    where in which file the error is.
    """
    from graphql import NoUnusedFragmentsRule, specified_rules, validate

    found = list(saved.problems)
    for operation in saved.operations:
        for error in validate(schema, operation.document):
            found.append(f"{operation.name}: {_describe(error)}")
    if saved.unused_fragments:
        # Checked with the rules ariadne-codegen applies, which allow them.
        rules = [rule for rule in specified_rules if rule is not NoUnusedFragmentsRule]
        document = _document(saved.unused_fragments)
        for error in validate(schema, document, rules):
            found.append(f"unused fragment: {_describe(error)}")
    return found


def _describe(error: GraphQLError) -> str:
    return f"{_one_line(error.message)}{_where(error)}"


def _where(error: GraphQLError) -> str:
    """Return ' (file:line:column, ...)' for the nodes of an error."""
    from graphql import get_location

    places: list[str] = []
    if error.nodes:
        for node in error.nodes:
            if node.loc is not None:
                location = get_location(node.loc.source, node.loc.start)
                places.append(
                    f"{node.loc.source.name}:{location.line}:{location.column}"
                )
    elif error.source is not None and error.locations:
        places = [
            f"{error.source.name}:{loc.line}:{loc.column}" for loc in error.locations
        ]
    unique = list(dict.fromkeys(places))
    return f" ({', '.join(unique)})" if unique else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def operation_usage(schema: GraphQLSchema, document: DocumentNode) -> frozenset[str]:
    """Return the schema coordinates one operation document uses.

    The coordinates are `Type` for every type it reads or sends, `out:Type`
    for the types it reads, `Type.field` for every field it selects (also on
    each possible type of an interface) and every field of the input types
    it sends, `Type.field(arg:)` for every argument it passes,
    `Enum.VALUE` for enum literals, and `@directive` / `@directive(arg:)`.
    Fields the schema does not know are left out.
    """
    from graphql import (
        ArgumentNode,
        DirectiveNode,
        EnumValueNode,
        FieldNode,
        GraphQLInputObjectType,
        GraphQLInterfaceType,
        GraphQLType,
        GraphQLUnionType,
        TypeInfo,
        TypeInfoVisitor,
        Visitor,
        get_named_type,
        visit,
    )

    used: set[str] = set()
    type_info = TypeInfo(schema)

    def read(type_: GraphQLType | None) -> None:
        named = get_named_type(type_)
        if named is not None:
            used.update((named.name, OUTPUT + named.name))

    sent: set[str] = set()

    def send(type_: GraphQLType | None) -> None:
        pending = [get_named_type(type_)]
        while pending:
            named = pending.pop()
            if named is None or named.name in sent:
                continue
            sent.add(named.name)
            used.add(named.name)
            if isinstance(named, GraphQLInputObjectType):
                for name, input_field in named.fields.items():
                    used.add(f"{named.name}.{name}")
                    pending.append(get_named_type(input_field.type))

    class Collector(Visitor):
        def enter_operation_definition(self, *_: object) -> None:
            read(type_info.get_type())

        def enter_fragment_definition(self, *_: object) -> None:
            read(type_info.get_type())

        def enter_inline_fragment(self, *_: object) -> None:
            read(type_info.get_type())

        def enter_variable_definition(self, *_: object) -> None:
            send(type_info.get_input_type())

        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent = type_info.get_parent_type()
            definition = type_info.get_field_def()
            name = node.name.value
            if parent is None or definition is None or name.startswith("__"):
                return
            owners = [parent.name]
            if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType):
                owners += [t.name for t in schema.get_possible_types(parent)]
            for owner in owners:
                used.add(f"{owner}.{name}")
                used.update(f"{owner}.{name}({a.name.value}:)" for a in node.arguments)
            read(definition.type)

        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            argument = type_info.get_argument()
            if argument is not None:
                send(argument.type)

        def enter_enum_value(self, node: EnumValueNode, *_: object) -> None:
            enum = get_named_type(type_info.get_input_type())
            if enum is not None:
                used.add(f"{enum.name}.{node.value}")

        def enter_directive(self, node: DirectiveNode, *_: object) -> None:
            used.add(f"@{node.name.value}")
            used.update(f"@{node.name.value}({a.name.value}:)" for a in node.arguments)

    visit(document, TypeInfoVisitor(type_info, Collector()))
    return frozenset(used)


# How to read each kind of change graphql-core reports: a pattern over its
# description and the coordinates an operation must all use to be touched
# (any one group is enough).
_W = r"[_A-Za-z][_0-9A-Za-z]*"
_CHANGE_RULES: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    # Breaking changes.
    "TYPE_REMOVED": (rf"(?:Standard scalar )?(?P<t>{_W}) was removed.*", (("{t}",),)),
    "TYPE_CHANGED_KIND": (rf"(?P<t>{_W}) changed from .*", (("{t}",),)),
    "TYPE_REMOVED_FROM_UNION": (
        rf"{_W} was removed from union type (?P<t>{_W})\.",
        (("{t}",),),
    ),
    "VALUE_REMOVED_FROM_ENUM": (
        rf"{_W} was removed from enum type (?P<t>{_W})\.",
        (("{t}",),),
    ),
    "REQUIRED_INPUT_FIELD_ADDED": (
        rf"A required field {_W} on input type (?P<t>{_W}) was added\.",
        (("{t}",),),
    ),
    "IMPLEMENTED_INTERFACE_REMOVED": (
        rf"(?P<t>{_W}) no longer implements interface (?P<i>{_W})\.",
        (("{t}", "{i}"),),
    ),
    "FIELD_REMOVED": (rf"(?P<t>{_W})\.(?P<f>{_W}) was removed\.", (("{t}.{f}",),)),
    "FIELD_CHANGED_KIND": (
        rf"(?P<t>{_W})\.(?P<f>{_W}) changed type from .*",
        (("{t}.{f}",),),
    ),
    "ARG_REMOVED": (
        rf"(?P<t>{_W})\.(?P<f>{_W}) arg (?P<a>{_W}) was removed\.",
        (("{t}.{f}({a}:)",),),
    ),
    "ARG_CHANGED_KIND": (
        rf"(?P<t>{_W})\.(?P<f>{_W}) arg (?P<a>{_W}) has changed type .*",
        (("{t}.{f}({a}:)",),),
    ),
    "REQUIRED_ARG_ADDED": (
        rf"A required arg {_W} on (?P<t>{_W})\.(?P<f>{_W}) was added\.",
        (("{t}.{f}",),),
    ),
    "DIRECTIVE_REMOVED": (rf"(?P<d>{_W}) was removed\.", (("@{d}",),)),
    "DIRECTIVE_ARG_REMOVED": (
        rf"(?P<a>{_W}) was removed from (?P<d>{_W})\.",
        (("@{d}({a}:)",),),
    ),
    "REQUIRED_DIRECTIVE_ARG_ADDED": (
        rf"A required arg {_W} on directive (?P<d>{_W}) was added\.",
        (("@{d}",),),
    ),
    "DIRECTIVE_REPEATABLE_REMOVED": (
        rf"Repeatable flag was removed from (?P<d>{_W})\.",
        (("@{d}",),),
    ),
    "DIRECTIVE_LOCATION_REMOVED": (
        rf"{_W} was removed from (?P<d>{_W})\.",
        (("@{d}",),),
    ),
    # Dangerous changes. A new enum value or interface only surprises an
    # operation that reads the type; sending it is unaffected.
    "VALUE_ADDED_TO_ENUM": (
        rf"{_W} was added to enum type (?P<t>{_W})\.",
        ((OUTPUT + "{t}",),),
    ),
    "TYPE_ADDED_TO_UNION": (
        rf"{_W} was added to union type (?P<t>{_W})\.",
        (("{t}",),),
    ),
    "IMPLEMENTED_INTERFACE_ADDED": (
        rf"(?P<i>{_W}) added to interfaces implemented by {_W}\.",
        ((OUTPUT + "{i}",),),
    ),
    "OPTIONAL_INPUT_FIELD_ADDED": (
        rf"An optional field {_W} on input type (?P<t>{_W}) was added\.",
        (("{t}",),),
    ),
    "OPTIONAL_ARG_ADDED": (
        rf"An optional arg {_W} on (?P<t>{_W})\.(?P<f>{_W}) was added\.",
        (("{t}.{f}",),),
    ),
    "ARG_DEFAULT_VALUE_CHANGE": (
        rf"(?P<t>{_W})\.(?P<f>{_W}) arg {_W} .*",
        (("{t}.{f}",),),
    ),
}


def change_coordinates(kind: str, description: str) -> list[frozenset[str]]:
    """Return the coordinate groups a change touches (see operation_usage).

    kind is the name of graphql-core's BreakingChangeType or
    DangerousChangeType. A description in an unknown shape falls back to
    every name and `Type.field` pair in it, each on its own.
    """
    rule = _CHANGE_RULES.get(kind)
    if rule is not None:
        match = re.fullmatch(rule[0], description, flags=re.DOTALL)
        if match is not None:
            names = match.groupdict()
            return [
                frozenset(template.format(**names) for template in group)
                for group in rule[1]
            ]
    tokens = re.findall(rf"{_W}(?:\.{_W})?", description)
    return [frozenset([token]) for token in dict.fromkeys(tokens)]


def operations_touched(
    kind: str, description: str, usages: Mapping[str, frozenset[str]]
) -> list[str]:
    """Names of the operations (keys of usages) a change touches, sorted."""
    groups = change_coordinates(kind, description)
    return sorted(
        name for name, used in usages.items() if any(g <= used for g in groups)
    )


def usages_by_operation(
    schemas: Iterable[GraphQLSchema], saved: SavedOperations
) -> dict[str, frozenset[str]]:
    """Usage of every saved operation, merged over the given schemas.

    Pass the previous and the new schema: a removed field is only known to
    the previous one, an added union member only to the new one.
    """
    schemas = list(schemas)
    return {
        operation.name: frozenset().union(
            *(operation_usage(schema, operation.document) for schema in schemas)
        )
        for operation in saved.operations
    }
