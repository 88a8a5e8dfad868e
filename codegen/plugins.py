"""ariadne-codegen plugins for the generated Layer GraphQL package."""

import ast
from typing import ClassVar

from ariadne_codegen.plugins.base import Plugin
from graphql import GraphQLEnumType


class OpenEnumPlugin(Plugin):
    """Make every generated enum a subclass of `OpenEnum`.

    A response with an enum value added to the schema later then parses
    instead of failing validation.
    """

    def generate_enum(
        self, class_def: ast.ClassDef, enum_type: GraphQLEnumType
    ) -> ast.ClassDef:
        class_def.bases = [ast.Name(id="OpenEnum", ctx=ast.Load())]
        return class_def

    def generate_enums_module(self, module: ast.Module) -> ast.Module:
        body = [
            node
            for node in module.body
            if not (isinstance(node, ast.ImportFrom) and node.module == "enum")
        ]
        open_enum_import = ast.ImportFrom(
            module="open_enum", names=[ast.alias(name="OpenEnum")], level=1
        )
        module.body = [open_enum_import, *body]
        return module


class AsyncClientExportPlugin(Plugin):
    """Export the async client, written by the earlier async run, from `__init__`.

    ariadne-codegen writes one client per run, and both runs share the model
    modules, so the sync run (which runs last) adds the async names.
    """

    exported: ClassVar[dict[str, str]] = {
        "async_client": "AsyncLayerGraphQLClient",
        "async_base_client": "AsyncBaseClient",
    }

    def generate_init_module(self, module: ast.Module) -> ast.Module:
        imports: list[ast.stmt] = [
            ast.ImportFrom(module=name, names=[ast.alias(name=symbol)], level=1)
            for name, symbol in self.exported.items()
        ]
        for node in module.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
                names = [
                    element.value
                    for element in node.value.elts
                    if isinstance(element, ast.Constant)
                    and isinstance(element.value, str)
                ]
                names.extend(self.exported.values())
                node.value.elts = [ast.Constant(value=n) for n in sorted(names)]
        module.body = imports + module.body
        return module
