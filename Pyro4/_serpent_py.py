"""Pure-Python twin of the serpent codec (the compiled twin is ``Pyro4._serpent``).

``loads`` parses the same literal subset as the compiled twin, with a regular expression that cuts
the text into tokens and a small recursive parser over them: about three times faster than serpent,
which runs Python's compiler over the text. Anything outside that subset, every error included, goes
to the serpent library, so values and errors stay serpent's.

``dumps`` writes exact builtin types itself, with repr() and base64 doing the formatting in C: about
twice as fast as serpent's writer. Anything else goes to serpent; ``check_encoder`` compares the two
writers at import and turns this one off if a serpent release writes any byte differently.
"""
import re
from base64 import b64encode
from itertools import groupby

from Pyro4._serpent_common import BYTES_PREFIX, BYTES_SUFFIX, HEADER, KEY_TYPES, MAX_DEPTH, WRITER_TYPES
from Pyro4._serpent_common import self_check_sample as _self_check_sample

try:
    import serpent
except ImportError:  # Pyro4 still imports without serpent; its serializer is then unavailable
    serpent = None

_HEADER_TEXT = HEADER.decode("ascii")

# What may follow a number or a name: Python would read on into it (1_0, 0x1, 1.e, Nonex, 1\u00e9).
_TOKEN_END = r"(?![0-9A-Za-z_.]|[^\x00-\x7f])"
_NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?"
# the escapes repr() writes; octal, \N{...}, line continuations and unknown escapes go to serpent
_ESCAPED_BODY = (r"""(?:[^{quote}\\\x00-\x1f\x7f]|\\[\\'"nrt]"""
                 r"|\\x[0-9a-fA-F]{{2}}|\\u[0-9a-fA-F]{{4}}|\\U[0-9a-fA-F]{{8}})*")
# One token per match, after the spaces before it, the most frequent first. Whatever else comes
# (newlines, comments, other names, prefixed or triple-quoted strings, control characters) matches
# the last branch, which captures nothing: findall gives "" for it, which no rule accepts.
_TOKENS = re.compile(r"[ ]*(?:(" + "|".join([
    r"[()\[\]{},:]",
    r"'[^'\\\x00-\x1f\x7f]*'",
    r'"[^"\\\x00-\x1f\x7f]*"',
    # real +/- imaginary is one token: the only arithmetic literal_eval accepts (serpent writes (1.5+2j))
    r"-?" + _NUMBER + r" *[-+] *" + _NUMBER + "j" + _TOKEN_END,
    r"-?" + _NUMBER + "j?" + _TOKEN_END,
    r"(?:None|True|False)" + _TOKEN_END,
    "'" + _ESCAPED_BODY.format(quote="'") + "'",
    '"' + _ESCAPED_BODY.format(quote='"') + '"',
]) + r")|[\s\S])")
_COMPLEX_PARTS = re.compile(r"(-?" + _NUMBER + r") *([-+]) *(" + _NUMBER + ")j")
_NAMES = {"None": None, "True": True, "False": False}


class _Unsupported(Exception):
    """Raised inside this module for input it leaves to the serpent library."""


