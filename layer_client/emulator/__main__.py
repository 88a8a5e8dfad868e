"""Run the emulator: `python -m layer_client.emulator --help`."""

import sys

from .cli import main

sys.exit(main())
