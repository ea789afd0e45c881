"""A pretend render farm: rendering is started with a oneway call and runs in the background."""

import threading
import time

import Pyro4

GO_AHEAD_TIMEOUT = 10.0


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class RenderFarm(object):
    def __init__(self):
        self._lock = threading.Lock()
        self._go_ahead = threading.Event()
        self._done = 0
        self._state = "idle"

    @Pyro4.oneway
    def start_render(self, frames, seconds_per_frame):
        # runs in its own thread (ONEWAY_THREADED), so go_ahead() can arrive on the same connection
        self._set(state="waiting for go-ahead", done=0)
        if not self._go_ahead.wait(GO_AHEAD_TIMEOUT):
            self._set(state="gave up waiting")
            return
        self._set(state="rendering")
        for frame in range(1, frames + 1):
            time.sleep(seconds_per_frame)
            self._set(done=frame)
        self._set(state="finished")

    def go_ahead(self):
        self._go_ahead.set()

    def progress(self):
        with self._lock:
            return self._state, self._done

    def _set(self, state=None, done=None):
        with self._lock:
            if state is not None:
                self._state = state
            if done is not None:
                self._done = done


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(RenderFarm, "example.oneway.renderfarm")
        print("render farm ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
