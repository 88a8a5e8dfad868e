"""Exit statuses of `layer-client` and the one-line message of each error."""

from __future__ import annotations

from ..errors import (
    AuthenticationError,
    BadRequestError,
    GenerationCancelledError,
    GenerationFailedError,
    GenerationTimeoutError,
    InsufficientCreditsError,
    LayerError,
    LayerInputError,
    NotFoundError,
    PermissionDeniedError,
)

OK = 0
# Reserved for a crash: an exception that is not a LayerError is a bug.
UNEXPECTED = 1
USAGE = 2
AUTHENTICATION = 3
INSUFFICIENT_CREDITS = 4
INVALID_INPUT = 5
GENERATION_FAILED = 6
TIMEOUT = 7
API_ERROR = 8
INTERRUPTED = 130

EXIT_STATUS_HELP = """\
exit status:
  0    success
  2    usage error: unknown command or option, a malformed value, or a
       number that must be above 0 and is not
  3    authentication failed: LAYER_API_KEY missing, invalid or without access
  4    insufficient credits in the workspace
  5    invalid input: a value beyond a limit of the API or of Layer's
       documentation (such as --batch-size 17), rejected by the client's
       checks or by the API, a style that is not COMPLETE, or an id that
       does not exist
  6    the generation ended FAILED, CANCELLED or DELETED
  7    timed out while waiting; `layer-client wait ID` resumes
  8    any other API or network error
  130  interrupted (Ctrl-C)
`schema` and `emulator` return the exit status of their own tool."""


def exit_code_for(error: LayerError) -> int:
    """Return the exit status for error."""
    if isinstance(error, LayerInputError) and error.field == "api_key":
        return AUTHENTICATION
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return AUTHENTICATION
    if isinstance(error, InsufficientCreditsError):
        return INSUFFICIENT_CREDITS
    if isinstance(error, LayerInputError | BadRequestError | NotFoundError):
        return INVALID_INPUT
    if isinstance(error, GenerationFailedError | GenerationCancelledError):
        return GENERATION_FAILED
    if isinstance(error, GenerationTimeoutError):
        return TIMEOUT
    return API_ERROR


def error_message(error: LayerError) -> str:
    """Return the message printed for error: one line, with what to do next."""
    if isinstance(error, GenerationTimeoutError):
        waiting = " ".join(error.pending_ids or [error.inference_id or ""])
        status = error.last_status or "never seen"
        text = (
            f"Timed out waiting for inference {error.inference_id} (last status: "
            f"{status}). It may still complete: resume with "
            f"`layer-client wait {waiting}`."
        )
    else:
        text = str(error)
    return " ".join(text.split())
