"""The dispatcher: a queue of work for workers, and a store of results for clients."""

import itertools
import queue
import threading

import Pyro4


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class Dispatcher(object):
    def __init__(self):
        self._work = queue.Queue()
        self._results = {}  # batch id -> list of results not yet collected
        self._batch_ids = itertools.count(1)
        self._results_changed = threading.Condition()

    def submit(self, numbers):
        batch = next(self._batch_ids)
        with self._results_changed:
            self._results[batch] = []
        for number in numbers:
            self._work.put((batch, number))
        return batch

    def get_work(self, timeout):
        """A (batch, number) pair, or None if there was no work for `timeout` seconds."""
        try:
            return self._work.get(timeout=timeout)
        except queue.Empty:
            return None

    def put_result(self, batch, number, factors, worker):
        with self._results_changed:
            if batch in self._results:  # a batch its client gave up on is dropped
                self._results[batch].append((number, factors, worker))
                self._results_changed.notify_all()

    def collect(self, batch, timeout):
        """The results of a batch that came in since the last collect, waiting up to `timeout` for one."""
        with self._results_changed:
            self._results_changed.wait_for(lambda: self._results[batch], timeout)
            ready, self._results[batch] = self._results[batch], []
            return ready

    def forget(self, batch):
        with self._results_changed:
            self._results.pop(batch, None)


def main():
    with Pyro4.Daemon() as daemon, Pyro4.locateNS() as ns:
        ns.register("example.distributed.dispatcher", daemon.register(Dispatcher))
        print("dispatcher ready, registered as example.distributed.dispatcher", flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
