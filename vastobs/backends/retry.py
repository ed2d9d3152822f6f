"""When a VMS call is tried again and how long to wait: one policy for the client and the
providers' create path.

A read, an update and a delete can be repeated without changing the outcome,
so the client repeats them on a transient answer. A create cannot: when its
answer is lost the object may exist, so the provider looks it up by its
natural key before trying again (infra/resources/base.py ``create_adopting``).
Waits double from a short first pause, honour ``Retry-After``, and stop at a
few attempts or a time budget, whichever comes first, so a call never hangs.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

# 503 is the only status the VMS 5.3.0 spec describes ("Service temporarily
# unavailable, try again later"); 429, 502 and 504 mean the request went no
# further than a limiter or a proxy. Nothing documents 500 as transient.
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
# A read changes nothing, so repeating one after a 500 cannot hurt; the budget bounds it.
READ_RETRY_STATUSES = TRANSIENT_STATUSES | {500}
ATTEMPTS = 5
BUDGET_SECONDS = 30.0
MAX_PAUSE_SECONDS = 5.0


def sleep(seconds: float) -> None:
    """The one place the policy waits (tests record the waits here instead)."""
    time.sleep(seconds)


class Retries:
    """One call's attempts: at most ``attempts``, none begun after ``budget`` seconds."""

    def __init__(
        self,
        first_pause: float,
        *,
        attempts: int = ATTEMPTS,
        budget: float = BUDGET_SECONDS,
    ) -> None:
        self.first_pause, self.attempts, self.budget = first_pause, attempts, budget
        self.started = time.monotonic()
        self.attempt = 1

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def pause(self, retry_after: float | None = None) -> float | None:
        """Seconds to wait before the next attempt; None when attempts or time are spent."""
        if self.attempt >= self.attempts:
            return None
        backoff = min(MAX_PAUSE_SECONDS, self.first_pause * 2 ** (self.attempt - 1))
        pause = backoff * random.uniform(0.5, 1.0)  # jitter: parallel providers spread out
        if retry_after is not None:
            pause = max(pause, retry_after)
        if self.elapsed() + pause > self.budget:
            return None
        return pause

    def wait(self, retry_after: float | None = None) -> bool:
        """Sleep before the next attempt and count it; False when none is left."""
        pause = self.pause(retry_after)
        if pause is None:
            return False
        sleep(pause)
        self.attempt += 1
        return True

    def spent(self) -> str:
        return f"{self.attempt} attempt{'s' if self.attempt > 1 else ''} in {self.elapsed():.0f} s"


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
