"""When the kill -9 tests stop a publish: random instants spread over a run (`test_batches`, `test_backends`)."""

from __future__ import annotations

import random


def kill_instants(rng: random.Random, trials: int, early: int) -> list[float]:
    """When to kill each trial, as a share of a full run's time: `early` of them during start-up (its first half, mostly
    imports), the rest in the second half, where a run reads, checks and writes, up to just past its end. Each instant is
    random within a slice of its own, so a few trials still cover the whole window."""
    late = trials - early
    return ([0.5 * (i + rng.random()) / early for i in range(early)]
            + [0.5 + 0.55 * (i + rng.random()) / late for i in range(late)])
