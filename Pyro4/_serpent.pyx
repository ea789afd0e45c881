# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled twin of the serpent codec (the pure twin is ``Pyro4._serpent_py``).

Same functions and signatures as the pure twin, and always the same results: this module handles
only the plain builtin values that serpent writes, and hands the whole input to the serpent library
whenever it meets anything else or has any doubt, so values, errors and bytes stay serpent's.

``loads`` parses serpent's literal subset straight from the bytes (serpent itself runs Python's
compiler over them). ``dumps`` writes exact builtin types; its output was matched to serpent's by
comparing the two, and ``check_encoder`` repeats that comparison at import so that a serpent release
that writes differently turns the writer off instead of changing the wire.
"""
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.complex cimport PyComplex_FromDoubles, PyComplex_ImagAsDouble, PyComplex_RealAsDouble
from cpython.conversion cimport PyOS_double_to_string, PyOS_string_to_double
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_FromLongLong, PyLong_FromString
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeUTF8, PyUnicode_FromKindAndData
from libc.math cimport isinf, isnan
from libc.string cimport memchr, memcmp, memcpy, strlen

from Pyro4 import _serpent_common
from Pyro4._serpent_common import self_check_sample as _self_check_sample

try:
    import serpent
except ImportError:  # Pyro4 still imports without serpent; its serializer is then unavailable
    serpent = None

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object unicode)
    Py_ssize_t PyUnicode_GET_LENGTH(object unicode)
    void* PyUnicode_DATA(object unicode)
    int PyUnicode_KIND(object unicode)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index)
    const char* PyUnicode_AsUTF8AndSize(object unicode, Py_ssize_t* size) except NULL
    enum: PyUnicode_4BYTE_KIND
    enum: Py_DTSF_ADD_DOT_0

cdef enum:
    # ints up to 18 digits fit a long long; longer ones are rare and go through PyLong_FromString
    FAST_INT_DIGITS = 18
    MAX_FLOAT_TOKEN = 63
    INLINE_OUTPUT = 512
    # room for repr() of any float (at most 24 characters)
    FLOAT_TEXT = 32

cdef bytes HEADER = _serpent_common.HEADER
cdef Py_ssize_t HEADER_SIZE = len(HEADER)
cdef int MAX_DEPTH = _serpent_common.MAX_DEPTH
cdef const char* BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
cdef const char* HEX_DIGITS = b"0123456789abcdef"
cdef bytes BYTES_PREFIX = _serpent_common.BYTES_PREFIX.encode("ascii")
cdef bytes BYTES_SUFFIX = _serpent_common.BYTES_SUFFIX.encode("ascii")
cdef tuple WRITER_TYPES = _serpent_common.WRITER_TYPES
cdef tuple KEY_TYPES = _serpent_common.KEY_TYPES

class _Unsupported(Exception):
    """Raised inside this module for input it leaves to the serpent library."""


# ---- loads: a parser for the literals serpent writes -------------------------------------------

cdef struct Cursor:
    const unsigned char* pos
    const unsigned char* end

# String scanning stops at these bytes: raw control characters (Python refuses a raw newline in a
# string literal and serpent refuses NUL bytes; serpent itself escapes them all), backslash, quotes.
cdef enum:
    STOP_CONTROL = 1
    STOP_BACKSLASH = 2
    STOP_QUOTE = 4

cdef unsigned char STRING_STOPS[256]


cdef void _init_string_stops() noexcept:
    cdef int c
    for c in range(256):
        STRING_STOPS[c] = STOP_CONTROL if (c < 0x20 or c == 0x7F) else 0
    STRING_STOPS[ord("\\")] = STOP_BACKSLASH
    STRING_STOPS[ord("'")] = STOP_QUOTE
    STRING_STOPS[ord('"')] = STOP_QUOTE


_init_string_stops()


cdef inline int _peek(Cursor* cur) noexcept:
    return cur.pos[0] if cur.pos < cur.end else -1


cdef inline void _skip_spaces(Cursor* cur) noexcept:
    while cur.pos < cur.end and cur.pos[0] == b" ":
        cur.pos += 1


cdef inline bint _is_digit(int c) noexcept:
    return b"0" <= c <= b"9"


cdef inline int _check_token_end(Cursor* cur) except -1:
    """A name or number must not run on into letters, digits, '_', '.' or non-ASCII (1_0, 0x1, 1.e)."""
    cdef int c = _peek(cur)
    if (_is_digit(c) or b"a" <= c <= b"z" or b"A" <= c <= b"Z" or c == b"_" or c == b"."
            or c >= 0x80):
        raise _Unsupported
    return 0


cdef object _parse_name(Cursor* cur):
    cdef Py_ssize_t left = cur.end - cur.pos
    cdef object value
    if left >= 4 and memcmp(cur.pos, b"None", 4) == 0:
        value, cur.pos = None, cur.pos + 4
    elif left >= 4 and memcmp(cur.pos, b"True", 4) == 0:
        value, cur.pos = True, cur.pos + 4
    elif left >= 5 and memcmp(cur.pos, b"False", 5) == 0:
        value, cur.pos = False, cur.pos + 5
    else:
        raise _Unsupported
    _check_token_end(cur)
    return value


cdef inline void _skip_digits(Cursor* cur) noexcept:
    while cur.pos < cur.end and _is_digit(cur.pos[0]):
        cur.pos += 1


cdef double _token_double(const unsigned char* start, Py_ssize_t length) except? -1.0:
    """The float value of a number token, as Python's compiler computes it (overflow gives inf)."""
    cdef char text[MAX_FLOAT_TOKEN + 1]
    cdef char* stop
    if length > MAX_FLOAT_TOKEN:
        raise _Unsupported
    memcpy(text, start, length)
    text[length] = 0
    cdef double value = PyOS_string_to_double(text, &stop, NULL)
    if stop != text + length:
        raise _Unsupported
    return value


