"""A meeting point that only works when calls can run at the same time; served by either server type."""

import argparse
import threading

import Pyro4


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class MeetingPoint(object):
    def __init__(self):
        self._barriers = {}
        self._lock = threading.Lock()

    def meet(self, group_size, timeout):
        """Waits until `group_size` callers are here at once; True if that happened within `timeout` s."""
        with self._lock:
            barrier = self._barriers.setdefault(group_size, threading.Barrier(group_size))
        try:
            barrier.wait(timeout)
            return True
        except threading.BrokenBarrierError:
            barrier.reset()  # ready for the next group
            return False

    def servertype(self):
        return Pyro4.config.SERVERTYPE


def main():
    parser = argparse.ArgumentParser(description="the same object on a thread pool or a multiplexing server")
    parser.add_argument("--type", choices=["thread", "multiplex"], default="thread", help="server type")
    options = parser.parse_args()
    # read when the daemon is created: set it first
    Pyro4.config.SERVERTYPE = options.type
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(MeetingPoint, "example.servertypes.meetingpoint")
        print("%s server ready, uri: %s" % (options.type, uri), flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
