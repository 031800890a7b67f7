"""Tell the admin once per incident, not once per message it touches."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Throttle:
    """Lets an alert of each kind through at most once per period: an incident is reported
    once, not on every message it touches."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._quiet_until: dict[str, float] = {}

    def allow(self, kind: str, period: float) -> bool:
        """True (and quiet for ``period`` seconds from now) unless ``kind`` is quiet."""
        now = self._clock()
        if now < self._quiet_until.get(kind, -math.inf):
            return False
        self._quiet_until[kind] = now + period
        return True
