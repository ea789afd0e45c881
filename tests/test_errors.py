"""Pyro4.errors: the exception hierarchy and its wire-visible names."""
import builtins
import pickle

import pytest

import Pyro4
import Pyro4.errors as errors

# class name -> direct base class name, exactly as in Pyro4 4.82
HIERARCHY = {
    "PyroError": "Exception",
    "NamingError": "PyroError",
    "DaemonError": "PyroError",
    "SecurityError": "PyroError",
    "CommunicationError": "PyroError",
    "ConnectionClosedError": "CommunicationError",
    "TimeoutError": "CommunicationError",
    "ProtocolError": "CommunicationError",
    "MessageTooLargeError": "ProtocolError",
    "SerializeError": "ProtocolError",
}


@pytest.mark.parametrize("name", sorted(HIERARCHY))
def test_direct_base(name):
    cls = getattr(errors, name)
    base_name = HIERARCHY[name]
    expected = Exception if base_name == "Exception" else getattr(errors, base_name)
    assert cls.__bases__ == (expected,)


@pytest.mark.parametrize("name", sorted(HIERARCHY))
def test_wire_identity(name):
    cls = getattr(errors, name)
    assert cls.__module__ == "Pyro4.errors"
    assert cls.__qualname__ == name
    assert "{}.{}".format(cls.__module__, cls.__qualname__) == "Pyro4.errors." + name


def test_no_other_public_classes():
    public = {name for name, value in vars(errors).items() if isinstance(value, type) and not name.startswith("_")}
    assert public == set(HIERARCHY)


def test_communication_errors():
    # the daemon and the proxy treat these as connection problems (API §3)
    for name in ("ConnectionClosedError", "TimeoutError", "ProtocolError", "MessageTooLargeError", "SerializeError"):
        assert issubclass(getattr(errors, name), errors.CommunicationError)
    for name in ("NamingError", "DaemonError", "SecurityError"):
        assert not issubclass(getattr(errors, name), errors.CommunicationError)


def test_timeout_error_is_not_the_builtin():
    assert errors.TimeoutError is not builtins.TimeoutError
    assert not issubclass(errors.TimeoutError, builtins.TimeoutError)


@pytest.mark.parametrize("name", sorted(HIERARCHY))
def test_arbitrary_args_and_pickle(name):
    cls = getattr(errors, name)
    exc = cls("message", 42, None)
    assert exc.args == ("message", 42, None)
    assert str(cls("just text")) == "just text"
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is cls
    assert copy.args == exc.args


def test_no_extra_members():
    for name in HIERARCHY:
        cls = getattr(errors, name)
        own = {attr for attr in vars(cls) if not attr.startswith("__")}
        assert own == set(), name


def test_pyro_attributes_can_be_attached():
    exc = errors.ConnectionClosedError("receiving: not enough data")
    exc.partialData = b"abc"
    exc._pyroTraceback = ["line\n"]
    assert exc.partialData == b"abc"
    assert exc._pyroTraceback == ["line\n"]


def test_package_attribute():
    assert Pyro4.errors is errors
    assert not hasattr(errors, "__all__")
