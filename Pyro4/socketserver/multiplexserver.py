"""Single-threaded socket server that multiplexes all connections with a selector.

Requests are handled one at a time in the thread that runs the loop (only oneway calls may run in
their own thread, per ``config.ONEWAY_THREADED``). Other servers (another daemon, a name server's
broadcast responder) can be merged into this loop with ``combine_loop``.
"""

import logging
import selectors
import socket

from Pyro4 import errors, socketutil
from Pyro4.configuration import config
from Pyro4.socketserver import _common

log = logging.getLogger("Pyro4.multiplexserver")


class SocketServer_Multiplex(object):
    """Transport server that uses a selector to serve all connections in one thread."""

    def __init__(self):
        self.daemon = self.sock = self.locationStr = None
        self.selector = selectors.DefaultSelector()
        self.shutting_down = False
        self._unixsocket = None
        self._serving = None  # the connection whose request is being handled right now
        # Connections holding the start of a next message that was received along with the previous
        # one (see SocketConnection.recv): their sockets need not become readable again, so the loop
        # serves them itself, one request per round like the others. An ordered set.
        self._backlog = {}
        self._in_loop = False

    def init(self, daemon, host, port, unixsocket=None):
        log.info("starting multiplexed socketserver")
        self.daemon = daemon
        self._unixsocket = unixsocket
        self.sock, self.locationStr = _common.bind_server_socket(host, port, unixsocket)
        self.selector.register(self.sock, selectors.EVENT_READ, self)

    def __repr__(self):
        return "<%s on %s; %d connections>" % (self.__class__.__name__, self.locationStr, self._num_connections())

    def __del__(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except Exception:
                pass
            self.sock = None

    def _selector_keys(self):
        try:
            registered = self.selector.get_map()
        except (AttributeError, RuntimeError):
            return []
        return list(registered.values()) if registered else []  # a closed selector has no map

    def _num_connections(self):
        return sum(1 for key in self._selector_keys() if key.data is self and key.fileobj is not self.sock)

    def loop(self, loopCondition=lambda: True):
        log.debug("entering multiplexed requestloop")
        self._in_loop = True
        try:
            self._loop(loopCondition)
        finally:
            self._in_loop = False
        log.debug("exiting multiplexed requestloop")

    def _loop(self, loopCondition):
        while not self.shutting_down and loopCondition():
            try:
                ready = self.selector.select(0 if self._backlog else config.POLLTIMEOUT)
            except (OSError, ValueError, AttributeError):
                if self.shutting_down or self.sock is None:
                    break
                raise
            except KeyboardInterrupt:
                log.debug("stopping on break signal")
                break
            if not ready and not self._backlog:
                self.daemon._housekeeping()
                continue
            try:
                self._dispatch(ready)
                self._serve_backlog()
            except KeyboardInterrupt:
                log.debug("stopping on break signal")
                break

    @staticmethod
    def _dispatch(ready):
        """Group the ready sockets by the server that owns them and let each server handle its own."""
        per_server = {}
        for key, mask in ready:
            if mask & selectors.EVENT_READ:
                per_server.setdefault(key.data, []).append(key.fileobj)
        for server, sockets in per_server.items():
            server.events(sockets)

    def events(self, eventsockets):
        """Handle the events for the given ready sockets (also usable from an external loop)."""
        for sock in eventsockets:
            if self.shutting_down:
                break
            if sock is self.sock:
                self._accept_client()
            else:
                self._serve_client(sock)
        if not self._in_loop:
            # an outside event loop calls back for readable sockets only: serve what was received
            # ahead right now
            while self._backlog and not self.shutting_down:
                self._serve_backlog()
        self.daemon._housekeeping()

    def _serve_backlog(self):
        if not self._backlog:
            return
        backlog, self._backlog = self._backlog, {}
        for conn in backlog:
            if self.shutting_down:
                return
            self._serve_client(conn)

    def _accept_client(self):
        conn = self._accept()
        if conn is None:
            return
        try:
            accepted = self.daemon._handshake(conn)
        except Exception:
            log.exception("error during connect/handshake")
            accepted = False
        if not accepted:
            conn.close()
            return
        try:
            self.selector.register(conn, selectors.EVENT_READ, self)
        except (KeyError, ValueError, AttributeError, RuntimeError, OSError):
            conn.close()  # a shutdown in another thread closed the selector meanwhile
            return
        if conn._has_pending_data():
            self._backlog[conn] = None  # a request that came right behind the handshake
        if self.shutting_down:
            # shutdown() may have closed the clients just before this one got registered
            self._drop_client(conn)

    def _accept(self):
        """Accept a pending client; returns its SocketConnection, or None."""
        try:
            csock, caddr = _common.accept_client(self.sock)
        except socket.timeout:
            return None
        except socket.error as x:
            if x.errno in socketutil.ERRNO_BADF or x.errno in socketutil.ERRNO_ENOTSOCK:
                raise errors.ConnectionClosedError("server socket closed") from x
            log.warning("accept failed: %s", x)
            return None
        except Exception:
            log.exception("error while accepting a connection")
            return None
        try:
            _common.finish_tls_handshake(csock)
        except Exception as x:
            log.warning("TLS handshake with %s failed: %s", caddr, x)
            csock.close()
            return None
        log.debug("connected %s", caddr)
        return socketutil.SocketConnection(csock)

    def _serve_client(self, conn):
        self._serving = conn
        try:
            keep = self.handleRequest(conn)
        finally:
            self._serving = None
        if keep and not self.shutting_down:
            if conn._has_pending_data():
                self._backlog[conn] = None
            return
        try:
            self.daemon._clientDisconnect(conn)
        except Exception:
            log.exception("error in clientDisconnect")
        self._drop_client(conn)

    def _drop_client(self, conn):
        try:
            self.selector.unregister(conn)
        except (KeyError, ValueError, AttributeError, RuntimeError):
            pass
        conn.close()

    def handleRequest(self, conn):
        """Handle one request; True if the connection should stay, False to end it."""
        try:
            self.daemon.handleRequest(conn)
            return True
        except (socket.error, errors.ConnectionClosedError, errors.SecurityError):
            log.debug("disconnected client or security error on connection %r", conn)
        except errors.TimeoutError as x:
            log.warning("client connection timed out: %s", x)
        except Exception:
            log.exception("error while handling a request")
        return False

    def combine_loop(self, server):
        for sock in server.sockets:
            self.selector.register(sock, selectors.EVENT_READ, server)
        server.selector = self.selector

    @property
    def sockets(self):
        return [key.fileobj for key in self._selector_keys()]

    def wakeup(self):
        _common.wake_server(self.sock, self.locationStr)

    def shutdown(self):
        _common.shut_down(self)

    def close(self):
        log.debug("closing socketserver")
        self._backlog = {}
        self._close_clients()
        _common.close_listener(self.sock, self._unixsocket)
        self.sock = None
        if self.selector is not None:
            self.selector.close()

    def _close_clients(self):
        """Close our own client connections; sockets of combined servers belong to those servers."""
        for key in self._selector_keys():
            # the connection being served (shutdown() called by a remote call) still needs to send
            # its reply; the loop closes it right after that
            if key.data is self and key.fileobj is not self.sock and key.fileobj is not self._serving:
                try:
                    self.selector.unregister(key.fileobj)
                except (KeyError, ValueError):
                    pass
                key.fileobj.close()
