"""Pure-Python twin of the message hot paths (the compiled twin is ``Pyro4._message``).

Both twins have the same functions with the same signatures and raise the same errors (built by
``Pyro4._protocol``). They work on bytes and ints only: the protocol version and limits are
parameters, never read from ``Pyro4.config`` here. The wire layout is described in ``Pyro4.message``.
"""
import struct

from Pyro4 import _protocol

_HEADER = struct.Struct(_protocol.HEADER_FORMAT)
_CHUNK_HEADER = struct.Struct(_protocol.CHUNK_HEADER_FORMAT)
_pack_header = _HEADER.pack
_unpack_header = _HEADER.unpack
_pack_chunk_header = _CHUNK_HEADER.pack
_unpack_chunk_header = _CHUNK_HEADER.unpack_from
_TAG = _protocol.HEADER_TAG
_MAGIC = _protocol.CHECKSUM_MAGIC
_HEADER_SIZE = _protocol.HEADER_SIZE
_CHUNK_SIZE = _protocol.CHUNK_HEADER_SIZE
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
    block = encode_annotations(annotations)
    header = encode_header(version, msg_type, flags, seq, data_size, serializer_id, len(block))
    if data.__class__ is not bytes and not isinstance(data, (bytearray, memoryview)):
        raise _protocol.payload_type_error(data)
    if block:
        return b"".join((header, block, data))
    return header + data


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
    annotations = {}
    size = len(block)
    offset = 0
    while offset < size:
        if size - offset < _CHUNK_SIZE:
            raise _protocol.truncated_chunk_header(offset)
        key_bytes, length = _unpack_chunk_header(block, offset)
        start = offset + _CHUNK_SIZE
        end = start + length
        if end > size:
            raise _protocol.chunk_overrun(offset, length)
        try:
            key = key_bytes.decode("ascii")
        except UnicodeDecodeError:
            raise _protocol.non_ascii_key(offset) from None
        annotations[key] = block[start:end]
        offset = end
    return annotations


def split_body(body, annotations_size):
    """The annotations dict and the payload of a message body (annotation block, then payload)."""
    if body.__class__ is not bytes:
        body = _protocol.block_as_bytes(body)
    if not 0 <= annotations_size <= len(body):
        raise _protocol.body_too_short(len(body), annotations_size)
    return parse_annotations(body[:annotations_size]), body[annotations_size:]
