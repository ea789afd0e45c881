"""Pyro4.socketutil: addresses, socket creation and options, ports, SocketConnection (API.md section 7)."""

import errno
import os
import socket
import subprocess
import sys
import threading
import weakref

import pytest

import Pyro4
import Pyro4.errors
from Pyro4 import socketutil
from Pyro4.errors import CommunicationError, ConnectionClosedError, TimeoutError

HAS_UNIX = hasattr(socket, "AF_UNIX")
LINUX = sys.platform.startswith("linux")


def _has_ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
needs_unix = pytest.mark.skipif(not HAS_UNIX, reason="no unix domain sockets on this platform")
needs_abstract = pytest.mark.skipif(not LINUX, reason="abstract unix socket names are Linux-only")


@pytest.fixture
def closing():
    """Collects sockets/connections to close at the end of the test."""
    things = []
    yield things.append
    for thing in reversed(things):
        thing.close()


# ---- module contents -------------------------------------------------------------------------


def test_reexported_errors():
    assert socketutil.CommunicationError is Pyro4.errors.CommunicationError
    assert socketutil.ConnectionClosedError is Pyro4.errors.ConnectionClosedError
    assert socketutil.TimeoutError is Pyro4.errors.TimeoutError
    assert not hasattr(socketutil, "__all__")


def test_errno_lists():
    assert errno.EINTR in socketutil.ERRNO_RETRIES
    assert errno.EAGAIN in socketutil.ERRNO_RETRIES
    assert errno.EWOULDBLOCK in socketutil.ERRNO_RETRIES
    assert errno.EINPROGRESS in socketutil.ERRNO_RETRIES
    assert errno.EBADF in socketutil.ERRNO_BADF
    assert errno.ENOTSOCK in socketutil.ERRNO_ENOTSOCK
    assert errno.EADDRNOTAVAIL in socketutil.ERRNO_EADDRNOTAVAIL
    assert errno.EADDRINUSE in socketutil.ERRNO_EADDRINUSE
    assert hasattr(socket, "SOL_TCP")


# ---- addresses -------------------------------------------------------------------------------


def test_ip_version_of_literals():
    assert socketutil.getIpVersion("127.0.0.1") == 4
    assert socketutil.getIpVersion("::1") == 6


def test_ip_version_of_localhost_prefer_4():
    Pyro4.config.PREFER_IP_VERSION = 4
    assert socketutil.getIpVersion("localhost") == 4


def test_ip_version_of_localhost_prefer_6():
    Pyro4.config.PREFER_IP_VERSION = 6
    assert socketutil.getIpVersion("localhost") == 6


def test_localhost_is_ipv6_loopback_when_asked_for_ipv6():
    # RFC 6761: even where the hosts file maps "localhost" to IPv4 only
    assert socketutil.getIpAddress("localhost", ipVersion=6) == "::1"
    Pyro4.config.PREFER_IP_VERSION = 6
    assert socketutil.getIpVersion("localhost") == 6
    assert socketutil.getIpAddress("localhost") == "::1"


@needs_ipv6
def test_localhost_server_with_prefer_ipv6(closing):
    Pyro4.config.PREFER_IP_VERSION = 6
    server = socketutil.createSocket(bind=("localhost", 0))
    closing(server)
    assert server.family == socket.AF_INET6
    assert server.getsockname()[0] == "::1"
    client = socketutil.createSocket(connect=("localhost", server.getsockname()[1]), timeout=5)
    closing(client)
    assert client.getpeername()[:2] == server.getsockname()[:2]


def _fake_getaddrinfo(real):
    # "localhost" also resolves to ::1, as on most machines with IPv6 configured
    def getaddrinfo(host, port, family=0, *args):
        if host == "localhost" and family == socket.AF_INET6:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0))]
        return real(host, port, family, *args)

    return getaddrinfo


def test_prefer_ip_version_is_read_live(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _fake_getaddrinfo(socket.getaddrinfo))
    Pyro4.config.PREFER_IP_VERSION = 6
    assert socketutil.getIpVersion("localhost") == 6
    Pyro4.config.PREFER_IP_VERSION = 4
    assert socketutil.getIpVersion("localhost") == 4


