"""A service that takes as long as it is told to, to provoke timeouts in its clients."""

import time

import Pyro4


@Pyro4.expose
class Snail(object):
    def crawl(self, seconds):
        time.sleep(seconds)
        return "crawled for %.1f s" % seconds


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Snail, "example.timeout.snail")
        print("snail ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