cdef object _token_int(const unsigned char* start, Py_ssize_t length):
    cdef long long value = 0
    cdef Py_ssize_t i
    if length > 1 and start[0] == b"0":
        raise _Unsupported  # Python 3 refuses leading zeros ("00" it allows, but serpent never writes it)
    if length > FAST_INT_DIGITS:
        # a bytes copy is NUL-terminated, as PyLong_FromString needs; it also applies Python's
        # limit on int digits exactly as the compiler would
        return PyLong_FromString(PyBytes_AS_STRING(PyBytes_FromStringAndSize(<const char*>start, length)),
                                 NULL, 10)
    for i in range(length):
        value = value * 10 + (start[i] - ord("0"))
    return PyLong_FromLongLong(value)


cdef object _parse_unsigned_number(Cursor* cur, bint* is_real):
    """An int, float or imaginary literal as repr() writes them (digits, '.digits', 'e[+-]digits', 'j')."""
    cdef const unsigned char* start = cur.pos
    cdef bint is_float = False
    _skip_digits(cur)
    if _peek(cur) == b".":
        cur.pos += 1
        if not _is_digit(_peek(cur)):
            raise _Unsupported
        _skip_digits(cur)
        is_float = True
    if _peek(cur) == b"e":
        cur.pos += 1
        if _peek(cur) == b"+" or _peek(cur) == b"-":
            cur.pos += 1
        if not _is_digit(_peek(cur)):
            raise _Unsupported
        _skip_digits(cur)
        is_float = True
    cdef Py_ssize_t length = cur.pos - start
    is_real[0] = _peek(cur) != b"j"
    if not is_real[0]:
        cur.pos += 1
        value = PyComplex_FromDoubles(0.0, _token_double(start, length))
    elif is_float:
        value = _token_double(start, length)
    else:
        value = _token_int(start, length)
    _check_token_end(cur)
    return value


cdef object _parse_signed_number(Cursor* cur, bint* is_real):
    if _peek(cur) != b"-":
        return _parse_unsigned_number(cur, is_real)
    cur.pos += 1
    if not _is_digit(_peek(cur)):
        raise _Unsupported  # "- 1" and "-(1)" are literals too, but serpent never writes them
    return -_parse_unsigned_number(cur, is_real)


