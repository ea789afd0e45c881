"""Pyro's configuration: the ``Configuration`` class and its single instance ``config``.

Every item has a built-in default; a ``PYRO_<ITEM>`` environment variable overrides it whenever
the configuration is reset (also once at import). See the project's CONFIG spec for the meaning
of each item.
"""
import importlib.util
import os
import pickle
import platform
import socket
import sys

from Pyro4 import constants

# Built-in defaults that can't be a literal: both depend on the running interpreter.
_USE_MSG_WAITALL = hasattr(socket, "MSG_WAITALL") and os.name != "nt"

_BOOL_WORDS = {"0": False, "off": False, "no": False, "false": False,
               "1": True, "on": True, "yes": True, "true": True}


def _dill_protocol_version():
    # Importing dill costs a noticeable part of "import Pyro4", so only check that it is there:
    # dill takes its HIGHEST_PROTOCOL from the pickle module.
    dill = sys.modules.get("dill")
    if dill is not None:
        return dill.HIGHEST_PROTOCOL
    return pickle.HIGHEST_PROTOCOL if importlib.util.find_spec("dill") is not None else -1


# looked up once: reset() runs often (test suites call it around every test)
_DILL_PROTOCOL_VERSION = _dill_protocol_version()


def _default_items():
    """(name, default) of all items, in the order of ``__slots__``.

    SERIALIZERS_ACCEPTED is given as the comma-separated string the environment would use;
    ``reset()`` turns it into a set after the environment has been applied.
    """
    return (
        ("HOST", "localhost"),
        ("NS_HOST", "localhost"),
        ("NS_PORT", 9090),
        ("NS_BCPORT", 9091),
        ("NS_BCHOST", None),
        ("NS_AUTOCLEAN", 0.0),
        ("COMPRESSION", False),
        ("SERVERTYPE", "thread"),
        ("COMMTIMEOUT", 0.0),
        ("POLLTIMEOUT", 2.0),
        ("ONEWAY_THREADED", True),
        ("DETAILED_TRACEBACK", False),
        ("SOCK_REUSE", True),
        ("SOCK_NODELAY", False),
        ("PREFER_IP_VERSION", 4),
        ("THREADPOOL_SIZE", 40),
        ("THREADPOOL_SIZE_MIN", 4),
        ("AUTOPROXY", True),
        ("PICKLE_PROTOCOL_VERSION", pickle.HIGHEST_PROTOCOL),
        ("BROADCAST_ADDRS", "<broadcast>, 0.0.0.0"),
        ("NATHOST", None),
        ("NATPORT", 0),
        ("MAX_MESSAGE_SIZE", 0),
        ("FLAME_ENABLED", False),
        ("SERIALIZER", "serpent"),
        ("SERIALIZERS_ACCEPTED", "serpent,marshal,json"),
        ("LOGWIRE", False),
        ("METADATA", True),
        ("REQUIRE_EXPOSE", True),
        ("USE_MSG_WAITALL", _USE_MSG_WAITALL),
        ("JSON_MODULE", "json"),
        ("MAX_RETRIES", 0),
        ("DILL_PROTOCOL_VERSION", _DILL_PROTOCOL_VERSION),
        ("ITER_STREAMING", True),
        ("ITER_STREAM_LIFETIME", 0.0),
        ("ITER_STREAM_LINGER", 30.0),
        ("SSL", False),
        ("SSL_REQUIRECLIENTCERT", False),
        ("SSL_CACERTS", ""),
        ("SSL_SERVERCERT", ""),
        ("SSL_SERVERKEY", ""),
        ("SSL_SERVERKEYPASSWD", ""),
        ("SSL_CLIENTCERT", ""),
        ("SSL_CLIENTKEY", ""),
        ("SSL_CLIENTKEYPASSWD", ""),
    )


def _convert_env_value(envname, text, default):
    """Converts an environment string to the type of the item's default."""
    if default is None:
        return text
    if isinstance(default, bool):  # before int: bool is an int subclass
        word = text.lower()
        if word not in _BOOL_WORDS:
            raise ValueError("invalid boolean value: {}={}".format(envname, word))
        return _BOOL_WORDS[word]
    return type(default)(text)


def _environment_overrides(defaults):
    """{item: converted value} for every item that has a PYRO_<ITEM> environment variable."""
    overrides = {}
    for name, default in defaults.items():
        envname = "PYRO_" + name
        if envname in os.environ:
            overrides[name] = _convert_env_value(envname, os.environ[envname], default)
    return overrides


class Configuration(object):
    """Pyro's settings. Only the known items can be set (``__slots__``), so typos fail loudly."""

    __slots__ = tuple(name for name, _ in _default_items())

    def __init__(self):
        self.reset()

    def reset(self, useenvironment=True):
        """Restores the built-in defaults, then applies ``PYRO_*`` environment variables (if asked).

        Use ``reset(False)`` when the environment can't be trusted. An invalid environment value
        raises ValueError and leaves the current settings unchanged.
        """
        values = dict(_default_items())
        if useenvironment:
            values.update(_environment_overrides(values))
        # Pyro4 splits without stripping the parts; kept for compatibility
        values["SERIALIZERS_ACCEPTED"] = set(values["SERIALIZERS_ACCEPTED"].split(","))
        for name, value in values.items():
            setattr(self, name, value)

    def asDict(self):
        """Returns a new dict with all items and their current values."""
        return {name: getattr(self, name) for name in self.__slots__}

    def parseAddressesString(self, addresses):
        """Splits a comma-separated address list; a part that is ``''`` means the empty string."""
        parts = (part.strip() for part in addresses.split(","))
        return ["" if part == "''" else part for part in parts]

    def dump(self):
        """Returns a readable overview of the Pyro version, the platform and all settings."""
        settings = self.asDict()
        # the logging variables are not config items but are shown to help diagnose set-ups
        settings["LOGFILE"] = os.environ.get("PYRO_LOGFILE")
        settings["LOGLEVEL"] = os.environ.get("PYRO_LOGLEVEL")
        lines = [
            "Pyro version: " + constants.VERSION,
            "Loaded from: " + os.path.dirname(os.path.abspath(__file__)),
            "Python version: {} {} ({}, {})".format(platform.python_implementation(), platform.python_version(),
                                                    platform.system(), os.name),
            "Protocol version: {}".format(constants.PROTOCOL_VERSION),
            "Currently active configuration settings:",
        ]
        lines.extend("{} = {}".format(name, settings[name]) for name in sorted(settings))
        return "\n".join(lines)


config = Configuration()


def main(args=None):
    """Entry point of ``pyro4-check-config``: prints the configuration. Arguments are ignored."""
    print(config.dump())


if __name__ == "__main__":
    main()
