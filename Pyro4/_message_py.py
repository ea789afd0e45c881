"""Pure-Python twin of the message hot paths (the compiled twin is ``Pyro4._message``).

Both twins have the same functions with the same signatures and raise the same errors (built by
``Pyro4._protocol``). They work on bytes and ints only: the protocol version and limits are
parameters, never read from ``Pyro4.config`` here. The wire layout is described in ``Pyro4.message``.
"""
import hashlib
import struct

from Pyro4 import _protocol
from Pyro4.errors import ProtocolError

_HEADER = struct.Struct(_protocol.HEADER_FORMAT)
_CHUNK_HEADER = struct.Struct(_protocol.CHUNK_HEADER_FORMAT)
_pack_header = _HEADER.pack
_unpack_header = _HEADER.unpack
_unpack_header_from = _HEADER.unpack_from
_pack_chunk_header = _CHUNK_HEADER.pack
_pack_header_and_chunk = struct.Struct(_protocol.HEADER_FORMAT + _protocol.CHUNK_HEADER_FORMAT[1:]).pack
_unpack_chunk_header = _CHUNK_HEADER.unpack_from
_TAG = _protocol.HEADER_TAG
_MAGIC = _protocol.CHECKSUM_MAGIC
_HEADER_SIZE = _protocol.HEADER_SIZE
_CHUNK_SIZE = _protocol.CHUNK_HEADER_SIZE
_MAX_SINGLE_VALUE = 0xFFFF - _CHUNK_SIZE  # a larger one makes the block too large: the general code says so
_MAX_DATA_SIZE = _protocol.MAX_DATA_SIZE


def checksum(msg_type, version, data_size, annotations_size, serializer_id, flags, seq):
    """The header checksum of the given field values."""
    return (msg_type + version + data_size + annotations_size + serializer_id + flags + seq + _MAGIC) & 0xFFFF


def annotations_size(annotations):
    """Total size of the annotation chunks for this dict (6 bytes of chunk header per value)."""
    total = 0
    for value in annotations.values():  # a plain loop beats sum(map(...)) for the usual one or two values
        total += _CHUNK_SIZE + len(value)
    return total


def encode_header(version, msg_type, flags, seq, data_size, serializer_id, annotations_size):
    """The 24-byte header for these field values."""
    try:
        if 0 <= data_size <= _MAX_DATA_SIZE:
            total = msg_type + version + data_size + annotations_size + serializer_id + flags + seq + _MAGIC
            return _pack_header(_TAG, version, msg_type, flags, seq, data_size, serializer_id,
                                annotations_size, 0, total & 0xFFFF)
    except (struct.error, TypeError, OverflowError):
        pass
    raise _protocol.header_field_error(version, msg_type, flags, seq, data_size, serializer_id, annotations_size)


# The ASCII bytes of the keys checked so far: messages nearly always carry the same few (CORR, HMAC).
_checked_keys = {}
_CHECKED_KEYS_SIZE = 64


def _key_bytes(key):
    try:
        key_bytes = key.encode("ascii")
    except (AttributeError, UnicodeError):
        raise _protocol.annotation_key_error(key) from None
    if len(key_bytes) != 4:
        raise _protocol.annotation_key_error(key)
    if key.__class__ is str:
        if len(_checked_keys) >= _CHECKED_KEYS_SIZE:
            _checked_keys.clear()
        _checked_keys[key] = key_bytes
    return key_bytes


def encode_annotations(annotations):
    """The annotation chunks for this dict, back to back, in the dict's order."""
    if not annotations:
        return b""
    parts = []
    append = parts.append
    for key, value in annotations.items():
        key_bytes = _checked_keys.get(key) if key.__class__ is str else None
        if key_bytes is None:
            key_bytes = _key_bytes(key)
        if value.__class__ is not bytes:
            value = _protocol.annotation_value_as_bytes(key, value)
        # an oversized value is caught below by the size of the whole block, as in the compiled twin
        append(_pack_chunk_header(key_bytes, len(value) & 0xFFFF))
        append(value)
    block = b"".join(parts)
    if len(block) > 0xFFFF:
        raise _protocol.annotations_too_large(len(block))
    return block


