# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled twin of the message hot paths (the pure twin is ``Pyro4._message_py``).

Same functions, signatures and errors as the pure twin; errors are built by ``Pyro4._protocol`` so
the texts cannot drift. Header packing/unpacking, the checksum and the annotation chunks are done in
C on raw buffers. The protocol version and limits are parameters: nothing here reads
``Pyro4.config`` or caches ``Pyro4.constants.PROTOCOL_VERSION``. The wire layout is described in
``Pyro4.message``.
"""
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_Next
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check, PyLong_CheckExact
from cpython.number cimport PyNumber_Index
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_Check, PyUnicode_DecodeASCII
from libc.string cimport memcmp, memcpy

from Pyro4 import _protocol

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object unicode, Py_ssize_t* size) except NULL

cdef enum:
    HEADER_SIZE = 24
    CHUNK_SIZE = 6
    MAX_UINT16 = 0xFFFF
    MAX_DATA_SIZE = 0x7FFFFFFF
    # checksum() does the sum in C only when every field is below this, so it cannot overflow
    CHECKSUM_C_LIMIT = 1 << 30

cdef long long CHECKSUM_MAGIC = _protocol.CHECKSUM_MAGIC
cdef bytes TAG = _protocol.HEADER_TAG
# The reserved keys come back as these same str objects, saving a decode per common chunk.
cdef str KEY_CORR = "CORR"
cdef str KEY_HMAC = "HMAC"

if HEADER_SIZE != _protocol.HEADER_SIZE or CHUNK_SIZE != _protocol.CHUNK_HEADER_SIZE:
    raise ImportError("Pyro4._message was compiled for another header layout than Pyro4._protocol")


# ---- small C helpers ----------------------------------------------------------------------------

cdef inline bint _as_longlong(object value, long long* out):
    """Stores an int-like value in out; False if it is not an integer or does not fit."""
    cdef int overflow = 0
    if not PyLong_Check(value):
        try:
            value = PyNumber_Index(value)
        except TypeError:
            return False
    out[0] = PyLong_AsLongLongAndOverflow(value, &overflow)
    return overflow == 0


cdef inline bint _small(object value, long long* out):
    return PyLong_CheckExact(value) and _as_longlong(value, out) and -CHECKSUM_C_LIMIT < out[0] < CHECKSUM_C_LIMIT


cdef inline void _put_u16(unsigned char* p, long long value) noexcept nogil:
    p[0] = <unsigned char>((value >> 8) & 0xFF)
    p[1] = <unsigned char>(value & 0xFF)


cdef inline unsigned int _get_u16(const unsigned char* p) noexcept nogil:
    return (<unsigned int>p[0] << 8) | p[1]


cdef inline long long _get_i32(const unsigned char* p) noexcept nogil:
    cdef unsigned int raw = ((<unsigned int>p[0] << 24) | (<unsigned int>p[1] << 16) |
                             (<unsigned int>p[2] << 8) | p[3])
    return <long long>(<int>raw)


cdef inline long long _checksum(long long msg_type, long long version, long long data_size,
                                long long annotations_size, long long serializer_id, long long flags,
                                long long seq) noexcept nogil:
    return (msg_type + version + data_size + annotations_size + serializer_id + flags + seq +
            CHECKSUM_MAGIC) & 0xFFFF


cdef inline bint _in_range(long long value, long long high) noexcept nogil:
    return 0 <= value <= high


cdef int _fill_header(unsigned char* p, object version, object msg_type, object flags, object seq,
                      object data_size, object serializer_id, long long annotations_size) except -1:
    """Writes the 24 header bytes, or raises the shared header-field error."""
    cdef long long v, t, f, s, d, ser
    if not (_as_longlong(data_size, &d) and _in_range(d, MAX_DATA_SIZE)
            and _as_longlong(version, &v) and _in_range(v, MAX_UINT16)
            and _as_longlong(msg_type, &t) and _in_range(t, MAX_UINT16)
            and _as_longlong(flags, &f) and _in_range(f, MAX_UINT16)
            and _as_longlong(seq, &s) and _in_range(s, MAX_UINT16)
            and _as_longlong(serializer_id, &ser) and _in_range(ser, MAX_UINT16)
            and _in_range(annotations_size, MAX_UINT16)):
        raise _protocol.header_field_error(version, msg_type, flags, seq, data_size, serializer_id,
                                           annotations_size)
    memcpy(p, <const char*>TAG, 4)
    _put_u16(p + 4, v)
    _put_u16(p + 6, t)
    _put_u16(p + 8, f)
    _put_u16(p + 10, s)
    p[12] = <unsigned char>((d >> 24) & 0xFF)
    p[13] = <unsigned char>((d >> 16) & 0xFF)
    p[14] = <unsigned char>((d >> 8) & 0xFF)
    p[15] = <unsigned char>(d & 0xFF)
    _put_u16(p + 16, ser)
    _put_u16(p + 18, annotations_size)
    _put_u16(p + 20, 0)
    _put_u16(p + 22, _checksum(t, v, d, annotations_size, ser, f, s))
    return 0


cdef const char* _key_chars(object key) except NULL:
    """The 4 ASCII bytes of a valid annotation key, or raises the shared key error."""
    cdef Py_ssize_t size = 0
    cdef const char* chars
    cdef int i
    if not PyUnicode_Check(key):
        raise _protocol.annotation_key_error(key)
    chars = PyUnicode_AsUTF8AndSize(key, &size)
    if size != 4:
        raise _protocol.annotation_key_error(key)
    for i in range(4):
        if <unsigned char>chars[i] >= 128:
            raise _protocol.annotation_key_error(key)
    return chars


cdef Py_ssize_t _collect_annotations(dict annotations, list keys, list values) except -1:
    """Validates every chunk and returns the block size; the bytes values go into ``values``."""
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t block_size = 0
    cdef PyObject* pkey
    cdef PyObject* pvalue
    while PyDict_Next(annotations, &pos, &pkey, &pvalue):
        key = <object>pkey
        value = <object>pvalue
        _key_chars(key)
        if not PyBytes_CheckExact(value):
            value = _protocol.annotation_value_as_bytes(key, value)
        keys.append(key)
        values.append(value)
        block_size += CHUNK_SIZE + PyBytes_GET_SIZE(value)
    if block_size > MAX_UINT16:
        raise _protocol.annotations_too_large(block_size)
    return block_size


cdef void _fill_annotations(unsigned char* p, list keys, list values):
    cdef Py_ssize_t i, length
    for i in range(len(keys)):
        value = values[i]
        length = PyBytes_GET_SIZE(value)
        memcpy(p, _key_chars(keys[i]), 4)
        _put_u16(p + 4, length)
        memcpy(p + CHUNK_SIZE, PyBytes_AS_STRING(value), length)
        p += CHUNK_SIZE + length


cdef object _encode_annotations(object annotations):
    if not annotations:
        return b""
    if type(annotations) is not dict:
        annotations = dict(annotations)
    cdef list keys = []
    cdef list values = []
    cdef Py_ssize_t size = _collect_annotations(annotations, keys, values)
    block = PyBytes_FromStringAndSize(NULL, size)
    _fill_annotations(<unsigned char*>PyBytes_AS_STRING(block), keys, values)
    return block


# ---- public functions (same names and signatures as Pyro4._message_py) ---------------------------

def checksum(msg_type, version, data_size, annotations_size, serializer_id, flags, seq):
    """The header checksum of the given field values."""
    cdef long long t, v, d, a, ser, f, s
    if (_small(msg_type, &t) and _small(version, &v) and _small(data_size, &d)
            and _small(annotations_size, &a) and _small(serializer_id, &ser)
            and _small(flags, &f) and _small(seq, &s)):
        return _checksum(t, v, d, a, ser, f, s)
    # huge or non-int values: the same arithmetic as the pure twin, errors included
    return (msg_type + version + data_size + annotations_size + serializer_id + flags + seq +
            CHECKSUM_MAGIC) & 0xFFFF


def annotations_size(annotations):
    """Total size of the annotation chunks for this dict (6 bytes of chunk header per value)."""
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t total = 0
    cdef PyObject* pkey
    cdef PyObject* pvalue
    if type(annotations) is not dict:
        return sum(CHUNK_SIZE + len(value) for value in annotations.values())
    while PyDict_Next(annotations, &pos, &pkey, &pvalue):
        value = <object>pvalue
        total += CHUNK_SIZE + (PyBytes_GET_SIZE(value) if PyBytes_CheckExact(value) else len(value))
    return total


def encode_header(version, msg_type, flags, seq, data_size, serializer_id, annotations_size):
    """The 24-byte header for these field values."""
    cdef long long ann
    if not _as_longlong(annotations_size, &ann):
        raise _protocol.header_field_error(version, msg_type, flags, seq, data_size, serializer_id,
                                           annotations_size)
    header = PyBytes_FromStringAndSize(NULL, HEADER_SIZE)
    _fill_header(<unsigned char*>PyBytes_AS_STRING(header), version, msg_type, flags, seq, data_size,
                 serializer_id, ann)
    return header


def encode_annotations(annotations):
    """The annotation chunks for this dict, back to back, in the dict's order."""
    return _encode_annotations(annotations)