def test_ip_version_unknown_format(monkeypatch):
    monkeypatch.setattr(socketutil, "getIpAddress", lambda name: "weird")
    with pytest.raises(CommunicationError) as excinfo:
        socketutil.getIpVersion("something")
    assert str(excinfo.value) == "Unknown IP address formatweird"


def test_ip_address():
    assert socketutil.getIpAddress("127.0.0.1") == "127.0.0.1"
    assert socketutil.getIpAddress("localhost", ipVersion=4) == "127.0.0.1"
    assert socketutil.getIpAddress("::1") == "::1"  # a ':' means: resolve with any family
    assert socketutil.getIpAddress("127.0.0.1", ipVersion=0) == "127.0.0.1"
    assert socketutil.getIpAddress("") in {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), 80)}


def test_ip_address_bad_version():
    with pytest.raises(ValueError) as excinfo:
        socketutil.getIpAddress("localhost", ipVersion=5)
    assert str(excinfo.value) == "unknown value for argument ipVersion."


def test_ip_address_ipv6_required_but_missing():
    with pytest.raises(OSError) as excinfo:
        socketutil.getIpAddress("127.0.0.1", ipVersion=6)
    assert str(excinfo.value) == "unable to determine IPV6 address"


def test_ip_address_falls_back_to_any_family(monkeypatch):
    calls = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, *args):
        calls.append(family)
        if family == socket.AF_INET:
            raise socket.gaierror(socket.EAI_NONAME, "no IPv4 address")
        return real(host, port, family, *args)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert socketutil.getIpAddress("127.0.0.1", ipVersion=4) == "127.0.0.1"
    assert calls == [socket.AF_INET, socket.AF_UNSPEC]


def test_ip_address_workaround127():
    address = socketutil.getIpAddress("127.0.0.1", workaround127=True)
    assert address != "127.0.0.1"
    assert not address.startswith("127.")
    assert socketutil.getIpAddress("127.0.0.1", workaround127=False) == "127.0.0.1"


def test_interface_address():
    assert socketutil.getInterfaceAddress("localhost").startswith("127.")
    assert socketutil.getInterfaceAddress("127.0.0.1") == "127.0.0.1"


@needs_ipv6
def test_interface_address_ipv6():
    assert socketutil.getInterfaceAddress("::1") == "::1"


# ---- public receive/send wrappers ------------------------------------------------------------


class _RecordingSocket:
    def __init__(self, data):
        self.data = data
        self.flags = []

    def recv(self, size, flags=0):
        self.flags.append(flags)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    def recv_into(self, buffer, nbytes=0, flags=0):
        chunk = self.recv(nbytes or len(buffer), flags)
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_use_msg_waitall_is_read_live():
    waitall = getattr(socket, "MSG_WAITALL", 0)
    Pyro4.config.USE_MSG_WAITALL = True
    sock = _RecordingSocket(b"abcdef")
    assert socketutil.receiveData(sock, 3) == b"abc"
    assert sock.flags == [waitall]
    Pyro4.config.USE_MSG_WAITALL = False
    assert socketutil.receiveData(sock, 3) == b"def"
    assert sock.flags == [waitall, 0]


def test_receive_send_roundtrip(closing):
    left, right = socket.socketpair()
    closing(left)
    closing(right)
    thread = threading.Thread(target=socketutil.sendData, args=(left, b"x" * 999999))
    thread.start()
    try:
        received = socketutil.receiveData(right, 999999)
    finally:
        thread.join(10)
    assert received == b"x" * 999999


def test_receive_errors(closing):
    left, right = socket.socketpair()
    closing(left)
    closing(right)
    right.settimeout(0.05)
    with pytest.raises(TimeoutError, match="^receiving: timeout$"):
        socketutil.receiveData(right, 10)
    left.sendall(b"abc")
    left.shutdown(socket.SHUT_WR)
    with pytest.raises(ConnectionClosedError, match="^receiving: not enough data$") as excinfo:
        socketutil.receiveData(right, 10)
    assert excinfo.value.partialData == b"abc"


def test_receive_into_and_send_parts(closing):
    left, right = socket.socketpair()
    closing(left)
    closing(right)
    socketutil.send_parts(left, b"header", b"payload")
    buffer = bytearray(13)
    socketutil.receive_into(right, buffer)
    assert buffer == b"headerpayload"


