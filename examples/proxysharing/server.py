"""Reports, for every call, the connection it arrived on and how many calls were in progress."""

import threading
import time

import Pyro4


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class Observer(object):
    def __init__(self):
        self._lock = threading.Lock()
        self._running = 0

    def observe(self, seconds):
        with self._lock:
            self._running += 1
            running = self._running
        try:
            time.sleep(seconds)  # long enough for calls on other connections to overlap
        finally:
            with self._lock:
                self._running -= 1
        client_port = Pyro4.current_context.client_sock_addr[1]
        return client_port, running


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Observer, "example.proxysharing.observer")
        print("observer ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
