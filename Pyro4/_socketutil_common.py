"""The one home of the errno lists, retry pacing and error builders of the socket hot paths.

Both socket twins (`Pyro4._socketutil` compiled, `Pyro4._socketutil_py` pure) raise their errors
through the builders here, so a drift in type or text between them is impossible; the public
`Pyro4.socketutil` re-exports the errno lists.
"""

import errno
import ssl

from Pyro4.errors import ConnectionClosedError, TimeoutError


def _errno_values(*names):
    # Windows-only WSA* names are simply absent elsewhere
    return [getattr(errno, name) for name in names if hasattr(errno, name)]


ERRNO_RETRIES = _errno_values(
    "EINTR", "EAGAIN", "EWOULDBLOCK", "EINPROGRESS", "WSAEINTR", "WSAEWOULDBLOCK", "WSAEINPROGRESS"
)
ERRNO_BADF = _errno_values("EBADF", "WSAEBADF")
ERRNO_ENOTSOCK = _errno_values("ENOTSOCK", "WSAENOTSOCK")
ERRNO_EADDRNOTAVAIL = _errno_values("EADDRNOTAVAIL", "WSAEADDRNOTAVAIL")
ERRNO_EADDRINUSE = _errno_values("EADDRINUSE", "WSAEADDRINUSE")

_RETRY_ERRNOS = frozenset(ERRNO_RETRIES)
# A non-blocking SSL socket reports "try again" with these instead of an errno.
_SSL_RETRY_ERRORS = (ssl.SSLWantReadError, ssl.SSLWantWriteError)

# How much a small read may receive beyond what it needs: the rest of a small message (and
# possibly the next ones of a client that doesn't wait for replies) comes along in the same syscall.
READ_AHEAD = 65536

# Pause between retries of a non-blocking socket that has nothing to give yet: short at first
# (the data is usually on its way), doubling up to a cap so an idle peer doesn't burn a core.
FIRST_RETRY_PAUSE = 0.00005
MAX_RETRY_PAUSE = 0.05


def is_retry_error(err):
    """True if the socket error only means "not now, try again"."""
    return getattr(err, "errno", None) in _RETRY_ERRNOS or isinstance(err, _SSL_RETRY_ERRORS)


def next_retry_pause(pause):
    return min(pause * 2, MAX_RETRY_PAUSE)


def negative_size_error(size):
    return ValueError("receive size must not be negative: {}".format(size))


def receive_timeout_error():
    return TimeoutError("receiving: timeout")


def receive_lost_error(err):
    return ConnectionClosedError("receiving: connection lost: " + str(err))


def not_enough_data_error(partial):
    """EOF before the requested size; `partialData` lets callers see what did arrive."""
    error = ConnectionClosedError("receiving: not enough data")
    error.partialData = partial
    return error


def rest_size_error(have, size):
    return ValueError("receive_rest: {} bytes already received, but only {} wanted".format(have, size))


def prefix_partial_data(err, prefix):
    """Puts the bytes received before a read into the `partialData` of its not-enough-data error."""
    partial = getattr(err, "partialData", None)
    if partial is not None:
        err.partialData = prefix + partial


def send_timeout_error():
    return TimeoutError("sending: timeout")


def send_lost_error(err):
    return ConnectionClosedError("sending: connection lost: " + str(err))
