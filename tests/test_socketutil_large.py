"""SocketConnection with large payloads, on both twins: after a read larger than the read-ahead, the
next reads (header, annotations) are exact, so a following large payload arrives whole instead of
after a read-ahead prefix that would have to be joined to it. Same bytes, same errors."""

import socket

import pytest
from test_socketutil_twins import _send_in_thread

from Pyro4 import socketutil
from Pyro4.errors import ConnectionClosedError, TimeoutError

WAITALL = getattr(socket, "MSG_WAITALL", 0)
LARGE = 300000  # more than the read-ahead, less than what a recv may bring in one go
HEADER = 24


class RecordingSocket(object):
    """A real socket that records the receive calls made on it."""

    def __init__(self, sock):
        self._sock = sock
        self.calls = []

    def recv(self, size, flags=0):
        self.calls.append(("recv", size, flags))
        return self._sock.recv(size, flags)

    def recv_into(self, buffer, nbytes=0, flags=0):
        self.calls.append(("recv_into", nbytes, flags))
        return self._sock.recv_into(buffer, nbytes, flags)

    def __getattr__(self, name):
        return getattr(self._sock, name)


@pytest.fixture
def connection(socketutil_twin, monkeypatch):
    """(SocketConnection on a recording socket, the peer socket), with the twin under test bound."""
    monkeypatch.setattr(socketutil, "_impl", socketutil_twin)
    left, right = socket.socketpair()
    conn = socketutil.SocketConnection(RecordingSocket(left))
    yield conn, right
    conn.close()
    left.close()
    right.close()


def _header(number):
    return bytes([number]) * HEADER


def _payload(number, size=LARGE):
    return bytes((number + i) % 256 for i in range(256)) * (size // 256) + b"t" * (size % 256)


def _calls_since(conn, start):
    return conn.sock.calls[start:]


def test_payload_after_a_large_one_arrives_whole(connection):
    conn, peer = connection
    thread = _send_in_thread(peer, [_header(1) + _payload(1) + _header(2) + _payload(2)])
    assert conn.recv(HEADER) == _header(1)
    assert conn.recv(LARGE) == _payload(1)
    assert conn.recv(HEADER) == _header(2)
    assert not conn._has_pending_data()
    before = len(conn.sock.calls)
    assert conn.recv(LARGE) == _payload(2)
    thread.join(10)
    assert _calls_since(conn, before) == [("recv", LARGE, WAITALL)]


def test_exact_reads_cover_header_and_annotations(connection):
    conn, peer = connection
    annotations = b"CORR" + b"c" * 20
    second = _header(2) + annotations + _payload(2)
    thread = _send_in_thread(peer, [_header(1) + _payload(1) + second])
    assert conn.recv(HEADER) == _header(1)
    assert conn.recv(LARGE) == _payload(1)
    assert conn.recv(HEADER) == _header(2)
    assert conn.recv(len(annotations)) == annotations
    assert not conn._has_pending_data()
    assert conn.recv(LARGE) == _payload(2)
    thread.join(10)


def test_read_ahead_resumes_after_small_reads(connection):
    conn, peer = connection
    small = [_header(n) + b"s" * 10 for n in (2, 3)]
    thread = _send_in_thread(peer, [_header(1) + _payload(1) + b"".join(small)])
    conn.recv(HEADER)
    conn.recv(LARGE)
    thread.join(10)
    assert conn.recv(HEADER) == _header(2)
    assert conn.recv(10) == b"s" * 10
    assert not conn._has_pending_data()
    assert conn.recv(HEADER) == _header(3)
    assert conn._has_pending_data()  # reading ahead again: the body came along
    assert conn.recv(10) == b"s" * 10


def test_large_payload_joined_to_a_read_ahead_prefix_also_counts(connection):
    conn, peer = connection
    thread = _send_in_thread(peer, [_header(1) + b"s" * 10 + _header(2) + _payload(2) + _header(3) + _payload(3)])
    assert conn.recv(HEADER) == _header(1)
    assert conn.recv(10) == b"s" * 10
    assert conn.recv(HEADER) == _header(2)
    assert conn.recv(LARGE) == _payload(2)  # partly read ahead already
    assert conn.recv(HEADER) == _header(3)
    assert not conn._has_pending_data()
    assert conn.recv(LARGE) == _payload(3)
    thread.join(10)


def test_closed_in_the_middle_of_a_large_payload(connection):
    conn, peer = connection
    half = _payload(2)[: LARGE // 2]
    thread = _send_in_thread(peer, [_header(1) + _payload(1) + _header(2) + half], close_after=True)
    conn.recv(HEADER)
    conn.recv(LARGE)
    assert conn.recv(HEADER) == _header(2)
    with pytest.raises(ConnectionClosedError) as excinfo:
        conn.recv(LARGE)
    thread.join(10)
    assert str(excinfo.value) == "receiving: not enough data"
    assert excinfo.value.partialData == half


def test_large_payloads_on_a_socket_with_timeout(connection):
    conn, peer = connection
    conn.setTimeout(10.0)
    frames = b"".join(_header(n) + _payload(n) for n in range(1, 4))
    thread = _send_in_thread(peer, [frames])
    for number in range(1, 4):
        assert conn.recv(HEADER) == _header(number)
        assert conn.recv(LARGE) == _payload(number)
    thread.join(10)


def test_timeout_while_waiting_for_the_next_header(connection):
    conn, peer = connection
    conn.setTimeout(0.05)
    thread = _send_in_thread(peer, [_header(1) + _payload(1) + b"x" * 5])
    conn.recv(HEADER)
    conn.recv(LARGE)
    thread.join(10)
    with pytest.raises(TimeoutError, match="^receiving: timeout$"):
        conn.recv(HEADER)


@pytest.mark.parametrize("waitall", [True, False])
def test_waitall_setting_is_followed_for_large_payloads(connection, waitall):
    socketutil.config.USE_MSG_WAITALL = waitall
    conn, peer = connection
    thread = _send_in_thread(peer, [_header(1) + _payload(1) + _header(2) + _payload(2)])
    conn.recv(HEADER)
    conn.recv(LARGE)
    conn.recv(HEADER)
    before = len(conn.sock.calls)
    assert conn.recv(LARGE) == _payload(2)
    thread.join(10)
    assert _calls_since(conn, before)[0][2] == (WAITALL if waitall else 0)


# ---- receive_data of a large payload whose first read comes back short ---------------------------


def _pieces(data, size):
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("waitall", [True, False])
@pytest.mark.parametrize("timeout", [None, 10.0])
def test_large_payload_arriving_piecemeal(socketutil_twin, timeout, waitall):
    left, right = socket.socketpair()
    try:
        right.settimeout(timeout)
        data = _payload(7, 1000003)
        thread = _send_in_thread(left, _pieces(data, 70001), False)
        assert socketutil_twin.receive_data(right, len(data), waitall) == data
        thread.join(10)
    finally:
        left.close()
        right.close()


@pytest.mark.parametrize("waitall", [True, False])
def test_large_payload_cut_short_keeps_everything_received(socketutil_twin, waitall):
    left, right = socket.socketpair()
    try:
        right.settimeout(10.0)
        data = _payload(9, 600000)
        thread = _send_in_thread(left, _pieces(data, 50000), True)
        with pytest.raises(ConnectionClosedError) as excinfo:
            socketutil_twin.receive_data(right, len(data) + 100, waitall)
        thread.join(10)
    finally:
        left.close()
        right.close()
    assert str(excinfo.value) == "receiving: not enough data"
    assert excinfo.value.partialData == data
