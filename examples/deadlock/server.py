"""A doorbell that waits for whoever rings it to answer a callback."""

import Pyro4


@Pyro4.expose
class Doorbell(object):
    def ring(self, visitor, timeout):
        # without a timeout an unanswered callback would block this call (and the client) forever
        visitor._pyroTimeout = timeout
        try:
            return "the visitor answered: " + visitor.who_is_there()
        except Pyro4.errors.CommunicationError as exc:
            return "no answer within %s seconds (%s)" % (timeout, type(exc).__name__)
        finally:
            visitor._pyroRelease()


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Doorbell, "example.deadlock.doorbell")
        print("doorbell ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
