"""Pyro4.constants: the fixed names and numbers of 4.82."""
import Pyro4
import Pyro4.constants as constants


def test_values():
    assert constants.VERSION == "4.82"
    assert constants.DAEMON_NAME == "Pyro.Daemon"
    assert constants.NAMESERVER_NAME == "Pyro.NameServer"
    assert constants.FLAME_NAME == "Pyro.Flame"
    assert constants.PROTOCOL_VERSION == 48


def test_package_version_is_the_constant():
    assert Pyro4.__version__ is constants.VERSION
    assert Pyro4.constants is constants


def test_no_all():
    assert not hasattr(constants, "__all__")


def test_protocol_version_can_be_reassigned(monkeypatch):
    # the message code reads it live from the module, so the module attribute must be writable
    monkeypatch.setattr(constants, "PROTOCOL_VERSION", 47)
    assert Pyro4.constants.PROTOCOL_VERSION == 47
