"""Pure-Python twin of the socket hot paths; `Pyro4._socketutil` is the compiled twin.

Both twins expose the same functions with the same behaviour (the differential tests hold them to
it). They take every setting as an argument: they never read `Pyro4.config` and never log; the
public `Pyro4.socketutil` does that and binds the selected twin once (see `Pyro4._speedups`).

* `receive_data(sock, size, use_waitall)` -> exactly `size` bytes
* `receive_into(sock, buffer, use_waitall)` -> fills the whole writable `buffer`
* `receive_ahead(sock, size, ahead)` -> at least `size` bytes, plus what else has arrived (up to
  `ahead` bytes in all), in as few recv calls as possible
* `continue_ahead(sock, received, size, ahead)` -> the same, after the caller's own first recv
* `receive_rest(sock, prefix, size, use_waitall)` -> `size` bytes that start with `prefix`
* `recv_small_message(connection, take_message, version, max_size, required)` -> the parts of a
  whole small message from a SocketConnection's pending bytes or one read-ahead, or None
* `send_data(sock, data)` -> sends all of `data`
* `send_parts(sock, header, payload)` -> sends `header + payload` as if joined, without copying a
  large payload
"""

import socket
import time

from Pyro4 import _protocol
from Pyro4 import _socketutil_common as _common
from Pyro4.errors import ConnectionClosedError

_MSG_WAITALL = getattr(socket, "MSG_WAITALL", 0)
# Largest single recv without MSG_WAITALL. Memory then grows with what actually arrives, so a
# header announcing a huge size (a broken or hostile peer) costs nothing up front.
_RECV_CHUNK = 262144
# Largest MSG_WAITALL request: beyond it, the rest comes in chunks (same reason).
_WAITALL_CHUNK = 16 * 1024 * 1024
# The fixed part of every Pyro message, the least a message read asks for (see Pyro4.message).
_MESSAGE_HEADER_SIZE = _protocol.HEADER_SIZE
# Below this a payload is cheaper to join to its header than to hand to sendmsg as two buffers.
_JOIN_LIMIT = _protocol.JOIN_LIMIT


def _recv_flags(sock, use_waitall):
    # SSL sockets reject recv flags (and their records make MSG_WAITALL meaningless)
    if use_waitall and not hasattr(sock, "getpeercert"):
        return _MSG_WAITALL
    return 0


def _byte_view(data):
    view = memoryview(data)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


def _recv_retrying(sock, size, flags, pause=_common.FIRST_RETRY_PAUSE):
    while True:
        try:
            # no flags argument when there are none: one argument less to parse on every read
            return sock.recv(size, flags) if flags else sock.recv(size)
        except socket.timeout as err:
            raise _common.receive_timeout_error() from err
        except OSError as err:
            if not _common.is_retry_error(err):
                raise _common.receive_lost_error(err) from err
        time.sleep(pause)
        pause = _common.next_retry_pause(pause)


def _recv_after_error(sock, size, err):
    """What _recv_retrying does after its first recv raised err."""
    if isinstance(err, socket.timeout):
        raise _common.receive_timeout_error() from err
    if not _common.is_retry_error(err):
        raise _common.receive_lost_error(err) from err
    time.sleep(_common.FIRST_RETRY_PAUSE)
    return _recv_retrying(sock, size, 0, _common.next_retry_pause(_common.FIRST_RETRY_PAUSE))


def _fill(sock, view, got, flags):
    """Receive into view[got:] until the view is full."""
    size = len(view)
    pause = _common.FIRST_RETRY_PAUSE
    while got < size:
        try:
            received = sock.recv_into(view[got:], size - got, flags)
        except socket.timeout as err:
            raise _common.receive_timeout_error() from err
        except OSError as err:
            if not _common.is_retry_error(err):
                raise _common.receive_lost_error(err) from err
            time.sleep(pause)
            pause = _common.next_retry_pause(pause)
            continue
        if not received:
            raise _common.not_enough_data_error(bytes(view[:got]))
        got += received
        # MSG_WAITALL is tried once; a short result means a signal or a timeout socket, so the
        # rest comes in a plain loop
        flags = 0


def _receive_rest(sock, size, chunks, got):
    """Receive the rest after a short first read, in a plain loop (MSG_WAITALL is tried only once:
    a short result means a signal or a socket with a timeout)."""
    while got < size:
        chunk = _recv_retrying(sock, min(size - got, _RECV_CHUNK), 0)
        if not chunk:
            raise _common.not_enough_data_error(b"".join(chunks))
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive_data(sock, size, use_waitall):
    """Exactly `size` bytes from `sock` (see `Pyro4.socketutil.receiveData`)."""
    if size <= 0:
        if size < 0:
            raise _common.negative_size_error(size)
        return b""
    flags = _recv_flags(sock, use_waitall)
    data = _recv_retrying(sock, min(size, _WAITALL_CHUNK if flags else _RECV_CHUNK), flags)
    got = len(data)
    if got == size:
        return data
    if not got:
        raise _common.not_enough_data_error(b"")
    return _receive_rest(sock, size, [data], got)


def receive_into(sock, buffer, use_waitall):
    """Fill the whole writable `buffer` from `sock`; same errors as `receive_data`."""
    with _byte_view(buffer) as view:
        _fill(sock, view, 0, _recv_flags(sock, use_waitall))


