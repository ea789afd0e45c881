"""Low level socket utilities: address lookup, socket creation, SSL contexts and the connection
wrapper that the proxy and the socket servers talk through.

The receive/send hot paths come from the twin selected once in `Pyro4._speedups` (compiled or
pure, same behaviour); this module adds what they deliberately don't do: reading `Pyro4.config`.
What travels over the sockets is described in `Pyro4.message`.
"""

import os
import select
import socket
import ssl
import threading
import weakref

from Pyro4._socketutil_common import (  # noqa: F401 - the errno lists are public API
    ERRNO_BADF,
    ERRNO_EADDRINUSE,
    ERRNO_EADDRNOTAVAIL,
    ERRNO_ENOTSOCK,
    ERRNO_RETRIES,
    READ_AHEAD,
)
from Pyro4._speedups import socketutil_impl as _impl
from Pyro4.configuration import config
from Pyro4.errors import CommunicationError, ConnectionClosedError, TimeoutError  # noqa: F401 - re-exported

if not hasattr(socket, "SOL_TCP"):
    socket.SOL_TCP = socket.IPPROTO_TCP

_READ_AHEAD = READ_AHEAD  # see Pyro4._socketutil_common
# After a read of more than _READ_AHEAD bytes (a large payload) the next message is probably large
# too, so this many reads (its header and annotations) are exact: its payload then arrives whole in
# one receive instead of after a read-ahead prefix that has to be joined to it, which in the pure
# twin is a copy and a second buffer of the payload's size.
_EXACT_READS_AFTER_LARGE = 2
# "leave the socket timeout alone": the same marker the standard library uses for this purpose
_DEFAULT_TIMEOUT = socket._GLOBAL_DEFAULT_TIMEOUT
_IP_FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6, 0: socket.AF_UNSPEC}
# any public address: only routing is looked up (UDP connect sends no packet)
_INTERNET_ADDRESS = "4.2.2.2"


# ---- addresses -------------------------------------------------------------------------------


def getIpVersion(hostnameOrAddress):
    """4 or 6: the IP version of the address the name resolves to (honours PREFER_IP_VERSION)."""
    address = getIpAddress(hostnameOrAddress)
    if "." in address:
        return 4
    if ":" in address:
        return 6
    raise CommunicationError("Unknown IP address format" + address)


def _is_localhost(hostname):
    return isinstance(hostname, str) and hostname.rstrip(".").lower() == "localhost"


def _first_address(hostname, family):
    try:
        return socket.getaddrinfo(hostname, 80, family, socket.SOCK_STREAM, socket.SOL_TCP)[0][4][0]
    except socket.gaierror:
        # RFC 6761: "localhost" is the loopback address, also where the hosts file lists it for
        # IPv4 only; so PREFER_IP_VERSION = 6 with the default host "localhost" still works
        if family == socket.AF_INET6 and _is_localhost(hostname):
            return "::1"
        raise


def _resolve(hostname, ipVersion, workaround127):
    try:
        family = _IP_FAMILIES[ipVersion]
    except KeyError:
        raise ValueError("unknown value for argument ipVersion.") from None
    address = _first_address(hostname or socket.gethostname(), family)
    if workaround127 and (address.startswith("127.") or address == "0.0.0.0"):
        address = getInterfaceAddress(_INTERNET_ADDRESS)
    return address


def getIpAddress(hostname, workaround127=False, ipVersion=None):
    """The IP address of `hostname` (the local host if empty), as a string.

    ipVersion 4 or 6 asks for that family, 0 lets the OS choose and None means
    config.PREFER_IP_VERSION. `workaround127` replaces a loopback/any address by the address of
    the interface that routes to the outside world.
    """
    if ipVersion is None and hostname and ":" in hostname:
        ipVersion = 0  # an IPv6 literal: any other family would fail to resolve it
    version = config.PREFER_IP_VERSION if ipVersion is None else ipVersion
    try:
        return _resolve(hostname, version, workaround127)
    except socket.gaierror:
        if version == 6:
            raise socket.error("unable to determine IPV6 address") from None
        return _resolve(hostname, 0, workaround127)


