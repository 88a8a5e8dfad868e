"""`make demo`: generate two images from a style against the local emulator.

Starts the emulator in this process on free loopback ports, lists its
styles with `layer-client styles`, then runs `layer-client generate` as a
separate process, exactly as a user would, with LAYER_API_URL,
LAYER_API_KEY and LAYER_WORKSPACE_ID pointing at the emulator. The PNG files
land in demo-output/. Nothing leaves the machine.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .client import LayerClient
from .emulator import Emulator, EmulatorConfig

OUT_DIR = Path("demo-output")
PROMPT = "a lighthouse on a cliff at dusk"
BATCH_SIZE = 2
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A generation takes 5 to 15 emulated seconds. At 5 times the wall clock's
# speed that is 1 to 3 s, long enough to watch the progress display.
DEMO_EMULATOR = EmulatorConfig(min_duration=5.0, max_duration=15.0, speed=5.0)


def cli_command() -> list[str]:
    """Return the command that runs `layer-client` from this environment."""
    script = Path(sys.executable).with_name("layer-client")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "layer_client.cli"]


def run_cli(
    arguments: Sequence[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run layer-client, echoing the command; stderr goes to the terminal."""
    command = [*cli_command(), *arguments]
    print(f"\n$ layer-client {shlex.join(arguments)}", flush=True)
    result = subprocess.run(
        command, env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    print(result.stdout, end="", flush=True)
    return result


def pick_style(emulator: Emulator) -> str:
    """Return the id of the first COMPLETE trained style."""
    with LayerClient(
        emulator.token, workspace_id=emulator.workspace_id, api_url=emulator.url
    ) as layer:
        for style in layer.list_styles():
            if (
                style.status.value == "COMPLETE"
                and style.type_.value == "LAYER_TRAINED_CHECKPOINT"
            ):
                return style.id
    raise RuntimeError("the emulator has no COMPLETE trained style")


def check_pngs(paths: list[Path]) -> list[str]:
    """Return a problem for each path that is missing or not a PNG file."""
    problems = []
    for path in paths:
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif path.read_bytes()[: len(PNG_SIGNATURE)] != PNG_SIGNATURE:
            problems.append(f"{path} is not a PNG file")
    return problems


def main() -> int:
    """Run the demo; return 0 when the images were generated and saved."""
    print("Starting the local Layer emulator on 127.0.0.1 ...", flush=True)
    with Emulator(DEMO_EMULATOR) as emulator:
        print(f"  API URL:   {emulator.url}")
        print(f"  token:     {emulator.token}")
        print(f"  workspace: {emulator.workspace_id}")
        env = {**os.environ, **emulator.environ}

        listed = run_cli(["styles"], env)
        if listed.returncode != 0:
            print(f"\nlayer-client styles failed with exit status {listed.returncode}")
            return listed.returncode

        style_id = pick_style(emulator)
        generated = run_cli(
            [
                "generate",
                "--style",
                style_id,
                "--prompt",
                PROMPT,
                "--batch-size",
                str(BATCH_SIZE),
                "--out",
                str(OUT_DIR),
            ],
            env,
        )
        if generated.returncode != 0:
            print(
                f"\nlayer-client generate failed with exit status {generated.returncode}"
            )
            return generated.returncode
    print("\nThe emulator stopped.")

    paths = [Path(line) for line in generated.stdout.splitlines() if line.strip()]
    problems = check_pngs(paths)
    if len(paths) != BATCH_SIZE:
        problems.append(f"expected {BATCH_SIZE} files, got {len(paths)}")
    if problems:
        print("Demo failed: " + "; ".join(problems))
        return 1
    print(f"Demo done: {len(paths)} PNG files in {OUT_DIR}/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
