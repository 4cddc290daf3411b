"""Polling with a deadline: the only way the lab waits for a state."""

from __future__ import annotations

import pprint
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Observation:
    """A predicate result that carries what was seen (and what was wanted).

    `bool(obs)` is `ok`. When a wait times out, the last Observation is printed
    as a diff of `expected` vs `observed`, so a failing test shows what it saw.
    """
    ok: bool
    observed: Any = None
    expected: Any = None
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ok)

    def __str__(self) -> str:
        parts = []
        if self.expected is not None:
            parts.append("expected:\n" + _indent(pprint.pformat(self.expected, width=100)))
        parts.append("observed:\n" + _indent(pprint.pformat(self.observed, width=100)))
        if self.notes:
            parts.append("notes:\n" + _indent("\n".join(self.notes)))
        return "\n".join(parts)


def _indent(s: str) -> str:
    return "\n".join("    " + line for line in s.splitlines())


class WaitTimeout(AssertionError):
    """wait_until gave up; the message has `desc` and the last observation."""

    def __init__(self, desc: str, timeout: float, last: Any, polls: int):
        self.desc, self.timeout, self.last, self.polls = desc, timeout, last, polls
        if isinstance(last, BaseException):
            seen = f"last poll raised {type(last).__name__}: {last}"
        elif isinstance(last, Observation):
            seen = str(last)
        else:
            seen = "last observed value:\n" + _indent(pprint.pformat(last, width=100))
        super().__init__(f"timed out after {timeout:.1f}s ({polls} polls) waiting for: "
                         f"{desc}\n{seen}")


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
               desc: str | None = None, max_interval: float | None = None,
               reraise: tuple[type[BaseException], ...] = ()) -> Any:
    """Poll `predicate()` until it returns something truthy; return that value.

    Polls every `interval` seconds (growing by 1.5x per poll up to `max_interval`
    if that is given larger than `interval`) until `timeout` seconds have passed; then raises WaitTimeout (an AssertionError)
    whose message includes `desc` and the last value the predicate returned (or
    the exception it raised). The predicate is always evaluated at least once
    and once more at the deadline, so a slow poll never causes a false timeout.
    Return an `Observation` from the predicate to get an expected/observed diff.
    Exceptions the predicate raises count as "not yet" (and are reported at the
    deadline), except those of the types in `reraise`, which propagate at once.
    """
    desc = desc or getattr(predicate, "__name__", "condition")
    deadline = time.monotonic() + timeout
    last: Any = None
    polls = 0
    delay = interval
    max_interval = interval if max_interval is None else max(interval, max_interval)
    while True:
        polls += 1
        try:
            last = predicate()
        except reraise:
            raise
        except Exception as e:  # noqa: BLE001 - reported at the deadline
            last = e
        else:
            if last:
                return last
        now = time.monotonic()
        if now >= deadline:
            raise WaitTimeout(desc, timeout, last, polls)
        time.sleep(min(delay, max(0.0, deadline - now)))
        delay = min(delay * 1.5, max_interval)
