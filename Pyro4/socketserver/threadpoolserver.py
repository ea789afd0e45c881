"""Socket server that serves every client connection on its own worker from a thread pool.

This is the default server type (``config.SERVERTYPE == "thread"``). One thread (the one running
``loop``) accepts connections; each connection is then handled by a pool worker for as long as it
lives, so calls on different connections run concurrently.
"""

import logging
import socket
import threading
import time

from Pyro4 import errors, socketutil
from Pyro4.configuration import config
from Pyro4.socketserver import _common
from Pyro4.socketserver.multiplexserver import selectors
from Pyro4.socketserver.threadpool import NoFreeWorkersError, Pool, PoolError

log = logging.getLogger("Pyro4.threadpoolserver")

_client_disconnect_lock = threading.Lock()

DENIED_NO_WORKERS = "no free workers, increase server threadpool size"


class ClientConnectionJob(object):
    """Takes care of a single client connection and all the requests that may arrive on it."""

    def __init__(self, clientSocket, clientAddr, daemon, server=None):
        self.csock = socketutil.SocketConnection(clientSocket)
        self.caddr = clientAddr
        self.daemon = daemon
        self._server = server

    def __call__(self):
        if self._server is not None:
            self._server._track(self.csock)
        try:
            if self.handleConnection():
                self._serve_requests()
                self._disconnected()
        finally:
            if self._server is not None:
                self._server._untrack(self.csock)

    def _disconnected(self):
        try:
            with _client_disconnect_lock:
                try:
                    self.daemon._clientDisconnect(self.csock)
                except Exception:
                    log.exception("error in clientDisconnect")
        finally:
            self.csock.close()

    def _serve_requests(self):
        handle_request = self.daemon.handleRequest
        csock = self.csock
        while True:
            try:
                handle_request(csock)
            except (socket.error, errors.ConnectionClosedError):
                log.debug("disconnected %s", self.caddr)
                return
            except errors.SecurityError:
                log.debug("security error on client %s", self.caddr)
                return
            except errors.TimeoutError as x:
                log.warning("client connection %s timed out: %s", self.caddr, x)
                return
            except Exception:
                log.exception("error while handling a request from %s", self.caddr)
                return

    def handleConnection(self):
        """Do the handshake; True when the connection was accepted."""
        try:
            _common.finish_tls_handshake(self.csock.sock)
            if self.daemon._handshake(self.csock):
                return True
        except Exception:
            log.exception("error during connect/handshake with %s", self.caddr)
        self.csock.close()
        return False

    def denyConnection(self, reason):
        log.warning("client connection was denied: %s", reason)
        try:
            _common.finish_tls_handshake(self.csock.sock)
            self.daemon._handshake(self.csock, denied_reason=reason)
        except Exception:
            log.debug("error while denying connection", exc_info=True)
        finally:
            self.csock.close()


class Housekeeper(threading.Thread):
    """Calls the daemon's housekeeping periodically until stopped."""

    def __init__(self, daemon):
        super(Housekeeper, self).__init__(name="housekeeper")
        self.daemon = True
        self.pyroDaemon = daemon
        self.stop = threading.Event()
        self.waittime = min(config.POLLTIMEOUT or 0, max(config.COMMTIMEOUT or 0, 5))

    def run(self):
        # a zero wait time would make this a busy loop; keep a small floor
        while not self.stop.wait(self.waittime or 0.1):
            try:
                self.pyroDaemon._housekeeping()
            except Exception:
                log.exception("error in daemon housekeeping")


class SocketServer_Threadpool(object):
    """Transport server that uses a worker thread pool, one worker per client connection."""

    def __init__(self):
        self.daemon = self.sock = self.locationStr = self.pool = self.housekeeper = None
        self._selector = None
        self._unixsocket = None
        self.shutting_down = False
        self._connections = set()
        self._connections_lock = threading.Lock()

    def init(self, daemon, host, port, unixsocket=None):
        log.info("starting thread pool socketserver")
        self.daemon = daemon
        self._unixsocket = unixsocket
        self.sock, self.locationStr = _common.bind_server_socket(host, port, unixsocket)
        self.pool = Pool()
        self.housekeeper = Housekeeper(daemon)
        self.housekeeper.start()
        if selectors:
            self._selector = selectors.DefaultSelector()
            self._selector.register(self.sock, selectors.EVENT_READ, self)

    def __del__(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except Exception:
                pass
            self.sock = None

    def __repr__(self):
        return "<%s on %s; %d workers>" % (
            self.__class__.__name__,
            self.locationStr,
            self.pool.num_workers() if self.pool else 0,
        )

    def loop(self, loopCondition=lambda: True):
        log.debug("threadpool server requestloop")
        while self.sock is not None and not self.shutting_down and loopCondition():
            try:
                self.events([self.sock])
            except (socket.error, errors.ConnectionClosedError) as x:
                if not loopCondition() or self.sock is None or self.shutting_down:
                    break
                log.warning("socket error in request loop: %s", x)
                time.sleep(0.05)  # avoid spinning on a persistent error such as EMFILE
            except KeyboardInterrupt:
                log.debug("stopping on break signal")
                break
        log.debug("threadpool server exits requestloop")

    def events(self, eventsockets):
        """Accept a new client (waits up to POLLTIMEOUT for one) and hand it to a worker."""
        sock = self.sock
        assert sock in eventsockets
        if sock is None:
            return
        selector = self._selector
        if selector is not None:
            try:
                if not selector.select(config.POLLTIMEOUT):
                    return
            except (OSError, ValueError):
                return  # closed by a concurrent close()
        try:
            csock, caddr = _common.accept_client(sock)
        except socket.timeout:
            return
        if self.shutting_down:
            csock.close()
            return
        log.debug("connected %s", caddr)
        job = ClientConnectionJob(csock, caddr, self.daemon, self)
        pool = self.pool
        try:
            if pool is None:
                raise PoolError("the server was closed")
            pool.process(job)
        except NoFreeWorkersError:
            job.denyConnection(DENIED_NO_WORKERS)
        except PoolError:
            job.csock.close()  # a concurrent close() ended the pool: nobody will serve this client

    def combine_loop(self, server):
        raise TypeError("You can't use the loop combiner on the threadpool server type")

    @property
    def selector(self):
        raise TypeError("threadpool server doesn't have multiplexing selector")

    @property
    def sockets(self):
        return [self.sock]

    def wakeup(self):
        _common.wake_server(self.sock, self.locationStr)

    def shutdown(self):
        _common.shut_down(self)

    def close(self):
        if self.housekeeper is not None:
            self.housekeeper.stop.set()
            if self.housekeeper is not threading.current_thread():
                self.housekeeper.join(1.0)
            self.housekeeper = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        _common.close_listener(self.sock, self._unixsocket)
        self.sock = None
        self._disconnect_clients()
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def _disconnect_clients(self):
        """Make the workers serving live connections notice the close, so no thread lingers."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            _common.stop_reading(conn)

    def _track(self, conn):
        with self._connections_lock:
            self._connections.add(conn)

    def _untrack(self, conn):
        with self._connections_lock:
            self._connections.discard(conn)
