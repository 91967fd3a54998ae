"""``python -m skill`` is the ``hearth`` command."""

import sys

from skill.cli import main

sys.exit(main())
