"""Helpers for the server-side tests: running a daemon in a thread, raw Pyro clients, fake daemons."""

import contextlib
import socket
import threading

from Pyro4 import message, socketutil, util

SERVERTYPES = ["thread", "multiplex"]


@contextlib.contextmanager
def serving(daemon):
    """Run daemon.requestLoop() in a thread; shut it down and join it on exit."""
    loop = threading.Thread(target=daemon.requestLoop, name="test-requestloop", daemon=True)
    loop.start()
    try:
        yield daemon
    finally:
        daemon.shutdown()
        loop.join(10)
        assert not loop.is_alive(), "request loop did not stop"
        daemon.close()


def location_of(daemon):
    """(host, port) to connect to for a TCP daemon."""
    return daemon.sock.getsockname()[:2]


def raw_connection(daemon, timeout=5.0):
    """A plain client socket connected to the daemon, wrapped as a SocketConnection."""
    sock = socket.create_connection(location_of(daemon), timeout=timeout)
    return socketutil.SocketConnection(sock)


def connect_message(serializer="serpent", objectId=None, seq=0, annotations=None, hmac_key=None, flags=None):
    """A CONNECT message like a proxy sends it."""
    ser = util.get_serializer(serializer)
    payload = {"handshake": "hello"}
    if objectId:
        payload["object"] = objectId
    if flags is None:
        flags = message.FLAGS_META_ON_CONNECT if objectId else 0
    data, _ = ser.serializeData(payload)
    return message.Message(
        message.MSG_CONNECT, data, ser.serializer_id, flags, seq, annotations=annotations, hmac_key=hmac_key
    )


def invoke_message(
    objectId, method, vargs=(), kwargs=None, serializer="serpent", seq=1, flags=0, annotations=None, hmac_key=None
):
    ser = util.get_serializer(serializer)
    data, _ = ser.serializeCall(objectId, method, vargs, {} if kwargs is None else kwargs)
    return message.Message(
        message.MSG_INVOKE, data, ser.serializer_id, flags, seq, annotations=annotations, hmac_key=hmac_key
    )


def handshaken_connection(daemon, serializer="serpent", objectId=None):
    """A raw connection that completed a good handshake."""
    conn = raw_connection(daemon)
    conn.send(connect_message(serializer, objectId).to_bytes())
    reply = message.Message.recv(conn, [message.MSG_CONNECTOK])
    assert reply.type == message.MSG_CONNECTOK
    return conn


def decode(msg):
    """The payload of a reply, decoded with the serializer named in its header."""
    ser = util.get_serializer_by_id(msg.serializer_id)
    return ser.deserializeData(msg.data, compressed=msg.flags & message.FLAGS_COMPRESSED)


def recv_all(sock, timeout=5.0):
    """Everything the peer sends until it closes the connection (bounded by the timeout)."""
    sock.settimeout(timeout)
    chunks = []
    for _ in range(10000):
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise AssertionError("peer did not close the connection") from None
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def is_open(sock, wait=0.3):
    """True if the peer keeps the connection open and sends nothing within `wait` seconds."""
    sock.settimeout(wait)
    try:
        data = sock.recv(1)
    except socket.timeout:
        return True
    except OSError:
        return False
    assert data == b"", "unexpected data %r" % data
    return False


class FakeDaemon(object):
    """The minimal daemon interface a transport server uses; records what happened."""

    def __init__(self, handshake_ok=True):
        self.handshake_ok = handshake_ok
        self.handshakes = []
        self.denied = []
        self.disconnects = []
        self.housekeeping_calls = 0
        self.requests = 0
        self.housekept = threading.Event()
        self.disconnected = threading.Event()

    def _handshake(self, conn, denied_reason=None):
        if denied_reason:
            self.denied.append(denied_reason)
            conn.send(b"DENIED:" + denied_reason.encode())
            return False
        self.handshakes.append(conn)
        conn.send(b"HELLO")
        if self.handshake_ok == "crash":
            raise RuntimeError("handshake crashed")
        return self.handshake_ok

    def handleRequest(self, conn):
        # a line protocol: 4 bytes in, echoed back; b"QUIT" raises a ConnectionClosedError
        data = conn.recv(4)
        self.requests += 1
        if data == b"BOOM":
            raise ValueError("garbage")
        conn.send(data)

    def _clientDisconnect(self, conn):
        self.disconnects.append(conn)
        self.disconnected.set()

    def _housekeeping(self):
        self.housekeeping_calls += 1
        self.housekept.set()


def threads_named(prefix):
    return [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]
