"""End-to-end connection life cycle: handshakes, HMAC, refusals, instance modes, shutdown, leaks."""

import os
import socket
import threading

import pytest
from server_helpers import SERVERTYPES, connect_message, decode, raw_connection, recv_all, serving

import Pyro4
from Pyro4 import core, errors, message, util
from Pyro4.configuration import config


@Pyro4.expose
class CounterBase(object):
    instances = []

    def __init__(self):
        CounterBase.instances.append(self)

    def ident(self):
        return id(self)

    def echo(self, x):
        return x

    def stop(self):
        self._pyroDaemon.shutdown()
        return "stopping"


def counter_class():
    """A fresh class per registration: registering a class marks it with its Pyro id."""
    return type("Counter", (CounterBase,), {})


@pytest.fixture(params=SERVERTYPES)
def servertype(request):
    config.SERVERTYPE = request.param
    config.POLLTIMEOUT = 0.2
    return request.param


class RefusingDaemon(Pyro4.Daemon):
    def validateHandshake(self, conn, data):
        if data != "let me in":
            raise ValueError("go away")
        return "welcome"


class AnnotatingDaemon(Pyro4.Daemon):
    def __init__(self, *args, **kwargs):
        super(AnnotatingDaemon, self).__init__(*args, **kwargs)
        self.disconnected = threading.Event()

    def annotations(self):
        return {"DAEM": b"hook"}

    def clientDisconnect(self, conn):
        self.disconnected.set()


def test_validate_handshake(servertype):
    daemon = RefusingDaemon(host="127.0.0.1")
    uri = daemon.register(counter_class(), "counter")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            with pytest.raises(errors.CommunicationError, match="rejected: go away"):
                p.echo(1)
        with Pyro4.Proxy(uri) as p:
            p._pyroHandshake = "let me in"
            assert p.echo(1) == 1


def test_hmac(servertype):
    daemon = Pyro4.Daemon(host="127.0.0.1")
    daemon._pyroHmacKey = "secret"
    uri = daemon.register(counter_class(), "counter")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            p._pyroHmacKey = "secret"
            assert p.echo(5) == 5
        with Pyro4.Proxy(uri) as p:
            p._pyroHmacKey = "wrong"
            with pytest.raises(errors.CommunicationError) as excinfo:
                p.echo(5)
            assert str(excinfo.value).startswith("cannot connect to ")
            assert str(excinfo.value).endswith("message hmac mismatch")
        with Pyro4.Proxy(uri) as p:
            with pytest.raises(errors.CommunicationError) as excinfo:
                p.echo(5)
            assert str(excinfo.value).endswith("hmac key config not symmetric")


def test_annotations_hook_and_disconnect(servertype):
    daemon = AnnotatingDaemon(host="127.0.0.1")
    uri = daemon.register(counter_class(), "counter")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            assert p.echo(1) == 1
            assert core.current_context.response_annotations["DAEM"] == b"hook"
            assert "CORR" in core.current_context.response_annotations
        assert daemon.disconnected.wait(5)
        conn = raw_connection(daemon)
        try:
            conn.send(connect_message(objectId="nope", seq=99).to_bytes())
            reply = message.Message.recv(conn, [message.MSG_CONNECTFAIL])
            assert reply.seq == 99
            assert reply.annotations["DAEM"] == b"hook"
            assert decode(reply) == "unknown object"
        finally:
            conn.close()


def test_handshake_echoes_seq_and_corr(servertype):
    daemon = Pyro4.Daemon(host="127.0.0.1")
    daemon.register(counter_class(), "counter")
    with serving(daemon):
        conn = raw_connection(daemon)
        try:
            corr = b"0123456789abcdef"
            conn.send(connect_message(objectId="counter", seq=99, annotations={"CORR": corr}).to_bytes())
            reply = message.Message.recv(conn, [message.MSG_CONNECTOK])
            assert reply.seq == 99
            assert reply.annotations["CORR"] == corr
            assert reply.flags & message.FLAGS_META_ON_CONNECT
            response = decode(reply)
            assert response["handshake"] == "hello"
            assert set(response["meta"]["methods"]) == {"ident", "echo", "stop"}
        finally:
            conn.close()


def test_unaccepted_serializer_connect(servertype):
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(counter_class(), "counter")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            p._pyroSerializer = "pickle"
            with pytest.raises(
                errors.CommunicationError, match="rejected: message used serializer that is not accepted: 4"
            ):
                p.echo(1)


def test_all_serializers_accepted(servertype):
    names = ["serpent", "json", "marshal", "pickle", "msgpack", "dill", "cloudpickle"]
    names = [name for name in names if name in util._serializers]
    config.SERIALIZERS_ACCEPTED = set(names)
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(counter_class(), "counter")
    with serving(daemon):
        for name in names:
            with Pyro4.Proxy(uri) as p:
                p._pyroSerializer = name
                assert p.echo([1, "two"]) in ([1, "two"], (1, "two"))


