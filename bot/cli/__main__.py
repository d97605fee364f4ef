"""``python -m bot.cli ...`` = ``shelly ...``."""

import sys

from bot.cli import main

sys.exit(main())
