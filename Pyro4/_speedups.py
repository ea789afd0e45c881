"""Selects the compiled (Cython) or the pure-Python twins of the hot-path modules.

This is the only place that tries the compiled imports and reads ``PYRO4_NO_CYTHON``;
``Pyro4.message``, ``Pyro4.socketutil`` and the serializers bind whatever is chosen here,
once, at import. The twins are chosen together: all compiled, or all pure.
"""
import os

_FORCE_PURE = os.environ.get("PYRO4_NO_CYTHON", "").strip() not in ("", "0")


def _select():
    if _FORCE_PURE:
        return None
    try:
        from Pyro4 import _datawalk, _message, _serpent, _socketutil
    except ImportError:
        return None
    return _message, _socketutil, _serpent, _datawalk


_compiled = _select()
ACTIVE = "cython" if _compiled is not None else "python"

if ACTIVE == "cython":
    message_impl, socketutil_impl, serpent_impl, datawalk_impl = _compiled
else:
    from Pyro4 import _datawalk_py as datawalk_impl  # noqa: E402
    from Pyro4 import _message_py as message_impl  # noqa: E402
    from Pyro4 import _serpent_py as serpent_impl  # noqa: E402
    from Pyro4 import _socketutil_py as socketutil_impl  # noqa: E402
