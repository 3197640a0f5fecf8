"""``python -m azoai_app`` is the ``azoai`` command."""

import sys

from azoai_app.cli import main

sys.exit(main())
