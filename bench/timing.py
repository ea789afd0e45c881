"""Timing loop shared by the benchmark clients (no Pyro4 import, so any implementation can use it)."""
import time

_clock = time.perf_counter


def seconds_per_op(operation, seconds):
    """Average wall time of one ``operation()`` call, measured for about ``seconds``.

    Warms up first (connections, caches, lazily imported modules) for a tenth of the time, at least
    one call. Calls run in batches sized from the speed seen so far, so the clock is read rarely for
    fast operations and a slow one does not overshoot the time much.
    """
    _run_for(operation, seconds / 10.0)
    count, elapsed = _run_for(operation, seconds)
    return elapsed / count


def _run_for(operation, seconds):
    count = 0
    batch = 1
    start = _clock()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            operation()
        count += batch
        now = _clock()
        if now >= deadline:
            return count, now - start
        per_op = (now - start) / count
        batch = max(1, min(batch * 2, int((deadline - now) / per_op)))
