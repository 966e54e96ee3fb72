"""``python -m sgp_fake``: the ``sgp-fake`` command, for an environment whose scripts directory
is not on ``PATH`` (the same as ``python -m sgp_fake.cli``)."""

import sys

from .cli import main

sys.exit(main())
