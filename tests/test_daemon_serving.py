"""Serving details: concurrency per server type, timeouts, external event loops, serveSimple, QUICKACK."""

import select
import socket
import threading

import pytest
from server_helpers import handshaken_connection, invoke_message, recv_all, serving

import Pyro4
from Pyro4 import _daemon_protocol, errors, message
from Pyro4.configuration import config


@Pyro4.expose
class Concurrency(object):
    def __init__(self, barrier=None):
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.barrier = barrier
        self.fired = threading.Semaphore(0)

    def work(self):
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if self.barrier:
                self.barrier.wait(10)  # only passes when calls really run at the same time
            else:
                threading.Event().wait(0.02)
        finally:
            with self.lock:
                self.active -= 1
        return "done"

    @Pyro4.oneway
    def fire(self):
        self.fired.release()


def _call_in_threads(uri, count):
    results = []

    def call():
        with Pyro4.Proxy(uri) as p:
            results.append(p.work())

    threads = [threading.Thread(target=call) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_thread_server_runs_calls_concurrently():
    config.POLLTIMEOUT = 0.2
    daemon = Pyro4.Daemon(host="127.0.0.1")
    obj = Concurrency(threading.Barrier(3))
    uri = daemon.register(obj, "c")
    with serving(daemon):
        assert _call_in_threads(uri, 3) == ["done"] * 3
    assert obj.max_active == 3


def test_multiplex_server_runs_calls_one_at_a_time():
    config.SERVERTYPE = "multiplex"
    config.POLLTIMEOUT = 0.2
    daemon = Pyro4.Daemon(host="127.0.0.1")
    obj = Concurrency()
    uri = daemon.register(obj, "c")
    with serving(daemon):
        assert _call_in_threads(uri, 4) == ["done"] * 4
    assert obj.max_active == 1


def test_idle_client_times_out():
    # the thread server's worker blocks in recv, so COMMTIMEOUT ends an idle connection; the
    # multiplex server only reads ready sockets and keeps idle ones
    config.POLLTIMEOUT = 0.2
    config.COMMTIMEOUT = 0.3
    daemon = Pyro4.Daemon(host="127.0.0.1")
    daemon.register(Concurrency(), "c")
    config.COMMTIMEOUT = 0.0
    with serving(daemon):
        config.COMMTIMEOUT = 0.3  # read at accept time
        conn = handshaken_connection(daemon)
        config.COMMTIMEOUT = 0.0
        try:
            assert recv_all(conn.sock, timeout=10) == b""
        finally:
            conn.close()


def test_external_event_loop():
    config.SERVERTYPE = "multiplex"
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(Concurrency(), "c")
    stop = threading.Event()
    results = []

    def client():
        try:
            with Pyro4.Proxy(uri) as p:
                results.append(p.work())
        finally:
            stop.set()

    caller = threading.Thread(target=client)
    caller.start()
    try:
        for _ in range(1000):
            if stop.is_set():
                break
            ready, _, _ = select.select(daemon.sockets, [], [], 0.05)
            if ready:
                daemon.events(ready)
    finally:
        caller.join(10)
        daemon.close()
    assert results == ["done"]


def test_serve_simple(capsys):
    daemon = Pyro4.Daemon(host="127.0.0.1")
    obj = Concurrency()
    server = threading.Thread(
        target=Pyro4.Daemon.serveSimple, kwargs=dict(objects={obj: "simple.obj"}, daemon=daemon, ns=False), daemon=True
    )
    server.start()
    try:
        for _ in range(1000):
            if daemon._loop_thread is not None:
                break
            threading.Event().wait(0.01)
        with Pyro4.Proxy("PYRO:simple.obj@" + daemon.locationStr) as p:
            assert p.work() == "done"
    finally:
        daemon.shutdown()
        server.join(10)
    assert not server.is_alive()
    out = capsys.readouterr().out
    assert "Object %r:\n    uri = PYRO:simple.obj@%s\n" % (obj, daemon.locationStr) in out
    assert out.endswith("Pyro daemon running.\n")


def test_serve_simple_duplicate_names():
    daemon = Pyro4.Daemon(host="127.0.0.1")
    with pytest.raises(errors.DaemonError):
        Pyro4.Daemon.serveSimple({Concurrency(): "same", Concurrency(): "same"}, daemon=daemon, ns=False, verbose=False)
    assert daemon.transportServer is None


def test_quickack_after_oneway_receive(monkeypatch):
    seen = []
    real = _daemon_protocol._set_quickack
    monkeypatch.setattr(_daemon_protocol, "_set_quickack", lambda conn: (seen.append(conn), real(conn)))
    daemon = Pyro4.Daemon(host="127.0.0.1")
    obj = Concurrency()
    uri = daemon.register(obj, "c")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            for _ in range(5):
                p.fire()
            for _ in range(5):
                assert obj.fired.acquire(timeout=10)
            assert p.work() == "done"
    if _daemon_protocol._TCP_QUICKACK is not None:
        assert len(seen) == 5  # only the oneway requests, which get no reply to carry the ACK


def test_quickack_on_various_sockets():
    listener = socket.create_server(("127.0.0.1", 0))
    tcp_a = socket.create_connection(listener.getsockname())
    tcp_b, _ = listener.accept()
    listener.close()
    unix_a, unix_b = socket.socketpair()
    try:

        class Conn(object):
            pass

        for sock in (tcp_a, unix_a, None):
            conn = Conn()
            conn.sock = sock
            _daemon_protocol._set_quickack(conn)  # never raises
    finally:
        for s in (tcp_a, tcp_b, unix_a, unix_b):
            s.close()


def test_oneway_request_never_answered():
    daemon = Pyro4.Daemon(host="127.0.0.1")
    obj = Concurrency()
    daemon.register(obj, "c")
    with serving(daemon):
        conn = handshaken_connection(daemon)
        try:
            conn.send(invoke_message("c", "nonexisting", flags=message.FLAGS_ONEWAY, seq=1).to_bytes())
            conn.send(invoke_message("c", "fire", flags=message.FLAGS_ONEWAY, seq=2).to_bytes())
            assert obj.fired.acquire(timeout=10)
            conn.send(invoke_message("c", "work", seq=3).to_bytes())
            reply = message.Message.recv(conn, [message.MSG_RESULT])
            assert reply.seq == 3  # nothing was sent for the two oneway requests
        finally:
            conn.close()


def _ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="no IPv6 loopback on this machine")
def test_ipv6_daemon():
    daemon = Pyro4.Daemon(host="::1")
    uri = daemon.register(Concurrency(), "c")
    port = daemon.sock.getsockname()[1]
    assert daemon.locationStr == "[::1]:%d" % port
    assert str(uri) == "PYRO:c@[::1]:%d" % port
    assert " - IPv6; " in repr(daemon)
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            assert p.work() == "done"
