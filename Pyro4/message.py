"""The Pyro wire message (protocol 48).

Every Pyro message is a 24-byte header, then zero or more annotation chunks, then the payload.
All integers are big-endian; the header is the struct ``!4sHHHHiHHHH``::

    offset size  field
       0    4    tag, ASCII "PYRO"
       4    2    protocol version (Pyro4.constants.PROTOCOL_VERSION, 48)
       6    2    message type (MSG_*)
       8    2    flags (FLAGS_* bits)
      10    2    sequence number (0..65535, echoed by the reply)
      12    4    payload size, signed 32-bit (valid 0..0x7fffffff)
      16    2    serializer id (1 serpent, 2 json, 3 marshal, 4 pickle, 5 dill, 6 msgpack,
                 7 cloudpickle; 42 for the raw payload of a ping)
      18    2    total size of all annotation chunks, chunk headers included (0 if none)
      20    2    reserved, written as 0 and ignored
      22    2    checksum = (type + version + payload size + annotations size + serializer id
                             + flags + seq + 0x34E9) & 0xFFFF

An annotation chunk is a 4-character ASCII key, a uint16 value length and the value bytes; the
chunks follow the sender's dict order. Because the size field is a uint16, all chunks together are
at most 65535 bytes. Reserved keys: ``HMAC`` (HMAC-SHA1 over the payload and then the values of
all other annotations in ascending key order; always the last chunk), ``CORR`` (16-byte correlation
UUID), ``STRM`` (remote iterator id), ``BLBI`` (SerializedBlob call info).

The byte work is done by a twin module chosen once by ``Pyro4._speedups``: the compiled
``Pyro4._message`` or the pure ``Pyro4._message_py`` (same functions, same errors). This module
reads ``Pyro4.config`` and ``Pyro4.constants.PROTOCOL_VERSION`` live at every use and passes the
values to the twin.
"""
import hmac
import logging
import zlib

from Pyro4 import _protocol, constants
from Pyro4._speedups import message_impl as _impl
from Pyro4.configuration import config

__all__ = ["Message", "secure_compare"]

log = logging.getLogger("Pyro4.message")

MSG_CONNECT = _protocol.MSG_CONNECT
MSG_CONNECTOK = _protocol.MSG_CONNECTOK
MSG_CONNECTFAIL = _protocol.MSG_CONNECTFAIL
MSG_INVOKE = _protocol.MSG_INVOKE
MSG_RESULT = _protocol.MSG_RESULT
MSG_PING = _protocol.MSG_PING

FLAGS_EXCEPTION = _protocol.FLAGS_EXCEPTION
FLAGS_COMPRESSED = _protocol.FLAGS_COMPRESSED
FLAGS_ONEWAY = _protocol.FLAGS_ONEWAY
FLAGS_BATCH = _protocol.FLAGS_BATCH
FLAGS_META_ON_CONNECT = _protocol.FLAGS_META_ON_CONNECT
FLAGS_ITEMSTREAMRESULT = _protocol.FLAGS_ITEMSTREAMRESULT
FLAGS_KEEPSERIALIZED = _protocol.FLAGS_KEEPSERIALIZED

secure_compare = hmac.compare_digest

_HEADER_SIZE = _protocol.HEADER_SIZE
_PING_SERIALIZER_ID = 42  # ping payloads are raw bytes, never deserialized
_SINGLE_READ_LIMIT = 16384  # payload size up to which annotations and payload are read together
_JOIN_LIMIT = _protocol.JOIN_LIMIT
_new_instance = object.__new__


def _from_header(cls, headerData, hmac_key=None):
    """A message with the fields of a received 24-byte header and no payload yet (Message.from_header)."""
    msg = _new_instance(cls)
    (msg.type, msg.flags, msg.seq, msg.data_size, msg.serializer_id,
     msg.annotations_size) = _impl.parse_header(headerData, constants.PROTOCOL_VERSION)
    msg.data = b""
    msg.annotations = {}
    msg.hmac_key = hmac_key
    return msg


