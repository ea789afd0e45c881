"""Shared fixtures: the twin fixtures and a clean Pyro4.config for every test."""
import importlib
import os
import signal

import pytest

import Pyro4

# A test run started in the background by a non-interactive shell inherits SIGINT as ignored, and so
# would every tool the tests start and stop with Ctrl-C: Python keeps an ignored SIGINT ignored.
# A handled signal is reset to the default in exec'd children, so this restores Ctrl-C for them.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The nocython tox env installs a wheel built without a compiler; there (and only there) the
# compiled twins are legitimately absent.
EXTENSIONS_EXPECTED = os.environ.get("PYRO4_EXPECT_NO_EXTENSIONS", "") in ("", "0")


# There (only there) the fixtures below have no compiled parameter at all, rather than skipping it.
TWINS = ["cython", "python"] if EXTENSIONS_EXPECTED else ["python"]


def _import_twin(name, param):
    if param == "python":
        return importlib.import_module("Pyro4._{}_py".format(name))
    # no fallback here: a missing compiled twin must fail loudly, not silently test pure twice
    return importlib.import_module("Pyro4._{}".format(name))


def _twin_fixture(name):
    """A fixture giving the compiled and the pure-Python twin ``Pyro4._<name>`` in turn."""
    @pytest.fixture(params=TWINS, name=name + "_twin")
    def twin(request):
        return _import_twin(name, request.param)
    return twin


# message and socket hot paths, the serpent codec, the data walks
message_twin = _twin_fixture("message")
socketutil_twin = _twin_fixture("socketutil")
serpent_twin = _twin_fixture("serpent")
datawalk_twin = _twin_fixture("datawalk")


@pytest.fixture(autouse=True)
def clean_config():
    """Every test starts from the default configuration and leaves no settings behind."""
    Pyro4.config.reset(False)
    yield
    Pyro4.config.reset(False)
