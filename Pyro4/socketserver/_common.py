"""Pieces shared by the transport servers: binding the server socket, accepting clients,
waking a blocked server and cutting client connections at close time."""

import socket
import ssl
import time

from Pyro4 import socketutil
from Pyro4.configuration import config


def server_ssl_context():
    """The process-wide server SSL context when config.SSL is on, else None."""
    if not config.SSL:
        return None
    return socketutil.getSSLcontext(
        servercert=config.SSL_SERVERCERT,
        serverkey=config.SSL_SERVERKEY,
        keypassword=config.SSL_SERVERKEYPASSWD,
        cacerts=config.SSL_CACERTS,
    )


def bind_server_socket(host, port, unixsocket=None):
    """Create the listening socket; returns ``(sock, locationStr)``."""
    if unixsocket:
        bind_location = unixsocket
    else:
        bind_location = (host or "", port or 0)
    sock = socketutil.createSocket(
        bind=bind_location,
        reuseaddr=config.SOCK_REUSE,
        timeout=config.COMMTIMEOUT,
        noinherit=True,
        nodelay=config.SOCK_NODELAY,
        sslContext=server_ssl_context(),
    )
    return sock, location_string(sock, host, port, unixsocket)


def location_string(sock, host, port, unixsocket):
    """ "./u:name" for unix sockets, else "host:port" with the host as given (bound address if empty)."""
    if unixsocket:
        return "./u:" + unixsocket
    sockname = sock.getsockname()
    host = host or sockname[0]
    port = port or sockname[1]
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


def accept_client(server_sock):
    """Accept a pending client; returns ``(client socket, address)``.

    For an SSL server socket the client is accepted as a plain socket and wrapped without doing the
    TLS handshake yet: SSLSocket.accept() would run the handshake right here, so one silent or
    non-TLS client could block the accepting thread. ``finish_tls_handshake`` does it later, in the
    thread that serves the connection.
    """
    if isinstance(server_sock, ssl.SSLSocket):
        csock, caddr = socket.socket.accept(server_sock)
        prepare_client_socket(csock)
        csock = server_sock.context.wrap_socket(csock, server_side=True, do_handshake_on_connect=False)
    else:
        csock, caddr = server_sock.accept()
        prepare_client_socket(csock)
    return csock, caddr


def finish_tls_handshake(sock):
    """Complete the TLS handshake of a client accepted by ``accept_client`` (no-op for plain sockets)."""
    if isinstance(sock, ssl.SSLSocket):
        sock.do_handshake()


def prepare_client_socket(csock):
    """Settings for a freshly accepted client socket (COMMTIMEOUT is read at accept time)."""
    if config.COMMTIMEOUT:
        csock.settimeout(config.COMMTIMEOUT)


def wake_server(sock, location):
    """Make a server blocked in select/accept on ``sock`` return, by connecting to it."""
    if sock is None:
        return
    try:
        address = sock.getsockname()
    except OSError:
        return
    if sock.family == socket.AF_UNIX:
        if not address:
            return
        if isinstance(address, bytes):
            address = address.decode("latin-1")
    else:
        # a wildcard bind is reachable on loopback
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(address[0], address[0])
        address = (host, address[1])
    socketutil.interruptSocket(address)


def close_unix_socket_file(sock, unixsocket):
    """A unix socket server removes its socket file when it closes (abstract names have none)."""
    import os

    if unixsocket and not unixsocket.startswith("\0"):
        try:
            os.remove(unixsocket)
        except OSError:
            pass


def close_listener(sock, unixsocket):
    """Close a server's listening socket (errors ignored) and remove its unix socket file."""
    if sock is None:
        return
    try:
        sock.close()
    except Exception:
        pass
    close_unix_socket_file(sock, unixsocket)


def shut_down(server):
    """A transport server's shutdown(): flag its loop, wake it from select/accept, let it notice, close."""
    server.shutting_down = True
    server.wakeup()
    time.sleep(0.05)
    server.close()


def stop_reading(conn):
    """Wake a thread blocked in recv on this client connection, without closing it.

    Only the receiving side is shut down, so a reply that is being sent right now (for instance the
    reply of a remote call that triggered the daemon's shutdown) still goes out. The plain socket
    method is used because an SSL socket's own shutdown() would drop its TLS state first.
    """
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        socket.socket.shutdown(sock, socket.SHUT_RD)
    except (OSError, ValueError, TypeError):
        pass
