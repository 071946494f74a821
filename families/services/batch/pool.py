"""Chunks on several database connections at once (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.db import connections


class _ChunkPool:
    """Runs chunks on `workers` threads, each with its own database connection, with at
    most `workers` chunks in flight (memory stays flat). One worker runs inline. Each
    thread keeps its connection from chunk to chunk (a new server process per chunk cost
    its start and a cold catalog cache each time) and closes it at the end.

    `then(result)` receives each chunk's result in the calling thread (the report and
    the progress: one writer, no lock), after the chunk committed. With `then_first`
    false the next chunk is handed to the freed connection before `then` runs, so the
    report of one chunk is written while both connections work; with it true (a
    --pause between chunks) `then` runs first."""

    def __init__(self, workers: int, then: Callable, *, then_first: bool = False) -> None:
        self.workers = workers
        self.then = then
        self.then_first = then_first
        self.executor = ThreadPoolExecutor(workers) if workers > 1 else None
        self.pending: list[Future] = []

    def __enter__(self) -> _ChunkPool:
        return self

    def run(self, fn: Callable, *args) -> None:
        if self.executor is None:
            self.then(fn(*args))
            return
        finished = []
        if len(self.pending) >= self.workers:
            done, _not_done = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=self.pending.index):
                self.pending.remove(future)
                finished.append(future.result())  # re-raise a worker's error here
        if self.then_first:
            for result in finished:
                self.then(result)
            finished = []
        self.pending.append(self.executor.submit(fn, *args))
        for result in finished:
            self.then(result)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.executor is None:
            return
        try:
            if exc is None:
                for future in self.pending:
                    self.then(future.result())
            else:
                for future in self.pending:  # committed chunks stay; report what it can
                    if future.exception() is None:
                        self.then(future.result())
        finally:
            # One closing task per thread: each waits for the others, so no thread takes
            # two and every thread's connection is closed.
            barrier = threading.Barrier(self.workers)
            closing = [self.executor.submit(_close_connection, barrier)
                       for _ in range(self.workers)]
            for future in closing:
                future.result()
            self.executor.shutdown(wait=True)


def _close_connection(barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=60)
    except threading.BrokenBarrierError:
        pass
    finally:
        connections.close_all()  # this worker thread's connection
