"""AsyncLayerClient: the asynchronous client."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import aclosing
from datetime import datetime
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from layer_graphql import (
    AsyncLayerGraphQLClient,
    GenerateImagesInput,
    GetInferencesByIdInput,
)

from .calls import Operation, call_async
from .client_base import ClientBase
from .config import PollingConfig, RetryConfig
from .download_async import download_inference_async
from .downloads import prepare_out_dir
from .errors import NotFoundError, RateLimitError, ServerError, TransportError
from .pagination import CursorGuard
from .polling import Poller, raise_for_status
from .results import (
    Entitlement,
    GenerationResult,
    Inference,
    Style,
    StyleDetails,
    WorkspaceMembership,
    check_style_usable,
    entitlement_from,
    error_member,
    found_inference,
    inferences_from,
    memberships_from,
    require_complete,
    style_from,
    style_not_found,
    styles_page,
    submitted_inference,
)
from .validation import build_generate_input, check_timeout, require_style_id

logger = logging.getLogger("layer_client")

T = TypeVar("T")

# Failures of one poll that do not end a wait: polling goes on until the
# wait's own deadline.
TRANSIENT_POLL_ERRORS = (TransportError, ServerError, RateLimitError)


class AsyncLayerClient(ClientBase):
    """Asynchronous client of the Layer GraphQL API; LayerClient's methods as coroutines.

    Settings come from the arguments, else from LAYER_API_KEY,
    LAYER_WORKSPACE_ID and LAYER_API_URL. `clock`, `sleep`, `wall_clock` and
    `rng` exist for tests. Use it with `async with`, or call `aclose()`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        workspace_id: str | None = None,
        api_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        polling: PollingConfig | None = None,
        retry: RetryConfig | None = None,
        http_client: httpx.AsyncClient | None = None,
        check_style: bool = True,
        documented_limits: bool = True,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            api_key,
            workspace_id=workspace_id,
            api_url=api_url,
            timeout=timeout,
            polling=polling,
            retry=retry,
            check_style=check_style,
            documented_limits=documented_limits,
            clock=clock,
            wall_clock=wall_clock,
            rng=rng,
        )
        self._sleep = sleep or asyncio.sleep
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self._settings.timeout)
        self._graphql = AsyncLayerGraphQLClient(
            url=self._settings.api_url, headers=self._headers(), http_client=self._http
        )

    @property
    def graphql(self) -> AsyncLayerGraphQLClient:
        """The generated client, for operations this layer does not wrap."""
        return self._graphql

    async def aclose(self) -> None:
        """Close the pooled HTTP client, unless the caller passed their own."""
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _call(
        self,
        operation: Operation,
        method: Callable[..., Awaitable[T]],
        arguments: dict[str, Any],
        error_of: Callable[[T], object],
        deadline: float | None = None,
    ) -> T:
        """Run one generated method with retries; error_of picks its union field."""
        return await call_async(
            operation,
            lambda timeout: method(**arguments, timeout=timeout),
            lambda result: error_member(error_of(result)),
            config=self._settings.retry,
            request_timeout=self._settings.timeout,
            clock=self._clock,
            sleep=self._sleep,
            rng=self._rng,
            deadline=deadline,
        )

    def list_styles(
        self,
        *,
        status: Iterable[str] | str | None = None,
        visibility: Iterable[str] | str | None = None,
        featured: bool | None = None,
        page_size: int = 50,
    ) -> AsyncIterator[Style]:
        """Yield every style the token can see, following every page."""
        base_input = self._list_styles_input(status, visibility, featured, page_size)
        return self._iterate_styles(base_input)

    async def _iterate_styles(self, base_input: Any) -> AsyncIterator[Style]:
        guard = CursorGuard("ListStyles")
        after: str | None = None
        while True:
            page_input = base_input.model_copy(update={"after": after})
            result = await self._call(
                Operation("ListStyles"),
                self._graphql.list_styles,
                {"input": page_input},
                lambda r: r.list_styles,
            )
            page = styles_page(result)
            styles, after = guard.read_page(page.edges, page.page_info)
            for style in styles:
                yield style
            if after is None:
                return

    async def get_style(self, style_id: str) -> StyleDetails:
        """Return one style by id; NotFoundError when it does not exist."""
        style_input = self._style_input(style_id)
        result = await self._call(
            Operation("GetStyleById"),
            self._graphql.get_style_by_id,
            {"input": style_input},
            lambda r: r.get_style_by_id,
        )
        return style_from(result, style_input.style_id)

    async def get_usage(self, workspace_id: str | None = None) -> Entitlement:
        """Return the workspace's credits: balance, has_access, overage, usage."""
        usage_input = self._usage_input(workspace_id)
        result = await self._call(
            Operation("GetWorkspaceUsage"),
            self._graphql.get_workspace_usage,
            {"input": usage_input},
            lambda r: r.get_workspace_usage,
        )
        return entitlement_from(result)

    async def list_workspaces(self) -> list[WorkspaceMembership]:
        """Return the caller's workspace memberships, to find a workspace id."""
        guard = CursorGuard("ListWorkspaces")
        found: list[WorkspaceMembership] = []
        after: str | None = None
        while True:
            memberships_input = self._memberships_input(after)
            result = await self._call(
                Operation("ListWorkspaces"),
                self._graphql.list_workspaces,
                {"memberships": memberships_input},
                lambda r: r.get_my_user,
            )
            connection = memberships_from(result)
            memberships, after = guard.read_page(connection.edges, connection.page_info)
            found.extend(memberships)
            if after is None:
                return found

    async def generate_images(
        self,
        *,
        style_id: str,
        prompt: str | None = None,
        batch_size: int | None = None,
        seed: int | None = None,
        width: int | None = None,
        height: int | None = None,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        workspace_id: str | None = None,
    ) -> Inference:
        """Submit a generation and return the inference without waiting.

        The submission is retried only when the server cannot have acted; an
        ambiguous failure raises SubmissionUnknownError instead.
        """
        generate_input = build_generate_input(
            workspace_id=self._settings.require_workspace_id(workspace_id),
            style_id=style_id,
            prompt=prompt,
            batch_size=batch_size,
            seed=seed,
            width=width,
            height=height,
            num_inference_steps=num_inference_steps,
            guidance_scale=guidance_scale,
            documented_limits=self._documented_limits,
        )
        return await self._submit(generate_input)

    async def _submit(self, generate_input: GenerateImagesInput) -> Inference:
        if self._check_style_enabled:
            await self.check_style(generate_input.style_id or "")

        result = await self._call(
            Operation("GenerateImages", is_mutation=True),
            self._graphql.generate_images,
            {"input": generate_input},
            lambda r: r.generate_images,
        )
        inference = submitted_inference(result)
        logger.info(
            "submitted inference %s (style %s, status %s)",
            inference.id,
            generate_input.style_id,
            inference.status.value,
        )
        return inference

    async def check_style(self, style_id: str) -> None:
        """Raise StyleNotUsableError unless the style exists and is COMPLETE.

        Passing styles are remembered per client, so each is checked once.
        A MODEL_URL (base model) style passes with a logged warning.
        """
        style_id = require_style_id(style_id)
        if style_id in self._usable_styles:
            return
        try:
            style = await self.get_style(style_id)
        except NotFoundError as exc:
            # An HTTP 404 means a wrong endpoint, not a missing style.
            if exc.status_code is not None:
                raise
            raise style_not_found(style_id) from exc
        for warning in check_style_usable(style):
            logger.warning(warning)
        self._usable_styles.add(style_id)

    async def check_credits(self, workspace_id: str | None = None) -> Entitlement:
        """Return the workspace's credits, or raise InsufficientCreditsError.

        It raises when the workspace has no access or a balance of zero or
        less. Layer does not publish the price of a generation, so a positive
        but short balance is left for the API to reject.
        """
        workspace = self._settings.require_workspace_id(workspace_id)
        entitlement = await self.get_usage(workspace)
        self._check_credits(entitlement, workspace)
        return entitlement

    async def get_inferences(
        self, inference_ids: Iterable[str]
    ) -> dict[str, Inference]:
        """Return the current state of inferences by id, without waiting.

        Ids the API does not know are left out. One request per 50 ids,
        sent together.
        """
        chunks = self._id_chunks(inference_ids)
        deadline = self._clock() + self._settings.retry.deadline
        answers = await asyncio.gather(*(self._fetch(c, deadline) for c in chunks))
        return {key: value for answer in answers for key, value in answer.items()}

    async def _fetch(self, ids: list[str], deadline: float) -> dict[str, Inference]:
        result = await self._call(
            Operation("GetInferencesById"),
            self._graphql.get_inferences_by_id,
            {"input": GetInferencesByIdInput(inference_ids=ids)},
            lambda r: r.get_inferences_by_id,
            deadline=deadline,
        )
        return inferences_from(result)

    async def wait(
        self, inference: str | Inference, *, timeout: float | None = None
    ) -> Inference:
        """Poll until the inference ends and return it when COMPLETE.

        Raises GenerationFailedError (FAILED), GenerationCancelledError
        (CANCELLED, DELETED) or GenerationTimeoutError, whose inference_id
        lets a later wait resume.
        """
        async with aclosing(self.wait_many([inference], timeout=timeout)) as stream:
            async for finished in stream:
                raise_for_status(finished)
                return finished
        raise AssertionError("wait_many ended without a result or an error")

    def wait_many(
        self,
        inferences: Iterable[str | Inference],
        *,
        timeout: float | None = None,
    ) -> AsyncGenerator[Inference, None]:
        """Yield each inference as it ends, in the order they end.

        Every poll round sends one request per 50 pending ids. FAILED and
        CANCELLED inferences are yielded too: check `status`, or call
        `raise_for_status`. The deadline raises GenerationTimeoutError for the
        first pending id, with every pending id in `pending_ids`.
        """
        return self._poll(self._poller(inferences, timeout))

    async def _poll(self, poller: Poller) -> AsyncGenerator[Inference, None]:
        for inference in poller.already_finished():
            yield inference
        while poller.pending:
            # The deadline is checked before sleeping, so the last sleep ends
            # at the deadline with one more poll instead of a blind timeout.
            poller.check_deadline()
            await self._sleep(poller.next_delay())
            # One request per chunk, sent together: a round costs one
            # round trip however many chunks it has.
            chunks = poller.chunks()
            answers = await asyncio.gather(
                *(self._fetch(chunk, poller.deadline) for chunk in chunks),
                return_exceptions=True,
            )
            for chunk, answer in zip(chunks, answers, strict=True):
                if isinstance(answer, TRANSIENT_POLL_ERRORS):
                    poller.record_error(answer)
                    continue
                if isinstance(answer, BaseException):
                    raise answer
                for inference in poller.finished(chunk, answer):
                    yield inference

    async def download(
        self, inference: str | Inference, out_dir: str | PathLike[str]
    ) -> list[Path]:
        """Save every file of a COMPLETE inference into out_dir.

        `inference` is the Inference that wait() returned, or an id to look
        up. Files are named `<inference id>-<n>.<ext>`; complete files
        already there are kept. No token is sent to the file host.
        """
        # An id is looked up first, so a wrong id leaves no empty folder.
        if isinstance(inference, str):
            inference = found_inference(
                await self.get_inferences([inference]), inference
            )
        target = prepare_out_dir(out_dir)
        inference = require_complete(inference)
        return await download_inference_async(
            self._http,
            inference,
            target,
            sleep=self._sleep,
            random=self._rng.random,
        )

    async def generate(
        self,
        *,
        style_id: str,
        prompt: str | None = None,
        out_dir: str | PathLike[str],
        batch_size: int | None = None,
        seed: int | None = None,
        width: int | None = None,
        height: int | None = None,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        workspace_id: str | None = None,
        timeout: float | None = None,
    ) -> GenerationResult:
        """Check the style and credits, submit, wait, and save the files."""
        generate_input = build_generate_input(
            workspace_id=self._settings.require_workspace_id(workspace_id),
            style_id=style_id,
            prompt=prompt,
            batch_size=batch_size,
            seed=seed,
            width=width,
            height=height,
            num_inference_steps=num_inference_steps,
            guidance_scale=guidance_scale,
            documented_limits=self._documented_limits,
        )
        budget = check_timeout(timeout, self._settings.polling.timeout)
        target = prepare_out_dir(out_dir)
        await self.check_credits(generate_input.workspace_id)

        inference = await self._submit(generate_input)
        finished = await self.wait(inference, timeout=budget)
        return GenerationResult(finished, await self.download(finished, target))

    async def delete_inference(self, inference_id: str) -> None:
        """Delete an inference; NotFoundError when it does not exist."""
        delete_input = self._delete_input(inference_id)
        await self._call(
            Operation("DeleteInference"),
            self._graphql.delete_inference,
            {"input": delete_input},
            lambda r: r.delete_inference,
        )
        logger.info("deleted inference %s", delete_input.inference_id)