cdef object _parse_number(Cursor* cur):
    """A signed number, or real +/- imaginary: the only arithmetic Python's literal_eval accepts."""
    cdef bint left_real, right_real
    left = _parse_signed_number(cur, &left_real)
    cdef const unsigned char* after = cur.pos
    _skip_spaces(cur)
    cdef int op = _peek(cur)
    if op != b"+" and op != b"-":
        cur.pos = after
        return left
    cur.pos += 1
    _skip_spaces(cur)
    if not (left_real and _is_digit(_peek(cur))):
        raise _Unsupported
    right = _parse_unsigned_number(cur, &right_real)
    if right_real:
        raise _Unsupported
    # the same int/float + complex arithmetic as literal_eval, so signed zeros come out the same
    return left + right if op == b"+" else left - right


cdef object _unescape(str raw):
    """The value of a string literal's body that contains backslash escapes (those repr() writes)."""
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(raw), i = 0, n = 0
    cdef int kind = PyUnicode_KIND(raw)
    cdef void* data = PyUnicode_DATA(raw)
    cdef Py_UCS4 c
    cdef Py_UCS4* chars = <Py_UCS4*>PyMem_Malloc(max(length, 1) * sizeof(Py_UCS4))
    if chars == NULL:
        raise MemoryError()
    try:
        while i < length:
            c = PyUnicode_READ(kind, data, i)
            i += 1
            if c == u"\\":
                i = _read_escape(kind, data, length, i, &c)
            chars[n] = c
            n += 1
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, chars, n)
    finally:
        PyMem_Free(chars)


cdef Py_ssize_t _read_escape(int kind, void* data, Py_ssize_t length, Py_ssize_t i,
                             Py_UCS4* out) except -1:
    """Decodes the escape after a backslash at i; returns the index after it."""
    if i >= length:
        raise _Unsupported
    cdef Py_UCS4 c = PyUnicode_READ(kind, data, i)
    cdef int digits = 0
    if c == u"x":
        digits = 2
    elif c == u"u":
        digits = 4
    elif c == u"U":
        digits = 8
    else:
        out[0] = <Py_UCS4>_simple_escape(c)
        return i + 1
    out[0] = <Py_UCS4>_read_hex(kind, data, length, i + 1, digits)
    return i + 1 + digits


cdef long _simple_escape(Py_UCS4 c) except -1:
    if c == u"\\" or c == u"'" or c == u'"':
        return c
    if c == u"n":
        return u"\n"
    if c == u"r":
        return u"\r"
    if c == u"t":
        return u"\t"
    # octal, \N{...}, line continuations and unknown escapes (which Python warns about) go to serpent
    raise _Unsupported


cdef long _read_hex(int kind, void* data, Py_ssize_t length, Py_ssize_t i, int digits) except -1:
    cdef long value = 0, c
    cdef int k
    if i + digits > length:
        raise _Unsupported
    for k in range(digits):
        c = PyUnicode_READ(kind, data, i + k)
        if ord("0") <= c <= ord("9"):
            value = value * 16 + (c - ord("0"))
        elif ord("a") <= c <= ord("f"):
            value = value * 16 + (c - ord("a") + 10)
        elif ord("A") <= c <= ord("F"):
            value = value * 16 + (c - ord("A") + 10)
        else:
            raise _Unsupported
    if value > 0x10FFFF:
        raise _Unsupported
    return value


cdef bint _has_control(const unsigned char* p, Py_ssize_t length) noexcept:
    # no early exit, so that the C compiler can vectorize it: this runs over whole base64 payloads
    cdef unsigned char found = 0
    cdef Py_ssize_t i
    for i in range(length):
        found |= (p[i] < 0x20) | (p[i] == 0x7F)
    return found


cdef const unsigned char* _escaped_string_end(
        const unsigned char* p, const unsigned char* end, unsigned char quote) except NULL:
    """Where the literal starting at p (after its quote) ends, stepping over backslash escapes."""
    cdef unsigned char stop
    while True:
        while p < end and STRING_STOPS[p[0]] == 0:
            p += 1
        if p >= end:
            raise _Unsupported
        if p[0] == quote:
            return p
        stop = STRING_STOPS[p[0]]
        if stop == STOP_CONTROL:
            raise _Unsupported
        if stop == STOP_BACKSLASH:
            p += 1  # the escaped byte is checked by _unescape; it must not end the literal
        p += 1


