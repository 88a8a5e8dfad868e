"""Run the command line with `python -m layer_client.cli`."""

import sys

from . import main

sys.exit(main())
