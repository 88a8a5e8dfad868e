"""Public result types and the pure handling of generated results.

The results are the generated pydantic models; this module gives the ones
callers meet short names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from layer_graphql import (
    ErrorFields,
    FileFields,
    GenerateImages,
    GetInferencesById,
    GetStyleById,
    GetStyleByIdGetStyleByIdStyle,
    GetWorkspaceUsage,
    GetWorkspaceUsageGetWorkspaceUsageWorkspaceUsageEntitlement,
    InferenceFields,
    ListStyles,
    ListStylesListStylesStylesConnection,
    ListWorkspaces,
    ListWorkspacesGetMyUserUserMemberships,
    ListWorkspacesGetMyUserUserMembershipsEdgesNode,
    StyleCanForgeFromStatus,
    StyleFields,
    StyleStatus,
    StyleType,
)

from .errors import LayerInputError, NotFoundError, StyleNotUsableError

Inference = InferenceFields
"""An inference (one generation request) with its status and files."""
File = FileFields
"""A generated file: URL, content type, size and dimensions."""
Style = StyleFields
"""A style as listed: id, name, slug, status, type and modality."""
StyleDetails = GetStyleByIdGetStyleByIdStyle
"""A style fetched by id, with `can_forge_from` as well."""
Entitlement = GetWorkspaceUsageGetWorkspaceUsageWorkspaceUsageEntitlement
"""The credits of a workspace: balance, has_access, overage and usage."""
WorkspaceMembership = ListWorkspacesGetMyUserUserMembershipsEdgesNode
"""The caller's membership of a workspace: role, status and the workspace."""


@dataclass(frozen=True)
class GenerationResult:
    """A finished generation: the inference and the saved file paths."""

    inference: Inference
    paths: list[Path] = field(default_factory=list)


def error_member(value: object) -> ErrorFields | None:
    """Return value when it is an `Error` union member."""
    return value if isinstance(value, ErrorFields) else None


def styles_page(result: ListStyles) -> ListStylesListStylesStylesConnection:
    page = result.list_styles
    if isinstance(page, ErrorFields):  # handled by the caller's error check
        raise AssertionError("an Error member reached styles_page")
    return page


def style_from(result: GetStyleById, style_id: str) -> StyleDetails:
    style = result.get_style_by_id
    if style is None:
        raise NotFoundError(
            f"Style {style_id!r} was not found", operation="GetStyleById"
        )
    if isinstance(style, ErrorFields):
        raise AssertionError("an Error member reached style_from")
    return style


def style_not_found(style_id: str) -> StyleNotUsableError:
    """Return the error of a style check whose style does not exist."""
    return StyleNotUsableError(
        f"Style {style_id!r} was not found: check the id, or pick one with "
        "`layer-client styles --status COMPLETE`.",
        style_id=style_id,
    )


def check_style_usable(style: StyleDetails) -> list[str]:
    """Raise StyleNotUsableError unless style can generate; return warnings."""
    if style.status is not StyleStatus.COMPLETE:
        raise StyleNotUsableError(
            f"Style {style.id} ({style.name or style.slug}) is "
            f"{style.status.value}, not COMPLETE: only COMPLETE styles can "
            "generate. Pick another with `layer-client styles --status COMPLETE`.",
            style_id=style.id,
            status=style.status.value,
            can_forge_from=style.can_forge_from.value,
        )
    reason = style.can_forge_from
    if reason is not StyleCanForgeFromStatus.YES and not reason.is_unknown:
        raise StyleNotUsableError(
            f"Style {style.id} cannot be used from this workspace: {reason.value}.",
            style_id=style.id,
            status=style.status.value,
            can_forge_from=reason.value,
        )
    warnings = []
    if style.type_ is StyleType.MODEL_URL:
        warnings.append(
            f"Style {style.id} is a MODEL_URL (base model) style; Layer may "
            "restrict generation with base models. Trained styles are more "
            "reliable."
        )
    return warnings


def entitlement_from(result: GetWorkspaceUsage) -> Entitlement:
    usage = result.get_workspace_usage
    if isinstance(usage, ErrorFields):
        raise AssertionError("an Error member reached entitlement_from")
    return usage.entitlement


def inferences_from(result: GetInferencesById) -> dict[str, Inference]:
    """Return the inferences by id; a null result or list counts as empty."""
    found = result.get_inferences_by_id
    if found is None or isinstance(found, ErrorFields):
        return {}
    return {inference.id: inference for inference in found.inferences or []}


def submitted_inference(result: GenerateImages) -> Inference:
    inference = result.generate_images
    if isinstance(inference, ErrorFields):
        raise AssertionError("an Error member reached submitted_inference")
    return inference


def memberships_from(result: ListWorkspaces) -> ListWorkspacesGetMyUserUserMemberships:
    user = result.get_my_user
    if isinstance(user, ErrorFields):
        raise AssertionError("an Error member reached memberships_from")
    return user.memberships


def found_inference(found: dict[str, Inference], inference_id: str) -> Inference:
    """Return one inference of a get_inferences result; NotFoundError if absent."""
    inference = found.get(inference_id.strip())
    if inference is None:
        raise NotFoundError(
            f"Inference {inference_id!r} was not found: check the id",
            operation="GetInferencesById",
            inference_id=inference_id,
        )
    return inference


def require_complete(inference: object) -> Inference:
    """Return inference when it is a COMPLETE Inference; raise otherwise."""
    if not isinstance(inference, Inference):
        raise LayerInputError(
            f"Invalid inference {inference!r}: pass an inference id or the "
            "Inference that wait() returned",
            field="inference",
        )
    if inference.status.value != "COMPLETE":
        raise LayerInputError(
            f"Inference {inference.id} is {inference.status.value}, not COMPLETE: "
            "call wait() before downloading its files",
            field="inference",
        )
    return inference
