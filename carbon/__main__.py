"""``python -m carbon`` runs the ``parkcarbon`` command line."""

import sys

from .cli import main

sys.exit(main())
