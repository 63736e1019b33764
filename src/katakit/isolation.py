"""Whether, and under which limits, each kata's learner code runs in its own process.

With isolation (the default wherever ``os.fork`` exists) a kata's learner module runs in a
contained process of its own (:mod:`katakit.sandbox`), so whatever it does -- loop forever, exit,
crash, eat memory, flood output, patch libraries, read files -- stays there and costs that kata
only. :class:`Limits` are what one kata's process may use.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one kata may use: ``kata_seconds`` of CPU time for all its tests together, memory
    it may allocate, and output it may print. Generous for graders that run in about a second."""

    kata_seconds: float = 60.0
    memory_mb: int = 2048
    output_mb: int = 1


DEFAULT_LIMITS = Limits()


def available() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"
