"""Python objects behind the GraphQL types the emulator serves.

Attribute names are the schema's field names in snake_case: the default
field resolver maps `etaAt` to `eta_at`. A schema field without a matching
attribute is reported as not emulated. `typename` names the GraphQL object
type, which the union and interface type resolver returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

__all__ = [
    "ApiError",
    "Connection",
    "Edge",
    "Entitlement",
    "ErrorType",
    "File",
    "Inference",
    "InferencesResult",
    "PageInfo",
    "Style",
    "UsageChart",
    "User",
    "Workspace",
    "WorkspaceMembership",
    "WorkspaceUsage",
]


# Values of the schema enums that tests may set through EmulatorState.
INFERENCE_STATUSES = frozenset(
    {"IN_PROGRESS", "COMPLETE", "FAILED", "CANCELLED", "DELETED"}
)
INFERENCE_ERROR_CODES = frozenset(
    {
        "CONTENT_POLICY_VIOLATION",
        "IMAGE_TOO_SMALL",
        "IMAGE_TOO_LARGE",
        "INTERNAL_SERVER_ERROR",
        "DOWNSTREAM_SERVICE_ERROR",
    }
)
STYLE_STATUSES = frozenset(
    {
        "DRAFT",
        "INITIALIZING",
        "BUILDING",
        "COMPLETE",
        "FAILED",
        "DELETED",
        "CANCELLED",
        "ARCHIVED",
    }
)
STYLE_TYPES = frozenset(
    {"LAYER_TRAINED_CHECKPOINT", "UPLOADED_CHECKPOINT", "UPLOADED_LORA", "MODEL_URL"}
)


class ErrorType(StrEnum):
    """Values of the schema's `ErrorType` enum."""

    BAD_REQUEST = "BAD_REQUEST_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED_ERROR"
    FORBIDDEN = "FORBIDDEN_ERROR"
    NOT_FOUND = "NOT_FOUND_ERROR"
    RATE_LIMITED = "RATE_LIMITED_ERROR"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED_ERROR"
    INTERNAL_SERVER = "INTERNAL_SERVER_ERROR"


# NOTE: Layer publishes no list of `Error.code` values; these codes and
# titles are the emulator's own.
_CODES_AND_TITLES: dict[ErrorType, tuple[str, str]] = {
    ErrorType.BAD_REQUEST: ("bad_request", "Bad request"),
    ErrorType.UNAUTHORIZED: ("unauthorized", "Unauthorized"),
    ErrorType.FORBIDDEN: ("forbidden", "Forbidden"),
    ErrorType.NOT_FOUND: ("not_found", "Not found"),
    ErrorType.RATE_LIMITED: ("rate_limited", "Too many requests"),
    ErrorType.PAYMENT_REQUIRED: ("payment_required", "Payment required"),
    ErrorType.INTERNAL_SERVER: ("internal_server_error", "Internal server error"),
}


@dataclass
class ApiError:
    """An `Error` union member, the API's way to report a failed operation."""

    typename: ClassVar[str] = "Error"
    type: str
    code: str
    title: str
    message: str
    data: dict[str, Any] | None = None

    @classmethod
    def of(
        cls, error_type: ErrorType, message: str, data: dict[str, Any] | None = None
    ) -> ApiError:
        """Build an error with the code and title that go with `error_type`."""
        code, title = _CODES_AND_TITLES[error_type]
        return cls(
            type=error_type.value, code=code, title=title, message=message, data=data
        )


@dataclass
class Workspace:
    """A workspace: the owner of styles, inferences and the credits balance."""

    typename: ClassVar[str] = "Workspace"
    id: str
    name: str
    display_name: str
    is_my_personal_workspace: bool = False
    is_shared: bool = False


