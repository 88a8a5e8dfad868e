"""In-memory state of one emulator: workspace, styles, inferences, files.

Inferences change status lazily: every read compares the emulated clock
with the inference's end time and finishes it then, so no background task
runs. The servers call these methods from their thread and tests call them
from theirs; one re-entrant lock guards the data.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from .catalog import seed_styles, slugify
from .clock import Clock
from .config import EmulatorConfig
from .counters import Counters
from .generation import (
    NO_STYLE_MESSAGE,
    GenerationRequest,
    check_request,
    check_style,
    new_inference,
)
from .images import ImageStore
from .models import (
    INFERENCE_ERROR_CODES,
    INFERENCE_STATUSES,
    STYLE_STATUSES,
    STYLE_TYPES,
    ApiError,
    Entitlement,
    ErrorType,
    Inference,
    Style,
    User,
    Workspace,
    WorkspaceMembership,
    WorkspaceUsage,
)

__all__ = ["EmulatorState"]

logger = logging.getLogger("layer_client.emulator")


def _require(value: str, allowed: frozenset[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; known: {sorted(allowed)}")


class EmulatorState:
    """Everything the emulated API stores, with methods to read and change it."""

    def __init__(
        self, config: EmulatorConfig, clock: Clock, counters: Counters
    ) -> None:
        self.config = config
        self.clock = clock
        self.counters = counters
        self.has_access = True
        """`entitlement.hasAccess` of the workspace."""

        self._lock = threading.RLock()
        self._rng = random.Random(f"layer-emulator-state:{config.seed}")
        self._balance = float(config.balance)
        self._usage = 0.0
        self.workspace = Workspace(
            id=config.workspace_id,
            name=config.workspace_name,
            display_name=config.workspace_display_name,
        )
        self.user = User(
            id="usr_emulator",
            name="Emulator User",
            email="emulator@example.com",
            membership_list=[
                WorkspaceMembership(id="mem_emulator", workspace=self.workspace)
            ],
        )
        start = clock.now() - timedelta(days=30)
        self._styles = {
            style.id: style
            for style in seed_styles(config.style_count, self.workspace, start)
        }
        self._inferences: dict[str, Inference] = {}
        self._image_store = ImageStore(clock)

    @property
    def files_url(self) -> str:
        """Origin of file URLs, set by the server once its port is known."""
        return self._image_store.files_url

    @files_url.setter
    def files_url(self, origin: str) -> None:
        self._image_store.files_url = origin

    # Workspace and credits

    @property
    def workspace_id(self) -> str:
        """Id of the emulated workspace."""
        return self.workspace.id

    @property
    def balance(self) -> float:
        """Credits left in the workspace."""
        with self._lock:
            return self._balance

    def set_balance(self, balance: float) -> None:
        """Set the credits balance, e.g. to 0 to test PAYMENT_REQUIRED_ERROR."""
        if balance < 0:
            raise ValueError(f"balance must be >= 0, got {balance!r}")
        with self._lock:
            self._balance = float(balance)

    def check_workspace(self, workspace_id: str) -> ApiError | None:
        """Return the error for a workspace the token cannot use, or None."""
        if workspace_id == self.workspace.id:
            return None
        if workspace_id in self.config.forbidden_workspace_ids:
            return ApiError.of(
                ErrorType.FORBIDDEN,
                f"You do not have access to workspace {workspace_id}",
            )
        return ApiError.of(ErrorType.NOT_FOUND, f"Workspace {workspace_id} not found")

    def workspace_usage(self, workspace_id: str) -> WorkspaceUsage | ApiError:
        """Return the usage of a workspace, or the error for another one."""
        error = self.check_workspace(workspace_id)
        if error is not None:
            return error
        with self._lock:
            entitlement = Entitlement(
                balance=self._balance,
                has_access=self.has_access,
                overage=0.0,
                usage=self._usage,
            )
        return WorkspaceUsage(workspace_id=workspace_id, entitlement=entitlement)

    # Styles

    def styles(self) -> list[Style]:
        """Return every style, in listing order."""
        with self._lock:
            return list(self._styles.values())

    def list_styles(
        self,
        *,
        status: Sequence[str] | None = None,
        visibility: Sequence[str] | None = None,
        is_featured: bool | None = None,
        topics: Sequence[str] | None = None,
    ) -> list[Style]:
        """Return the styles that pass every filter given.

        An empty or missing list does not filter; `topics` matches a style
        that has any of the topics.
        """
        selected = []
        for style in self.styles():
            if status and style.status not in status:
                continue
            if visibility and style.visibility not in visibility:
                continue
            if is_featured is not None and style.is_featured != is_featured:
                continue
            if topics and not set(topics) & set(style.topics):
                continue
            selected.append(style)
        return selected

    def get_style(self, style_id: str) -> Style | None:
        """Return a style by id, or None."""
        with self._lock:
            return self._styles.get(style_id)

    def add_style(
        self,
        name: str,
        *,
        style_id: str | None = None,
        status: str = "COMPLETE",
        type: str = "LAYER_TRAINED_CHECKPOINT",
        visibility: str = "PRIVATE",
        is_featured: bool = False,
        topics: Sequence[str] = (),
        modality: str = "IMAGE",
        can_forge_from: str = "YES",
        fails_generation: bool = False,
    ) -> Style:
        """Add a style at the end of the listing and return it."""
        _require(status, STYLE_STATUSES, "style status")
        _require(type, STYLE_TYPES, "style type")
        with self._lock:
            new_id = style_id or f"sty_added_{len(self._styles) + 1:04d}"
            if new_id in self._styles:
                raise ValueError(f"a style with id {new_id!r} already exists")
            style = Style(
                id=new_id,
                name=name,
                slug=slugify(name),
                status=status,
                type=type,
                workspace=self.workspace,
                modality=modality,
                visibility=visibility,
                is_featured=is_featured,
                created_at=self.clock.now(),
                can_forge_from=can_forge_from,
                topics=tuple(topics),
                fails_generation=fails_generation,
            )
            self._styles[new_id] = style
        return style

    def set_style_status(self, style_id: str, status: str) -> Style:
        """Change a style's status, e.g. BUILDING to COMPLETE."""
        _require(status, STYLE_STATUSES, "style status")
        with self._lock:
            style = self._styles.get(style_id)
            if style is None:
                raise KeyError(f"no style with id {style_id!r}")
            style.status = status
        return style

    def usable_style_ids(self) -> list[str]:
        """Ids of the styles that `generateImages` accepts."""
        return [
            style.id for style in self.styles() if check_style(style.id, style) is None
        ]

    # Inferences

    def submit(self, request: GenerationRequest) -> Inference | ApiError:
        """Apply one `generateImages` call: check it, charge it, start it."""
        error = self.check_workspace(request.workspace_id)
        if error is not None:
            return error
        style = self.get_style(request.style_id) if request.style_id else None
        error = check_style(request.style_id, style) or check_request(
            request, self.config
        )
        if error is not None:
            return error
        if style is None:  # check_style has already reported a missing style
            return ApiError.of(ErrorType.BAD_REQUEST, NO_STYLE_MESSAGE)

        batch_size = request.batch_size or 1
        charge = self.config.price_per_image * batch_size
        with self._lock:
            now = self.clock.now()
            running = self._count_in_progress()
            if running >= self.config.max_concurrent_inferences:
                return ApiError.of(
                    ErrorType.RATE_LIMITED,
                    f"Too many concurrent generations: {running} are running and "
                    f"the limit is {self.config.max_concurrent_inferences} per "
                    "workspace. Wait for one to finish.",
                )
            if self._balance < charge:
                return ApiError.of(
                    ErrorType.PAYMENT_REQUIRED,
                    f"Insufficient credits: this generation costs {charge:g} and "
                    f"the balance is {self._balance:g}",
                    data={"balance": self._balance, "required": charge},
                )
            self._balance -= charge
            self._usage += charge
            inference = self._create(request, style, batch_size, now)
            self.counters.record_generation(charge)
            self._refresh(inference)
        logger.debug(
            "inference %s started with style %s, %d image(s), charged %g",
            inference.id,
            style.id,
            batch_size,
            charge,
        )
        return inference

    def _create(
        self, request: GenerationRequest, style: Style, batch_size: int, now: datetime
    ) -> Inference:
        # Ids come from the system's randomness, not the seed: a restarted
        # emulator must not reuse ids whose files a client saved already.
        inference_id = f"inf_{secrets.token_hex(6)}"
        while inference_id in self._inferences:
            inference_id = f"inf_{secrets.token_hex(6)}"
        inference = new_inference(
            request,
            style,
            self.workspace,
            inference_id=inference_id,
            batch_size=batch_size,
            now=now,
            report=self.clock.reported,
            rng=self._rng,
            config=self.config,
        )
        self._inferences[inference_id] = inference
        return inference

    def get_inference(self, inference_id: str) -> Inference | None:
        """Return an inference by id, brought up to the current emulated time."""
        with self._lock:
            inference = self._inferences.get(inference_id)
            if inference is not None:
                self._refresh(inference)
            return inference

    def get_inferences(self, inference_ids: Iterable[str]) -> list[Inference]:
        """Return the known inferences among `inference_ids`, in request order."""
        found = (self.get_inference(inference_id) for inference_id in inference_ids)
        return [inference for inference in found if inference is not None]

    def inferences(self) -> list[Inference]:
        """Return every inference, oldest first, brought up to the current time."""
        with self._lock:
            for inference in self._inferences.values():
                self._refresh(inference)
            return list(self._inferences.values())

    def in_progress_count(self) -> int:
        """Number of IN_PROGRESS inferences at the current emulated time."""
        with self._lock:
            return self._count_in_progress()

    def _count_in_progress(self) -> int:
        count = 0
        for inference in self._inferences.values():
            self._refresh(inference)
            if inference.status == "IN_PROGRESS":
                count += 1
        return count

    def delete_inference(self, inference_id: str) -> ApiError | None:
        """Mark an inference DELETED; return NOT_FOUND_ERROR for an unknown id."""
        with self._lock:
            inference = self._inferences.get(inference_id)
            if inference is None:
                return ApiError.of(
                    ErrorType.NOT_FOUND, f"Inference {inference_id} not found"
                )
            inference.status = "DELETED"
            inference.completes_at = None
            for file in inference.files:
                file.status = "DELETED"
        logger.debug("inference %s deleted", inference_id)
        return None

    def force_inference_status(
        self, inference_id: str, status: str, *, error_code: str | None = None
    ) -> Inference:
        """Set an inference's status and keep it there.

        COMPLETE adds the files if the run had none yet. IN_PROGRESS keeps
        the run going until the status is forced again. FAILED takes `error_code`.
        """
        _require(status, INFERENCE_STATUSES, "inference status")
        if error_code is not None:
            _require(error_code, INFERENCE_ERROR_CODES, "inference error code")
        with self._lock:
            inference = self._inferences.get(inference_id)
            if inference is None:
                raise KeyError(f"no inference with id {inference_id!r}")
            inference.completes_at = None
            inference.status = status
            inference.error_code = error_code
            if status == "COMPLETE" and not inference.files:
                self._image_store.add_files(inference)
            if status in ("DELETED", "CANCELLED"):
                for file in inference.files:
                    file.status = "DELETED"
        return inference

    def _refresh(self, inference: Inference) -> None:
        """Finish the inference if its end time has passed."""
        if inference.status != "IN_PROGRESS" or inference.completes_at is None:
            return
        if self.clock.now() < inference.completes_at:
            return
        inference.completes_at = None
        if inference.failure_code is not None:
            inference.status = "FAILED"
            inference.error_code = inference.failure_code
            logger.debug("inference %s failed: %s", inference.id, inference.error_code)
            return
        self._image_store.add_files(inference)
        inference.status = "COMPLETE"
        logger.debug("inference %s complete", inference.id)

    # Files

    def file_content(self, file_id: str, *, preview: bool = False) -> bytes | None:
        """Return the PNG bytes of a file or its preview, or None when unavailable."""
        with self._lock:
            return self._image_store.content(file_id, preview=preview)
