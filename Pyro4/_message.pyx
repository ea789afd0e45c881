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
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check, PyLong_CheckExact
from cpython.number cimport PyNumber_Index
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_Check, PyUnicode_DecodeASCII
from libc.string cimport memcmp, memcpy

from Pyro4 import _protocol

cdef extern from "Python.h":
    bint PyUnicode_IS_READY(object unicode)
    bint PyUnicode_IS_ASCII(object unicode)
    Py_ssize_t PyUnicode_GET_LENGTH(object unicode)
    void* PyUnicode_DATA(object unicode)

cdef enum:
    SMALL_CHUNKS = 8
    HEADER_SIZE = 24
    CHUNK_SIZE = 6
    MAX_UINT16 = 0xFFFF
    MAX_DATA_SIZE = 0x7FFFFFFF
    # checksum() does the sum in C only when every field is below this, so it cannot overflow
    CHECKSUM_C_LIMIT = 1 << 30

cdef long long CHECKSUM_MAGIC = _protocol.CHECKSUM_MAGIC
cdef Py_ssize_t JOIN_LIMIT = _protocol.JOIN_LIMIT
cdef bytes TAG = _protocol.HEADER_TAG  # written and compared as the literal b"PYRO" below
# The reserved keys come back as these same str objects, saving a decode per common chunk.
cdef str KEY_CORR = "CORR"
cdef str KEY_HMAC = "HMAC"

if (HEADER_SIZE != _protocol.HEADER_SIZE or CHUNK_SIZE != _protocol.CHUNK_HEADER_SIZE
        or TAG != b"PYRO"):
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


cdef struct Header:
    long long version, msg_type, flags, seq, data_size, serializer_id, annotations_size


cdef struct Chunk:
    const char* key
    const char* value
    Py_ssize_t length


cdef int _check_header(Header* h, object version, object msg_type, object flags, object seq,
                       object data_size, object serializer_id, long long annotations_size) except -1:
    """Converts and range-checks the header fields into h, or raises the shared header-field error."""
    h.annotations_size = annotations_size
    if not (_as_longlong(data_size, &h.data_size) and _in_range(h.data_size, MAX_DATA_SIZE)
            and _as_longlong(version, &h.version) and _in_range(h.version, MAX_UINT16)
            and _as_longlong(msg_type, &h.msg_type) and _in_range(h.msg_type, MAX_UINT16)
            and _as_longlong(flags, &h.flags) and _in_range(h.flags, MAX_UINT16)
            and _as_longlong(seq, &h.seq) and _in_range(h.seq, MAX_UINT16)
            and _as_longlong(serializer_id, &h.serializer_id) and _in_range(h.serializer_id, MAX_UINT16)
            and _in_range(annotations_size, MAX_UINT16)):
        raise _protocol.header_field_error(version, msg_type, flags, seq, data_size, serializer_id,
                                           annotations_size)
    return 0


cdef void _write_header(unsigned char* p, const Header* h) noexcept nogil:
    memcpy(p, b"PYRO", 4)
    _put_u16(p + 4, h.version)
    _put_u16(p + 6, h.msg_type)
    _put_u16(p + 8, h.flags)
    _put_u16(p + 10, h.seq)
    p[12] = <unsigned char>((h.data_size >> 24) & 0xFF)
    p[13] = <unsigned char>((h.data_size >> 16) & 0xFF)
    p[14] = <unsigned char>((h.data_size >> 8) & 0xFF)
    p[15] = <unsigned char>(h.data_size & 0xFF)
    _put_u16(p + 16, h.serializer_id)
    _put_u16(p + 18, h.annotations_size)
    _put_u16(p + 20, 0)
    _put_u16(p + 22, _checksum(h.msg_type, h.version, h.data_size, h.annotations_size, h.serializer_id,
                               h.flags, h.seq))


