# cython: language_level=3
"""Compiled twin of the socket hot paths; `Pyro4._socketutil_py` is the pure-Python twin.

Same functions, signatures and behaviour as the pure twin (the differential tests hold them to
it); errors come from the shared builders in `Pyro4._socketutil_common`. Settings arrive as
arguments: this module never reads `Pyro4.config` and never logs.
"""
from cpython.buffer cimport PyBUF_WRITE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize
from cpython.memoryview cimport PyMemoryView_FromMemory
from libc.string cimport memcpy

import socket
import time

from Pyro4 import _protocol
from Pyro4 import _socketutil_common as _common
from Pyro4.errors import ConnectionClosedError

cdef int _MSG_WAITALL = getattr(socket, "MSG_WAITALL", 0)
# Largest single recv without MSG_WAITALL. Memory then grows with what actually arrives, so a
# header announcing a huge size (a broken or hostile peer) costs nothing up front.
cdef Py_ssize_t _RECV_CHUNK = 262144
# Largest MSG_WAITALL request: beyond it, the rest comes in chunks (same reason).
cdef Py_ssize_t _WAITALL_CHUNK = 16 * 1024 * 1024
# Up to this size receive_rest, and receive_data after a short first read, receive straight into
# the result; beyond it the memory grows with what arrives, as announced sizes can't be trusted.
cdef Py_ssize_t _PREALLOCATE_LIMIT = 16 * 1024 * 1024
# Below this a payload is cheaper to join to its header than to hand to sendmsg as two buffers.
cdef Py_ssize_t _JOIN_LIMIT = _protocol.JOIN_LIMIT

cdef Py_ssize_t _READ_AHEAD = _common.READ_AHEAD
cdef Py_ssize_t _MESSAGE_HEADER_SIZE = _protocol.HEADER_SIZE
cdef object _socket_timeout = socket.timeout
cdef object _is_retry_error = _common.is_retry_error
cdef object _sleep = time.sleep


cdef inline int _recv_flags(object sock, bint use_waitall):
    # SSL sockets reject recv flags (and their records make MSG_WAITALL meaningless)
    if use_waitall and not hasattr(sock, "getpeercert"):
        return _MSG_WAITALL
    return 0


cdef object _byte_view(object data):
    cdef object view = memoryview(data)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


cdef object _recv_retrying(object sock, Py_ssize_t size, int flags, double pause=_common.FIRST_RETRY_PAUSE):
    while True:
        try:
            # no flags argument when there are none: one argument less to parse on every read
            return sock.recv(size, flags) if flags else sock.recv(size)
        except _socket_timeout as err:
            raise _common.receive_timeout_error() from err
        except OSError as err:
            if not _is_retry_error(err):
                raise _common.receive_lost_error(err) from err
        _sleep(pause)
        pause = _common.next_retry_pause(pause)


cdef void _fill(object sock, object view, Py_ssize_t got, int flags) except *:
    """Receive into view[got:] until the view is full."""
    cdef Py_ssize_t size = len(view)
    cdef Py_ssize_t received
    cdef double pause = _common.FIRST_RETRY_PAUSE
    while got < size:
        try:
            received = sock.recv_into(view[got:], size - got, flags)
        except _socket_timeout as err:
            raise _common.receive_timeout_error() from err
        except OSError as err:
            if not _is_retry_error(err):
                raise _common.receive_lost_error(err) from err
            _sleep(pause)
            pause = _common.next_retry_pause(pause)
            continue
        if received == 0:
            raise _common.not_enough_data_error(bytes(view[:got]))
        got += received
        # MSG_WAITALL is tried once; a short result means a signal or a timeout socket, so the
        # rest comes in a plain loop
        flags = 0


