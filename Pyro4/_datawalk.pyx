# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled twin of the walks over decoded values and marshal payloads (pure twin: ``Pyro4._datawalk_py``).

Same functions, signatures, results and errors as the pure twin; see there for what they do.
"""
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer


cdef extern from "Python.h":
    # the interpreter's own depth limit: a deeply nested value fails with RecursionError, as in the pure twin
    int Py_EnterRecursiveCall(const char* where) except *  # nonzero (not always -1) on failure
    void Py_LeaveRecursiveCall()


cdef enum:
    TUPLE_CODE = 0x28
    TUPLE_CODE_REF = 0xA8
    LIST_CODE = 0x5B
    LIST_CODE_REF = 0xDB


cdef inline bint _plain(object value):
    cdef type kind = type(value)
    return (kind is str or kind is int or value is None or kind is float or kind is bool or kind is bytes
            or kind is complex)


def recreate_classes(literal, dict_to_class):
    """``literal`` with every dict that has a "__class__" key replaced by ``dict_to_class(that dict)``."""
    return _recreate(literal, dict_to_class)


cdef object _recreate(object literal, object dict_to_class):
    cdef type kind = type(literal)
    if kind is list or kind is tuple:
        return _recreate_sequence(literal, dict_to_class, kind is list)
    if kind is dict:
        if "__class__" in <dict>literal:
            return dict_to_class(literal)
        return _recreate_dict(<dict>literal, dict_to_class)
    if kind is set:
        return _recreate_set(<set>literal, dict_to_class)
    return literal


cdef bint _all_plain(object items):
    for value in items:
        if not _plain(value):
            return False
    return True


cdef object _recreate_sequence(object literal, object dict_to_class, bint is_list):
    if _all_plain(literal):
        return literal[:] if is_list else literal
    Py_EnterRecursiveCall(" while recreating classes")
    try:
        items = [_recreate(value, dict_to_class) for value in literal]
    finally:
        Py_LeaveRecursiveCall()
    return items if is_list else tuple(items)


cdef object _recreate_dict(dict literal, object dict_to_class):
    if _all_plain(literal.values()):
        return literal.copy()
    Py_EnterRecursiveCall(" while recreating classes")
    try:
        return {key: _recreate(value, dict_to_class) for key, value in literal.items()}
    finally:
        Py_LeaveRecursiveCall()


cdef object _recreate_set(set literal, object dict_to_class):
    if _all_plain(literal):
        return literal.copy()
    Py_EnterRecursiveCall(" while recreating classes")
    try:
        return {_recreate(value, dict_to_class) for value in literal}
    finally:
        Py_LeaveRecursiveCall()


def has_large_sequence_header(data):
    """True if the marshal payload (bytes-like) has a byte that could start a tuple or list header
    claiming 65536 items or more: only then is the full size walk worth doing."""
    cdef Py_buffer view
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        return _find_large_sequence_header(<const unsigned char*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)


cdef bint _find_large_sequence_header(const unsigned char* p, Py_ssize_t size) noexcept nogil:
    cdef Py_ssize_t i
    cdef unsigned char code
    # the item count is the little-endian int32 after the code byte: >= 65536 and positive means
    # its top byte is 1..0x7f, or it is 0 and the byte below it is not
    for i in range(size - 4):
        code = p[i]
        if code == TUPLE_CODE or code == TUPLE_CODE_REF or code == LIST_CODE or code == LIST_CODE_REF:
            if 0 < p[i + 4] <= 0x7F or (p[i + 4] == 0 and p[i + 3] != 0):
                return True
    return False
