"""Pure-Python twin of the serpent codec (the compiled twin is ``Pyro4._serpent``).

This twin is the reference: it is the serpent library itself. The compiled twin must give the same
values, the same errors and the same bytes for every input.
"""
try:
    import serpent
except ImportError:  # Pyro4 still imports without serpent; its serializer is then unavailable
    serpent = None


def loads(data):
    """The value encoded in the serpent bytes ``data`` (bytes, bytearray or memoryview)."""
    return serpent.loads(data)


def dumps(obj, module_in_classname=False):
    """The serpent bytes for ``obj``."""
    return serpent.dumps(obj, module_in_classname=module_in_classname)


def check_encoder():
    """Whether this twin writes serpent text itself: never, everything goes to the library."""
    return False
