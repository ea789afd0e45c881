"""Checks shared by the hypothesis fuzz tests (tests/test_fuzz_twins.py), the atheris target
(tests/fuzz/fuzz_pyro.py) and bench/soak.py: one definition of "both message twins agree" and of
"a safe serializer's decoder behaved", whatever drives the input.

Nothing here imports atheris or hypothesis.
"""

import contextlib
import datetime
import decimal
import importlib
import zlib

from Pyro4 import _message_py, core, errors, futures, message, util

SAFE_SERIALIZERS = ("serpent", "json", "marshal", "msgpack")

# What Message.recv may raise for any bytes a peer sends: Pyro errors only (a struct.error,
# UnicodeDecodeError or IndexError escaping would be a parser bug).
RECV_ERRORS = (errors.ProtocolError, errors.SecurityError, errors.ConnectionClosedError)

# What a safe serializer's decoder may raise: Pyro errors and the decoder libraries' documented
# errors (serpent/ast: SyntaxError, ValueError; json: ValueError, RecursionError for deep
# nesting; marshal: ValueError, EOFError, TypeError; msgpack: ValueError subclasses, TypeError;
# Python 3.8's parser reports deeply nested serpent as MemoryError "s_push: parser stack overflow").
DECODE_ERRORS = (errors.PyroError, ValueError, SyntaxError, RecursionError, TypeError, EOFError, MemoryError)

_PLAIN_TYPES = (
    type(None),
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    bytearray,
    type(Ellipsis),
    datetime.date,
    decimal.Decimal,
)  # the last two: msgpack's ext types 0x31..0x33
_MARSHAL_STOPITER = StopIteration  # marshal type code "S" decodes to the class itself
_CONTAINER_TYPES = (list, tuple, set, frozenset)
_REBUILT_PYRO_TYPES = (core.URI, core.Proxy, core.Daemon, futures._ExceptionWrapper, util.SerializerBase)
# exceptions are rebuilt only from these modules (WIRE.md 5.7): anything else would mean a
# payload made the decoder construct a class of its choosing
_EXCEPTION_MODULES = ("builtins", "Pyro4.errors", "sqlite3")


def twins():
    """The message twins to compare: the compiled one when it is built, and the pure one."""
    found = []
    try:
        found.append(importlib.import_module("Pyro4._message"))
    except ImportError:
        pass
    found.append(_message_py)
    return found


class BufferConnection(object):
    """A connection-like object over fixed bytes: recv() behaves as SocketConnection.recv at EOF."""

    def __init__(self, data):
        self.data = bytes(data)
        self.offset = 0
        self.closed = False

    def recv(self, size):
        if size < 0:
            raise ValueError("negative receive size")
        end = self.offset + size
        if end > len(self.data):
            self.offset = len(self.data)
            raise errors.ConnectionClosedError("receiving: not enough data")
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def send(self, data):
        pass

    def close(self):
        self.closed = True


@contextlib.contextmanager
def using_twin(twin):
    """Run Pyro4.message with the given twin (single-threaded use only)."""
    saved = message._impl
    message._impl = twin
    try:
        yield
    finally:
        message._impl = saved


def recv_outcome(twin, frame, required_types=None, hmac_key=None):
    """What Message.recv makes of these bytes with this twin: the message's fields, or the error."""
    with using_twin(twin):
        conn = BufferConnection(frame)
        try:
            msg = message.Message.recv(conn, required_types, hmac_key=hmac_key)
        except Exception as exc:  # compared, then checked against RECV_ERRORS by the caller
            return ("error", type(exc), str(exc), conn.closed)
    return (
        "ok",
        msg.type,
        msg.flags,
        msg.seq,
        msg.data_size,
        msg.serializer_id,
        msg.annotations_size,
        dict(msg.annotations),
        bytes(msg.data),
        conn.offset,
    )


def check_recv_twins_agree(frame, required_types=None, hmac_key=None):
    """Both twins give the same outcome for the frame, and only a Pyro error; returns the outcome."""
    outcomes = [recv_outcome(twin, frame, required_types, hmac_key) for twin in twins()]
    first = outcomes[0]
    for other in outcomes[1:]:
        assert other == first, "twins disagree on %r: %r != %r" % (frame[:80], first, other)
    if first[0] == "error":
        assert issubclass(first[1], RECV_ERRORS), "recv raised %s: %s" % (first[1].__name__, first[2])
    return first


