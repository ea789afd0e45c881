"""The name server's UDP broadcast responder, on loopback only (WIRE.md §7.1, vectors/broadcast.json)."""

import contextlib
import json
import os
import socket

import pytest

import Pyro4
from Pyro4.naming import BroadcastServer

VECTOR_FILE = os.path.join("/work/shared/spec/vectors", "broadcast.json")


@pytest.fixture
def vector():
    with open(VECTOR_FILE) as vector_file:
        return json.load(vector_file)


@pytest.fixture
def client():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    yield sock
    sock.close()


@contextlib.contextmanager
def _bcserver(uri="PYRO:Pyro.NameServer@127.0.0.1:43173"):
    server = BroadcastServer(uri, bchost="127.0.0.1", bcport=0)
    try:
        yield server
    finally:
        server.close()


def _nothing_pending(sock):
    sock.setblocking(False)
    try:
        sock.recvfrom(100)
    except BlockingIOError:
        return True
    return False


def test_answers_get_nsuri_exactly_like_4_82(vector, client):
    ns_port = vector["config"]["ns_port_used"]
    with _bcserver(Pyro4.URI("PYRO:Pyro.NameServer@127.0.0.1:%d" % ns_port)) as server:
        client.sendto(bytes.fromhex(vector["request_hex"]), ("127.0.0.1", server.getPort()))
        server.processRequest()
        data, sender = client.recvfrom(100)
    assert data == bytes.fromhex(vector["response_hex"])
    assert data.decode("iso-8859-1") == vector["response_text"]


def test_ignores_other_datagrams(vector, client):
    with _bcserver() as server:
        address = ("127.0.0.1", server.getPort())
        client.sendto(bytes.fromhex(vector["other_request_hex"]), address)
        client.sendto(b"GET_NSURI\n", address)
        server.processRequest()
        server.processRequest()
        # loopback delivery is synchronous: an answer would already be queued
        assert _nothing_pending(client)
        client.setblocking(True)
        client.sendto(b"GET_NSURI", address)
        server.processRequest()
        assert client.recvfrom(100)[0] == b"PYRO:Pyro.NameServer@127.0.0.1:43173"


def test_substitutes_any_address(client):
    # a name server bound to 0.0.0.0 must never be announced as 0.0.0.0
    with _bcserver("PYRO:Pyro.NameServer@0.0.0.0:9999") as server:
        client.sendto(b"GET_NSURI", ("127.0.0.1", server.getPort()))
        server.processRequest()
        answer = client.recvfrom(100)[0].decode("iso-8859-1")
    assert answer == "PYRO:Pyro.NameServer@127.0.0.1:9999"


def test_attributes():
    uri = Pyro4.URI("PYRO:Pyro.NameServer@127.0.0.1:5555")
    with _bcserver(uri) as server:
        assert server.nsUri is uri
        assert server.running
        port = server.getPort()
        assert port > 0
        assert server.locationStr == "127.0.0.1:%d" % port
        assert server.fileno() == server.sock.fileno()
        assert server.sock.type == socket.SOCK_DGRAM
        assert server.sock.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)
        assert server.transportServer.sockets == [server]
    assert not server.running


def test_config_defaults():
    Pyro4.config.NS_BCHOST = "127.0.0.1"
    Pyro4.config.NS_BCPORT = 0
    server = BroadcastServer("PYRO:Pyro.NameServer@127.0.0.1:5555")
    try:
        assert server.sock.getsockname()[0] == "127.0.0.1"
        assert server.locationStr == "127.0.0.1:%d" % server.getPort()
    finally:
        server.close()


def test_context_manager_and_close_twice():
    with BroadcastServer("PYRO:Pyro.NameServer@127.0.0.1:5555", bchost="127.0.0.1", bcport=0) as server:
        assert server.running
    assert not server.running
    server.close()
    server.processRequest()  # a closed server ignores the call instead of crashing


def test_transport_adapter_events(client):
    with _bcserver() as server:
        client.sendto(b"GET_NSURI", ("127.0.0.1", server.getPort()))
        server.transportServer.events([server])
        assert client.recvfrom(100)[0] == b"PYRO:Pyro.NameServer@127.0.0.1:43173"


def test_run_in_thread(client):
    with _bcserver() as server:
        thread = server.runInThread()
        assert thread.daemon
        for _ in range(3):
            client.sendto(b"GET_NSURI", ("127.0.0.1", server.getPort()))
            assert client.recvfrom(100)[0] == b"PYRO:Pyro.NameServer@127.0.0.1:43173"
    thread.join(10)
    assert not thread.is_alive()


def test_ipv6_responder():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 support on this machine")
    try:
        server = BroadcastServer("PYRO:Pyro.NameServer@[::1]:5555", bchost="::1", bcport=0)
    except OSError as x:
        pytest.skip("IPv6 loopback not available: %s" % x)
    client = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        client.settimeout(10)
        assert server.sock.family == socket.AF_INET6
        assert server.locationStr == "[::1]:%d" % server.getPort()
        client.sendto(b"GET_NSURI", ("::1", server.getPort()))
        server.processRequest()
        assert client.recvfrom(100)[0] == b"PYRO:Pyro.NameServer@[::1]:5555"
    finally:
        client.close()
        server.close()