cdef bytes _receive_rest(object sock, Py_ssize_t size, list chunks, Py_ssize_t got):
    """Receive the rest after a short first read, in a plain loop (MSG_WAITALL is tried only once:
    a short result means a signal or a socket with a timeout)."""
    cdef object chunk
    while got < size:
        chunk = _recv_retrying(sock, min(size - got, _RECV_CHUNK), 0)
        if not chunk:
            raise _common.not_enough_data_error(b"".join(chunks))
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive_data(sock, Py_ssize_t size, bint use_waitall):
    """Exactly `size` bytes from `sock` (see `Pyro4.socketutil.receiveData`)."""
    cdef int flags
    cdef Py_ssize_t got
    if size <= 0:
        if size < 0:
            raise _common.negative_size_error(size)
        return b""
    flags = _recv_flags(sock, use_waitall)
    data = _recv_retrying(sock, min(size, _WAITALL_CHUNK if flags else _RECV_CHUNK), flags)
    got = len(data)
    if got == size:
        return data
    if got == 0:
        raise _common.not_enough_data_error(b"")
    if _RECV_CHUNK < size <= _PREALLOCATE_LIMIT:
        # a short first read of a large payload (a socket with a timeout, SSL, no MSG_WAITALL): the
        # rest goes straight into the result instead of into chunks that are joined afterwards
        return _filled_result(sock, data, size, 0)
    return _receive_rest(sock, size, [data], got)


def receive_into(sock, buffer, bint use_waitall):
    """Fill the whole writable `buffer` from `sock`; same errors as `receive_data`."""
    with _byte_view(buffer) as view:
        _fill(sock, view, 0, _recv_flags(sock, use_waitall))


def receive_ahead(sock, Py_ssize_t size, Py_ssize_t ahead):
    """At least `size` bytes from `sock`, and whatever else is already there, up to `ahead` in all
    (see the pure twin). No MSG_WAITALL: it would wait for `ahead` bytes."""
    cdef Py_ssize_t limit
    if size <= 0:
        return receive_data(sock, size, False)
    limit = max(size, ahead)
    return _receive_ahead_rest(sock, _recv_retrying(sock, limit, 0), size, limit)


def continue_ahead(sock, received, Py_ssize_t size, Py_ssize_t ahead):
    """`receive_ahead(sock, size, ahead)` after the caller's own first `sock.recv(ahead)` (see the pure
    twin)."""
    if isinstance(received, OSError):
        received = _recv_after_error(sock, ahead, received)
    return _receive_ahead_rest(sock, received, size, ahead)


def recv_small_message(connection, take_message, version, max_size, required):
    """The parts of a whole small message from the connection's pending bytes or one read-ahead, or
    None (see the pure twin). This is SocketConnection._recv_small_message."""
    cdef object buffer = connection._pending
    cdef object sock
    if not buffer:
        if connection.keep_open or connection._exact_reads:
            return None
        sock = connection.sock
        try:
            buffer = sock.recv(_READ_AHEAD)
        except OSError as err:
            buffer = continue_ahead(sock, err, _MESSAGE_HEADER_SIZE, _READ_AHEAD)
        else:
            if len(buffer) < _MESSAGE_HEADER_SIZE:
                buffer = continue_ahead(sock, buffer, _MESSAGE_HEADER_SIZE, _READ_AHEAD)
        connection._pending = buffer
    parts = take_message(buffer, version, max_size, required)
    if parts is not None:
        connection._pending = (<tuple>parts)[0]
    return parts


cdef object _recv_after_error(object sock, Py_ssize_t size, object err):
    """What _recv_retrying does after its first recv raised err."""
    if isinstance(err, _socket_timeout):
        raise _common.receive_timeout_error() from err
    if not _is_retry_error(err):
        raise _common.receive_lost_error(err) from err
    _sleep(_common.FIRST_RETRY_PAUSE)
    return _recv_retrying(sock, size, 0, _common.next_retry_pause(_common.FIRST_RETRY_PAUSE))


cdef object _receive_ahead_rest(object sock, object data, Py_ssize_t size, Py_ssize_t limit):
    cdef Py_ssize_t got = len(data)
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