# ---- createSocket ----------------------------------------------------------------------------


def test_create_socket_bind_and_connect_exclusive():
    with pytest.raises(ValueError) as excinfo:
        socketutil.createSocket(bind=("localhost", 0), connect=("localhost", 1234))
    assert str(excinfo.value) == "bind and connect cannot both be specified at the same time"


def test_create_unbound_socket(closing):
    sock = socketutil.createSocket()
    closing(sock)
    assert sock.family == socket.AF_INET
    assert sock.type == socket.SOCK_STREAM
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@needs_ipv6
def test_create_unbound_socket_ipv6(closing):
    sock = socketutil.createSocket(ipv6=True)
    closing(sock)
    assert sock.family == socket.AF_INET6
    Pyro4.config.PREFER_IP_VERSION = 6
    sock = socketutil.createSocket(ipv6=None)
    closing(sock)
    assert sock.family == socket.AF_INET6
    Pyro4.config.PREFER_IP_VERSION = 4
    sock = socketutil.createSocket(ipv6=None)
    closing(sock)
    assert sock.family == socket.AF_INET


def test_create_ipv4_server_and_client(closing):
    server = socketutil.createSocket(bind=("127.0.0.1", 0))
    closing(server)
    host, port = server.getsockname()
    assert host == "127.0.0.1" and port > 0
    client = socketutil.createSocket(connect=("127.0.0.1", port), timeout=5)
    closing(client)
    conn, _ = server.accept()
    closing(conn)
    socketutil.sendData(client, b"ping")
    assert socketutil.receiveData(conn, 4) == b"ping"
    assert socketutil.family_str(client) == "IPv4"


def test_create_socket_bind_localhost_unused_port(closing):
    server = socketutil.createSocket(bind=("localhost", 0))
    closing(server)
    assert server.getsockname()[0] == "127.0.0.1"


def test_create_socket_bind_fixed_port(closing):
    port = socketutil.findProbablyUnusedPort()
    server = socketutil.createSocket(bind=("127.0.0.1", port), reuseaddr=True)
    closing(server)
    assert server.getsockname() == ("127.0.0.1", port)
    assert server.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)


def test_create_socket_empty_host(closing):
    server = socketutil.createSocket(bind=("", 0))
    closing(server)
    assert server.family == socket.AF_INET
    assert server.getsockname()[0] == "0.0.0.0"


@needs_ipv6
def test_create_ipv6_server_and_client(closing):
    server = socketutil.createSocket(bind=("::1", 0))
    closing(server)
    assert server.family == socket.AF_INET6
    sockname = server.getsockname()
    assert sockname[0] == "::1" and len(sockname) == 4
    client = socketutil.createSocket(connect=("::1", sockname[1]), timeout=5)
    closing(client)
    conn, _ = server.accept()
    closing(conn)
    socketutil.sendData(conn, b"pong")
    assert socketutil.receiveData(client, 4) == b"pong"
    assert socketutil.family_str(client) == "IPv6"


@needs_ipv6
def test_create_socket_ipv6_forced_with_ipv4_address():
    with pytest.raises(ValueError):
        socketutil.createSocket(bind=("127.0.0.1", 0), ipv6=True)
    server = socketutil.createSocket(bind=("::1", 0), ipv6=True)
    server.close()


def test_create_socket_bad_address_forms():
    with pytest.raises(ValueError):
        socketutil.createSocket(bind=["127.0.0.1", 0])
    with pytest.raises(ValueError):
        socketutil.createSocket(connect=("127.0.0.1", 1, 2))
    with pytest.raises(ValueError):
        socketutil.createSocket(bind=12345)


def test_create_socket_timeouts(closing):
    sock = socketutil.createSocket()
    closing(sock)
    assert sock.gettimeout() == socket.getdefaulttimeout()  # the default leaves it alone
    sock = socketutil.createSocket(timeout=0)
    closing(sock)
    assert sock.gettimeout() is None  # 0 means "no timeout", not non-blocking
    sock = socketutil.createSocket(timeout=None)
    closing(sock)
    assert sock.gettimeout() is None
    sock = socketutil.createSocket(timeout=2.5)
    closing(sock)
    assert sock.gettimeout() == 2.5