def getInterfaceAddress(ip_address):
    """The local address of the interface that would be used to reach `ip_address`."""
    family = socket.AF_INET if getIpVersion(ip_address) == 4 else socket.AF_INET6
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect((ip_address, 53))  # UDP: only selects a route, sends nothing
        return sock.getsockname()[0]


# ---- sending and receiving -------------------------------------------------------------------


def receiveData(sock, size):
    """Exactly `size` bytes from the socket.

    Raises TimeoutError("receiving: timeout"), ConnectionClosedError("receiving: connection lost:
    ...") or, at EOF, ConnectionClosedError("receiving: not enough data") with `partialData`.
    """
    return _impl.receive_data(sock, size, config.USE_MSG_WAITALL)


# No setting involved, so the twin's function is the public one (one call less per message).
# Raises TimeoutError("sending: timeout") or ConnectionClosedError("sending: connection lost: ...").
sendData = _impl.send_data


def receive_into(sock, buffer):
    """Fill the whole writable `buffer` from the socket; errors as in `receiveData`."""
    _impl.receive_into(sock, buffer, config.USE_MSG_WAITALL)


# Sends header + payload as one write without copying a large payload (a private extension).
send_parts = _impl.send_parts


# ---- socket creation -------------------------------------------------------------------------


def _force_ipv6(ipv6):
    return ipv6 or (ipv6 is None and config.PREFER_IP_VERSION == 6)


def _host_ip_version(host, force_ipv6):
    if not force_ipv6:
        return getIpVersion(host)
    # IPv6 forced: a name counts as IPv6 if it has an IPv6 address, whatever PREFER_IP_VERSION says
    try:
        getIpAddress(host, ipVersion=6)
    except OSError:
        return 4
    return 6


def _ip_family_and_address(address, force_ipv6):
    """Family and (for IPv6 possibly expanded) address of a (host, port, ...) tuple."""
    default_family = socket.AF_INET6 if force_ipv6 else socket.AF_INET
    if not address[0]:
        return default_family, address
    if _host_ip_version(address[0], force_ipv6) == 4:
        if force_ipv6:
            raise ValueError("IPv4 address is used bound or connected, but IPv6 was forced: {!r}".format(address))
        return socket.AF_INET, address
    if _is_localhost(address[0]):
        address = ("::1",) + tuple(address[1:])  # the name itself may not resolve for IPv6, see _first_address
    if len(address) == 2:
        address = (address[0], address[1], 0, 0)
    return socket.AF_INET6, address


def _stream_family_and_address(bind, connect, force_ipv6):
    address = bind or connect
    if isinstance(address, str):
        if not hasattr(socket, "AF_UNIX"):
            raise NotImplementedError("unix domain sockets are not supported on this platform")
        return socket.AF_UNIX, address  # a leading "\0" makes it a Linux abstract socket name
    if not address:
        return (socket.AF_INET6 if force_ipv6 else socket.AF_INET), address
    if isinstance(address, tuple) and len(address) in (2, 4):
        return _ip_family_and_address(address, force_ipv6)
    raise ValueError("unknown bind/connect address format: {!r}".format(address))


def _wrap_ssl(sock, sslContext, bind, connect):
    """Wrap for the server side when binding; a client verifies the host name the caller gave."""
    if bind:
        return sslContext.wrap_socket(sock, server_side=True)
    if connect:
        # a unix socket path is no host name to verify against
        hostname = connect[0] if isinstance(connect, tuple) else None
        return sslContext.wrap_socket(sock, server_hostname=hostname)
    return sslContext.wrap_socket(sock)


def _set_options(sock, reuseaddr, noinherit, nodelay, timeout):
    if nodelay:
        setNoDelay(sock)
    if reuseaddr:
        setReuseAddr(sock)
    if noinherit:
        setNoInherit(sock)
    if timeout == 0:
        timeout = None  # Pyro's "no timeout", not a non-blocking socket
    if timeout is not _DEFAULT_TIMEOUT:
        sock.settimeout(timeout)


def _bind_and_listen(sock, bind):
    if isinstance(bind, tuple) and bind[1] == 0:
        bindOnUnusedPort(sock, bind[0])
    else:
        sock.bind(bind)
    try:
        sock.listen(100)
    except (OSError, AttributeError):
        pass  # not a listening kind of socket


