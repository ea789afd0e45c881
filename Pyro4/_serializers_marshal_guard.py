"""A size check on marshal payloads before ``marshal.loads`` sees them.

CPython's marshal allocates tuples and lists at the size their header claims, before reading the
items: a 5-byte payload can make it allocate (and, for a tuple, touch) gigabytes. Pyro daemons
accept marshal by default, so a payload with a suspiciously large tuple/list header is walked here
first, without building any objects: every claimed size must fit in the bytes that are left (each
item takes at least one byte). Anything else that is malformed is left to marshal to report.
"""
import struct

from Pyro4 import errors
from Pyro4._speedups import datawalk_impl as _datawalk

_FLAG_REF = 0x80
_NULL = ord("0")
_LONG = ord("l")
_SMALL_TUPLE = ord(")")
_DICT = ord("{")
_FIXED_SIZES = {ord(code): size for code, size in
                (("N", 0), ("F", 0), ("T", 0), ("S", 0), (".", 0), ("i", 4), ("I", 8), ("g", 8), ("y", 16), ("r", 4))}
_SIZED_STRINGS = frozenset(ord(code) for code in "stuaA")  # 4-byte length, then the bytes
_SHORT_STRINGS = frozenset(ord(code) for code in "zZ")  # 1-byte length, then the bytes
_TEXT_NUMBERS = {ord("f"): 1, ord("x"): 2}  # float / complex as 1-byte-length-prefixed text parts
_SEQUENCES = frozenset(ord(code) for code in "([<>")  # 4-byte item count, then the items

_INT32 = struct.Struct("<i")


def _too_large(what, claimed, available):
    return errors.SerializeError("invalid marshal data: %s claims %d items but only %d bytes are left"
                                 % (what, claimed, available))


def _skip_text_parts(data, pos, parts):
    for _ in range(parts):
        if pos >= len(data):
            return len(data)
        pos += 1 + data[pos]
    return pos


# A large payload is usually a few big strings or bytes: walking its few items skips their contents
# at once, where the header search would have to scan every byte. Only when the walk meets more
# items than this does the search decide whether the full walk is needed.
_QUICK_WALK_FROM_SIZE = 4096
_QUICK_WALK_ITEMS = 256


def check_marshal_data(data):
    """Raises SerializeError if the payload claims more items than it can hold."""
    if len(data) >= _QUICK_WALK_FROM_SIZE and _walk(data, _QUICK_WALK_ITEMS):
        return
    # most payloads have no tuple/list header claiming 65536+ items, and then no walk is needed
    if _datawalk.has_large_sequence_header(data):
        _walk(data)


def _walk(data, max_items=None):
    """Checks every size field; False if it gave up after ``max_items`` items, else True."""
    end = len(data)
    pos = 0
    frames = [1]  # items still to read per open container; None for a dict (ends at a NULL)
    items = 0
    while frames:
        items += 1
        if max_items is not None and items > max_items:
            return False
        remaining = frames[-1]
        if remaining == 0:
            frames.pop()
            continue
        if pos >= end:
            return True  # truncated: marshal reports it
        code = data[pos] & ~_FLAG_REF
        pos += 1
        if code == _NULL:
            if remaining is not None:
                return True  # a NULL outside a dict: marshal rejects it
            frames.pop()
            continue
        if remaining is not None:
            frames[-1] = remaining - 1
        size = _FIXED_SIZES.get(code)
        if size is not None:
            pos += size
        elif code in _SIZED_STRINGS or code in _SEQUENCES or code == _LONG:
            pos = _check_sized(data, pos, code, frames)
        elif code in _SHORT_STRINGS:
            pos = pos + 1 + data[pos] if pos < end else end
        elif code == _SMALL_TUPLE:
            if pos < end:
                frames.append(data[pos])
            pos += 1
        elif code == _DICT:
            frames.append(None)
        elif code in _TEXT_NUMBERS:
            pos = _skip_text_parts(data, pos, _TEXT_NUMBERS[code])
        else:
            return True  # unknown type code: marshal reports it
    return True


def _check_sized(data, pos, code, frames):
    """Checks a 4-byte size field at ``pos``; returns the position after what it covers."""
    if pos + 4 > len(data):
        return len(data)
    claimed = _INT32.unpack_from(data, pos)[0]
    pos += 4
    available = len(data) - pos
    if claimed < 0 and code != _LONG:
        return len(data)  # marshal rejects negative sizes before allocating
    if code == _LONG:
        if abs(claimed) * 2 > available:  # two bytes per digit
            raise _too_large("an integer", abs(claimed), available)
        return pos + abs(claimed) * 2
    if claimed > available:
        raise _too_large("a string" if code in _SIZED_STRINGS else "a container", claimed, available)
    if code in _SIZED_STRINGS:
        return pos + claimed
    frames.append(claimed)
    return pos