def receive_ahead(sock, size, ahead):
    """At least `size` bytes from `sock`, and whatever else is already there, up to `ahead` in all.

    One recv usually brings a whole small message; the caller keeps the surplus for its next read.
    No MSG_WAITALL: it would wait for `ahead` bytes. Errors as in `receive_data`.
    """
    if size <= 0:
        return receive_data(sock, size, False)
    limit = ahead if ahead > size else size
    try:
        data = sock.recv(limit)  # _recv_retrying's first try, inlined: this is on every message's path
    except OSError as err:
        data = _recv_after_error(sock, limit, err)
    if len(data) >= size:
        return data
    return _receive_ahead_rest(sock, data, size, limit)


def continue_ahead(sock, received, size, ahead):
    """`receive_ahead(sock, size, ahead)` for a caller that made the first `sock.recv(ahead)` itself
    (with `ahead` >= `size`): `received` is what that call returned, or the OSError it raised."""
    if isinstance(received, OSError):
        received = _recv_after_error(sock, ahead, received)
    return _receive_ahead_rest(sock, received, size, ahead)


def recv_small_message(connection, take_message, version, max_size, required):
    """What ``take_message(buffer, version, max_size, required)`` (a message twin's function) makes of
    the connection's pending bytes, or of one read-ahead when none are pending: the parts of a whole
    message, whose first item, the bytes after it, stay pending. None leaves every received byte
    pending, for the step-by-step reads of Message.recv; so does a connection that must not read
    ahead right now (see SocketConnection.recv). This is SocketConnection._recv_small_message."""
    buffer = connection._pending
    if not buffer:
        if connection.keep_open or connection._exact_reads:
            return None
        sock = connection.sock
        # receive_ahead, minus a call: the first recv is made here, anything more by continue_ahead
        try:
            buffer = sock.recv(_common.READ_AHEAD)
        except OSError as err:
            buffer = continue_ahead(sock, err, _MESSAGE_HEADER_SIZE, _common.READ_AHEAD)
        else:
            if len(buffer) < _MESSAGE_HEADER_SIZE:
                buffer = continue_ahead(sock, buffer, _MESSAGE_HEADER_SIZE, _common.READ_AHEAD)
        connection._pending = buffer
    parts = take_message(buffer, version, max_size, required)
    if parts is not None:
        connection._pending = parts[0]
    return parts


def _receive_ahead_rest(sock, data, size, limit):
    got = len(data)
    if got >= size:
        return data
    chunks = [data]
    while got < size:
        if not data:
            raise _common.not_enough_data_error(b"".join(chunks))
        data = _recv_retrying(sock, limit - got, 0)
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def receive_rest(sock, prefix, size, use_waitall):
    """`size` bytes that start with the bytes `prefix` (received earlier); the rest comes from `sock`.

    Errors as in `receive_data`; the `partialData` of a connection closed early includes `prefix`.
    The rest is received as one bytes object and joined: in pure Python that is one copy, where
    filling a preallocated buffer would be two (the compiled twin fills the result in place).
    """
    have = len(prefix)
    if size <= have:
        raise _common.rest_size_error(have, size)
    prefix = bytes(prefix)
    try:
        return prefix + receive_data(sock, size - have, use_waitall)
    except ConnectionClosedError as err:
        _common.prefix_partial_data(err, prefix)
        raise


def _send_loop(sock, view):
    sent = 0
    size = len(view)
    pause = _common.FIRST_RETRY_PAUSE
    while sent < size:
        try:
            sent += sock.send(view[sent:])
        except socket.timeout as err:
            raise _common.send_timeout_error() from err
        except OSError as err:
            if not _common.is_retry_error(err):
                raise _common.send_lost_error(err) from err
            time.sleep(pause)
            pause = _common.next_retry_pause(pause)


def send_data(sock, data):
    """Send all of `data` (see `Pyro4.socketutil.sendData`)."""
    if sock.gettimeout() is None:
        try:
            sock.sendall(data)
        except socket.timeout as err:
            raise _common.send_timeout_error() from err
        except OSError as err:
            raise _common.send_lost_error(err) from err
        return
    # a send loop rather than sendall, so the socket timeout applies per send, not to the total
    with _byte_view(data) as view:
        _send_loop(sock, view)


def _drop_sent(views, sent):
    while sent:
        first = views[0]
        if sent < len(first):
            views[0] = first[sent:]
            return
        sent -= len(first)
        del views[0]
    # also drop empty parts, so the loop ends when everything went out
    while views and not len(views[0]):
        del views[0]


def _sendmsg_loop(sock, views):
    pause = _common.FIRST_RETRY_PAUSE
    _drop_sent(views, 0)
    while views:
        try:
            sent = sock.sendmsg(views)
        except socket.timeout as err:
            raise _common.send_timeout_error() from err
        except OSError as err:
            if not _common.is_retry_error(err):
                raise _common.send_lost_error(err) from err
            time.sleep(pause)
            pause = _common.next_retry_pause(pause)
            continue
        _drop_sent(views, sent)


def send_parts(sock, header, payload):
    """Send `header` then `payload` as one write, the way `send_data(sock, header + payload)` would.

    A small payload is joined (one copy of a few bytes is cheaper than a scatter list); a large one
    goes out through sendmsg with both buffers, so the payload is never copied. SSL sockets have no
    sendmsg: they get the joined bytes, because two separate writes would trip Nagle's algorithm.
    """
    if len(payload) < _JOIN_LIMIT or not hasattr(sock, "sendmsg") or hasattr(sock, "getpeercert"):
        return send_data(sock, header + payload)
    _sendmsg_loop(sock, [_byte_view(header), _byte_view(payload)])