def _wait_for_connect(sock, timeout):
    # a non-blocking connect is in progress: wait until the socket is writable (or failed)
    if timeout is _DEFAULT_TIMEOUT or not timeout:
        timeout = sock.gettimeout()
    _, writable, failed = select.select([], [sock], [sock], max(0.1, timeout or 0.0))
    if failed or not writable:
        raise socket.error("connect failed")
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        raise socket.error(error, os.strerror(error))


def _connect(sock, address, timeout):
    try:
        sock.connect(address)
    except socket.timeout:
        raise
    except OSError as err:
        if getattr(err, "errno", None) not in ERRNO_RETRIES:
            raise
        _wait_for_connect(sock, timeout)


def createSocket(
    bind=None,
    connect=None,
    reuseaddr=False,
    keepalive=True,
    timeout=_DEFAULT_TIMEOUT,
    noinherit=False,
    ipv6=False,
    nodelay=True,
    sslContext=None,
):
    """A stream socket (TCP or unix), optionally SSL wrapped, bound and listening or connected.

    `bind`/`connect` are a unix socket name (str) or a (host, port[, flowinfo, scopeid]) tuple;
    `ipv6=None` means "IPv6 if config.PREFER_IP_VERSION is 6"; timeout 0 means blocking.
    """
    if bind and connect:
        raise ValueError("bind and connect cannot both be specified at the same time")
    family, address = _stream_family_and_address(bind, connect, _force_ipv6(ipv6))
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sslContext:
            # the caller's connect address, not the resolved one: certificates name the host
            sock = _wrap_ssl(sock, sslContext, bind, connect)
        _set_options(sock, reuseaddr, noinherit, nodelay, timeout)
        if bind:
            _bind_and_listen(sock, address)
        if connect:
            _connect(sock, address, timeout)
        if keepalive:
            setKeepalive(sock)
    except BaseException:
        sock.close()
        raise
    return sock


def _broadcast_family_and_address(bind, force_ipv6):
    if not bind:
        return (socket.AF_INET6 if force_ipv6 else socket.AF_INET), bind
    if isinstance(bind, tuple) and len(bind) in (2, 4):
        if bind[0] is None:
            bind = ("",) + bind[1:]  # None means any address
        return _ip_family_and_address(bind, force_ipv6)
    raise ValueError("unknown bind format: %r" % (bind,))


def createBroadcastSocket(bind=None, reuseaddr=False, timeout=_DEFAULT_TIMEOUT, ipv6=False):
    """A UDP socket that may send broadcasts (IPv4), optionally bound; bind host None/"" = any."""
    family, bind = _broadcast_family_and_address(bind, _force_ipv6(ipv6))
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if family == socket.AF_INET:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        _set_options(sock, reuseaddr, False, False, timeout)
        if bind:
            if bind[1] == 0:
                bindOnUnusedPort(sock, bind[0])
            else:
                sock.bind(bind)
    except BaseException:
        sock.close()
        raise
    return sock


# ---- socket options --------------------------------------------------------------------------


def _set_option(sock, level, option):
    try:
        sock.setsockopt(level, option, 1)
    except (OSError, ValueError):
        pass  # option not supported on this socket type or platform: not worth failing for


def setReuseAddr(sock):
    """Set SO_REUSEADDR (errors ignored)."""
    _set_option(sock, socket.SOL_SOCKET, socket.SO_REUSEADDR)


def setNoDelay(sock):
    """Set TCP_NODELAY (errors ignored, e.g. on unix sockets)."""
    _set_option(sock, socket.IPPROTO_TCP, socket.TCP_NODELAY)


def setKeepalive(sock):
    """Set SO_KEEPALIVE (errors ignored)."""
    _set_option(sock, socket.SOL_SOCKET, socket.SO_KEEPALIVE)


def setNoInherit(sock):
    """Keep child processes from inheriting the socket (close-on-exec / non-inheritable handle)."""
    try:
        sock.set_inheritable(False)
    except (OSError, AttributeError):
        pass


