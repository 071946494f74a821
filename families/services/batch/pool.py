"""Chunks on several database connections at once (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.db import connections


class _ChunkPool:
    """Runs chunks on `workers` threads, each with its own database connection, with at
    most `workers` chunks in flight (memory stays flat). One worker runs inline."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor = ThreadPoolExecutor(workers) if workers > 1 else None
        self.pending: list[Future] = []

    def __enter__(self) -> _ChunkPool:
        return self

    def run(self, fn: Callable, *args) -> None:
        if self.executor is None:
            fn(*args)
            return
        if len(self.pending) >= self.workers:
            done, _not_done = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in done:
                self.pending.remove(future)
                future.result()  # re-raise a worker's error here
        self.pending.append(self.executor.submit(_in_own_connection, fn, *args))

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.executor is None:
            return
        try:
            for future in self.pending:
                future.result()
        finally:
            self.executor.shutdown(wait=True)


def _in_own_connection(fn: Callable, *args) -> None:
    try:
        fn(*args)
    finally:
        connections.close_all()  # this worker thread's connection