def encode_message(version, msg_type, flags, seq, serializer_id, data_size, annotations, data):
    """Header, annotation chunks and payload as one bytes object.

    ``data_size`` goes into the header as given (callers may have changed it), the annotations size
    is that of the chunks actually written.
    """
    cdef list keys = []
    cdef list values = []
    cdef Py_ssize_t block_size = 0
    cdef Py_buffer view
    cdef unsigned char* out
    if annotations:
        if type(annotations) is not dict:
            annotations = dict(annotations)
        block_size = _collect_annotations(annotations, keys, values)
    header = PyBytes_FromStringAndSize(NULL, HEADER_SIZE)
    _fill_header(<unsigned char*>PyBytes_AS_STRING(header), version, msg_type, flags, seq, data_size,
                 serializer_id, block_size)
    if PyBytes_CheckExact(data):
        return _join(header, keys, values, block_size, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
    if not isinstance(data, (bytearray, memoryview)):
        raise _protocol.payload_type_error(data)
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        return _join(header, keys, values, block_size, <const char*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)


cdef object _join(bytes header, list keys, list values, Py_ssize_t block_size, const char* data,
                  Py_ssize_t data_len):
    message = PyBytes_FromStringAndSize(NULL, HEADER_SIZE + block_size + data_len)
    cdef unsigned char* out = <unsigned char*>PyBytes_AS_STRING(message)
    memcpy(out, PyBytes_AS_STRING(header), HEADER_SIZE)
    if block_size:
        _fill_annotations(out + HEADER_SIZE, keys, values)
    if data_len:
        memcpy(out + HEADER_SIZE + block_size, data, data_len)
    return message


def parse_header(header, version):
    """Checks a received 24-byte header against ``version`` and returns its fields as
    ``(msg_type, flags, seq, data_size, serializer_id, annotations_size)``."""
    cdef const unsigned char* p
    cdef long long ver, msg_type, flags, seq, data_size, serializer_id, ann_size, wanted
    if not PyBytes_CheckExact(header):
        header = _protocol.header_as_bytes(header)
    if PyBytes_GET_SIZE(header) != HEADER_SIZE:
        raise _protocol.header_size_mismatch()
    p = <const unsigned char*>PyBytes_AS_STRING(header)
    ver = _get_u16(p + 4)
    if memcmp(p, <const char*>TAG, 4) != 0 or not _version_matches(ver, version):
        raise _protocol.invalid_tag_or_version()
    msg_type = _get_u16(p + 6)
    flags = _get_u16(p + 8)
    seq = _get_u16(p + 10)
    data_size = _get_i32(p + 12)
    serializer_id = _get_u16(p + 16)
    ann_size = _get_u16(p + 18)
    if _get_u16(p + 22) != _checksum(msg_type, ver, data_size, ann_size, serializer_id, flags, seq):
        raise _protocol.header_checksum_mismatch()
    if data_size < 0:
        raise _protocol.negative_data_size(data_size)
    return msg_type, flags, seq, data_size, serializer_id, ann_size


cdef inline bint _version_matches(long long ver, object version):
    cdef long long wanted
    if PyLong_CheckExact(version) and _as_longlong(version, &wanted):
        return ver == wanted
    return ver == version


def parse_annotations(block):
    """The dict of annotations (str key -> bytes value) in a received annotation block."""
    cdef const unsigned char* p
    cdef Py_ssize_t size, offset = 0, length
    cdef dict annotations = {}
    if not PyBytes_CheckExact(block):
        block = _protocol.block_as_bytes(block)
    p = <const unsigned char*>PyBytes_AS_STRING(block)
    size = PyBytes_GET_SIZE(block)
    while offset < size:
        if size - offset < CHUNK_SIZE:
            raise _protocol.truncated_chunk_header(offset)
        length = _get_u16(p + offset + 4)
        if offset + CHUNK_SIZE + length > size:
            raise _protocol.chunk_overrun(offset, length)
        key = _decode_key(p + offset, offset)
        annotations[key] = PyBytes_FromStringAndSize(<const char*>p + offset + CHUNK_SIZE, length)
        offset += CHUNK_SIZE + length
    return annotations


cdef object _decode_key(const unsigned char* p, Py_ssize_t offset):
    cdef int i
    for i in range(4):
        if p[i] >= 128:
            raise _protocol.non_ascii_key(offset)
    if memcmp(p, b"CORR", 4) == 0:
        return KEY_CORR
    if memcmp(p, b"HMAC", 4) == 0:
        return KEY_HMAC
    return PyUnicode_DecodeASCII(<const char*>p, 4, NULL)