def test_create_socket_options_off(closing):
    sock = socketutil.createSocket(keepalive=False, nodelay=False, reuseaddr=False, noinherit=True)
    closing(sock)
    assert not sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    assert not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert not sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    assert not sock.get_inheritable()


def test_create_socket_connection_refused():
    port = socketutil.findProbablyUnusedPort()
    with pytest.raises(OSError) as excinfo:
        socketutil.createSocket(connect=("127.0.0.1", port), timeout=2)
    assert not isinstance(excinfo.value, Pyro4.errors.PyroError)
    assert excinfo.value.errno == errno.ECONNREFUSED


@needs_unix
def test_create_unix_socket(tmp_path, closing):
    path = str(tmp_path / "pyro.sock")
    server = socketutil.createSocket(bind=path)
    closing(server)
    assert server.family == socket.AF_UNIX
    assert os.path.exists(path)
    client = socketutil.createSocket(connect=path, timeout=5)
    closing(client)
    conn, _ = server.accept()
    closing(conn)
    socketutil.sendData(client, b"unix")
    assert socketutil.receiveData(conn, 4) == b"unix"
    assert socketutil.family_str(server) == "Unix"


@needs_abstract
def test_create_abstract_unix_socket(closing):
    name = "\0pyro4-test-{}-{}".format(os.getpid(), id(closing))
    server = socketutil.createSocket(bind=name)
    closing(server)
    assert server.getsockname() == name.encode()
    client = socketutil.createSocket(connect=name, timeout=5)
    closing(client)
    conn, _ = server.accept()
    closing(conn)
    socketutil.sendData(conn, b"abstract")
    assert socketutil.receiveData(client, 8) == b"abstract"


# ---- createBroadcastSocket -------------------------------------------------------------------


def test_broadcast_socket(closing):
    sock = socketutil.createBroadcastSocket()
    closing(sock)
    assert sock.type == socket.SOCK_DGRAM
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)


@pytest.mark.parametrize("bind", [(None, 0), ("", 0), ("127.0.0.1", 0)])
def test_broadcast_socket_bind_unused_port(closing, bind):
    sock = socketutil.createBroadcastSocket(bind=bind, reuseaddr=True, timeout=1)
    closing(sock)
    assert sock.getsockname()[1] > 0
    assert sock.gettimeout() == 1


def test_broadcast_socket_exchange(closing):
    receiver = socketutil.createBroadcastSocket(bind=("127.0.0.1", 0), timeout=5)
    closing(receiver)
    sender = socketutil.createBroadcastSocket()
    closing(sender)
    sender.sendto(b"GET_NSURI", receiver.getsockname())
    assert receiver.recvfrom(100)[0] == b"GET_NSURI"


def test_broadcast_socket_fixed_port(closing):
    port = socketutil.findProbablyUnusedPort(socktype=socket.SOCK_DGRAM)
    sock = socketutil.createBroadcastSocket(bind=("127.0.0.1", port))
    closing(sock)
    assert sock.getsockname() == ("127.0.0.1", port)


@needs_ipv6
def test_broadcast_socket_ipv6(closing):
    sock = socketutil.createBroadcastSocket(bind=("::1", 0, 0, 0))
    closing(sock)
    assert sock.family == socket.AF_INET6
    sock = socketutil.createBroadcastSocket(ipv6=True)
    closing(sock)
    assert sock.family == socket.AF_INET6


@pytest.mark.parametrize("bind", ["somewhere", ("127.0.0.1",), ["127.0.0.1", 0], 42])
def test_broadcast_socket_bad_bind(bind):
    with pytest.raises(ValueError) as excinfo:
        socketutil.createBroadcastSocket(bind=bind)
    assert str(excinfo.value) == "unknown bind format: %r" % (bind,)


# ---- options, families, ports ----------------------------------------------------------------


def test_set_option_helpers(closing):
    sock = socket.socket()
    closing(sock)
    socketutil.setReuseAddr(sock)
    socketutil.setNoDelay(sock)
    socketutil.setKeepalive(sock)
    socketutil.setNoInherit(sock)
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    assert not sock.get_inheritable()


