"""The one home of what both serpent codec twins (`Pyro4._serpent` compiled, `Pyro4._serpent_py`
pure) must agree on: the header their parsers require and the nesting they parse themselves."""

# serpent's first line for Python 3; a document without it (or with python2.6's) goes to serpent
HEADER = b"# serpent utf-8 python3.2\n"
# Python 3.8's parser overflows its stack a little past 90 nested brackets; serpent writes at most
# 200. Anything deeper goes to serpent, which then fails or succeeds as it always does.
MAX_DEPTH = 64
