"""The commands that make images: `generate`, `wait` and `download`."""

from __future__ import annotations

import argparse
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..client import LayerClient
from ..downloads import prepare_out_dir
from ..errors import (
    DownloadError,
    GenerationError,
    GenerationTimeoutError,
    LayerInputError,
    NotFoundError,
)
from ..polling import raise_for_status
from ..results import Inference, found_inference
from ..validation import build_generate_input
from .arguments import Commands, positive_float, positive_int, whole_number
from .context import Context
from .exit_codes import GENERATION_FAILED, OK, error_message
from .output import model_json

DEFAULT_TIMEOUT_HELP = "default: 120"

GENERATE_EPILOG = """\
The options and --out are checked before the first request, so a mistake
costs no request and no credits.

exit status: 2 when a number is malformed or, where it must be above 0, is
not (the command line checks this for every command); 5 when a value is
beyond a limit of the API or of Layer's documentation (a --batch-size above
16, a --seed outside the signed 64-bit range, a prompt over 100,000
characters) or --out is a file; `layer-client --help` lists the others."""

SUBMISSION_INTERRUPTED = (
    "the submission was interrupted after its request was sent, so an "
    "inference may exist and may be charged: check the balance with "
    "`layer-client usage` before submitting again (layer-client cannot list "
    "recent inferences)"
)


def register(commands: Commands) -> None:
    """Add generate, wait and download to the subparsers action commands."""
    generate = commands.add_parser(
        "generate",
        help="generate images from a style and save them",
        description=(
            "Check the style and the workspace's credits, submit a generation, "
            "wait for it with a progress display, save every file into --out "
            "and print the saved paths."
        ),
        epilog=GENERATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    generate.add_argument(
        "--style", required=True, metavar="ID", help="id of a COMPLETE style"
    )
    generate.add_argument("--prompt", metavar="TEXT", help="text prompt")
    generate.add_argument(
        "--out",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="directory to save the files into, created if missing (default: .)",
    )
    generate.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        help="number of images, 1 to 16 (default: left to the API)",
    )
    generate.add_argument(
        "--seed",
        type=whole_number,
        metavar="N",
        help="random seed, a signed 64-bit integer (default: chosen by the API)",
    )
    generate.add_argument(
        "--width", type=positive_int, metavar="PX", help="image width in pixels"
    )
    generate.add_argument(
        "--height", type=positive_int, metavar="PX", help="image height in pixels"
    )
    generate.add_argument(
        "--steps",
        type=positive_int,
        metavar="N",
        help="number of inference (denoising) steps",
    )
    generate.add_argument(
        "--guidance",
        type=positive_float,
        metavar="X",
        help="guidance scale: how closely to follow the prompt",
    )
    add_timeout_option(generate, "for the generation to finish")
    generate.set_defaults(run=run_generate)

    wait = commands.add_parser(
        "wait",
        help="wait for inferences to finish",
        description=(
            "Poll the inferences until each one ends and print its status as "
            "it does. Resumes a `generate` that timed out."
        ),
    )
    wait.add_argument("inference_ids", nargs="+", metavar="ID", help="inference id")
    add_timeout_option(wait, "for every inference to finish")
    wait.set_defaults(run=run_wait)

    download = commands.add_parser(
        "download",
        help="save the files of a COMPLETE inference",
        description=(
            "Fetch the inference and save its files as <id>-<n>.<ext> into "
            "--out. The inference must be COMPLETE: run `layer-client wait ID` "
            "first when it is still running. Complete files already there are "
            "kept."
        ),
    )
    download.add_argument("inference_id", metavar="ID", help="inference id")
    download.add_argument(
        "--out",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="directory to save the files into, created if missing (default: .)",
    )
    download.set_defaults(run=run_download)


def add_timeout_option(parser: argparse.ArgumentParser, purpose: str) -> None:
    parser.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        help=f"seconds to wait {purpose} ({DEFAULT_TIMEOUT_HELP})",
    )