cdef object _parse_string(Cursor* cur):
    """A single-quoted or double-quoted literal; prefixes, triple quotes and concatenation are left out."""
    cdef unsigned char quote = cur.pos[0]
    cdef const unsigned char* start = cur.pos + 1
    cdef const unsigned char* close = <const unsigned char*>memchr(start, quote, cur.end - start)
    if close == NULL:
        raise _Unsupported
    # memchr runs at memory speed, which matters for the megabytes of base64 text serpent writes
    cdef bint escaped = memchr(start, b"\\", close - start) != NULL
    if escaped:
        close = _escaped_string_end(start, cur.end, quote)
    elif _has_control(start, close - start):
        raise _Unsupported
    cur.pos = close + 1
    text = PyUnicode_DecodeUTF8(<const char*>start, close - start, "strict")
    return _unescape(text) if escaped else text


cdef inline int _check_depth(int depth) except -1:
    if depth > MAX_DEPTH:
        raise _Unsupported
    return 0


cdef inline bint _empty(Cursor* cur, unsigned char closer) noexcept:
    """Consumes the opener (or a comma) and spaces; True (closer consumed too) if the closer follows."""
    cur.pos += 1
    _skip_spaces(cur)
    if _peek(cur) == closer:
        cur.pos += 1
        return True
    return False


cdef bint _item_end(Cursor* cur, unsigned char closer) except -1:
    """After an item: consumes ',' and/or the closer; True when the container is closed."""
    _skip_spaces(cur)
    cdef int c = _peek(cur)
    if c == closer:
        cur.pos += 1
        return True
    if c != b",":
        raise _Unsupported
    return _empty(cur, closer)  # a trailing comma before the closer is allowed


cdef object _parse_list(Cursor* cur, int depth):
    _check_depth(depth)
    cdef list items = []
    if _empty(cur, b"]"):
        return items
    while True:
        items.append(_parse_value(cur, depth))
        if _item_end(cur, b"]"):
            return items


cdef object _parse_parenthesized(Cursor* cur, int depth):
    """A tuple, or one parenthesized value: serpent writes complex numbers as (1.0+2.0j)."""
    _check_depth(depth)
    if _empty(cur, b")"):
        return ()
    first = _parse_value(cur, depth)
    _skip_spaces(cur)
    if _peek(cur) == b")":
        cur.pos += 1
        return first
    cdef list items = [first]
    while not _item_end(cur, b")"):
        items.append(_parse_value(cur, depth))
    return tuple(items)


cdef object _parse_braced(Cursor* cur, int depth):
    _check_depth(depth)
    if _empty(cur, b"}"):
        return {}
    first = _parse_value(cur, depth)
    _skip_spaces(cur)
    if _peek(cur) == b":":
        return _parse_dict_rest(cur, depth, first)
    cdef set items = {first}
    while not _item_end(cur, b"}"):
        items.add(_parse_value(cur, depth))
    return items


cdef object _parse_dict_rest(Cursor* cur, int depth, object key):
    cdef dict items = {}
    while True:
        _skip_spaces(cur)
        if _peek(cur) != b":":
            raise _Unsupported
        cur.pos += 1
        _skip_spaces(cur)
        items[key] = _parse_value(cur, depth)
        if _item_end(cur, b"}"):
            return items
        key = _parse_value(cur, depth)


cdef object _parse_value(Cursor* cur, int depth):
    cdef int c = _peek(cur)
    if c == b"'" or c == b'"':
        return _parse_string(cur)
    if _is_digit(c) or c == b"-":
        return _parse_number(cur)
    if c == b"(":
        return _parse_parenthesized(cur, depth + 1)
    if c == b"[":
        return _parse_list(cur, depth + 1)
    if c == b"{":
        return _parse_braced(cur, depth + 1)
    return _parse_name(cur)


cdef object _parse_document(const unsigned char* data, Py_ssize_t size):
    cdef Cursor cur
    if size < HEADER_SIZE or memcmp(data, PyBytes_AS_STRING(HEADER), HEADER_SIZE) != 0:
        raise _Unsupported  # no header or another one (python2.6): serpent knows what to do
    cur.pos = data + HEADER_SIZE
    cur.end = data + size
    value = _parse_value(&cur, 0)
    if cur.pos != cur.end:
        raise _Unsupported
    return value


