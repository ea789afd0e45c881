"""A server whose own select loop serves Pyro calls, runs a timer and answers a plain TCP socket."""

import select
import socket
import time

import Pyro4

TICK = 0.5


@Pyro4.expose
class Station(object):
    def __init__(self, status_port):
        self._status_port = status_port
        self.ticks = 0
        self.calls = 0
        self.running = True

    def ping(self):
        self.calls += 1
        return "pong"

    def status(self):
        self.calls += 1
        return {"ticks": self.ticks, "calls": self.calls}

    @property
    def status_port(self):
        return self._status_port

    def stop(self):
        self.running = False


def answer_status(listener, station):
    connection, _ = listener.accept()
    with connection:
        connection.sendall(("ticks=%d calls=%d\n" % (station.ticks, station.calls)).encode("ascii"))


def run_loop(daemon, listener, station):
    next_tick = time.monotonic() + TICK
    while station.running:
        # the daemon's socket list changes as clients come and go, so ask for it every time
        watched = daemon.sockets + [listener]
        ready, _, _ = select.select(watched, [], [], max(0.0, next_tick - time.monotonic()))
        if listener in ready:
            ready.remove(listener)
            answer_status(listener, station)
        if ready:
            daemon.events(ready)
        if time.monotonic() >= next_tick:
            station.ticks += 1
            next_tick += TICK


def main():
    Pyro4.config.SERVERTYPE = "multiplex"
    with Pyro4.Daemon() as daemon, socket.socket() as listener:
        listener.bind((Pyro4.config.HOST, 0))  # the host the daemon uses too
        listener.listen(5)
        station = Station(listener.getsockname()[1])
        uri = daemon.register(station, "example.eventloop.station")
        print("status port:", station.status_port)
        print("station ready, uri:", uri, flush=True)
        run_loop(daemon, listener, station)
    print("the loop has ended after %d ticks" % station.ticks, flush=True)


if __name__ == "__main__":
    main()
