"""A small dynamic thread pool for the thread-pool socket server.

The pool grows on demand up to ``config.THREADPOOL_SIZE`` workers and shrinks back to
``config.THREADPOOL_SIZE_MIN`` idle workers. Both sizes are read live (when a job needs a new
worker and when a worker finishes), as Pyro4 does. A job normally serves one client connection for
its whole lifetime, so the pool size is the maximum number of concurrent connections.
"""

import logging
import queue
import threading
import time

from Pyro4.configuration import config

log = logging.getLogger("Pyro4.threadpool")

# how long close() waits for the workers to finish their current jobs
_JOIN_TIMEOUT = 1.0


class PoolError(Exception):
    pass


class NoFreeWorkersError(PoolError):
    pass


class Worker(threading.Thread):
    """A daemon thread that runs the jobs its pool hands it, one at a time."""

    def __init__(self, pool):
        super(Worker, self).__init__()
        self.daemon = True
        self.name = "Pyro-Worker-%d" % id(self)
        self.pool = pool
        self.job_queue = queue.SimpleQueue()

    def process(self, job):
        """Give this worker a job; None tells it to stop."""
        self.job_queue.put(job)

    def run(self):
        while True:
            job = self.job_queue.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                log.exception("unhandled exception from job in worker thread %s", self.name)
            # drop our reference before idling, so a finished job's connection can be freed
            job = None
            self.pool.notify_done(self)


def _validate_sizes():
    if config.THREADPOOL_SIZE < 1 or config.THREADPOOL_SIZE_MIN < 1:
        raise ValueError("threadpool sizes must be greater than zero")
    if config.THREADPOOL_SIZE_MIN > config.THREADPOOL_SIZE:
        raise ValueError("minimum threadpool size must be less than or equal to max size")


class Pool(object):
    """Dynamic pool of Worker threads: ``idle`` and ``busy`` are sets of workers."""

    def __init__(self):
        _validate_sizes()
        self.idle = set()
        self.busy = set()
        self.closed = False
        self._lock = threading.Lock()
        for _ in range(config.THREADPOOL_SIZE_MIN):
            self.idle.add(self._start_worker())

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def __repr__(self):
        return "<%s.%s at 0x%x; %d busy workers; %d idle workers>" % (
            self.__class__.__module__,
            self.__class__.__name__,
            id(self),
            len(self.busy),
            len(self.idle),
        )

    def num_workers(self):
        return len(self.idle) + len(self.busy)

    def _start_worker(self):
        worker = Worker(self)
        worker.start()
        return worker

    def process(self, job):
        """Run the job on an idle worker, or on a new one while the pool may still grow."""
        with self._lock:
            if self.closed:
                raise PoolError("job queue is closed")
            if self.idle:
                worker = self.idle.pop()
            elif self.num_workers() < config.THREADPOOL_SIZE:
                worker = self._start_worker()
            else:
                raise NoFreeWorkersError("no free workers available, increase thread pool size")
            self.busy.add(worker)
            # handed over under the lock: a close() in between would queue the worker's stop first,
            # and the job (with its client connection) would never run
            worker.process(job)
        log.debug("worker counts: %d busy, %d idle", len(self.busy), len(self.idle))

    def notify_done(self, worker):
        """Called by a worker after each job: it becomes idle again, or stops when not needed."""
        with self._lock:
            self.busy.discard(worker)
            if self.closed or len(self.idle) >= config.THREADPOOL_SIZE_MIN:
                worker.process(None)
            else:
                self.idle.add(worker)

    def close(self):
        """Stop all workers (busy ones after their current job) and wait briefly for them."""
        with self._lock:
            self.closed = True
            workers = self.idle | self.busy
            self.idle.clear()
            self.busy.clear()
        current = threading.current_thread()
        for worker in workers:
            worker.process(None)
        # one deadline for all: a worker still busy with a long call must not delay close() per worker
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for worker in workers:
            if worker is not current:
                worker.join(max(0.0, deadline - time.monotonic()))
