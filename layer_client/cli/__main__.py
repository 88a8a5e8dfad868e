"""Run the command line with `python -m layer_client.cli`."""

import sys

from .app import main

sys.exit(main())
