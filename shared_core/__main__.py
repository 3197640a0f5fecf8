"""``python -m shared_core`` is the ``azoai`` command."""

import sys

from shared_core.cli import main

sys.exit(main())
