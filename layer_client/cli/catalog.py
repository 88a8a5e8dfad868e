"""The read-only commands: `styles`, `usage` and `workspaces`."""

from __future__ import annotations

import argparse

from layer_graphql import ObjectVisibility, StyleStatus

from .arguments import Commands, choice_list
from .context import Context
from .exit_codes import OK
from .output import format_table, model_json


def register(commands: Commands) -> None:
    """Add the catalog commands to the subparsers action commands."""
    styles = commands.add_parser(
        "styles",
        help="list the styles the token can see",
        description=(
            "List every style the token can see, following every page. Only "
            "COMPLETE styles can generate images."
        ),
    )
    styles.add_argument(
        "--status",
        type=choice_list(list(StyleStatus.__members__)),
        action="extend",
        metavar="STATUS",
        help=(
            "show only styles in these statuses, comma-separated or repeated: "
            f"{', '.join(StyleStatus.__members__)}"
        ),
    )
    styles.add_argument(
        "--visibility",
        type=choice_list(list(ObjectVisibility.__members__)),
        action="extend",
        metavar="VISIBILITY",
        help="show only PUBLIC or PRIVATE styles (comma-separated or repeated)",
    )
    styles.add_argument(
        "--featured",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show only featured styles (--no-featured: only the others)",
    )
    styles.set_defaults(run=run_styles)

    usage = commands.add_parser(
        "usage",
        help="show the workspace's credits",
        description=(
            "Show the credits of the workspace (--workspace or "
            "LAYER_WORKSPACE_ID): balance, usage, overage and access."
        ),
    )
    usage.set_defaults(run=run_usage)

    workspaces = commands.add_parser(
        "workspaces",
        help="list your workspaces and their ids",
        description="List the workspaces the token's user belongs to.",
    )
    workspaces.set_defaults(run=run_workspaces)


def run_styles(args: argparse.Namespace, context: Context) -> int:
    with context.client() as layer:
        styles = list(
            layer.list_styles(
                status=args.status, visibility=args.visibility, featured=args.featured
            )
        )
    rows = [
        [
            style.id,
            style.status.value,
            style.type_.value,
            style.modality.value,
            style.name or style.slug,
        ]
        for style in styles
    ]
    text = (
        format_table(["ID", "STATUS", "TYPE", "MODALITY", "NAME"], rows)
        if rows
        else "No styles match."
    )
    context.output.result([model_json(style) for style in styles], text)
    return OK


def run_usage(args: argparse.Namespace, context: Context) -> int:
    with context.client() as layer:
        workspace = context.require_workspace(layer)
        entitlement = layer.get_usage(workspace)
    data = {"workspace_id": workspace, **model_json(entitlement)}
    text = "\n".join(
        [
            f"workspace  {workspace}",
            f"balance    {entitlement.balance:g} credits",
            f"usage      {entitlement.usage:g} credits",
            f"overage    {entitlement.overage:g} credits",
            f"access     {'yes' if entitlement.has_access else 'no'}",
        ]
    )
    context.output.result(data, text)
    return OK


def run_workspaces(args: argparse.Namespace, context: Context) -> int:
    with context.client() as layer:
        memberships = layer.list_workspaces()
    rows = [
        [
            membership.workspace.id,
            membership.workspace.name,
            membership.workspace.display_name,
            membership.role.value,
            membership.status.value,
        ]
        for membership in memberships
    ]
    text = (
        format_table(["WORKSPACE ID", "NAME", "DISPLAY NAME", "ROLE", "STATUS"], rows)
        if rows
        else "The token's user belongs to no workspace."
    )
    context.output.result([model_json(m) for m in memberships], text)
    return OK
