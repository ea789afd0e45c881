"""The lean call path: read-ahead receives, large payloads sent in parts, pipelined requests on both
server types, oneway threads started off the worker. Same bytes, same results, fewer syscalls."""

import socket
import threading

import pytest
from server_helpers import SERVERTYPES, handshaken_connection, invoke_message, serving

import Pyro4
from Pyro4 import message, socketutil
from Pyro4.errors import ConnectionClosedError


@pytest.fixture
def pair():
    left, right = socket.socketpair()
    yield left, right
    left.close()
    right.close()


def _sender(sock, data):
    def run():
        sock.sendall(data)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


# ---- the twins' new receive functions ----------------------------------------------------------


def test_receive_ahead_brings_what_has_arrived(socketutil_twin, pair):
    left, right = pair
    right.sendall(b"0123456789")
    data = socketutil_twin.receive_ahead(left, 4, 64)
    assert data == b"0123456789"


def test_receive_ahead_waits_for_the_minimum(socketutil_twin, pair):
    left, right = pair
    right.sendall(b"01")
    thread = _sender(right, b"23456")
    data = socketutil_twin.receive_ahead(left, 4, 64)
    thread.join(5)
    assert data.startswith(b"0123") and b"0123456".startswith(data)


def test_receive_ahead_stops_at_its_limit(socketutil_twin, pair):
    left, right = pair
    right.sendall(b"x" * 100)
    assert socketutil_twin.receive_ahead(left, 4, 10) == b"x" * 10


def test_receive_ahead_small_sizes(socketutil_twin, pair):
    left, _ = pair
    assert socketutil_twin.receive_ahead(left, 0, 64) == b""
    with pytest.raises(ValueError):
        socketutil_twin.receive_ahead(left, -1, 64)


def test_receive_ahead_eof_keeps_partial_data(socketutil_twin, pair):
    left, right = pair
    right.sendall(b"ab")
    right.shutdown(socket.SHUT_WR)
    with pytest.raises(ConnectionClosedError) as excinfo:
        socketutil_twin.receive_ahead(left, 4, 64)
    assert str(excinfo.value) == "receiving: not enough data"
    assert excinfo.value.partialData == b"ab"


