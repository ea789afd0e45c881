"""The one home of what both serpent codec twins (`Pyro4._serpent` compiled, `Pyro4._serpent_py`
pure) must agree on: the header, the nesting they handle themselves, the types their writers handle,
serpent's text around binary data and the sample their writers check themselves with."""

# serpent's first line for Python 3; a document without it (or with python2.6's) goes to serpent
HEADER = b"# serpent utf-8 python3.2\n"
# Python 3.8's parser overflows its stack a little past 90 nested brackets; serpent writes at most
# 200. Anything deeper goes to serpent, which then fails or succeeds as it always does.
MAX_DEPTH = 64
# Types the writers handle; a serpent converter registered for any of them (or for object) means
# serpent may write them its own way, so then every value goes to serpent.
WRITER_TYPES = (type(None), bool, int, float, complex, str, bytes, bytearray, tuple, list, dict, set, frozenset,
                object)
# serpent refuses other dict keys and set elements (None among them) with its own TypeError
KEY_TYPES = (str, int, bool, float, complex, bytes, tuple)
# serpent's dict for binary data, around the base64 text (serpent.tobytes turns it back into bytes)
BYTES_PREFIX = "{'data': '"
BYTES_SUFFIX = "', 'encoding': 'base64'}"


def self_check_sample():
    """The value each twin's writer must write exactly as serpent.dumps does before it is used
    (``check_encoder``): every branch of a writer, with the values where serpent's text is most
    particular."""
    inf = float("inf")
    return (None, True, False, 0, 7, -12, 2 ** 63 - 1, -2 ** 63, 2 ** 64, -2 ** 70, 0.0, -0.0, 0.1, 1e22,
            1e300, 5e-324, inf, -inf, 1.5 + 2j, complex(-0.0, -0.0), complex(inf, -inf), 3j, "", "plain",
            "it's", 'say "hi"', "both ' and \"", "back\\slash\ttab\nnl\rcr\x00\x1f\x7f",
            "\xe9\u20ac\U0001f600\u2028\ud800\x85\xa0", b"", b"\x00\xff\x10bytes", b"ab", bytearray(b"xyz"),
            (), (1,), [], [1, [2, (3,)]], {}, {"k": 1, 2: "v", 2.5: None, True: [], (1, "t"): {}, b"b": 0, 1j: 1},
            set(), frozenset(), {3, 1, 2}, frozenset({"x", "y"}), {"s": {(1, None), 1.5}})