def encode_message(version, msg_type, flags, seq, serializer_id, data_size, annotations, data):
    """Header, annotation chunks and payload as one bytes object.

    ``data_size`` goes into the header as given (callers may have changed it), the annotations size
    is that of the chunks actually written.
    """
    if len(annotations) == 1 and data.__class__ is bytes:
        # the usual message, one annotation with a known key and a bytes value: the header and the chunk
        # header packed at once; anything unusual is left to the general code below, errors included
        (key, value), = annotations.items()
        key_bytes = _checked_keys.get(key) if key.__class__ is str else None
        if key_bytes is not None and value.__class__ is bytes and len(value) <= _MAX_SINGLE_VALUE:
            annotations_size = _CHUNK_SIZE + len(value)
            try:
                if 0 <= data_size <= _MAX_DATA_SIZE:
                    total = msg_type + version + data_size + annotations_size + serializer_id + flags + seq + _MAGIC
                    return _pack_header_and_chunk(_TAG, version, msg_type, flags, seq, data_size, serializer_id,
                                                  annotations_size, 0, total & 0xFFFF, key_bytes, len(value)) \
                        + value + data
            except (struct.error, TypeError, OverflowError):
                pass
    block = encode_annotations(annotations)
    header = encode_header(version, msg_type, flags, seq, data_size, serializer_id, len(block))
    if data.__class__ is not bytes and not isinstance(data, (bytearray, memoryview)):
        raise _protocol.payload_type_error(data)
    if block:
        return b"".join((header, block, data))
    return header + data


def encode_plain(version, msg_type, data, serializer_id, flags, seq, annotations, max_size):
    """What a message without HMAC key sends, as ``(frame, payload or None)``: the whole message as
    one bytes object, or, for a payload of _protocol.JOIN_LIMIT bytes or more, the header and annotations as
    the frame and the payload apart (so it is not copied to join them). MessageTooLargeError if
    payload and annotations together exceed a positive `max_size`."""
    data_size = len(data)
    if max_size > 0:
        total_size = data_size + (annotations_size(annotations) if annotations else 0)
        if total_size > max_size:
            raise _protocol.message_too_large(total_size, max_size)
    if data_size < _protocol.JOIN_LIMIT:
        return encode_message(version, msg_type, flags, seq, serializer_id, data_size, annotations, data), None
    return encode_message(version, msg_type, flags, seq, serializer_id, data_size, annotations, b""), data


def parse_header(header, version):
    """Checks a received 24-byte header against ``version`` and returns its fields as
    ``(msg_type, flags, seq, data_size, serializer_id, annotations_size)``."""
    if header.__class__ is not bytes:
        header = _protocol.header_as_bytes(header)
    if len(header) != _HEADER_SIZE:
        raise _protocol.header_size_mismatch()
    tag, ver, msg_type, flags, seq, data_size, serializer_id, ann_size, _, checksum_ = _unpack_header(header)
    if tag != _TAG or ver != version:
        raise _protocol.invalid_tag_or_version()
    if checksum_ != (msg_type + ver + data_size + ann_size + serializer_id + flags + seq + _MAGIC) & 0xFFFF:
        raise _protocol.header_checksum_mismatch()
    if data_size < 0:
        raise _protocol.negative_data_size(data_size)
    return msg_type, flags, seq, data_size, serializer_id, ann_size


def parse_annotations(block):
    """The dict of annotations (str key -> bytes value) in a received annotation block."""
    if block.__class__ is not bytes:
        block = _protocol.block_as_bytes(block)
    return _parse_chunks(block, 0, len(block))


def _parse_chunks(data, start, end):
    """The annotations in data[start:end]; error offsets count from start."""
    annotations = {}
    offset = start
    while offset < end:
        if end - offset < _CHUNK_SIZE:
            raise _protocol.truncated_chunk_header(offset - start)
        key_bytes, length = _unpack_chunk_header(data, offset)
        value_start = offset + _CHUNK_SIZE
        value_end = value_start + length
        if value_end > end:
            raise _protocol.chunk_overrun(offset - start, length)
        try:
            key = key_bytes.decode("ascii")
        except UnicodeDecodeError:
            raise _protocol.non_ascii_key(offset - start) from None
        annotations[key] = data[value_start:value_end]
        offset = value_end
    return annotations


