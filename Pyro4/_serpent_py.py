"""Pure-Python twin of the serpent codec (the compiled twin is ``Pyro4._serpent``).

``loads`` parses the same literal subset as the compiled twin, with a regular expression that cuts
the text into tokens and a small recursive parser over them: about three times faster than serpent,
which runs Python's compiler over the text. Anything outside that subset, every error included, goes
to the serpent library, so values and errors stay serpent's. ``dumps`` is the serpent library.
"""
import re

from Pyro4._serpent_common import HEADER, MAX_DEPTH

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
    while token != "]":
        items.append(_value(token, tokens, depth))
        token = next(tokens)
        if token == ",":
            token = next(tokens)  # a trailing comma before the closer is allowed
        elif token != "]":
            raise _Unsupported
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
    while token != ")":
        if token != ",":
            raise _Unsupported
        token = next(tokens)
        if token != ")":
            items.append(_value(token, tokens, depth))
            token = next(tokens)
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
    while token != "}":
        if token != ",":
            raise _Unsupported
        token = next(tokens)
        if token != "}":
            items.add(_value(token, tokens, depth))
            token = next(tokens)
    return items


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


def dumps(obj, module_in_classname=False):
    """The serpent bytes for ``obj``."""
    return serpent.dumps(obj, module_in_classname=module_in_classname)


def check_encoder():
    """Whether this twin writes serpent text itself: never, everything goes to the library."""
    return False
