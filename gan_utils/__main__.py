"""`python -m gan_utils train|sample ...`: see gan_utils.cli."""

import sys

from gan_utils.cli import main

sys.exit(main(prog="python -m gan_utils"))