class Message(object):
    """One Pyro protocol message: header fields, annotations and the (serialized) payload."""

    __slots__ = ["type", "flags", "seq", "data", "data_size", "serializer_id", "annotations",
                 "annotations_size", "hmac_key"]
    header_format = _protocol.HEADER_FORMAT
    header_size = _protocol.HEADER_SIZE
    checksum_magic = _protocol.CHECKSUM_MAGIC

    def __init__(self, msgType, databytes, serializer_id, flags, seq, annotations=None, hmac_key=None):
        self.type = msgType
        self.flags = flags
        self.seq = seq
        self.data = databytes
        self.data_size = data_size = len(databytes)
        self.serializer_id = serializer_id
        self.hmac_key = hmac_key
        self.annotations = annotations = dict(annotations) if annotations else {}
        if hmac_key:
            annotations["HMAC"] = self.hmac()  # computed last: it covers the other annotations
        self.annotations_size = annotations_size = _impl.annotations_size(annotations) if annotations else 0
        max_size = config.MAX_MESSAGE_SIZE
        if 0 < max_size < data_size + annotations_size:
            raise _protocol.message_too_large(data_size + annotations_size, max_size)

    def __repr__(self):
        return "<Pyro4.message.Message at %x; type=%d flags=%d seq=%d datasize=%d #ann=%d>" % (
            id(self), self.type, self.flags, self.seq, self.data_size, len(self.annotations))

    def to_bytes(self):
        """Header, annotation chunks and payload as one bytes object, from the current attributes."""
        return _impl.encode_message(constants.PROTOCOL_VERSION, self.type, self.flags, self.seq,
                                    self.serializer_id, self.data_size, self.annotations, self.data)

    def _write_to(self, connection):
        """Sends the bytes of to_bytes() as one write; a large payload is not copied to join it to the
        header when the connection can send the parts together (SocketConnection._send_parts)."""
        _send_encoded(connection, *self._encoded_parts())

    def _encoded_parts(self):
        """(frame, payload or None) that _write_to sends, from the current attributes."""
        return _encode_for_sending(self.type, self.flags, self.seq, self.serializer_id, self.data_size,
                                   self.annotations, self.data)

    def send(self, connection):
        """Writes the header, the annotations (if any) and the payload with separate send calls."""
        block = _impl.encode_annotations(self.annotations)
        connection.send(self._header(len(block)))
        if block:
            connection.send(block)
        connection.send(self.data)

    def _header(self, annotations_size):
        return _impl.encode_header(constants.PROTOCOL_VERSION, self.type, self.flags, self.seq,
                                   self.data_size, self.serializer_id, annotations_size)

    from_header = classmethod(_from_header)  # one call less than a classmethod that calls it

    @classmethod
    def recv(cls, connection, requiredMsgTypes=None, hmac_key=None):
        """Reads one complete message from the connection and checks it (size, type, HMAC)."""
        # a small message that arrived whole is taken in one call (most requests and replies are);
        # anything else, errors included, is read and checked step by step as Pyro4 does it
        take_small = getattr(connection, "_recv_small_message", None)  # any object with recv and close will do
        if take_small is None or (parts := take_small(_impl.take_message, constants.PROTOCOL_VERSION,
                                                      config.MAX_MESSAGE_SIZE, requiredMsgTypes)) is None:
            return _recv_in_steps(cls, connection, requiredMsgTypes, hmac_key)
        return _from_parts(cls, parts, hmac_key)

    def _check_hmac(self):
        received = self.annotations.get("HMAC")
        if received is not None and self.hmac_key:
            if not secure_compare(received, self.hmac()):
                raise _with_message(_protocol.hmac_mismatch(), self)
        elif (received is not None) != bool(self.hmac_key):
            raise _with_message(_protocol.hmac_not_symmetric(), self)

    def hmac(self):
        """HMAC-SHA1 over the payload, then the values of all other annotations in key order."""
        return _impl.message_hmac(self.hmac_key, self.data, self.annotations)

    @staticmethod
    def ping(pyroConnection, hmac_key=None):
        """Sends a ping message and waits for the ping reply."""
        ping = Message(MSG_PING, b"ping", _PING_SERIALIZER_ID, 0, 0, hmac_key=hmac_key)
        pyroConnection.send(ping.to_bytes())
        Message.recv(pyroConnection, [MSG_PING], hmac_key=hmac_key)

    def decompress_if_needed(self):
        """Inflates a compressed payload in place and clears the flag; returns self."""
        if self.flags & FLAGS_COMPRESSED:
            self.data = zlib.decompress(self.data)
            self.flags &= ~FLAGS_COMPRESSED
            self.data_size = len(self.data)
        return self


