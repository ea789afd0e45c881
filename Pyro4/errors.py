"""The Pyro exception hierarchy.

The classes travel on the wire by name (``Pyro4.errors.<Name>``), so their module path and names
must stay exactly as they are. They are plain exceptions without extra behaviour; Pyro itself may
attach ``_pyroTraceback``, ``pyroMsg`` or ``partialData`` attributes to instances.
"""


class PyroError(Exception):
    """Base class of every Pyro-specific error."""


class CommunicationError(PyroError):
    """A problem with the network connection to the other side."""


class ConnectionClosedError(CommunicationError):
    """The peer closed the connection, or it was lost."""


class TimeoutError(CommunicationError):  # shadows the builtin on purpose: the name is Pyro4 API
    """A network operation took longer than the configured timeout."""


class ProtocolError(CommunicationError):
    """The data received does not follow the Pyro protocol."""


class MessageTooLargeError(ProtocolError):
    """A message is larger than config.MAX_MESSAGE_SIZE allows."""


class NamingError(PyroError):
    """A name server lookup or registration failed."""


class DaemonError(PyroError):
    """The daemon could not do what was asked (unknown object, duplicate registration, ...)."""


class SecurityError(PyroError):
    """A security check failed (HMAC mismatch, forbidden class name, Flame disabled, ...)."""


class SerializeError(ProtocolError):
    """Data could not be serialized or deserialized, or the serializer is unknown."""
