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


@pytest.fixture(params=TWINS)
def message_twin(request):
    """The compiled and the pure-Python implementation of the message hot paths."""
    return _import_twin("message", request.param)


@pytest.fixture(params=TWINS)
def socketutil_twin(request):
    """The compiled and the pure-Python implementation of the socket hot paths."""
    return _import_twin("socketutil", request.param)


@pytest.fixture(params=TWINS)
def serpent_twin(request):
    """The compiled and the pure-Python (the serpent library itself) serpent codec."""
    return _import_twin("serpent", request.param)


@pytest.fixture(params=TWINS)
def datawalk_twin(request):
    return _import_twin("datawalk", request.param)


@pytest.fixture(autouse=True)
def clean_config():
    """Every test starts from the default configuration and leaves no settings behind."""
    Pyro4.config.reset(False)
    yield
    Pyro4.config.reset(False)