def run_generate(args: argparse.Namespace, context: Context) -> int:
    arguments = _generation_arguments(args)
    with context.client() as layer:
        workspace = context.require_workspace(layer)
        # Every argument and the output directory are checked before the
        # first request, so a mistake costs no credits and no request.
        build_generate_input(
            workspace_id=workspace,
            documented_limits=layer.documented_limits,
            **arguments,
        )
        out_dir = prepare_out_dir(args.out)

        reporter = context.reporter
        if layer.checks_styles:
            with reporter.step(f"Checking style {args.style}"):
                layer.check_style(args.style)
        with reporter.step("Checking the workspace's credits"):
            layer.check_credits(workspace)

        what = _images(args.batch_size) if args.batch_size else "a generation"
        try:
            with reporter.step(f"Submitting {what} with style {args.style}"):
                inference = layer.generate_images(workspace_id=workspace, **arguments)
        except KeyboardInterrupt:
            context.output.notice(SUBMISSION_INTERRUPTED)
            raise

        download_command = _download_command(inference.id, out_dir)
        try:
            with reporter.step(
                f"Generating (inference {inference.id})",
                expected_seconds=_seconds_until(inference.eta_at),
            ):
                finished = layer.wait(inference, timeout=args.timeout)
            with reporter.step(f"Downloading {_files(len(finished.files))}"):
                paths = layer.download(finished, out_dir)
        except KeyboardInterrupt:
            context.output.notice(
                f"inference {inference.id} keeps running: resume with "
                f"`layer-client wait {inference.id}`, then `{download_command}`"
            )
            raise
        except GenerationTimeoutError:
            context.hint = f"Then save its files with `{download_command}`."
            raise
        except DownloadError:
            context.hint = (
                "The inference is COMPLETE: save its files again with "
                f"`{download_command}`."
            )
            raise

    context.output.result(
        {"inference": model_json(finished), "paths": [str(p) for p in paths]},
        "\n".join(str(path) for path in paths),
    )
    return OK


def _generation_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """Return the options of `generate` as arguments of generate_images."""
    return {
        "style_id": args.style,
        "prompt": args.prompt,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "width": args.width,
        "height": args.height,
        "num_inference_steps": args.steps,
        "guidance_scale": args.guidance,
    }


def run_wait(args: argparse.Namespace, context: Context) -> int:
    finished: list[Inference] = []
    count = len(args.inference_ids)
    with context.client() as layer:
        try:
            with context.reporter.step(f"Waiting for {_inferences(count)}"):
                for inference in layer.wait_many(
                    args.inference_ids, timeout=args.timeout
                ):
                    finished.append(inference)
                    context.output.line(_status_line(inference))
        except (GenerationTimeoutError, NotFoundError):
            # The inferences that ended before the error, for scripts.
            context.error_details["inferences"] = [model_json(i) for i in finished]
            raise

    context.output.result({"inferences": [model_json(i) for i in finished]}, None)
    failed = _report_failures(finished, context)
    return GENERATION_FAILED if failed else OK


def run_download(args: argparse.Namespace, context: Context) -> int:
    with context.client() as layer:
        out_dir = prepare_out_dir(args.out)
        inference = fetch_inference(layer, args.inference_id)
        raise_for_status(inference)
        if inference.status.value != "COMPLETE":
            raise LayerInputError(
                f"Inference {inference.id} is {inference.status.value}, not "
                f"COMPLETE yet: run `layer-client wait {inference.id}` first",
                field="inference_id",
            )
        with context.reporter.step(f"Downloading {_files(len(inference.files))}"):
            paths = layer.download(inference, out_dir)

    context.output.result(
        {"inference": model_json(inference), "paths": [str(p) for p in paths]},
        "\n".join(str(path) for path in paths),
    )
    return OK


def fetch_inference(layer: LayerClient, inference_id: str) -> Inference:
    """Return one inference by id; raise NotFoundError when the API has none.

    The error is the library's own, as `LayerClient.download` raises it.
    """
    return found_inference(layer.get_inferences([inference_id]), inference_id)


def _report_failures(finished: list[Inference], context: Context) -> bool:
    """Print one error line per inference that did not complete."""
    failed = False
    for inference in finished:
        try:
            raise_for_status(inference)
        except GenerationError as error:
            context.output.error(error_message(error))
            failed = True
    return failed


def _download_command(inference_id: str, out_dir: Path) -> str:
    return shlex.join(["layer-client", "download", inference_id, "--out", str(out_dir)])


def _status_line(inference: Inference) -> str:
    status = inference.status.value
    if status == "COMPLETE":
        return f"{inference.id}  {status}  {_files(len(inference.files))}"
    if inference.error_code is not None:
        return f"{inference.id}  {status}  {inference.error_code.value}"
    return f"{inference.id}  {status}"


def _seconds_until(moment: datetime | None) -> float | None:
    """Return the seconds from now until moment, or None when past or unknown."""
    if moment is None or moment.tzinfo is None:
        return None
    seconds = (moment - datetime.now(UTC)).total_seconds()
    return seconds if seconds > 0 else None


def _images(count: int) -> str:
    return f"{count} image" if count == 1 else f"{count} images"


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def _inferences(count: int) -> str:
    return f"{count} inference" if count == 1 else f"{count} inferences"