def test_set_option_helpers_ignore_errors(closing):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closing(udp)
    socketutil.setNoDelay(udp)  # no TCP option on UDP: ignored
    closed = socket.socket()
    closed.close()
    for helper in (socketutil.setReuseAddr, socketutil.setNoDelay, socketutil.setKeepalive, socketutil.setNoInherit):
        helper(closed)
    assert closed.fileno() == -1


@needs_unix
def test_nodelay_ignored_on_unix_socket(tmp_path, closing):
    sock = socketutil.createSocket(bind=str(tmp_path / "sock"), nodelay=True)
    closing(sock)
    assert sock.family == socket.AF_UNIX


def test_family_str(closing):
    sock = socket.socket(socket.AF_INET)
    closing(sock)
    assert socketutil.family_str(sock) == "IPv4"
    sock = socket.socket(socket.AF_INET6)
    closing(sock)
    assert socketutil.family_str(sock) == "IPv6"
    if HAS_UNIX:
        sock = socket.socket(socket.AF_UNIX)
        closing(sock)
        assert socketutil.family_str(sock) == "Unix"

    class Strange:
        family = 12345

    assert socketutil.family_str(Strange()) == "???"


def test_find_probably_unused_port():
    first = socketutil.findProbablyUnusedPort()
    second = socketutil.findProbablyUnusedPort()
    assert first != second
    assert socketutil.findProbablyUnusedPort(socktype=socket.SOCK_DGRAM) > 0


@needs_ipv6
def test_find_probably_unused_port_ipv6():
    first = socketutil.findProbablyUnusedPort(socket.AF_INET6)
    second = socketutil.findProbablyUnusedPort(socket.AF_INET6)
    assert first > 0 and second > 0 and first != second


def test_bind_on_unused_port(closing):
    sock = socket.socket()
    closing(sock)
    port = socketutil.bindOnUnusedPort(sock)
    assert sock.getsockname() == ("127.0.0.1", port)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closing(udp)
    port = socketutil.bindOnUnusedPort(udp, "127.0.0.1")
    assert udp.getsockname() == ("127.0.0.1", port)


@needs_ipv6
def test_bind_on_unused_port_ipv6(closing):
    sock = socket.socket(socket.AF_INET6)
    closing(sock)
    port = socketutil.bindOnUnusedPort(sock, "localhost")
    assert sock.getsockname()[:2] == ("::1", port)


@needs_unix
def test_bind_on_unused_port_unsupported_family(closing):
    sock = socket.socket(socket.AF_UNIX)
    closing(sock)
    with pytest.raises(CommunicationError, match="^unsupported socket family: "):
        socketutil.bindOnUnusedPort(sock)


def test_interrupt_socket_wakes_accept(closing):
    server = socketutil.createSocket(bind=("127.0.0.1", 0), timeout=10)
    closing(server)
    accepted = []

    def accept():
        conn, _ = server.accept()
        accepted.append(conn.recv(16))
        conn.close()

    thread = threading.Thread(target=accept)
    thread.start()
    socketutil.interruptSocket(server.getsockname())
    thread.join(10)
    assert accepted == [b"!" * 16]


def test_interrupt_socket_ignores_errors():
    port = socketutil.findProbablyUnusedPort()
    assert socketutil.interruptSocket(("127.0.0.1", port)) is None


# ---- SocketConnection ------------------------------------------------------------------------


class _Resource:
    def __init__(self, fail=False):
        self.closed = False
        self.fail = fail

    def close(self):
        self.closed = True
        if self.fail:
            raise RuntimeError("resource refuses to close")


def test_connection_attributes_and_io(closing):
    left, right = socket.socketpair()
    closing(right)
    conn = socketutil.SocketConnection(left, "objid")
    closing(conn)
    assert conn.sock is left
    assert conn.objectId == "objid"
    assert conn.pyroInstances == {}
    assert len(conn.tracked_resources) == 0
    assert conn.keep_open is False
    assert conn.fileno() == left.fileno()
    assert conn.family() == "Unix"
    conn.send(b"hello")
    assert right.recv(5) == b"hello"
    right.sendall(b"world")
    assert conn.recv(5) == b"world"
    assert conn.getpeercert() is None