cdef object _parse_buffer(object data):
    cdef Py_buffer view
    if type(data) is bytes:
        return _parse_document(<const unsigned char*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
    if type(data) is not bytearray and type(data) is not memoryview:
        raise _Unsupported
    # holding the buffer also keeps a bytearray from being resized under the parser
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        return _parse_document(<const unsigned char*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)


def loads(data):
    """The value encoded in the serpent bytes ``data`` (bytes, bytearray or memoryview)."""
    try:
        return _parse_buffer(data)
    except Exception:
        pass  # anything not understood here, including every error, is serpent's to handle
    return serpent.loads(data)


# ---- dumps: a writer for exact builtin types -------------------------------------------------

cdef struct Output:
    char* data
    Py_ssize_t size
    Py_ssize_t capacity
    char inline_data[INLINE_OUTPUT]


cdef int _reserve(Output* out, Py_ssize_t extra) except -1:
    cdef Py_ssize_t needed = out.size + extra
    if needed <= out.capacity:
        return 0
    cdef Py_ssize_t capacity = max(needed, out.capacity * 2)
    cdef char* grown
    if out.data == out.inline_data:
        grown = <char*>PyMem_Malloc(capacity)
        if grown != NULL:
            memcpy(grown, out.data, out.size)
    else:
        grown = <char*>PyMem_Realloc(out.data, capacity)
    if grown == NULL:
        raise MemoryError()
    out.data = grown
    out.capacity = capacity
    return 0


cdef inline int _put(Output* out, const char* text, Py_ssize_t length) except -1:
    if out.size + length > out.capacity:
        _reserve(out, length)
    memcpy(out.data + out.size, text, length)
    out.size += length
    return 0


cdef inline int _put_char(Output* out, char c) except -1:
    if out.size + 1 > out.capacity:
        _reserve(out, 1)
    out.data[out.size] = c
    out.size += 1
    return 0


cdef int _write_int(Output* out, object value) except -1:
    cdef int overflow = 0
    cdef long long number = PyLong_AsLongLongAndOverflow(value, &overflow)
    cdef unsigned long long magnitude
    cdef char digits[24]
    cdef int start = 24
    if overflow:
        text = str(value)  # big ints: Python's own conversion, with its limit on digits
        return _put(out, PyUnicode_AsUTF8AndSize(text, NULL), PyUnicode_GET_LENGTH(text))
    magnitude = <unsigned long long>(-(number + 1)) + 1 if number < 0 else <unsigned long long>number
    while True:
        start -= 1
        digits[start] = <char>(ord("0") + magnitude % 10)
        magnitude //= 10
        if magnitude == 0:
            break
    if number < 0:
        start -= 1
        digits[start] = b"-"
    return _put(out, digits + start, 24 - start)


cdef Py_ssize_t _format_double(double value, char* text) except -1:
    """repr() of a float into text (FLOAT_TEXT bytes); serpent writes the infinities as 1e30000 and
    NaN as a dict, which is left to serpent."""
    cdef char* shown
    cdef Py_ssize_t length
    if isnan(value):
        raise _Unsupported
    if isinf(value):
        shown = b"-1e30000" if value < 0 else b"1e30000"
        length = strlen(shown)
        memcpy(text, shown, length)
        return length
    shown = PyOS_double_to_string(value, b"r", 0, Py_DTSF_ADD_DOT_0, NULL)
    length = strlen(shown)
    if length < FLOAT_TEXT:
        memcpy(text, shown, length)
    PyMem_Free(shown)
    if length >= FLOAT_TEXT:
        raise _Unsupported
    return length


cdef int _write_double(Output* out, double value) except -1:
    cdef char text[FLOAT_TEXT]
    return _put(out, text, _format_double(value, text))


cdef int _write_complex(Output* out, object value) except -1:
    cdef char imag[FLOAT_TEXT]
    cdef Py_ssize_t imag_length = _format_double(PyComplex_ImagAsDouble(value), imag)
    _put_char(out, b"(")
    _write_double(out, PyComplex_RealAsDouble(value))
    if imag[0] != b"-":
        _put_char(out, b"+")
    _put(out, imag, imag_length)
    return _put(out, b"j)", 2)


cdef inline bint _needs_escape(unsigned char c, unsigned char quote) noexcept:
    return c < 0x20 or c == 0x7F or c == b"\\" or c == quote


cdef int _write_escape(Output* out, unsigned char c) except -1:
    cdef char code[4]
    if c == b"\n":
        return _put(out, b"\\n", 2)
    if c == b"\r":
        return _put(out, b"\\r", 2)
    if c == b"\t":
        return _put(out, b"\\t", 2)
    if c < 0x20 or c == 0x7F:
        code[0], code[1] = b"\\", b"x"
        code[2], code[3] = HEX_DIGITS[c >> 4], HEX_DIGITS[c & 15]
        return _put(out, code, 4)
    code[0], code[1] = b"\\", c
    return _put(out, code, 2)


cdef int _write_ascii_str(Output* out, str text) except -1:
    """repr() of an ASCII str, written directly (the quote choice and escapes are repr()'s)."""
    cdef Py_ssize_t length = PyUnicode_GET_LENGTH(text), i, run = 0
    cdef const unsigned char* chars = <const unsigned char*>PyUnicode_DATA(text)
    cdef unsigned char quote = b"'"
    if memchr(chars, b"'", length) != NULL and memchr(chars, b'"', length) == NULL:
        quote = b'"'
    _reserve(out, length + 2)
    _put_char(out, quote)
    for i in range(length):
        if _needs_escape(chars[i], quote):
            _put(out, <const char*>chars + run, i - run)
            _write_escape(out, chars[i])
            run = i + 1
    _put(out, <const char*>chars + run, length - run)
    return _put_char(out, quote)


cdef int _write_str(Output* out, str text) except -1:
    cdef Py_ssize_t size
    cdef const char* utf8
    if PyUnicode_IS_ASCII(text):
        return _write_ascii_str(out, text)
    # repr() escapes surrogates and unprintable characters, so its UTF-8 form always exists
    shown = repr(text)
    utf8 = PyUnicode_AsUTF8AndSize(shown, &size)
    return _put(out, utf8, size)


cdef int _write_base64(Output* out, const unsigned char* data, Py_ssize_t length) except -1:
    cdef Py_ssize_t full = length - length % 3, i
    cdef unsigned int triple
    _reserve(out, (length + 2) // 3 * 4)
    cdef char* p = out.data + out.size
    for i in range(0, full, 3):
        triple = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]
        p[0], p[1] = BASE64_ALPHABET[triple >> 18], BASE64_ALPHABET[(triple >> 12) & 63]
        p[2], p[3] = BASE64_ALPHABET[(triple >> 6) & 63], BASE64_ALPHABET[triple & 63]
        p += 4
    if length - full:
        triple = data[full] << 16
        if length - full == 2:
            triple |= data[full + 1] << 8
        p[0], p[1] = BASE64_ALPHABET[triple >> 18], BASE64_ALPHABET[(triple >> 12) & 63]
        p[2] = BASE64_ALPHABET[(triple >> 6) & 63] if length - full == 2 else b"="
        p[3] = b"="
        p += 4
    out.size = p - out.data
    return 0


cdef int _write_bytes(Output* out, const char* data, Py_ssize_t length) except -1:
    """serpent's dict for binary data (serpent.tobytes turns it back into bytes)."""
    _put(out, PyBytes_AS_STRING(BYTES_PREFIX), PyBytes_GET_SIZE(BYTES_PREFIX))
    _write_base64(out, <const unsigned char*>data, length)
    return _put(out, PyBytes_AS_STRING(BYTES_SUFFIX), PyBytes_GET_SIZE(BYTES_SUFFIX))


cdef int _write_sequence(Output* out, object items, char opener, char closer, int depth) except -1:
    cdef bint first = True
    _check_depth(depth)
    _put_char(out, opener)
    for item in items:
        if not first:
            _put_char(out, b",")
        first = False
        _write(out, item, depth)
    return _put_char(out, closer)


cdef int _write_tuple(Output* out, tuple items, int depth) except -1:
    cdef Py_ssize_t i, length = PyTuple_GET_SIZE(items)
    _check_depth(depth)
    _put_char(out, b"(")
    for i in range(length):
        if i:
            _put_char(out, b",")
        _write(out, <object>PyTuple_GET_ITEM(items, i), depth)
    if length == 1:
        _put_char(out, b",")
    return _put_char(out, b")")


cdef int _write_key(Output* out, object key, int depth) except -1:
    if type(key) not in KEY_TYPES:
        raise _Unsupported
    return _write(out, key, depth)


cdef int _write_dict(Output* out, dict items, int depth) except -1:
    cdef bint first = True
    _check_depth(depth)
    _put_char(out, b"{")
    for key, value in items.items():
        if not first:
            _put_char(out, b",")
        first = False
        _write_key(out, key, depth)
        _put_char(out, b":")
        _write(out, value, depth)
    return _put_char(out, b"}")


cdef int _write_set(Output* out, object items, int depth) except -1:
    cdef bint first = True
    _check_depth(depth)
    if not items:
        return _put(out, b"()", 2)  # Python has no literal for an empty set
    _put_char(out, b"{")
    for item in items:  # in iteration order: serpent does not sort
        if not first:
            _put_char(out, b",")
        first = False
        _write_key(out, item, depth)
    return _put_char(out, b"}")


cdef int _write(Output* out, object obj, int depth) except -1:
    cdef type kind = type(obj)
    if kind is str:
        return _write_str(out, obj)
    if kind is int:
        return _write_int(out, obj)
    if obj is None:
        return _put(out, b"None", 4)
    if kind is bool:
        return _put(out, b"True", 4) if obj else _put(out, b"False", 5)
    if kind is float:
        return _write_double(out, PyFloat_AS_DOUBLE(obj))
    if kind is tuple:
        return _write_tuple(out, obj, depth + 1)
    if kind is list:
        return _write_sequence(out, obj, b"[", b"]", depth + 1)
    if kind is dict:
        return _write_dict(out, obj, depth + 1)
    if kind is bytes:
        return _write_bytes(out, PyBytes_AS_STRING(obj), PyBytes_GET_SIZE(obj))
    if kind is bytearray:
        return _write_bytes(out, PyByteArray_AS_STRING(obj), PyByteArray_GET_SIZE(obj))
    if kind is set or kind is frozenset:
        return _write_set(out, obj, depth + 1)
    if kind is complex:
        return _write_complex(out, obj)
    raise _Unsupported


cdef bytes _encode(object obj):
    cdef Output out
    out.data = out.inline_data
    out.size = 0
    out.capacity = INLINE_OUTPUT
    try:
        _put(&out, PyBytes_AS_STRING(HEADER), HEADER_SIZE)
        _write(&out, obj, 0)
        return PyBytes_FromStringAndSize(out.data, out.size)
    finally:
        if out.data != out.inline_data:
            PyMem_Free(out.data)


cdef bint _writer_enabled = False


cdef bint _builtins_unclaimed() except -1:
    """True unless a serpent converter is registered for a type the writer handles."""
    registry = serpent._special_classes_registry
    for kind in WRITER_TYPES:
        if kind in registry:
            return False
    return True


def dumps(obj, module_in_classname=False):
    """The serpent bytes for ``obj``."""
    if _writer_enabled:
        try:
            if _builtins_unclaimed():
                return _encode(obj)
        except Exception:
            pass  # another type, a subclass, a cycle, too deep, NaN...: serpent writes the whole value
    return serpent.dumps(obj, module_in_classname=module_in_classname)


def _encode_plain(obj):
    """The writer alone (no registry check, no fallback): the serpent bytes, or None when it would
    leave ``obj`` to serpent. For tests that must know the writer really ran."""
    try:
        return _encode(obj)
    except _Unsupported:
        return None


def _parse_plain(data):
    """The parser alone (no fallback): the value, or raises if it would leave ``data`` to serpent."""
    return _parse_buffer(data)


def check_encoder():
    """Compares the writer with serpent.dumps on a fixed sample; turns the writer off if any byte
    differs (or serpent's converter registry is not where it is looked up). Returns whether it is on."""
    global _writer_enabled
    _writer_enabled = False
    if serpent is None or not hasattr(serpent, "_special_classes_registry"):
        return False
    sample = _self_check_sample()
    try:
        ours = _encode(sample)
    except Exception:
        return False
    _writer_enabled = (ours == serpent.dumps(sample, module_in_classname=False) and
                       ours == serpent.dumps(sample, module_in_classname=True))
    return _writer_enabled


check_encoder()
