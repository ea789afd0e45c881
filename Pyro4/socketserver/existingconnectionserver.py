"""Socket server that serves a single, already connected socket supplied by the user.

There is no listening socket and no connect handshake: the peer is expected to be a proxy created
with ``Proxy(name, connected_socket=...)`` on the other end. The user's socket is never closed here.
"""

import logging
import socket
import ssl

from Pyro4 import errors, socketutil
from Pyro4.configuration import config

log = logging.getLogger("Pyro4.existingconnectionserver")


def _location_of(sock):
    if sock.family == socket.AF_UNIX:
        name = sock.getsockname()
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        return "./u:" + (name or "<<not-bound>>")
    host, port = sock.getsockname()[:2]
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


class SocketServer_ExistingConnection(object):
    """Transport server for exactly one user-supplied connected socket."""

    def __init__(self):
        self.sock = self.daemon = self.locationStr = self.conn = None
        self.shutting_down = False

    def init(self, daemon, connected_socket):
        connected_socket.getpeername()  # raises when the socket isn't connected
        if config.SSL and not isinstance(connected_socket, ssl.SSLSocket):
            raise socket.error("SSL configured for Pyro but existing socket is not a SSL socket")
        self.daemon = daemon
        self.sock = connected_socket
        log.info("starting server on user-supplied connected socket " + str(connected_socket))
        self.locationStr = _location_of(connected_socket)
        self.conn = socketutil.SocketConnection(connected_socket, keep_open=True)

    def __repr__(self):
        return "<%s on %s>" % (self.__class__.__name__, self.locationStr)

    def __del__(self):
        self.close()

    @property
    def selector(self):
        raise TypeError("single-connection server doesn't have multiplexing selector")

    @property
    def sockets(self):
        return [self.sock]

    def combine_loop(self, server):
        raise errors.PyroError("cannot combine servers when using user-supplied connected socket")

    def events(self, eventsockets):
        raise errors.PyroError("cannot combine events when using user-supplied connected socket")

    def loop(self, loopCondition=lambda: True):
        log.debug("entering requestloop")
        while not self.shutting_down and self.conn is not None and loopCondition():
            if not self._handle_one():
                break
        log.debug("exiting requestloop")

    def _handle_one(self):
        """Serve one request; False when the connection has ended."""
        try:
            self.daemon.handleRequest(self.conn)
            self.daemon._housekeeping()
            return True
        except errors.TimeoutError:
            return True  # an idle peer is fine; the loop condition gets checked again
        except (socket.error, errors.ConnectionClosedError, errors.SecurityError):
            log.debug("connection ended")
        except KeyboardInterrupt:
            log.debug("stopping on break signal")
        except Exception:
            log.exception("error while handling a request")
        try:
            self.daemon._clientDisconnect(self.conn)
        except Exception:
            log.exception("error in clientDisconnect")
        self.shutdown()
        return False

    def shutdown(self):
        if self.sock is None:
            return
        self.shutting_down = True
        self.close()

    def close(self):
        # the socket belongs to the user: just let go of it (the connection is keep_open)
        self.sock = None
        self.conn = None

    def wakeup(self):
        pass