def test_connection_timeout_property(closing):
    conn = socketutil.SocketConnection(socket.socket())
    closing(conn)
    assert conn.timeout is None
    conn.timeout = 2.5
    assert conn.sock.gettimeout() == 2.5
    assert conn.getTimeout() == 2.5
    conn.setTimeout(None)
    assert conn.timeout is None


def test_connection_close(closing):
    left, right = socket.socketpair()
    closing(right)
    conn = socketutil.SocketConnection(left)
    conn.pyroInstances[int] = 42
    resources = [_Resource(), _Resource(fail=True), _Resource()]
    for resource in resources:
        conn.tracked_resources.add(resource)
    conn.close()
    assert conn.sock is left  # stays set after close
    assert left.fileno() == -1
    assert conn.pyroInstances == {}
    assert all(resource.closed for resource in resources)
    assert len(conn.tracked_resources) == 0
    conn.close()  # twice is fine
    assert right.recv(10) == b""


def test_connection_keep_open(closing):
    left, right = socket.socketpair()
    closing(left)
    closing(right)
    conn = socketutil.SocketConnection(left, keep_open=True)
    conn.close()
    with conn:
        pass
    conn.send(b"still open")
    assert right.recv(20) == b"still open"


def test_connection_unconnected_socket():
    sock = socket.socket()
    conn = socketutil.SocketConnection(sock)
    conn.close()
    assert sock.fileno() == -1
    conn.close()


def test_connection_context_manager():
    sock = socket.socket()
    with socketutil.SocketConnection(sock) as conn:
        assert conn.sock is sock
    assert sock.fileno() == -1


def test_connection_tracked_resources_are_weak():
    conn = socketutil.SocketConnection(socket.socket())
    resource = _Resource()
    conn.tracked_resources.add(resource)
    ref = weakref.ref(resource)
    del resource
    assert ref() is None
    assert len(conn.tracked_resources) == 0
    conn.close()


def test_connection_del_closes():
    sock = socket.socket()
    conn = socketutil.SocketConnection(sock)
    del conn
    assert sock.fileno() == -1


# ---- twin selection --------------------------------------------------------------------------


def _bound_twin_in_subprocess(env):
    code = "import Pyro4.socketutil as s; print(s._impl.__name__)"
    result = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, timeout=60)
    return result.stdout.decode().strip()


def test_no_cython_env_forces_pure_twin():
    assert _bound_twin_in_subprocess(dict(os.environ, PYRO4_NO_CYTHON="1")) == "Pyro4._socketutil_py"


def test_bound_twin_follows_speedups_choice():
    expected = "Pyro4._socketutil" if Pyro4._speedups.ACTIVE == "cython" else "Pyro4._socketutil_py"
    assert _bound_twin_in_subprocess(dict(os.environ)) == expected


def test_connect_on_non_blocking_default(closing):
    # with a default timeout of 0 the connect is non-blocking and has to be waited for
    server = socketutil.createSocket(bind=("127.0.0.1", 0))
    closing(server)
    unused = socketutil.findProbablyUnusedPort()
    old_default = socket.getdefaulttimeout()
    socket.setdefaulttimeout(0.0)
    try:
        client = socketutil.createSocket(connect=server.getsockname())
        closing(client)
        with pytest.raises(OSError) as excinfo:
            socketutil.createSocket(connect=("127.0.0.1", unused))
    finally:
        socket.setdefaulttimeout(old_default)
    assert client.getpeername() == server.getsockname()
    assert excinfo.value.errno == errno.ECONNREFUSED or str(excinfo.value) == "connect failed"


@needs_ipv6
def test_forced_ipv6_resolves_names_for_ipv6(closing):
    Pyro4.config.PREFER_IP_VERSION = 4
    server = socketutil.createSocket(bind=("localhost", 0), ipv6=True)
    closing(server)
    assert server.family == socket.AF_INET6
    assert server.getsockname()[0] == "::1"
    broadcast = socketutil.createBroadcastSocket(bind=("localhost", 0), ipv6=True)
    closing(broadcast)
    assert broadcast.family == socket.AF_INET6