@dataclass
class Style:
    """A style (trained model) that generations use."""

    typename: ClassVar[str] = "Style"
    id: str
    name: str
    slug: str
    status: str
    type: str
    workspace: Workspace | None
    modality: str = "IMAGE"
    visibility: str = "PRIVATE"
    is_featured: bool = False
    description: str | None = None
    created_at: datetime | None = None
    can_forge_from: str = "YES"
    topics: tuple[str, ...] = ()
    """Topics that the `listStyles` filter matches; not a schema field."""
    fails_generation: bool = False
    """Fail every `generateImages` with the INTERNAL_SERVER_ERROR seen on
    MODEL_URL styles; not a schema field."""


@dataclass
class File:
    """A generated image, served by the files origin."""

    typename: ClassVar[str] = "File"
    id: str
    name: str
    status: str
    content_type: str
    url: str
    preview_url: str
    size_bytes: int
    width: int
    height: int
    created_at: datetime
    is_generated: bool = True


@dataclass
class Inference:
    """One `generateImages` run and the files it produced."""

    typename: ClassVar[str] = "Inference"
    id: str
    workspace: Workspace
    created_at: datetime
    eta_at: datetime | None
    status: str
    parameters: dict[str, Any]
    styles: list[Style]
    error_code: str | None = None
    files: list[File] = field(default_factory=list)

    # What the emulator needs to finish the run; not schema fields.
    prompt: str = ""
    seed: int = 0
    width: int = 512
    height: int = 512
    batch_size: int = 1
    completes_at: datetime | None = None
    """When the run ends; None once it has ended or its status was forced."""
    failure_code: str | None = None
    """`errorCode` the run ends with, or None when it completes."""


@dataclass
class PageInfo:
    """Relay `PageInfo`, with the schema's `totalCount` extension."""

    typename: ClassVar[str] = "PageInfo"
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
    total_count: int


@dataclass
class Edge:
    """A Relay edge; `typename` is the schema's edge type, e.g. `StyleEdge`."""

    typename: str
    cursor: str
    node: Any


@dataclass
class Connection:
    """A Relay connection; `typename` is e.g. `StylesConnection`."""

    typename: str
    edges: list[Edge]
    page_info: PageInfo


@dataclass
class WorkspaceMembership:
    """The link between the user and a workspace."""

    typename: ClassVar[str] = "WorkspaceMembership"
    id: str
    workspace: Workspace
    role: str = "ADMIN"
    status: str = "ACTIVE"
    group_roles: list[str] = field(default_factory=list)
    free_seat: bool = False


@dataclass
class User:
    """The user the token belongs to (`getMyUser`)."""

    typename: ClassVar[str] = "User"
    id: str
    name: str
    email: str
    accepted_tos: bool = True
    feature_flags: list[str] = field(default_factory=list)
    membership_list: list[WorkspaceMembership] = field(default_factory=list)
    """Source of the `memberships` connection; not a schema field."""


@dataclass
class Entitlement:
    """`WorkspaceUsageEntitlement`: what the workspace may still spend."""

    typename: ClassVar[str] = "WorkspaceUsageEntitlement"
    balance: float
    has_access: bool
    overage: float
    usage: float


@dataclass
class UsageChart:
    """`WorkspaceUsageForChart`; the emulator keeps no history, so both are empty."""

    typename: ClassVar[str] = "WorkspaceUsageForChart"
    by_date: dict[str, Any] = field(default_factory=dict)
    top: dict[str, Any] = field(default_factory=dict)


@dataclass
class WorkspaceUsage:
    """`WorkspaceUsage`, the result of `getWorkspaceUsage`."""

    typename: ClassVar[str] = "WorkspaceUsage"
    workspace_id: str
    entitlement: Entitlement
    usage: UsageChart = field(default_factory=UsageChart)
    grants: list[Any] = field(default_factory=list)


@dataclass
class InferencesResult:
    """`InferencesResult`, the result of `getInferencesById`."""

    typename: ClassVar[str] = "InferencesResult"
    inferences: list[Inference]
