"""The one home of the wire-message constants and error texts shared by both message twins.

``Pyro4._message`` (compiled) and ``Pyro4._message_py`` (pure) both take their layout numbers from
here and build every exception they raise with the functions below, so that for the same bad input
they raise the same exception type with the same text. The byte layout itself is described in the
``Pyro4.message`` module docstring.

Nothing here reads ``Pyro4.config`` or ``Pyro4.constants``: limits and the protocol version are
passed in by ``Pyro4.message``, which reads them live.
"""
import operator
import struct

from Pyro4.errors import MessageTooLargeError, ProtocolError, SecurityError

# message types
MSG_CONNECT = 1
MSG_CONNECTOK = 2
MSG_CONNECTFAIL = 3
MSG_INVOKE = 4
MSG_RESULT = 5
MSG_PING = 6

# flag bits
FLAGS_EXCEPTION = 1 << 0
FLAGS_COMPRESSED = 1 << 1
FLAGS_ONEWAY = 1 << 2
FLAGS_BATCH = 1 << 3
FLAGS_META_ON_CONNECT = 1 << 4
FLAGS_ITEMSTREAMRESULT = 1 << 5
FLAGS_KEEPSERIALIZED = 1 << 6

# header layout
HEADER_FORMAT = "!4sHHHHiHHHH"
HEADER_SIZE = 24
HEADER_TAG = b"PYRO"
CHECKSUM_MAGIC = 0x34E9
CHUNK_HEADER_FORMAT = "!4sH"
CHUNK_HEADER_SIZE = 6
ANNOTATION_KEY_SIZE = 4
# Payload size from which a message is sent as header + payload without joining them: below it the
# copy of a join costs less than handing two buffers to sendmsg.
JOIN_LIMIT = 65536
MAX_DATA_SIZE = 0x7FFFFFFF
MAX_UINT16 = 0xFFFF

# The uint16 header fields in the order the header-error builder inspects them; both twins rely
# on this order when several fields are bad at once.
_UINT16_FIELDS = ("protocol version", "message type", "flags", "sequence number", "serializer id",
                  "annotations size")


# ---- receiving ---------------------------------------------------------------------------------

def header_size_mismatch():
    return ProtocolError("header data size mismatch")


def invalid_tag_or_version():
    return ProtocolError("invalid data or unsupported protocol version")


def header_checksum_mismatch():
    return ProtocolError("header checksum mismatch")


def negative_data_size(data_size):
    # 4.82 accepts a negative length with a valid checksum and then misreads the stream; a negative
    # int32 length can only come from a broken or hostile peer, so it is rejected with the header.
    return ProtocolError("invalid data size in header: %d" % data_size)


def truncated_chunk_header(offset):
    return _corrupt_annotations(offset, "truncated chunk header")


def chunk_overrun(offset, length):
    return _corrupt_annotations(offset, "value length %d overruns the block" % length)


def non_ascii_key(offset):
    return _corrupt_annotations(offset, "key is not ASCII")


def _corrupt_annotations(offset, reason):
    # 4.82 silently truncates or raises struct/unicode errors here; a Pyro error names the problem
    return ProtocolError("corrupt annotations block at offset %d: %s" % (offset, reason))


def body_too_short(body_size, annotations_size):
    return ProtocolError("message body of %d bytes cannot hold %d annotation bytes" % (body_size, annotations_size))


def block_as_bytes(block):
    """Returns a bytes-like annotation block as bytes (values are sliced from it as bytes)."""
    if isinstance(block, (bytes, bytearray, memoryview)):
        return bytes(block)
    raise ProtocolError("annotations block must be bytes-like, not %s" % type(block).__name__)


def message_too_large(total_size, max_size):
    return MessageTooLargeError("max message size exceeded (%d where max=%d)" % (total_size, max_size))


def invalid_msg_type(msg_type):
    return ProtocolError("invalid msg type %d received" % msg_type)


def hmac_mismatch():
    return SecurityError("message hmac mismatch")


def hmac_not_symmetric():
    return SecurityError("hmac key config not symmetric")


def header_as_bytes(header):
    """Returns a bytes-like header unchanged in content as bytes; anything else is a size mismatch.

    4.82 reports a ``str`` header (e.g. "FOOBAR") as a size mismatch; we do the same for every
    object that is not a bytes-like buffer, whatever its length.
    """
    if isinstance(header, (bytes, bytearray, memoryview)):
        return bytes(header)
    raise header_size_mismatch()


# ---- sending -----------------------------------------------------------------------------------

def invalid_data_size():
    return ValueError("invalid message size (outside range 0..2Gb)")


def header_field_error(version, msg_type, flags, seq, data_size, serializer_id, annotations_size):
    """Builds the error for header fields that cannot be packed into the 24-byte header.

    Called by both twins after they found *some* field unpackable; this function alone decides which
    field is reported, so both twins report the same one. The data size has its own specified
    ``ValueError``; every other unpackable field is a ``struct.error``, the type 4.82 raises there.
    """
    size = _as_index(data_size)
    if size is None:
        return struct.error("message data size must be an integer, not %s" % type(data_size).__name__)
    if not 0 <= size <= MAX_DATA_SIZE:
        return invalid_data_size()
    values = (version, msg_type, flags, seq, serializer_id, annotations_size)
    for name, value in zip(_UINT16_FIELDS, values):
        number = _as_index(value)
        if number is None:
            return struct.error("header field %s must be an integer, not %s" % (name, type(value).__name__))
        if not 0 <= number <= MAX_UINT16:
            return _uint16_out_of_range(name, number)
    return None


def annotations_too_large(block_size):
    """The whole annotation block must fit the header's uint16 size field (4.82: struct.error)."""
    return _uint16_out_of_range("annotations size", block_size)


def _uint16_out_of_range(name, number):
    return struct.error("header field %s out of range 0..65535: %d" % (name, number))


def _as_index(value):
    try:
        return operator.index(value)
    except TypeError:
        return None


def payload_type_error(data):
    return TypeError("message data must be bytes-like, not %s" % type(data).__name__)


def annotation_key_error(key):
    """The error for an annotation key that is not exactly four ASCII characters."""
    if not isinstance(key, str):
        return ProtocolError("annotation key must be a str, not %s" % type(key).__name__)
    if len(key) != ANNOTATION_KEY_SIZE:
        return ProtocolError("annotation key must be of length 4")
    return ProtocolError("annotation key must be ASCII: %r" % key)


def annotation_value_as_bytes(key, value):
    """Returns a non-``bytes`` annotation value as bytes, or raises if it is not bytes-like."""
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, bytes):
        return bytes(value)
    raise TypeError("annotation %r value must be bytes-like, not %s" % (key, type(value).__name__))