def family_str(sock):
    """ "IPv4", "IPv6", "Unix" or "???" for the socket's address family."""
    family = sock.family
    if family == socket.AF_INET:
        return "IPv4"
    if family == socket.AF_INET6:
        return "IPv6"
    if hasattr(socket, "AF_UNIX") and family == socket.AF_UNIX:
        return "Unix"
    return "???"


# ---- ports -----------------------------------------------------------------------------------


def bindOnUnusedPort(sock, host="localhost"):
    """Bind the socket to a free port chosen by the OS and return it; 'localhost' means loopback."""
    if hasattr(socket, "SO_EXCLUSIVEADDRUSE") and sock.type == socket.SOCK_STREAM:
        # Windows: no other socket may steal the port through SO_REUSEADDR
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    host = host or ""
    if sock.family == socket.AF_INET:
        sock.bind(("127.0.0.1" if host == "localhost" else host, 0))
    elif sock.family == socket.AF_INET6:
        sock.bind(("::1" if host == "localhost" else host, 0, 0, 0))
    else:
        raise CommunicationError("unsupported socket family: " + str(sock.family))
    return sock.getsockname()[1]


def findProbablyUnusedPort(family=socket.AF_INET, socktype=socket.SOCK_STREAM):
    """A port number that was free a moment ago (another process may take it before you do)."""
    with socket.socket(family, socktype) as tempsock:
        return bindOnUnusedPort(tempsock)


def interruptSocket(address):
    """Wake up a socket blocked in accept() on `address` by connecting and sending a few bytes."""
    try:
        sock = createSocket(connect=address, keepalive=False, timeout=None)
    except OSError:
        return
    try:
        sock.sendall(b"!" * 16)
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


# ---- SSL -------------------------------------------------------------------------------------

# Quirk kept from 4.82: one server and one client context per process, made on first use; later
# calls get the cached one whatever their arguments (and later SSL_* config changes are ignored).
_ssl_server_context = None
_ssl_client_context = None
_ssl_context_lock = threading.Lock()


def _clear_ssl_contexts():
    """Forget the cached SSL contexts (for tests that need contexts with other certificates)."""
    global _ssl_server_context, _ssl_client_context
    with _ssl_context_lock:
        _ssl_server_context = _ssl_client_context = None


def _load_cacerts(context, cacerts):
    if not cacerts:
        return
    if os.path.isdir(cacerts):
        context.load_verify_locations(capath=cacerts)
    else:
        context.load_verify_locations(cafile=cacerts)


def _make_server_context(servercert, serverkey, cacerts, keypassword):
    if not os.path.isfile(servercert):
        raise IOError("server cert file not found")
    if serverkey and not os.path.isfile(serverkey):
        raise IOError("server key file not found")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(servercert, serverkey or None, keypassword or None)
    _load_cacerts(context, cacerts)
    return context


def _apply_client_cert_requirement(context):
    context.verify_mode = ssl.CERT_REQUIRED if config.SSL_REQUIRECLIENTCERT else ssl.CERT_NONE


def _make_client_context(clientcert, clientkey, cacerts, keypassword):
    # the default context verifies the server: CERT_REQUIRED and check_hostname
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if clientcert:
        if not os.path.isfile(clientcert):
            raise IOError("client cert file not found")
        context.load_cert_chain(clientcert, clientkey or None, keypassword or None)
    _load_cacerts(context, cacerts)
    return context


def getSSLcontext(servercert="", serverkey="", clientcert="", clientkey="", cacerts="", keypassword=""):
    """The process-wide SSL context: a server context when `servercert` is given, else a client one."""
    global _ssl_server_context, _ssl_client_context
    if servercert:
        if clientcert:
            raise ValueError("can't have both server cert and client cert")
        with _ssl_context_lock:
            if _ssl_server_context is None:
                _ssl_server_context = _make_server_context(servercert, serverkey, cacerts, keypassword)
            # Deliberate difference from 4.82: the cached context follows the current
            # SSL_REQUIRECLIENTCERT (4.82 keeps the value of the first call), so switching 2-way SSL
            # on or off works within one process; certificates and keys stay those of the first call.
            _apply_client_cert_requirement(_ssl_server_context)
            return _ssl_server_context
    with _ssl_context_lock:
        if _ssl_client_context is None:
            _ssl_client_context = _make_client_context(clientcert, clientkey, cacerts, keypassword)
        return _ssl_client_context