def test_instance_modes(servertype):
    @Pyro4.behavior(instance_mode="single")
    class Single(CounterBase):
        pass

    @Pyro4.behavior(instance_mode="percall")
    class PerCall(CounterBase):
        pass

    daemon = Pyro4.Daemon(host="127.0.0.1")
    session_uri = daemon.register(counter_class(), "session")
    single_uri = daemon.register(Single, "single")
    percall_uri = daemon.register(PerCall, "percall")
    with serving(daemon):
        with Pyro4.Proxy(session_uri) as p1, Pyro4.Proxy(session_uri) as p2:
            assert p1.ident() == p1.ident()
            assert p1.ident() != p2.ident()
        with Pyro4.Proxy(single_uri) as p1, Pyro4.Proxy(single_uri) as p2:
            assert p1.ident() == p2.ident()
        with Pyro4.Proxy(percall_uri) as p:
            assert p.echo(1) == 1
            before = len(CounterBase.instances)
            p.echo(2)
            assert len(CounterBase.instances) == before + 1


def test_pool_full_denies_connection():
    config.THREADPOOL_SIZE = config.THREADPOOL_SIZE_MIN = 1
    config.POLLTIMEOUT = 0.2
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(counter_class(), "counter")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p1, Pyro4.Proxy(uri) as p2:
            assert p1.echo(1) == 1
            with pytest.raises(
                errors.CommunicationError, match="rejected: no free workers, increase server threadpool size"
            ):
                p2.echo(2)
        for _ in range(500):  # the worker becomes free once p1's connection is gone
            try:
                with Pyro4.Proxy(uri) as p3:
                    assert p3.echo(3) == 3
                break
            except errors.CommunicationError:
                threading.Event().wait(0.01)
        else:
            pytest.fail("worker never became free")


def test_shutdown_by_remote_call(servertype):
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(CounterBase(), "counter")
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    try:
        with Pyro4.Proxy(uri) as p, Pyro4.Proxy(uri) as idle:
            idle._pyroBind()
            assert p.stop() == "stopping"
        loop.join(10)
        assert not loop.is_alive()
    finally:
        daemon.close()


def test_shutdown_with_live_connections(servertype):
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(counter_class(), "counter")
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    p = Pyro4.Proxy(uri)
    try:
        assert p.echo(1) == 1
        daemon.shutdown()
        loop.join(10)
        assert not loop.is_alive()
        assert daemon.transportServer is None
    finally:
        p._pyroRelease()
        daemon.close()


def test_request_loop_condition(servertype):
    with Pyro4.Daemon(host="127.0.0.1") as daemon:
        daemon.requestLoop(lambda: False)


def _fds():
    return len(os.listdir("/proc/self/fd"))


def _pyro_threads():
    prefixes = ("Pyro-Worker-", "housekeeper", "oneway-call")
    return [t for t in threading.enumerate() if t.name.startswith(prefixes) and t.is_alive()]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count open descriptors")
def test_no_leaked_threads_or_sockets(servertype):
    for _ in range(200):  # earlier tests' workers may still be finishing
        if not _pyro_threads():
            break
        threading.Event().wait(0.01)
    threads_before = len(_pyro_threads())
    fds_before = _fds()
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(counter_class(), "counter")
    with serving(daemon):
        proxies = [Pyro4.Proxy(uri) for _ in range(3)]
        for p in proxies:
            assert p.echo(1) == 1
        stream_holder = Pyro4.Proxy(uri)
        assert stream_holder.echo(2) == 2
        for p in proxies:
            p._pyroRelease()
    stream_holder._pyroRelease()
    for _ in range(500):
        if len(_pyro_threads()) <= threads_before and _fds() <= fds_before:
            break
        threading.Event().wait(0.01)
    assert len(_pyro_threads()) <= threads_before
    assert _fds() <= fds_before


def test_oversize_message_dropped_daemon_keeps_serving(servertype):
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(counter_class(), "counter")
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            p._pyroBind()
            config.MAX_MESSAGE_SIZE = 100
            with pytest.raises(errors.MessageTooLargeError):
                p.echo("x" * 200)  # refused locally, before sending
        config.MAX_MESSAGE_SIZE = 0
        with Pyro4.Proxy(uri) as p:
            p._pyroBind()
            msg = message.Message(message.MSG_INVOKE, b"x" * 400, 1, 0, 1)
            config.MAX_MESSAGE_SIZE = 100  # the daemon (same process) reads it when receiving
            p._pyroConnection.send(msg.to_bytes())
            assert recv_all(p._pyroConnection.sock) == b""  # dropped without a reply
            config.MAX_MESSAGE_SIZE = 0
        with Pyro4.Proxy(uri) as p:
            assert p.echo(1) == 1


def test_unix_socket_daemon(servertype, tmp_path):
    path = str(tmp_path / "pyro.sock")
    daemon = Pyro4.Daemon(unixsocket=path)
    uri = daemon.register(counter_class(), "counter")
    assert str(uri) == "PYRO:counter@./u:" + path
    with serving(daemon):
        with Pyro4.Proxy(uri) as p:
            assert p.echo("unix") == "unix"
    assert not os.path.exists(path)


def test_connected_socket_daemon():
    ours, theirs = socket.socketpair()
    daemon = Pyro4.Daemon(connected_socket=ours)
    daemon.register(counter_class(), "counter")
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    try:
        with Pyro4.Proxy("counter", connected_socket=theirs) as p:
            assert p.echo(5) == 5
            assert p.echo("again") == "again"
    finally:
        theirs.close()
        loop.join(10)
        daemon.close()
        ours.close()
    assert not loop.is_alive()