cdef const char* _key_chars(object key) except NULL:
    """The 4 ASCII bytes of a valid annotation key, or raises the shared key error."""
    if (PyUnicode_Check(key) and PyUnicode_IS_READY(key) and PyUnicode_IS_ASCII(key)
            and PyUnicode_GET_LENGTH(key) == 4):
        return <const char*>PyUnicode_DATA(key)
    raise _protocol.annotation_key_error(key)


cdef class _Chunks:
    """The validated annotation chunks of one dict, ready to be copied into a message.

    Holds references to every key and value it points into (converted values included), so the
    pointers stay valid whatever Python code runs while the chunks are collected.
    """
    cdef Chunk* chunks
    cdef Py_ssize_t count
    cdef Py_ssize_t block_size
    cdef list keep_alive

    def __dealloc__(self):
        PyMem_Free(self.chunks)

    cdef int collect(self, dict annotations) except -1:
        cdef Py_ssize_t pos = 0
        cdef PyObject* pkey
        cdef PyObject* pvalue
        cdef Chunk* chunk
        self.chunks = <Chunk*>PyMem_Malloc(max(1, len(annotations)) * sizeof(Chunk))
        if self.chunks == NULL:
            raise MemoryError()
        self.keep_alive = []
        while PyDict_Next(annotations, &pos, &pkey, &pvalue):
            if self.count >= len(annotations):
                raise RuntimeError("annotations dict changed size during encoding")
            key = <object>pkey
            value = <object>pvalue
            chunk = &self.chunks[self.count]
            chunk.key = _key_chars(key)
            if not PyBytes_CheckExact(value):
                value = _protocol.annotation_value_as_bytes(key, value)
            self.keep_alive.append(key)
            self.keep_alive.append(value)
            chunk.value = PyBytes_AS_STRING(value)
            chunk.length = PyBytes_GET_SIZE(value)
            self.block_size += CHUNK_SIZE + chunk.length
            self.count += 1
        if self.block_size > MAX_UINT16:
            raise _protocol.annotations_too_large(self.block_size)
        return 0


