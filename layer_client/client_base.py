"""State and pure steps shared by LayerClient and AsyncLayerClient."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import httpx
from layer_graphql import (
    DeleteInferenceInput,
    GetStyleByIdInput,
    GetUserMembershipsInput,
    GetWorkspaceUsageInput,
    ListStylesInput,
    ObjectVisibility,
    StyleStatus,
)

from .config import PollingConfig, RetryConfig, Settings, resolve_settings
from .errors import InsufficientCreditsError, LayerInputError
from .polling import Poller
from .results import Entitlement, Inference
from .validation import (
    MAX_IDS_PER_REQUEST,
    check_enum_values,
    check_timeout,
    optional_bool,
    optional_int,
    require_id,
    require_ids,
)

logger = logging.getLogger("layer_client")

USER_AGENT = "layer-client/0.1.0"


def utc_now() -> datetime:
    return datetime.now(UTC)


class ClientBase:
    """Settings, clocks and the request inputs common to both clients."""

    def __init__(
        self,
        api_key: str | None,
        *,
        workspace_id: str | None,
        api_url: str | None,
        timeout: httpx.Timeout | float | None,
        polling: PollingConfig | None,
        retry: RetryConfig | None,
        check_style: bool,
        documented_limits: bool,
        clock: Callable[[], float] | None,
        wall_clock: Callable[[], datetime] | None,
        rng: random.Random | None,
    ) -> None:
        self._settings: Settings = resolve_settings(
            api_key=api_key,
            workspace_id=workspace_id,
            api_url=api_url,
            timeout=timeout,
            polling=polling,
            retry=retry,
        )
        self._check_style_enabled = check_style
        self._documented_limits = documented_limits
        self._clock = clock or time.monotonic
        self._wall_clock = wall_clock or utc_now
        self._rng = rng or random.Random()
        # Style ids that passed the style check, so it runs once per style.
        self._usable_styles: set[str] = set()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_url={self._settings.api_url!r}, "
            f"workspace_id={self._settings.workspace_id!r})"
        )

    @property
    def settings(self) -> Settings:
        """The resolved settings; the API key is left out of its repr."""
        return self._settings

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._settings.api_key}",
            "User-Agent": USER_AGENT,
        }

    @staticmethod
    def _list_styles_input(
        status: object,
        visibility: object,
        featured: object,
        page_size: object,
    ) -> ListStylesInput:
        fields: dict[str, object] = {
            "first": optional_int("page_size", page_size, minimum=1, maximum=100)
        }
        statuses = check_enum_values("status", status, StyleStatus)
        if statuses is not None:
            fields["status"] = statuses
        visibilities = check_enum_values("visibility", visibility, ObjectVisibility)
        if visibilities is not None:
            fields["visibility"] = visibilities
        is_featured = optional_bool("featured", featured)
        if is_featured is not None:
            fields["is_featured"] = is_featured
        return ListStylesInput.model_validate(fields)

    @staticmethod
    def _style_input(style_id: object) -> GetStyleByIdInput:
        return GetStyleByIdInput(style_id=require_id("style_id", style_id))

    def _usage_input(self, workspace_id: str | None) -> GetWorkspaceUsageInput:
        workspace = self._settings.require_workspace_id(workspace_id)
        return GetWorkspaceUsageInput(workspace_id=workspace, filtering=[])

    @staticmethod
    def _memberships_input(after: str | None) -> GetUserMembershipsInput:
        return GetUserMembershipsInput(first=50, after=after)

    @property
    def checks_styles(self) -> bool:
        """True when generate_images checks the style before submitting."""
        return self._check_style_enabled

    @property
    def documented_limits(self) -> bool:
        """True when the limits of Layer's REST docs are checked client-side."""
        return self._documented_limits

    @staticmethod
    def _id_chunks(inference_ids: Iterable[str]) -> list[list[str]]:
        """Check ids and split them into one list per getInferencesById request."""
        ids = require_ids("inference_ids", inference_ids)
        return [
            ids[start : start + MAX_IDS_PER_REQUEST]
            for start in range(0, len(ids), MAX_IDS_PER_REQUEST)
        ]

    @staticmethod
    def _delete_input(inference_id: object) -> DeleteInferenceInput:
        return DeleteInferenceInput(
            inference_id=require_id("inference_id", inference_id)
        )

    def _poller(
        self,
        inferences: Iterable[str | Inference] | str | Inference,
        timeout: float | None,
    ) -> Poller:
        """Check the arguments of a wait and start its polling state."""
        ids, known = self._wait_targets(inferences)
        return Poller(
            ids,
            known,
            budget=check_timeout(timeout, self._settings.polling.timeout),
            config=self._settings.polling,
            clock=self._clock,
            wall_clock=self._wall_clock,
            rng=self._rng,
        )

    @staticmethod
    def _wait_targets(
        inferences: Iterable[str | Inference] | str | Inference,
    ) -> tuple[list[str], dict[str, Inference]]:
        """Split wait arguments into ids and the inference objects given."""
        if isinstance(inferences, str | Inference):
            inferences = [inferences]
        if not isinstance(inferences, Iterable):
            raise LayerInputError(
                f"Invalid inference ids {inferences!r}: expected an id, an "
                "Inference, or a list of them",
                field="inference_ids",
            )
        known: dict[str, Inference] = {}
        raw: list[object] = []
        for item in inferences:
            if isinstance(item, Inference):
                known[item.id] = item
                raw.append(item.id)
            else:
                raw.append(item)
        return require_ids("inference_ids", raw), known

    @staticmethod
    def _check_credits(entitlement: Entitlement, workspace_id: str) -> None:
        """Raise InsufficientCreditsError when the workspace cannot generate."""
        # NOTE: the price of a generation is not in the schema, so only a
        # workspace without access or with nothing left is stopped here. The
        # API still returns PAYMENT_REQUIRED_ERROR when the balance is short.
        if not entitlement.has_access:
            raise InsufficientCreditsError(
                f"Workspace {workspace_id} has no access to generation; check "
                "its plan in the Layer app",
                balance=entitlement.balance,
            )
        if entitlement.balance <= 0:
            raise InsufficientCreditsError(
                f"Workspace {workspace_id} has no credits left (balance "
                f"{entitlement.balance:g}); top up before generating",
                balance=entitlement.balance,
            )
