"""``python -m sgp_fake.cli``: the ``sgp-fake`` command (what :class:`ServerProcess` runs)."""

import sys

from . import main

sys.exit(main())