def receive_rest(sock, prefix, Py_ssize_t size, bint use_waitall):
    """`size` bytes that start with the bytes `prefix`; the rest is received from `sock` straight
    into the new bytes object, so a large payload is never copied in user space."""
    cdef Py_ssize_t have = len(prefix)
    if size <= have:
        raise _common.rest_size_error(have, size)
    if size > _PREALLOCATE_LIMIT:
        return _join_rest(sock, prefix, size, use_waitall)
    return _filled_result(sock, prefix, size, _recv_flags(sock, use_waitall))


cdef bytes _filled_result(object sock, object prefix, Py_ssize_t size, int flags):
    """A new bytes object of `size` bytes: `prefix`, then the rest received from `sock` in place."""
    cdef Py_ssize_t have
    cdef char* out
    if not PyBytes_CheckExact(prefix):
        prefix = bytes(prefix)  # a socket-like object may hand out another bytes-like type
    have = len(prefix)
    # nobody else sees the new object before it is complete, so filling it in place is safe
    result = PyBytes_FromStringAndSize(NULL, size)
    out = PyBytes_AS_STRING(result)
    memcpy(out, PyBytes_AS_STRING(prefix), have)
    view = PyMemoryView_FromMemory(out, size, PyBUF_WRITE)
    try:
        _fill(sock, view, have, flags)
    finally:
        view.release()
    return result


cdef object _join_rest(object sock, object prefix, Py_ssize_t size, bint use_waitall):
    try:
        return prefix + receive_data(sock, size - len(prefix), use_waitall)
    except ConnectionClosedError as err:
        _common.prefix_partial_data(err, prefix)
        raise


cdef void _send_loop(object sock, object view) except *:
    cdef Py_ssize_t sent = 0
    cdef Py_ssize_t size = len(view)
    cdef double pause = _common.FIRST_RETRY_PAUSE
    while sent < size:
        try:
            sent += sock.send(view[sent:])
        except _socket_timeout as err:
            raise _common.send_timeout_error() from err
        except OSError as err:
            if not _is_retry_error(err):
                raise _common.send_lost_error(err) from err
            _sleep(pause)
            pause = _common.next_retry_pause(pause)


def send_data(sock, data):
    """Send all of `data` (see `Pyro4.socketutil.sendData`)."""
    if sock.gettimeout() is None:
        try:
            sock.sendall(data)
        except _socket_timeout as err:
            raise _common.send_timeout_error() from err
        except OSError as err:
            raise _common.send_lost_error(err) from err
        return
    # a send loop rather than sendall, so the socket timeout applies per send, not to the total
    with _byte_view(data) as view:
        _send_loop(sock, view)


cdef void _drop_sent(list views, Py_ssize_t sent) except *:
    cdef Py_ssize_t first_size
    while sent:
        first_size = len(views[0])
        if sent < first_size:
            views[0] = views[0][sent:]
            return
        sent -= first_size
        del views[0]
    # also drop empty parts, so the loop ends when everything went out
    while views and len(views[0]) == 0:
        del views[0]


cdef void _sendmsg_loop(object sock, list views) except *:
    cdef double pause = _common.FIRST_RETRY_PAUSE
    cdef Py_ssize_t sent
    _drop_sent(views, 0)
    while views:
        try:
            sent = sock.sendmsg(views)
        except _socket_timeout as err:
            raise _common.send_timeout_error() from err
        except OSError as err:
            if not _is_retry_error(err):
                raise _common.send_lost_error(err) from err
            _sleep(pause)
            pause = _common.next_retry_pause(pause)
            continue
        _drop_sent(views, sent)


def send_parts(sock, header, payload):
    """Send `header` then `payload` as one write, the way `send_data(sock, header + payload)` would.

    A small payload is joined; a large one goes out through sendmsg with both buffers, so it is
    never copied. SSL sockets have no sendmsg and get the joined bytes (two writes trip Nagle).
    """
    if len(payload) < _JOIN_LIMIT or not hasattr(sock, "sendmsg") or hasattr(sock, "getpeercert"):
        return send_data(sock, header + payload)
    _sendmsg_loop(sock, [_byte_view(header), _byte_view(payload)])