# ---- connection wrapper ----------------------------------------------------------------------


def _read_in_steps(connection, take_message, version, max_size, required):
    return None  # Message.recv then reads every part through connection.recv


class SocketConnection(object):
    """A connected socket plus what Pyro keeps per connection (session instances, resources)."""

    def __init__(self, sock, objectId=None, keep_open=False):
        self.sock = sock
        self.objectId = objectId
        self.pyroInstances = {}  # instance_mode "session": class -> instance for this connection
        self.tracked_resources = weakref.WeakSet()
        self.keep_open = keep_open
        self._pending = b""  # received ahead of the message being read (see recv)
        self._exact_reads = 0  # small reads left that don't read ahead (see _EXACT_READS_AFTER_LARGE)

    def __del__(self):
        if hasattr(self, "sock"):
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    # send/recv are on every request's path: they call the twin directly (same as sendData and
    # receiveData, minus one call)
    def send(self, data):
        _impl.send_data(self.sock, data)

    def _send_parts(self, header, payload):
        """Send header + payload as one write, without joining a large payload to its header."""
        _impl.send_parts(self.sock, header, payload)

    def recv(self, size):
        """Exactly `size` bytes.

        A small read takes whatever else has arrived as well (up to _READ_AHEAD bytes) and keeps
        the surplus for the next reads, so a whole small message costs one recv syscall instead of
        two. Not on a keep_open socket: that one belongs to the caller, who may read it afterwards,
        and not right after a large read (see _EXACT_READS_AFTER_LARGE).
        """
        pending = self._pending
        if pending and size > 0:
            return self._recv_pending(pending, size)
        if 0 < size <= _READ_AHEAD and not self.keep_open:
            if not self._exact_reads:
                data = _impl.receive_ahead(self.sock, size, _READ_AHEAD)
                if len(data) > size:
                    self._pending = data[size:]
                    return data[:size]
                return data
            self._exact_reads -= 1
        elif size > _READ_AHEAD:
            self._exact_reads = _EXACT_READS_AFTER_LARGE
        return _impl.receive_data(self.sock, size, config.USE_MSG_WAITALL)

    def _recv_pending(self, pending, size):
        have = len(pending)
        if have > size:
            self._pending = pending[size:]
            return pending[:size]
        self._pending = b""
        if have == size:
            return pending
        if size > _READ_AHEAD:
            self._exact_reads = _EXACT_READS_AFTER_LARGE
        return _impl.receive_rest(self.sock, pending, size, config.USE_MSG_WAITALL)

    # the parts of a whole small message in one step, or None (see the twins' recv_small_message)
    _recv_small_message = _impl.recv_small_message

    def __init_subclass__(cls, **kwargs):
        super(SocketConnection, cls).__init_subclass__(**kwargs)
        if cls.recv is not SocketConnection.recv:
            cls._recv_small_message = _read_in_steps  # a subclass that reads in its own way: all through its recv

    def _has_pending_data(self):
        """True if bytes of a next message were already received (a selector won't report them)."""
        return bool(self._pending)

    def close(self):
        """Close the socket and release what belongs to the connection; no-op if keep_open."""
        if self.keep_open:
            return
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError, ValueError):
            pass  # never connected, or already closed
        try:
            self.sock.close()
        except (OSError, AttributeError):
            pass
        self.pyroInstances = {}
        self._pending = b""
        self._close_tracked_resources()

    def _close_tracked_resources(self):
        for resource in list(self.tracked_resources):
            try:
                resource.close()
            except Exception:
                pass  # a misbehaving resource must not keep the others open
        self.tracked_resources.clear()

    def fileno(self):
        return self.sock.fileno()

    def family(self):
        return family_str(self.sock)

    def setTimeout(self, timeout):
        self.sock.settimeout(timeout)

    def getTimeout(self):
        return self.sock.gettimeout()

    def getpeercert(self):
        """The peer's SSL certificate (a dict), or None for a plain socket."""
        try:
            return self.sock.getpeercert()
        except AttributeError:
            return None

    timeout = property(getTimeout, setTimeout)