cdef void _write_chunks(unsigned char* p, const Chunk* chunks, Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(count):
        memcpy(p, chunks[i].key, 4)
        _put_u16(p + 4, chunks[i].length)
        memcpy(p + CHUNK_SIZE, chunks[i].value, chunks[i].length)
        p += CHUNK_SIZE + chunks[i].length


cdef Py_ssize_t _collect_small(dict annotations, Chunk* chunks) except -2:
    """Fast path for up to SMALL_CHUNKS chunks with exact bytes values, borrowing the dict's references
    (no Python code runs before they are copied). Returns the block size, or -1 to take the slow path."""
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t block_size = 0
    cdef PyObject* pkey
    cdef PyObject* pvalue
    if len(annotations) > SMALL_CHUNKS:
        return -1
    while PyDict_Next(annotations, &pos, &pkey, &pvalue):
        if not PyBytes_CheckExact(<object>pvalue):
            return -1
        chunks[count].key = _key_chars(<object>pkey)
        chunks[count].value = PyBytes_AS_STRING(<object>pvalue)
        chunks[count].length = PyBytes_GET_SIZE(<object>pvalue)
        block_size += CHUNK_SIZE + chunks[count].length
        count += 1
    if block_size > MAX_UINT16:
        raise _protocol.annotations_too_large(block_size)
    return block_size


cdef object _encode_annotations(object annotations):
    if not annotations:
        return b""
    if type(annotations) is not dict:
        annotations = dict(annotations)
    cdef _Chunks collected = _Chunks()
    collected.collect(annotations)
    block = PyBytes_FromStringAndSize(NULL, collected.block_size)
    _write_chunks(<unsigned char*>PyBytes_AS_STRING(block), collected.chunks, collected.count)
    return block


cdef object _build(const Header* h, const Chunk* chunks, Py_ssize_t count, object data):
    """Allocates the message and copies header, chunks and payload into it."""
    cdef Py_buffer view
    cdef const char* payload
    cdef Py_ssize_t payload_len
    if PyBytes_CheckExact(data):
        return _assemble(h, chunks, count, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
    if not isinstance(data, (bytearray, memoryview)):
        raise _protocol.payload_type_error(data)
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        return _assemble(h, chunks, count, <const char*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)


cdef object _assemble(const Header* h, const Chunk* chunks, Py_ssize_t count, const char* payload,
                      Py_ssize_t payload_len):
    message = PyBytes_FromStringAndSize(NULL, HEADER_SIZE + h.annotations_size + payload_len)
    cdef unsigned char* out = <unsigned char*>PyBytes_AS_STRING(message)
    _write_header(out, h)
    _write_chunks(out + HEADER_SIZE, chunks, count)
    if payload_len:
        memcpy(out + HEADER_SIZE + h.annotations_size, payload, payload_len)
    return message


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


def encode_plain(version, msg_type, data, serializer_id, flags, seq, annotations, max_size):
    """What a message without HMAC key sends, as ``(frame, payload or None)`` (see the pure twin)."""
    cdef Py_ssize_t data_size = len(data)
    if max_size > 0:
        total_size = data_size + (annotations_size(annotations) if annotations else 0)
        if total_size > max_size:
            raise _protocol.message_too_large(total_size, max_size)
    if data_size < JOIN_LIMIT:
        return encode_message(version, msg_type, flags, seq, serializer_id, data_size, annotations, data), None
    return encode_message(version, msg_type, flags, seq, serializer_id, data_size, annotations, b""), data


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
    cdef Header h
    cdef long long ann
    if not _as_longlong(annotations_size, &ann):
        raise _protocol.header_field_error(version, msg_type, flags, seq, data_size, serializer_id,
                                           annotations_size)
    _check_header(&h, version, msg_type, flags, seq, data_size, serializer_id, ann)
    header = PyBytes_FromStringAndSize(NULL, HEADER_SIZE)
    _write_header(<unsigned char*>PyBytes_AS_STRING(header), &h)
    return header


def encode_annotations(annotations):
    """The annotation chunks for this dict, back to back, in the dict's order."""
    return _encode_annotations(annotations)


def encode_message(version, msg_type, flags, seq, serializer_id, data_size, annotations, data):
    """Header, annotation chunks and payload as one bytes object.

    ``data_size`` goes into the header as given (callers may have changed it), the annotations size
    is that of the chunks actually written.
    """
    cdef Header h
    cdef Chunk small[SMALL_CHUNKS]
    cdef Py_ssize_t block_size = 0
    cdef _Chunks collected
    if annotations:
        if type(annotations) is not dict:
            annotations = dict(annotations)
        block_size = _collect_small(annotations, small)
        if block_size < 0:
            collected = _Chunks()
            collected.collect(annotations)
            _check_header(&h, version, msg_type, flags, seq, data_size, serializer_id, collected.block_size)
            return _build(&h, collected.chunks, collected.count, data)
    _check_header(&h, version, msg_type, flags, seq, data_size, serializer_id, block_size)
    return _build(&h, small, len(annotations) if block_size else 0, data)


def parse_header(header, version):
    """Checks a received 24-byte header against ``version`` and returns its fields as
    ``(msg_type, flags, seq, data_size, serializer_id, annotations_size)``."""
    cdef Header h
    cdef int status
    if not PyBytes_CheckExact(header):
        header = _protocol.header_as_bytes(header)
    if PyBytes_GET_SIZE(header) != HEADER_SIZE:
        raise _protocol.header_size_mismatch()
    status = _unpack_header(<const unsigned char*>PyBytes_AS_STRING(header), version, &h)
    if status == BAD_TAG_OR_VERSION:
        raise _protocol.invalid_tag_or_version()
    if status == BAD_CHECKSUM:
        raise _protocol.header_checksum_mismatch()
    if status == NEGATIVE_SIZE:
        raise _protocol.negative_data_size(h.data_size)
    return h.msg_type, h.flags, h.seq, h.data_size, h.serializer_id, h.annotations_size


cdef enum HeaderStatus:
    HEADER_OK, BAD_TAG_OR_VERSION, BAD_CHECKSUM, NEGATIVE_SIZE


cdef int _unpack_header(const unsigned char* p, object version, Header* h) except -1:
    """Reads the 24 header bytes at p into h; returns the first problem found (as parse_header
    checks them: tag and version, checksum, data size), or HEADER_OK."""
    h.version = _get_u16(p + 4)
    if memcmp(p, b"PYRO", 4) != 0 or not _version_matches(h.version, version):
        return BAD_TAG_OR_VERSION
    h.msg_type = _get_u16(p + 6)
    h.flags = _get_u16(p + 8)
    h.seq = _get_u16(p + 10)
    h.data_size = _get_i32(p + 12)
    h.serializer_id = _get_u16(p + 16)
    h.annotations_size = _get_u16(p + 18)
    if _get_u16(p + 22) != _checksum(h.msg_type, h.version, h.data_size, h.annotations_size, h.serializer_id,
                                     h.flags, h.seq):
        return BAD_CHECKSUM
    if h.data_size < 0:
        return NEGATIVE_SIZE
    return HEADER_OK


cdef inline bint _version_matches(long long ver, object version):
    cdef long long wanted
    if PyLong_CheckExact(version) and _as_longlong(version, &wanted):
        return ver == wanted
    return ver == version


def parse_annotations(block):
    """The dict of annotations (str key -> bytes value) in a received annotation block."""
    if not PyBytes_CheckExact(block):
        block = _protocol.block_as_bytes(block)
    return _parse_chunks(<const unsigned char*>PyBytes_AS_STRING(block), PyBytes_GET_SIZE(block), True)


def split_body(body, annotations_size):
    """The annotations dict and the payload of a message body (annotation block, then payload)."""
    cdef Py_ssize_t size, ann_size
    cdef const unsigned char* p
    if not PyBytes_CheckExact(body):
        body = _protocol.block_as_bytes(body)
    size = PyBytes_GET_SIZE(body)
    if not (PyLong_CheckExact(annotations_size) and 0 <= annotations_size <= size):
        if 0 <= annotations_size <= size:  # an int subclass or int-like: the pure twin accepts it too
            annotations_size = PyNumber_Index(annotations_size)
        else:
            raise _protocol.body_too_short(size, annotations_size)
    ann_size = annotations_size
    p = <const unsigned char*>PyBytes_AS_STRING(body)
    annotations = _parse_chunks(p, ann_size, True)
    if ann_size == 0:
        return annotations, body
    return annotations, PyBytes_FromStringAndSize(<const char*>p + ann_size, size - ann_size)


cdef object _parse_chunks(const unsigned char* p, Py_ssize_t size, bint strict):
    """The annotations dict of the chunks at p; a malformed block raises the shared error, or gives
    None when not strict."""
    cdef Py_ssize_t offset = 0, length
    cdef dict annotations = {}
    while offset < size:
        error = _chunk_error(p, offset, size)
        if error is not None:
            if strict:
                raise error
            return None
        length = _get_u16(p + offset + 4)
        annotations[_decode_key(p + offset)] = PyBytes_FromStringAndSize(<const char*>p + offset + CHUNK_SIZE,
                                                                         length)
        offset += CHUNK_SIZE + length
    return annotations


cdef inline object _chunk_error(const unsigned char* p, Py_ssize_t offset, Py_ssize_t size):
    """The error for the chunk at offset if it overruns the block or its key is not ASCII, else None."""
    cdef Py_ssize_t length
    cdef int i
    if size - offset < CHUNK_SIZE:
        return _protocol.truncated_chunk_header(offset)
    length = _get_u16(p + offset + 4)
    if offset + CHUNK_SIZE + length > size:
        return _protocol.chunk_overrun(offset, length)
    for i in range(4):
        if p[offset + i] >= 128:
            return _protocol.non_ascii_key(offset)
    return None


cdef object _decode_key(const unsigned char* p):
    if memcmp(p, b"CORR", 4) == 0:
        return KEY_CORR
    if memcmp(p, b"HMAC", 4) == 0:
        return KEY_HMAC
    return PyUnicode_DecodeASCII(<const char*>p, 4, NULL)


# ---- a whole small message at once (see take_message in the pure twin) ---------------------------

def take_message(buffer, version, max_size, required):
    """``(rest, msg_type, flags, seq, data_size, serializer_id, annotations_size, annotations, data)``
    of the message at the start of the received bytes ``buffer`` if it can be taken as is, else None
    (see the pure twin for when)."""
    cdef Header h
    cdef const unsigned char* p
    cdef Py_ssize_t size
    cdef long long end
    if not (PyBytes_CheckExact(buffer) and PyBytes_GET_SIZE(buffer) >= HEADER_SIZE):
        return None
    p = <const unsigned char*>PyBytes_AS_STRING(buffer)
    size = PyBytes_GET_SIZE(buffer)
    if _unpack_header(p, version, &h) != HEADER_OK:
        return None
    end = HEADER_SIZE + h.annotations_size + h.data_size
    if end > size or not _within_limit(end - HEADER_SIZE, max_size) or not _accepted(h.msg_type, required):
        return None
    annotations = _parse_chunks(p + HEADER_SIZE, h.annotations_size, False)
    if annotations is None:
        return None
    data = PyBytes_FromStringAndSize(<const char*>p + HEADER_SIZE + h.annotations_size, h.data_size)
    rest = PyBytes_FromStringAndSize(<const char*>p + end, size - end)
    return (rest, h.msg_type, h.flags, h.seq, h.data_size, h.serializer_id, h.annotations_size, annotations,
            data)


cdef inline bint _within_limit(long long total_size, object max_size):
    # anything but an exact int as the limit is left to the step-by-step reads
    cdef long long limit
    if not (PyLong_CheckExact(max_size) and _as_longlong(max_size, &limit)):
        return False
    return limit <= 0 or total_size <= limit


cdef bint _accepted(long long msg_type, object required):
    if required is None:
        return True
    if not (type(required) is tuple or type(required) is list or type(required) is set
            or type(required) is frozenset):
        return False
    try:
        return not required or msg_type in required
    except Exception:  # an element that cannot be compared: the step-by-step reads raise it
        return False


# ---- HMAC-SHA1 of a message (RFC 2104 over FIPS 180-4 SHA-1; Pyro4.message says what it covers) ---

from cpython.buffer cimport PyObject_CheckBuffer
from cpython.unicode cimport PyUnicode_CheckExact, PyUnicode_Compare
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memset

# The reference for what is not hashed here: key conversion, and values that are not plain buffers.
from Pyro4 import _message_py

cdef enum:
    SHA1_BLOCK = 64
    SHA1_DIGEST = 20
    SHA1_LENGTH_AT = 56  # offset of the 64-bit message length in the last block
    PAD_STATES_LIMIT = 32
    NOGIL_SIZE = 8192  # a part this large takes microseconds: other threads may run meanwhile
    SORTED_HERE = 8  # annotations put in key order without sorted() (messages have one to three)
    HASHLIB_FROM = 16384  # a payload this large goes to hashlib, whose SHA-1 can use the CPU's SHA instructions

# Per key (bytes only, as in the pure twin), the SHA-1 states after its inner and its outer pad block.
_pad_states = {}


cdef struct Sha1:
    uint32_t h[5]
    unsigned char pending[SHA1_BLOCK]  # input not yet making up a whole block
    Py_ssize_t filled
    uint64_t length  # bytes taken since the initial state


cdef inline uint32_t _rotl(uint32_t x, int n) noexcept nogil:
    return (x << n) | (x >> (32 - n))


cdef inline uint32_t _load_be32(const unsigned char* p) noexcept nogil:
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | <uint32_t>p[3]


cdef enum RoundKind:  # FIPS 180-4 section 4.1.1: the function and constant of each 20 rounds
    CH_ROUNDS, PARITY_ROUNDS, MAJ_ROUNDS, LAST_PARITY_ROUNDS


cdef inline uint32_t _f_plus_k(RoundKind kind, uint32_t x, uint32_t y, uint32_t z) noexcept nogil:
    # kind is a constant at every (inlined) call, so the compiler keeps only one branch
    if kind == CH_ROUNDS:
        return ((x & y) ^ (~x & z)) + <uint32_t>0x5A827999
    if kind == PARITY_ROUNDS:
        return (x ^ y ^ z) + <uint32_t>0x6ED9EBA1
    if kind == MAJ_ROUNDS:
        return ((x & y) ^ (x & z) ^ (y & z)) + <uint32_t>0x8F1BBCDC
    return (x ^ y ^ z) + <uint32_t>0xCA62C1D6


cdef inline uint32_t _schedule(uint32_t* w, int t) noexcept nogil:
    """W_t of the message schedule, kept in a ring of the last 16 words (w[t mod 16])."""
    if t < 16:
        return w[t]
    w[t & 15] = _rotl(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1)
    return w[t & 15]


cdef inline void _round(RoundKind kind, uint32_t a, uint32_t* b, uint32_t c, uint32_t d, uint32_t* e,
                        uint32_t w) noexcept nogil:
    # T = ROTL5(a) + f(b, c, d) + e + K + W; the caller renames the variables instead of shifting them
    e[0] += _rotl(a, 5) + _f_plus_k(kind, b[0], c, d) + w
    b[0] = _rotl(b[0], 30)


cdef inline void _five_rounds(RoundKind kind, uint32_t* w, int t, uint32_t* a, uint32_t* b, uint32_t* c,
                              uint32_t* d, uint32_t* e) noexcept nogil:
    # after five rounds every variable is back in its own role
    _round(kind, a[0], b, c[0], d[0], e, _schedule(w, t))
    _round(kind, e[0], a, b[0], c[0], d, _schedule(w, t + 1))
    _round(kind, d[0], e, a[0], b[0], c, _schedule(w, t + 2))
    _round(kind, c[0], d, e[0], a[0], b, _schedule(w, t + 3))
    _round(kind, b[0], c, d[0], e[0], a, _schedule(w, t + 4))


cdef inline void _twenty_rounds(RoundKind kind, uint32_t* w, int t, uint32_t* a, uint32_t* b, uint32_t* c,
                                uint32_t* d, uint32_t* e) noexcept nogil:
    # no loops over the rounds: with every t a constant the compiler unrolls all 80 (a third faster)
    _five_rounds(kind, w, t, a, b, c, d, e)
    _five_rounds(kind, w, t + 5, a, b, c, d, e)
    _five_rounds(kind, w, t + 10, a, b, c, d, e)
    _five_rounds(kind, w, t + 15, a, b, c, d, e)


cdef void _sha1_compress(uint32_t* h, const unsigned char* block) noexcept nogil:
    """One block into the hash value h: FIPS 180-4 section 6.1.2, steps 1 to 4."""
    cdef uint32_t w[16]
    cdef uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4]
    cdef int t
    for t in range(16):
        w[t] = _load_be32(block + 4 * t)
    _twenty_rounds(CH_ROUNDS, w, 0, &a, &b, &c, &d, &e)
    _twenty_rounds(PARITY_ROUNDS, w, 20, &a, &b, &c, &d, &e)
    _twenty_rounds(MAJ_ROUNDS, w, 40, &a, &b, &c, &d, &e)
    _twenty_rounds(LAST_PARITY_ROUNDS, w, 60, &a, &b, &c, &d, &e)
    h[0] += a
    h[1] += b
    h[2] += c
    h[3] += d
    h[4] += e


cdef inline void _sha1_init(Sha1* s) noexcept nogil:
    # FIPS 180-4 section 5.3.1
    s.h[0] = <uint32_t>0x67452301
    s.h[1] = <uint32_t>0xEFCDAB89
    s.h[2] = <uint32_t>0x98BADCFE
    s.h[3] = <uint32_t>0x10325476
    s.h[4] = <uint32_t>0xC3D2E1F0
    s.filled = 0
    s.length = 0


cdef inline void _sha1_resume(Sha1* s, const uint32_t* after_pad) noexcept nogil:
    """s as it was after hashing one (pad) block whose resulting state is after_pad."""
    memcpy(s.h, after_pad, sizeof(s.h))
    s.filled = 0
    s.length = SHA1_BLOCK


cdef void _sha1_update(Sha1* s, const unsigned char* p, Py_ssize_t size) noexcept nogil:
    cdef Py_ssize_t take
    s.length += <uint64_t>size
    if s.filled:
        take = min(SHA1_BLOCK - s.filled, size)
        memcpy(s.pending + s.filled, p, take)
        s.filled += take
        if s.filled < SHA1_BLOCK:
            return
        _sha1_compress(s.h, s.pending)
        s.filled = 0
        p += take
        size -= take
    while size >= SHA1_BLOCK:  # whole blocks straight from the input, without copying them
        _sha1_compress(s.h, p)
        p += SHA1_BLOCK
        size -= SHA1_BLOCK
    if size:
        memcpy(s.pending, p, size)
        s.filled = size


cdef void _sha1_digest(Sha1* s, unsigned char* out) noexcept nogil:
    """Pads the message (FIPS 180-4 section 5.1.1) and writes the 20-byte digest; s is used up."""
    cdef uint64_t bits = s.length * 8
    cdef int i
    s.pending[s.filled] = 0x80
    s.filled += 1
    if s.filled > SHA1_LENGTH_AT:  # no room left for the length: it goes into one more block
        memset(s.pending + s.filled, 0, SHA1_BLOCK - s.filled)
        _sha1_compress(s.h, s.pending)
        s.filled = 0
    memset(s.pending + s.filled, 0, SHA1_LENGTH_AT - s.filled)
    for i in range(8):
        s.pending[SHA1_LENGTH_AT + i] = <unsigned char>(bits >> (56 - 8 * i))
    _sha1_compress(s.h, s.pending)
    for i in range(5):
        out[4 * i] = <unsigned char>(s.h[i] >> 24)
        out[4 * i + 1] = <unsigned char>(s.h[i] >> 16)
        out[4 * i + 2] = <unsigned char>(s.h[i] >> 8)
        out[4 * i + 3] = <unsigned char>s.h[i]


cdef class _PadStates:
    """The SHA-1 states after RFC 2104's first blocks, K xor ipad and K xor opad, of one key."""
    cdef uint32_t inner[5]
    cdef uint32_t outer[5]


cdef void _pad_state(uint32_t* out, const unsigned char* block_key, unsigned char pad) noexcept nogil:
    cdef unsigned char block[SHA1_BLOCK]
    cdef Sha1 s
    cdef int i
    for i in range(SHA1_BLOCK):
        block[i] = block_key[i] ^ pad
    _sha1_init(&s)
    _sha1_compress(s.h, block)
    memcpy(out, s.h, sizeof(s.h))


cdef _PadStates _new_pad_states(bytes key):
    cdef unsigned char block_key[SHA1_BLOCK]
    cdef Sha1 s
    cdef Py_ssize_t size = PyBytes_GET_SIZE(key)
    cdef _PadStates states = _PadStates.__new__(_PadStates)
    memset(block_key, 0, SHA1_BLOCK)
    if size > SHA1_BLOCK:  # RFC 2104: a key longer than a block is replaced by its hash
        _sha1_init(&s)
        _sha1_update(&s, <const unsigned char*>PyBytes_AS_STRING(key), size)
        _sha1_digest(&s, block_key)
    else:
        memcpy(block_key, PyBytes_AS_STRING(key), size)
    _pad_state(states.inner, block_key, 0x36)
    _pad_state(states.outer, block_key, 0x5C)
    if len(_pad_states) >= PAD_STATES_LIMIT:
        _pad_states.clear()  # a handful of keys is normal; many means they come and go
    _pad_states[key] = states
    return states


cdef inline void _feed(Sha1* s, const unsigned char* p, Py_ssize_t size) noexcept:
    if size >= NOGIL_SIZE:
        with nogil:
            _sha1_update(s, p, size)
    else:
        _sha1_update(s, p, size)


cdef bint _hash_part(Sha1* s, object part) except -1:
    """Feeds a bytes-like part to s; False if it is not readable as a simple one-dimensional buffer."""
    cdef Py_buffer view
    if PyBytes_CheckExact(part):
        _feed(s, <const unsigned char*>PyBytes_AS_STRING(part), PyBytes_GET_SIZE(part))
        return True
    if not PyObject_CheckBuffer(part):
        return False
    try:
        PyObject_GetBuffer(part, &view, PyBUF_SIMPLE)
    except Exception:  # e.g. a non-contiguous memoryview: the pure twin raises what hashlib says
        return False
    try:
        if view.ndim > 1:
            return False
        _feed(s, <const unsigned char*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)
    return True


cdef struct Part:
    PyObject* name
    const unsigned char* data
    Py_ssize_t size


cdef Py_ssize_t _collect_in_order(dict annotations, Part* parts) except -2:
    """The values but HMAC's of a small dict of exact str keys and exact bytes values, into parts in the
    order of sorted() (str keys are unique, so no values are compared); -1 for any other dict.

    The references are borrowed: no Python code may run until the parts are hashed, so no value is
    large enough for the GIL to be released while it is hashed."""
    cdef Py_ssize_t pos = 0, count = 0, i
    cdef PyObject* pname
    cdef PyObject* pvalue
    if len(annotations) > SORTED_HERE:
        return -1
    while PyDict_Next(annotations, &pos, &pname, &pvalue):
        if not (PyUnicode_CheckExact(<object>pname) and PyBytes_CheckExact(<object>pvalue)
                and PyBytes_GET_SIZE(<object>pvalue) < NOGIL_SIZE):
            return -1
        if <str>pname == KEY_HMAC:
            continue
        i = count
        while i > 0 and PyUnicode_Compare(<object>parts[i - 1].name, <object>pname) > 0:
            parts[i] = parts[i - 1]
            i -= 1
        parts[i].name = pname
        parts[i].data = <const unsigned char*>PyBytes_AS_STRING(<object>pvalue)
        parts[i].size = PyBytes_GET_SIZE(<object>pvalue)
        count += 1
    return count


cdef bint _hash_annotations(Sha1* s, object annotations) except -1:
    """Feeds the values of all annotations but HMAC to s in key order; False as _hash_part."""
    cdef Part parts[SORTED_HERE]
    cdef Py_ssize_t count, i
    if not annotations:
        return True
    if type(annotations) is dict:
        count = _collect_in_order(annotations, parts)
        if count >= 0:
            for i in range(count):
                _sha1_update(s, parts[i].data, parts[i].size)
            return True
    for name, value in sorted(annotations.items()):
        if name != "HMAC" and not _hash_part(s, value):
            return False
    return True


def message_hmac(key, data, annotations):
    """The 20-byte HMAC-SHA1 with ``key`` over ``data``, then the values of all annotations except
    ``HMAC`` in ascending key order (the pure twin has the rules for keys and values)."""
    cdef Sha1 s
    cdef unsigned char digest[SHA1_DIGEST]
    cdef dict cache = _pad_states
    if PyBytes_CheckExact(data) and PyBytes_GET_SIZE(data) >= HASHLIB_FROM:
        return _message_py.message_hmac(key, data, annotations)
    if not PyBytes_CheckExact(key):
        key = _message_py._hmac_key_bytes(key)
    states = cache.get(key)
    if states is None:
        states = _new_pad_states(key)
    _sha1_resume(&s, (<_PadStates>states).inner)
    if not (_hash_part(&s, data) and _hash_annotations(&s, annotations)):
        return _message_py.message_hmac(key, data, annotations)  # its result, or its error
    _sha1_digest(&s, digest)
    _sha1_resume(&s, (<_PadStates>states).outer)
    _sha1_update(&s, digest, SHA1_DIGEST)
    _sha1_digest(&s, digest)
    return PyBytes_FromStringAndSize(<const char*>digest, SHA1_DIGEST)