def _encode_for_sending(msg_type, flags, seq, serializer_id, data_size, annotations, data):
    # a large payload stays a separate part, so it is not copied just to join it to the header
    if data_size < _JOIN_LIMIT:
        return _impl.encode_message(constants.PROTOCOL_VERSION, msg_type, flags, seq, serializer_id, data_size,
                                    annotations, data), None
    return _impl.encode_message(constants.PROTOCOL_VERSION, msg_type, flags, seq, serializer_id, data_size,
                                annotations, b""), data


def _send_encoded(connection, frame, payload):
    if payload is None:
        connection.send(frame)
    elif hasattr(connection, "_send_parts"):
        connection._send_parts(frame, payload)
    else:
        connection.send(frame + payload)


def _recv_in_steps(cls, connection, required_types, hmac_key):
    """Message.recv with a read per part: header, then (once it is checked) the annotations and the payload."""
    msg = _from_header(cls, connection.recv(_HEADER_SIZE), hmac_key)
    total_size = msg.data_size + msg.annotations_size
    max_size = config.MAX_MESSAGE_SIZE
    if 0 < max_size < total_size:
        # the rest of the message stays unread, so the stream is unusable: drop it
        log.error("max message size exceeded (%d where max=%d)", total_size, max_size)
        connection.close()
        raise _with_message(_protocol.message_too_large(total_size, max_size), msg)
    if required_types and msg.type not in required_types:
        raise _with_message(_protocol.invalid_msg_type(msg.type), msg)
    if msg.annotations_size:
        if msg.data_size <= _SINGLE_READ_LIMIT:
            # one read instead of two saves a recv call (a syscall on a socket) per message;
            # only for small payloads, because splitting the body copies the payload once more
            msg.annotations, msg.data = _impl.split_body(connection.recv(total_size), msg.annotations_size)
        else:
            msg.annotations = _impl.parse_annotations(connection.recv(msg.annotations_size))
            msg.data = connection.recv(msg.data_size)
    elif msg.data_size:
        msg.data = connection.recv(msg.data_size)
    if hmac_key or "HMAC" in msg.annotations:
        msg._check_hmac()
    return msg


def _recv_parts(connection, required):
    """What ``Message.recv(connection, required)`` (no HMAC key) receives, as the tuple of the twins'
    take_message (unread rest, type, flags, seq, data_size, serializer_id, annotations_size,
    annotations, data): a reply is usually taken that way without a Message object."""
    take_small = getattr(connection, "_recv_small_message", None)
    if take_small is None or (parts := take_small(_impl.take_message, constants.PROTOCOL_VERSION,
                                                  config.MAX_MESSAGE_SIZE, required)) is None:
        return _parts_of(_recv_in_steps(Message, connection, required, None))
    if "HMAC" in parts[7]:
        _from_parts(Message, parts, None)  # raises: an HMAC we have no key for
    return parts


def _parts_of(msg):
    """A received message's fields as the tuple of _recv_parts (nothing unread)."""
    return (b"", msg.type, msg.flags, msg.seq, msg.data_size, msg.serializer_id, msg.annotations_size,
            msg.annotations, msg.data)


def _from_parts(cls, parts, hmac_key):
    msg = _new_instance(cls)
    (_, msg.type, msg.flags, msg.seq, msg.data_size, msg.serializer_id, msg.annotations_size, msg.annotations,
     msg.data) = parts
    msg.hmac_key = hmac_key
    if hmac_key or "HMAC" in msg.annotations:
        msg._check_hmac()
    return msg


def _with_message(exc, msg):
    exc.pyroMsg = msg
    return exc