def split_body(body, annotations_size):
    """The annotations dict and the payload of a message body (annotation block, then payload)."""
    if body.__class__ is not bytes:
        body = _protocol.block_as_bytes(body)
    if not 0 <= annotations_size <= len(body):
        raise _protocol.body_too_short(len(body), annotations_size)
    return _parse_chunks(body, 0, annotations_size), body[annotations_size:]  # what parse_annotations does


# The kinds of requiredMsgTypes that take_message checks itself; others go the step-by-step way.
_TYPE_COLLECTIONS = (tuple, list, set, frozenset)


def take_message(buffer, version, max_size, required):
    """The message at the start of the received bytes ``buffer``, when all of it is there and it can be
    taken as is: ``(rest, msg_type, flags, seq, data_size, serializer_id, annotations_size, annotations,
    data)``, ``rest`` being the bytes after it.

    None for anything else: a partial message, a bad header or annotations block, a message beyond
    ``max_size`` (0 or less: no limit; not an int: left to the caller) or of a type not in ``required``
    (None: any type; not a tuple, list or set: left to the caller), and a buffer that is not bytes.
    The caller then reads the message step by step with the functions above, which raise the errors
    in the order Pyro4 checks them, so this shortcut never changes them.
    """
    if buffer.__class__ is not bytes or len(buffer) < _HEADER_SIZE:
        return None
    tag, ver, msg_type, flags, seq, data_size, serializer_id, ann_size, _, checksum_ = _unpack_header_from(buffer)
    body_start = _HEADER_SIZE + ann_size
    end = body_start + data_size
    if (tag != _TAG or ver != version or end > len(buffer) or data_size < 0
            or checksum_ != (msg_type + ver + data_size + ann_size + serializer_id + flags + seq + _MAGIC) & 0xFFFF
            or max_size.__class__ is not int or 0 < max_size < end - _HEADER_SIZE):
        return None
    if required is not None:
        if required.__class__ not in _TYPE_COLLECTIONS:
            return None
        try:
            if required and msg_type not in required:
                return None
        except Exception:  # an element that cannot be compared: the step-by-step reads raise it
            return None
    if ann_size:
        try:
            annotations = _parse_chunks(buffer, _HEADER_SIZE, body_start)
        except ProtocolError:
            return None
    else:
        annotations = {}
    return buffer[end:], msg_type, flags, seq, data_size, serializer_id, ann_size, annotations, buffer[body_start:end]


# ---- HMAC-SHA1 of a message (RFC 2104; Pyro4.message says what it covers) ----------------------

_SHA1_BLOCK_SIZE = 64
_XOR_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_XOR_OPAD = bytes(byte ^ 0x5C for byte in range(256))
# Per key, the hashlib states after its inner and its outer pad block: hashing the two pads is most
# of the work for a small message (more so on OpenSSL 3), so a message only copies them. Keyed by
# bytes only: a str key of equal hash would be compared with them, a BytesWarning under -bb.
_pad_states = {}
_PAD_STATES_LIMIT = 32


def _hmac_key_bytes(key):
    """A non-bytes HMAC key as bytes (the compiled twin converts with this too)."""
    if isinstance(key, str):
        return key.encode("utf-8")  # Pyro4 uses a str key as its UTF-8 bytes
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise TypeError("hmac key must be bytes, not %s" % type(key).__name__)


def _new_pad_states(key):
    block_key = hashlib.sha1(key).digest() if len(key) > _SHA1_BLOCK_SIZE else key  # RFC 2104: long keys
    padded = block_key.ljust(_SHA1_BLOCK_SIZE, b"\0")
    states = hashlib.sha1(padded.translate(_XOR_IPAD)), hashlib.sha1(padded.translate(_XOR_OPAD))
    if len(_pad_states) >= _PAD_STATES_LIMIT:
        _pad_states.clear()  # a handful of keys is normal; many means they come and go
    _pad_states[key] = states
    return states


def message_hmac(key, data, annotations):
    """The 20-byte HMAC-SHA1 with ``key`` over ``data``, then the values of all annotations except
    ``HMAC`` in ascending key order."""
    if key.__class__ is not bytes:
        key = _hmac_key_bytes(key)
    inner_start, outer_start = _pad_states.get(key) or _new_pad_states(key)
    inner = inner_start.copy()
    inner.update(data)
    if annotations:
        for name, value in sorted(annotations.items()):
            if name != "HMAC":
                inner.update(value)
    outer = outer_start.copy()
    outer.update(inner.digest())
    return outer.digest()
