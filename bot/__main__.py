"""`python -m bot` runs the `giamngheo` command."""

import sys

from bot.cli import main

sys.exit(main())
