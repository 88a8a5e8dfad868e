"""A local emulator of the Layer GraphQL API, for tests, demos and offline work.

It executes the project's `schema.graphql` with ariadne behind uvicorn on
127.0.0.1, keeps a workspace, styles, inferences and a credits balance in
memory, serves generated PNG files from a second loopback origin, and can
inject faults. Install it with the `emulator` extra:
`pip install '.[emulator]'` from a clone of this repository.

Public names:

- `Emulator(config=None, **overrides)`: the running servers, as a context
  manager (`with` / `async with`) or through `start()` / `stop()`. Exposes
  `url`, `files_url`, `token`, `headers`, `workspace_id`, `style_id`,
  `environ`, `counters`, `state`, `clock`, `faults`, and `set_faults()`,
  `add_fault()`, `clear_faults()`.
- `EmulatorConfig`: every setting, with defaults (ports, token, balance,
  price, style count, rate limit, durations, speed, seed, faults).
- `FaultRule`, `FaultKind`: fault injection rules; `load_faults(path)` reads
  a faults file.
- `EmulatorState`: the in-memory data, to read and change from a test.
- `Counters`: requests per operation, accepted generations, credits
  charged, file downloads, injected faults.
- `Clock`, `AcceleratedClock`, `ManualClock`: emulated time.
- `BUILDING_STYLE_ID`, `FAILED_STYLE_ID`, `MODEL_URL_STYLE_ID`: ids of the
  seeded styles that `generateImages` rejects.
- `main(argv=None) -> int`: the command line, as `python -m
  layer_client.emulator` and `layer-client emulator` run it.

`layer_client.emulator.pytest_plugin` provides the `layer_emulator` fixture.
"""

try:
    import ariadne  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the install
    raise ImportError(
        "layer_client.emulator needs the 'emulator' extra: "
        "pip install '.[emulator]' from a clone of layer-client"
    ) from error

from .catalog import BUILDING_STYLE_ID, FAILED_STYLE_ID, MODEL_URL_STYLE_ID
from .cli import main
from .clock import AcceleratedClock, Clock, ManualClock
from .config import EmulatorConfig
from .counters import Counters
from .faults import FaultKind, FaultRule, load_faults
from .server import Emulator
from .state import EmulatorState

__all__ = [
    "BUILDING_STYLE_ID",
    "FAILED_STYLE_ID",
    "MODEL_URL_STYLE_ID",
    "AcceleratedClock",
    "Clock",
    "Counters",
    "Emulator",
    "EmulatorConfig",
    "EmulatorState",
    "FaultKind",
    "FaultRule",
    "ManualClock",
    "load_faults",
    "main",
]