def _escaped_string(token):
    # only the escapes above get here, and unicode_escape reads those as Python does once every
    # character beyond Latin-1 is an escape as well
    return token[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def _unsigned_real(token):
    if "." in token or "e" in token:
        return float(token)
    if token[0] == "0" and len(token) > 1:
        raise _Unsupported  # Python 3 refuses leading zeros in ints
    return int(token)


def _signed_real(token):
    # negated, not parsed with its sign, because that is what Python's compiler does (-0 is int 0)
    return -_unsigned_real(token[1:]) if token[0] == "-" else _unsigned_real(token)


def _imaginary_number(token):
    parts = _COMPLEX_PARTS.fullmatch(token)
    if parts is None:
        imaginary = complex(0.0, float(token.lstrip("-")[:-1]))
        return -imaginary if token[0] == "-" else imaginary
    real, operator, imaginary = parts.groups()
    imaginary = complex(0.0, float(imaginary))
    # the same int/float and complex arithmetic as literal_eval, so signed zeros come out the same
    return _signed_real(real) + imaginary if operator == "+" else _signed_real(real) - imaginary


def _value(token, tokens, depth):
    first = token[:1]  # "" for what the tokenizer did not accept
    if first == "'" or first == '"':
        return token[1:-1] if "\\" not in token else _escaped_string(token)
    if first == "(":
        return _parenthesized(tokens, depth + 1)
    if first == "[":
        return _list(tokens, depth + 1)
    if first == "{":
        return _braced(tokens, depth + 1)
    if first == "-" or "0" <= first <= "9":
        return _imaginary_number(token) if token[-1] == "j" else _signed_real(token)
    value = _NAMES.get(token, _Unsupported)
    if value is _Unsupported:
        raise _Unsupported
    return value


def _check_depth(depth):
    if depth > MAX_DEPTH:
        raise _Unsupported


def _list(tokens, depth):
    _check_depth(depth)
    items = []
    token = next(tokens)
    if token != "]":
        items.append(_value(token, tokens, depth))
        _more_items(tokens, depth, next(tokens), "]", items.append)
    return items


def _parenthesized(tokens, depth):
    """A tuple, or one parenthesized value such as (1.5+2j)."""
    _check_depth(depth)
    token = next(tokens)
    if token == ")":
        return ()
    first = _value(token, tokens, depth)
    token = next(tokens)
    if token == ")":
        return first
    items = [first]
    _more_items(tokens, depth, token, ")", items.append)
    return tuple(items)


def _braced(tokens, depth):
    _check_depth(depth)
    token = next(tokens)
    if token == "}":
        return {}
    first = _value(token, tokens, depth)
    token = next(tokens)
    if token == ":":
        return _dict_rest(tokens, depth, first)
    items = {first}
    _more_items(tokens, depth, token, "}", items.add)
    return items


def _more_items(tokens, depth, token, closer, add):
    """Reads ", item" up to the closer (a trailing comma before it is allowed), handing each item to add;
    ``token`` is the one after the first item."""
    while token != closer:
        if token != ",":
            raise _Unsupported
        token = next(tokens)
        if token != closer:
            add(_value(token, tokens, depth))
            token = next(tokens)


def _dict_rest(tokens, depth, key):
    """The dict whose first key has been read, and its colon."""
    items = {}
    while True:
        items[key] = _value(next(tokens), tokens, depth)
        token = next(tokens)
        if token == ",":
            token = next(tokens)
        elif token != "}":
            raise _Unsupported
        if token == "}":
            return items
        key = _value(token, tokens, depth)
        if next(tokens) != ":":
            raise _Unsupported


def _parse_plain(data):
    """The parser alone (no fallback): the value, or raises if it would leave ``data`` to serpent."""
    if type(data) not in (bytes, bytearray, memoryview):
        raise _Unsupported
    text = str(data, "utf-8")
    if not text.startswith(_HEADER_TEXT):
        raise _Unsupported  # no header or another one (python2.6): serpent knows what to do
    if text.startswith(" ", len(_HEADER_TEXT)):
        raise _Unsupported  # an indented line, which Python refuses
    tokens = iter(_TOKENS.findall(text, len(_HEADER_TEXT)))
    try:
        value = _value(next(tokens), tokens, 0)
    except StopIteration:
        raise _Unsupported from None  # the text ended inside a value
    if next(tokens, None) is not None:
        raise _Unsupported
    return value


def loads(data):
    """The value encoded in the serpent bytes ``data`` (bytes, bytearray or memoryview)."""
    try:
        return _parse_plain(data)
    except Exception:
        pass  # anything not understood here, including every error, is serpent's to handle
    return serpent.loads(data)


# ---- dumps: a writer for exact builtin types -------------------------------------------------
# Each value appends its text to one list of str parts, joined and encoded once at the end. Scalars
# in containers are written inline: a function call per value would cost as much as the writing.

_KEY_TYPES = frozenset(KEY_TYPES)
# repr() is serpent's text for these (an int past Python's digit limit raises: serpent's turn)
_REPR_TYPES = frozenset((str, int, bool, type(None)))
# from this many items, checking the types first and formatting with map(repr) in C pays off
_BULK_ITEMS = 16
# serpent writes the infinities as literals that overflow to them; NaN (a dict) is left to serpent
_NON_FINITE = {"inf": "1e30000", "-inf": "-1e30000"}


def _float_text(value):
    text = repr(value)
    if text[-1] <= "9":
        return text  # a finite float's repr() ends in a digit; "inf" and "nan" do not
    text = _NON_FINITE.get(text)
    if text is None:
        raise _Unsupported
    return text


def _complex_text(value):
    imaginary = _float_text(value.imag)
    sign = "" if imaginary[0] == "-" else "+"
    return f"({_float_text(value.real)}{sign}{imaginary}j)"


def _write_bytes(data, parts):
    # the base64 stays bytes: _joined copies it once, instead of decoding, joining and encoding it
    parts += (BYTES_PREFIX, b64encode(data), BYTES_SUFFIX)


def _write_items(items, parts, depth, opener, closer):
    """A tuple, list or set: ``closer`` already holds the comma of a 1-tuple."""
    if depth > MAX_DEPTH:
        raise _Unsupported
    if not items:
        parts.append(opener + closer)
    elif len(items) >= _BULK_ITEMS and _REPR_TYPES.issuperset(map(type, items)):
        parts += (opener, ",".join(map(repr, items)), closer)
    else:
        append = parts.append
        append(opener)
        for item in items:
            if type(item) in _REPR_TYPES:
                append(repr(item))
            else:
                _write(item, parts, depth)
            append(",")
        parts[-1] = closer  # over the last comma


def _write_dict(items, parts, depth):
    if depth > MAX_DEPTH:
        raise _Unsupported
    append = parts.append
    append("{")
    for key, value in items.items():
        if type(key) is str:
            append(repr(key))
        elif type(key) in _KEY_TYPES:
            _write(key, parts, depth)
        else:
            raise _Unsupported
        append(":")
        if type(value) in _REPR_TYPES:
            append(repr(value))
        else:
            _write(value, parts, depth)
        append(",")
    if items:
        parts[-1] = "}"  # over the last comma
    else:
        append("}")


def _write_set(items, parts, depth):
    if not items:
        _write_items((), parts, depth, "(", ")")  # Python has no literal for an empty set
    elif _KEY_TYPES.issuperset(map(type, items)):
        _write_items(items, parts, depth, "{", "}")  # in iteration order: serpent does not sort
    else:
        raise _Unsupported


def _write(obj, parts, depth):
    """Appends serpent's text for ``obj``, nested in ``depth`` containers; raises for what only
    serpent may write."""
    kind = type(obj)
    if kind in _REPR_TYPES:
        parts.append(repr(obj))
    elif kind is tuple:
        _write_items(obj, parts, depth + 1, "(", ",)" if len(obj) == 1 else ")")
    elif kind is list:
        _write_items(obj, parts, depth + 1, "[", "]")
    elif kind is dict:
        _write_dict(obj, parts, depth + 1)
    elif kind is float:
        parts.append(_float_text(obj))
    elif kind is bytes or kind is bytearray:
        _write_bytes(obj, parts)
    elif kind is set or kind is frozenset:
        _write_set(obj, parts, depth + 1)
    elif kind is complex:
        parts.append(_complex_text(obj))
    else:
        raise _Unsupported


def _joined(parts):
    """The UTF-8 bytes of the parts: str, and the bytes of base64 text."""
    try:
        return "".join(parts).encode("utf-8")
    except TypeError:  # there is base64 among them
        return b"".join([b"".join(run) if kind is bytes else "".join(run).encode("utf-8")
                         for kind, run in groupby(parts, type)])


def _encode(obj):
    parts = [_HEADER_TEXT]
    _write(obj, parts, 0)
    return _joined(parts)


_writer_enabled = False


def _builtins_unclaimed():
    """True unless a serpent converter is registered for a type the writer handles."""
    return serpent._special_classes_registry.keys().isdisjoint(WRITER_TYPES)


def dumps(obj, module_in_classname=False):
    """The serpent bytes for ``obj``."""
    if _writer_enabled and _builtins_unclaimed():
        try:
            return _encode(obj)
        except Exception:
            pass  # another type, a subclass, a cycle, too deep, NaN...: serpent writes the whole value
    return serpent.dumps(obj, module_in_classname=module_in_classname)


def _encode_plain(obj):
    """What the writer alone makes of ``obj`` (no registry check, no fallback), None for a value it
    leaves to serpent: tests use it to see that the writer really ran."""
    try:
        return _encode(obj)
    except _Unsupported:
        return None


def _writes_like_serpent():
    if not hasattr(serpent, "_special_classes_registry"):
        return False  # then _builtins_unclaimed could not see serpent's converters (or serpent is missing)
    sample = _self_check_sample()
    try:
        ours = _encode(sample)
    except Exception:
        return False
    # the text of these types must not depend on module_in_classname: the writer ignores it
    return all(ours == serpent.dumps(sample, module_in_classname=flag) for flag in (False, True))


def check_encoder():
    """Turns the writer on if it writes a fixed sample exactly as serpent.dumps does, off otherwise;
    returns whether it is on."""
    global _writer_enabled
    _writer_enabled = False  # and it stays off if the comparison itself fails
    _writer_enabled = _writes_like_serpent()
    return _writer_enabled


check_encoder()
