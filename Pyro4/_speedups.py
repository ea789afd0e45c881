"""Selects the compiled (Cython) or the pure-Python twins of the hot-path modules.

This is the only place that tries the compiled imports and reads ``PYRO4_NO_CYTHON``;
``Pyro4.message`` and ``Pyro4.socketutil`` bind whatever is chosen here, once, at import.
"""
import os

_FORCE_PURE = os.environ.get("PYRO4_NO_CYTHON", "").strip() not in ("", "0")


def _select():
    if _FORCE_PURE:
        return None, None
    try:
        from Pyro4 import _message, _socketutil
    except ImportError:
        return None, None
    return _message, _socketutil


_compiled_message, _compiled_socketutil = _select()
ACTIVE = "cython" if _compiled_message is not None else "python"

if ACTIVE == "cython":
    message_impl = _compiled_message
    socketutil_impl = _compiled_socketutil
else:
    from Pyro4 import _message_py as message_impl  # noqa: E402
    from Pyro4 import _socketutil_py as socketutil_impl  # noqa: E402