class ScriptedSocket(object):
    """Answers each recv with the next scripted item: bytes are returned, exceptions raised."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []

    def recv(self, *args):
        self.calls.append(args)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


def _first_recv_failure(twin, error):
    sock = ScriptedSocket(error)
    with pytest.raises(Exception) as excinfo:
        twin.receive_ahead(sock, 4, 64)
    return type(excinfo.value), str(excinfo.value), excinfo.value.__cause__ is error, sock.calls


@pytest.mark.parametrize("error", [socket.timeout("timed out"), ConnectionResetError(104, "reset by peer"),
                                   OSError(9, "bad file descriptor")])
def test_receive_ahead_first_recv_errors_same_on_both_twins(socketutil_twin, error):
    from Pyro4 import _socketutil_py

    results = [_first_recv_failure(twin, error) for twin in (socketutil_twin, _socketutil_py)]
    assert results[0] == results[1]
    assert results[0][0] in (Pyro4.errors.TimeoutError, ConnectionClosedError) and results[0][2]


def test_receive_ahead_retries_after_would_block(socketutil_twin):
    sock = ScriptedSocket(BlockingIOError(11, "again"), InterruptedError(4, "interrupted"), b"abcdef")
    assert socketutil_twin.receive_ahead(sock, 4, 64) == b"abcdef"
    assert sock.calls == [(64,), (64,), (64,)]  # no flags argument: there are none


def _continue_failure(twin, error):
    sock = ScriptedSocket()
    with pytest.raises(Exception) as excinfo:
        twin.continue_ahead(sock, error, 4, 64)
    return type(excinfo.value), str(excinfo.value), excinfo.value.__cause__ is error, sock.calls


@pytest.mark.parametrize("error", [socket.timeout("timed out"), ConnectionResetError(104, "reset by peer")])
def test_continue_ahead_after_an_error_is_receive_ahead(socketutil_twin, error):
    # what receive_ahead raises when its own first recv fails that way
    expected = _first_recv_failure(socketutil_twin, error)
    assert _continue_failure(socketutil_twin, error) == expected[:3] + ([],)


def test_continue_ahead_retries_and_reads_the_rest(socketutil_twin):
    sock = ScriptedSocket(b"ab", b"cdef")
    assert socketutil_twin.continue_ahead(sock, BlockingIOError(11, "again"), 4, 64) == b"abcdef"
    assert sock.calls == [(64,), (62,)]
    sock = ScriptedSocket(b"cd")
    assert socketutil_twin.continue_ahead(sock, b"ab", 4, 64) == b"abcd"
    assert sock.calls == [(62,)]
    assert socketutil_twin.continue_ahead(ScriptedSocket(), b"abcdef", 4, 64) == b"abcdef"


def test_continue_ahead_eof_keeps_partial_data(socketutil_twin):
    for received, script in ((b"", ()), (b"ab", (b"",))):
        with pytest.raises(ConnectionClosedError) as excinfo:
            socketutil_twin.continue_ahead(ScriptedSocket(*script), received, 4, 64)
        assert str(excinfo.value) == "receiving: not enough data" and excinfo.value.partialData == received


@pytest.mark.parametrize("size", [10, 70000, 3 * 1024 * 1024])
def test_receive_rest_starts_with_the_prefix(socketutil_twin, pair, size):
    left, right = pair
    payload = bytes(range(256)) * (size // 256 + 1)
    thread = _sender(right, payload[3:size])
    data = socketutil_twin.receive_rest(left, payload[:3], size, True)
    thread.join(5)
    assert type(data) is bytes and data == payload[:size]


def test_receive_rest_eof_partial_data_includes_the_prefix(socketutil_twin, pair):
    left, right = pair
    right.sendall(b"cd")
    right.shutdown(socket.SHUT_WR)
    with pytest.raises(ConnectionClosedError) as excinfo:
        socketutil_twin.receive_rest(left, b"ab", 10, False)
    assert excinfo.value.partialData == b"abcd"


def test_receive_rest_refuses_a_prefix_that_is_not_shorter(socketutil_twin, pair):
    left, _ = pair
    with pytest.raises(ValueError) as excinfo:
        socketutil_twin.receive_rest(left, b"abc", 3, False)
    assert str(excinfo.value) == "receive_rest: 3 bytes already received, but only 3 wanted"


# ---- SocketConnection reading ahead ----------------------------------------------------------------


def _frames(count, size=50):
    return [message.Message(message.MSG_INVOKE, bytes([n]) * size, 1, 0, n, {"CORR": b"c" * 16}).to_bytes()
            for n in range(count)]


def test_connection_reads_back_to_back_messages(pair):
    left, right = pair
    frames = _frames(5)
    right.sendall(b"".join(frames))
    conn = socketutil.SocketConnection(left)
    for number in range(5):
        msg = message.Message.recv(conn)
        assert (msg.seq, msg.data) == (number, bytes([number]) * 50)
    assert not conn._has_pending_data()


def test_connection_keeps_surplus_for_the_next_read(pair):
    left, right = pair
    right.sendall(b"".join(_frames(2)))
    conn = socketutil.SocketConnection(left)
    message.Message.recv(conn)
    assert conn._has_pending_data()


def test_keep_open_connection_reads_only_what_is_asked(pair):
    left, right = pair
    first, second = _frames(2)
    right.sendall(first + second)
    conn = socketutil.SocketConnection(left, keep_open=True)
    assert message.Message.recv(conn).seq == 0
    assert not conn._has_pending_data()
    assert left.recv(len(second), socket.MSG_WAITALL) == second  # still there for the socket's owner


def test_large_message_after_read_ahead(pair):
    left, right = pair
    big = message.Message(message.MSG_RESULT, b"z" * (5 * 1024 * 1024), 4, 0, 7, {"CORR": b"c" * 16}).to_bytes()
    thread = _sender(right, _frames(1)[0] + big)
    conn = socketutil.SocketConnection(left)
    assert message.Message.recv(conn).seq == 0
    msg = message.Message.recv(conn)
    thread.join(10)
    assert (msg.seq, len(msg.data), msg.data[:1], msg.data[-1:]) == (7, 5 * 1024 * 1024, b"z", b"z")


@pytest.mark.parametrize("size", [10, 70000, 2 * 1024 * 1024])
def test_write_to_sends_the_bytes_of_to_bytes(pair, size):
    left, right = pair
    msg = message.Message(message.MSG_RESULT, bytes(range(256)) * (size // 256 + 1), 4, 0, 9,
                          {"CORR": b"c" * 16, "XYZW": b"value"})
    expected = msg.to_bytes()
    received = []
    reader = threading.Thread(target=lambda: received.append(left.recv(len(expected), socket.MSG_WAITALL)))
    reader.start()
    msg._write_to(socketutil.SocketConnection(right, keep_open=True))
    reader.join(10)
    assert received == [expected]


def test_write_to_without_send_parts_sends_joined_bytes():
    sent = []

    class Plain(object):
        def send(self, data):
            sent.append(data)

    msg = message.Message(message.MSG_RESULT, b"q" * 100000, 4, 0, 1)
    msg._write_to(Plain())
    assert sent == [msg.to_bytes()]


# ---- servers with pipelined requests -----------------------------------------------------------------


@Pyro4.expose
class Recorder(object):
    def __init__(self):
        self.seen = []
        self.done = threading.Event()

    @Pyro4.oneway
    def note(self, value):
        self.seen.append(value)
        if len(self.seen) == 3:
            self.done.set()

    def total(self, a, b):
        return a + b


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_pipelined_requests_in_one_write_are_all_served(servertype):
    Pyro4.config.SERVERTYPE = servertype
    recorder = Recorder()
    with Pyro4.Daemon(host="127.0.0.1") as daemon:
        daemon.register(recorder, "recorder")
        with serving(daemon):
            conn = handshaken_connection(daemon, objectId="recorder")
            oneways = [invoke_message("recorder", "note", (n,), seq=n + 1, flags=message.FLAGS_ONEWAY)
                       for n in range(3)]
            calls = [invoke_message("recorder", "total", (n, 10), seq=n + 4) for n in range(2)]
            # everything in one write: the server receives it in one read and must not wait for more
            conn.send(b"".join(m.to_bytes() for m in oneways + calls))
            replies = [message.Message.recv(conn, [message.MSG_RESULT]) for _ in calls]
            assert [reply.seq for reply in replies] == [4, 5]
            assert recorder.done.wait(5)
            assert sorted(recorder.seen) == [0, 1, 2]
            conn.close()


def test_oneway_calls_run_in_their_own_threads_after_close():
    recorder = Recorder()
    with Pyro4.Daemon(host="127.0.0.1") as daemon:
        daemon.register(recorder, "recorder")
        with serving(daemon):
            with Pyro4.Proxy(daemon.uriFor("recorder")) as proxy:
                for number in range(3):
                    proxy.note(number)
                assert proxy.total(1, 2) == 3
            assert recorder.done.wait(5)
    assert sorted(recorder.seen) == [0, 1, 2]
    assert not [t for t in threading.enumerate() if t.name == "oneway-starter"]
