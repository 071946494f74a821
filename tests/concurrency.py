"""Real threads for the PostgreSQL concurrency tests: start every call at the same
moment (a barrier), each in its own thread and database connection."""

import threading
from collections.abc import Callable, Sequence


def race(calls: Sequence[Callable[[], object]], timeout: float = 120) -> list[object]:
    """Run the calls at once; returns, in call order, each call's result or the
    exception it raised."""
    from django.db import connection

    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001 - handed back to the test to assert on
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes


def rule_codes(outcomes: list[object]) -> list[str]:
    """"ok" for a call that returned, the rule code for a RuleViolation, else the repr."""
    from accounts.errors import RuleViolation

    return [
        o.rule_code if isinstance(o, RuleViolation)
        else repr(o) if isinstance(o, Exception) else "ok"
        for o in outcomes
    ]
