"""``python -m voidmail``: the same as the ``voidmail`` command."""

import sys

from voidmail.cli import main

sys.exit(main())
