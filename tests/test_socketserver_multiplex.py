"""The multiplexing transport server and the existing-connection server, driven by fake daemons."""

import selectors
import socket
import threading

import pytest
from server_helpers import FakeDaemon, recv_all

from Pyro4 import errors
from Pyro4.configuration import config
from Pyro4.socketserver.existingconnectionserver import SocketServer_ExistingConnection
from Pyro4.socketserver.multiplexserver import SocketServer_Multiplex


@pytest.fixture
def mux_server():
    config.POLLTIMEOUT = 0.1
    daemon = FakeDaemon()
    server = SocketServer_Multiplex()
    server.init(daemon, "localhost", 0)
    loop = threading.Thread(target=server.loop, daemon=True)
    loop.start()
    try:
        yield server, daemon
    finally:
        server.shutdown()
        loop.join(10)
        server.close()
    assert not loop.is_alive()


def _connect(server):
    return socket.create_connection(server.sock.getsockname()[:2], timeout=5)


class TestMultiplexServer:
    def test_init_attributes(self):
        server = SocketServer_Multiplex()
        try:
            server.init(FakeDaemon(), "localhost", 0)
            port = server.sock.getsockname()[1]
            assert server.locationStr == "localhost:%d" % port
            assert isinstance(server.selector, selectors.BaseSelector)
            assert server.sockets == [server.sock]
            assert repr(server) == "<SocketServer_Multiplex on localhost:%d; 0 connections>" % port
        finally:
            server.close()
        server.close()
        assert server.sock is None

    def test_serves_several_clients_and_disconnects(self, mux_server):
        server, daemon = mux_server
        with _connect(server) as one, _connect(server) as two:
            assert one.recv(5) == b"HELLO"
            assert two.recv(5) == b"HELLO"
            two.sendall(b"2222")
            one.sendall(b"1111")
            assert one.recv(4) == b"1111"
            assert two.recv(4) == b"2222"
            assert len(server.sockets) == 3
            assert "; 2 connections>" in repr(server)
        assert daemon.disconnected.wait(5)

    def test_survives_crashing_handshake_and_garbage(self, mux_server):
        server, daemon = mux_server
        daemon.handshake_ok = "crash"
        with _connect(server) as sock:
            assert recv_all(sock) == b"HELLO"
        daemon.handshake_ok = True
        with _connect(server) as sock:
            assert sock.recv(5) == b"HELLO"
            sock.sendall(b"BOOM")
            assert recv_all(sock) == b""
        with _connect(server) as sock:
            assert sock.recv(5) == b"HELLO"
            sock.sendall(b"fine")
            assert sock.recv(4) == b"fine"

    def test_housekeeping_when_idle(self, mux_server):
        server, daemon = mux_server
        assert daemon.housekept.wait(5)

    def test_combine_loop(self, mux_server):
        server, daemon = mux_server
        other = SocketServer_Multiplex()
        other_daemon = FakeDaemon()
        other.init(other_daemon, "localhost", 0)
        try:
            server.combine_loop(other)
            assert other.selector is server.selector
            assert other.sock in server.sockets
            with _connect(other) as sock:
                assert sock.recv(5) == b"HELLO"
                sock.sendall(b"comb")
                assert sock.recv(4) == b"comb"
            assert other_daemon.handshakes
            # the combined loop must see the client go and close its connection before the test
            # takes `other` apart (its connection is no longer `server`'s to close)
            assert other_daemon.disconnected.wait(5)
        finally:
            server.selector.unregister(other.sock)
            other.sock.close()
            other.sock = None


class TestExistingConnectionServer:
    def test_serves_socket_without_handshake(self):
        daemon = FakeDaemon()
        ours, theirs = socket.socketpair()
        server = SocketServer_ExistingConnection()
        try:
            server.init(daemon, ours)
            assert server.locationStr == "./u:<<not-bound>>"
            assert repr(server) == "<SocketServer_ExistingConnection on ./u:<<not-bound>>>"
            assert server.sockets == [ours]
            with pytest.raises(TypeError):
                _ = server.selector
            with pytest.raises(errors.PyroError, match="cannot combine servers when using user-supplied connected"):
                server.combine_loop(None)
            with pytest.raises(errors.PyroError, match="cannot combine events when using user-supplied connected"):
                server.events([])
            loop = threading.Thread(target=server.loop, daemon=True)
            loop.start()
            theirs.settimeout(5)
            theirs.sendall(b"data")
            assert theirs.recv(4) == b"data"
            theirs.close()  # the peer goes away: the loop ends
            loop.join(10)
            assert not loop.is_alive()
            assert daemon.handshakes == []
            assert daemon.disconnects
        finally:
            server.close()
            ours.close()
            theirs.close()

    def test_close_keeps_user_socket_open(self):
        ours, theirs = socket.socketpair()
        server = SocketServer_ExistingConnection()
        try:
            server.init(FakeDaemon(), ours)
            server.close()
            server.shutdown()
            assert ours.fileno() >= 0
            ours.sendall(b"x")
            assert theirs.recv(1) == b"x"
        finally:
            ours.close()
            theirs.close()

    def test_tcp_location_and_unconnected_socket(self):
        unconnected = socket.socket()
        try:
            with pytest.raises(OSError):
                SocketServer_ExistingConnection().init(FakeDaemon(), unconnected)
        finally:
            unconnected.close()
        listener = socket.create_server(("127.0.0.1", 0))
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        try:
            server = SocketServer_ExistingConnection()
            server.init(FakeDaemon(), accepted)
            assert server.locationStr == "127.0.0.1:%d" % listener.getsockname()[1]
        finally:
            for s in (listener, client, accepted):
                s.close()

    def test_ssl_required(self):
        config.SSL = True
        ours, theirs = socket.socketpair()
        try:
            with pytest.raises(OSError, match="SSL configured for Pyro but existing socket is not a SSL socket"):
                SocketServer_ExistingConnection().init(FakeDaemon(), ours)
        finally:
            ours.close()
            theirs.close()