def frame_bytes(msg_type, flags, seq, serializer_id, data, annotations, hmac_key=None):
    """A message's bytes, signed if a key is given, without the sender's MAX_MESSAGE_SIZE check."""
    msg = message.Message.__new__(message.Message)
    msg.data, msg.hmac_key, msg.annotations = bytes(data), hmac_key, dict(annotations)
    if hmac_key:
        msg.annotations["HMAC"] = msg.hmac()
    return _message_py.encode_message(48, msg_type, flags, seq, serializer_id, len(msg.data), msg.annotations, msg.data)


def encode_outcome(twin, msg_type, flags, seq, serializer_id, data, annotations, hmac_key=None):
    """The bytes Message.to_bytes produces with this twin, or the error."""
    with using_twin(twin):
        try:
            msg = message.Message(msg_type, data, serializer_id, flags, seq, annotations=annotations, hmac_key=hmac_key)
            return ("ok", msg.to_bytes())
        except Exception as exc:
            return ("error", type(exc), str(exc))


def decode_outcomes(name, data):
    """Every way a daemon or proxy decodes a payload with serializer `name`, each checked."""
    serializer = util.get_serializer(name)
    decoders = (
        serializer.loads,
        serializer.loadsCall,
        lambda payload: serializer.deserializeData(payload, compressed=True),
        lambda payload: serializer.deserializeCall(payload, compressed=True),
    )
    results = []
    for decode in decoders:
        try:
            value = decode(data)
        except DECODE_ERRORS as exc:
            results.append(("error", type(exc)))
            continue
        check_decoded_types(value)
        results.append(("ok", type(value)))
    return results


def compressed(data):
    return zlib.compress(bytes(data))


def check_decoded_types(value, depth=0):
    """A decoded value holds plain data and the few classes Pyro rebuilds, nothing else."""
    if depth > 200 or isinstance(value, _PLAIN_TYPES) or value is _MARSHAL_STOPITER:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            check_decoded_types(key, depth + 1)
            check_decoded_types(item, depth + 1)
    elif isinstance(value, _CONTAINER_TYPES):
        for item in value:
            check_decoded_types(item, depth + 1)
    elif isinstance(value, BaseException):
        assert type(value).__module__ in _EXCEPTION_MODULES, "decoder built %r" % type(value)
        for item in vars(value).values():
            check_decoded_types(item, depth + 1)
    elif isinstance(value, core.SerializedBlob) or _is_msgpack_ext(value):
        return
    else:
        assert isinstance(value, _REBUILT_PYRO_TYPES), "decoder built an object of %r" % type(value)


def _is_msgpack_ext(value):
    return type(value).__name__ in ("ExtType", "Timestamp") and type(value).__module__.startswith("msgpack")


def available_safe_serializers():
    names = []
    for name in SAFE_SERIALIZERS:
        try:
            util.get_serializer(name)
        except errors.SerializeError:
            continue  # msgpack is optional
        names.append(name)
    return names


def mutate(frame, rng):
    """The frame with 1 to 3 random byte changes, cuts or insertions (rng: a random.Random)."""
    frame = bytearray(frame)
    for _ in range(rng.randint(1, 3)):
        position = rng.randrange(len(frame))
        choice = rng.random()
        if choice < 0.6:
            frame[position] = rng.randrange(256)
        elif choice < 0.8:
            del frame[position:]
        else:
            frame[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
        if not frame:
            frame = bytearray(b"P")
    return bytes(frame)


_REPLY_TYPES = (message.MSG_CONNECTOK, message.MSG_CONNECTFAIL, message.MSG_RESULT, message.MSG_PING)


def parse_replies(data, hmac_key=None):
    """Everything a server sent back, as messages: it must consist of whole, well-formed replies."""
    conn = BufferConnection(data)
    replies = []
    while conn.offset < len(data):
        replies.append(message.Message.recv(conn, _REPLY_TYPES, hmac_key=hmac_key))
    return replies


def read_until_closed(sock, timeout=5.0):
    """All a peer sends until it closes the connection; a reset counts as a close (a server that
    closes with the client's unread bytes still queued makes the kernel send one)."""
    sock.settimeout(timeout)
    chunks = []
    for _ in range(100000):
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
