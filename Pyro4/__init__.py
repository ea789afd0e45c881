"""Pyro4: Python Remote Objects, compatible with Pyro4 4.82 (wire protocol 48).

``import Pyro4`` gives the configuration object (``Pyro4.config``) and the names most programs
need (``Proxy``, ``Daemon``, ``expose``, ``locateNS``, ...). The name server, the command line
tools and the extra utilities are imported on demand from their own modules.

There is deliberately no ``__all__``: ``from Pyro4 import *`` yields exactly the public names
bound below, as with Pyro4 4.82.
"""


def _configure_logging():
    """Sets up logging from PYRO_LOGLEVEL / PYRO_LOGFILE; runs at every (re)import of the package."""
    import logging
    import os

    levelname = os.environ.get("PYRO_LOGLEVEL")
    pyro_logger = logging.getLogger("Pyro4")
    if not levelname:
        pyro_logger.setLevel(9999)  # above CRITICAL: Pyro stays silent unless asked
        return
    level = _log_level(logging, levelname)
    pyro_logger.setLevel(level)
    # a program that configured logging itself keeps its own handlers
    if not logging.getLogger().handlers:
        _basic_config(logging, os, level, os.environ.get("PYRO_LOGFILE", "pyro.log"))
    pyro_logger.info("Pyro log configured using built-in defaults, level=%s", logging.getLevelName(level))


def _log_level(logging, levelname):
    level = getattr(logging, levelname.upper())  # an unknown name raises AttributeError, as in 4.82
    if not isinstance(level, int):
        raise AttributeError("PYRO_LOGLEVEL is not a logging level name: " + levelname)
    return level


def _basic_config(logging, os, level, logfile):
    if logfile == "{stderr}":
        logfile = None
    elif not os.access(os.path.dirname(os.path.abspath(logfile)), os.W_OK):
        logging.basicConfig(level=level)
        logging.getLogger("Pyro4").warning("unable to write to the log file's directory, logging to console: %s",
                                           logfile)
        return
    logging.basicConfig(filename=logfile, level=level,
                        format="[%(asctime)s.%(msecs)03d,%(name)s,%(levelname)s] %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")


_configure_logging()

# The order matters: core and friends use constants, errors and config while they are imported.
from Pyro4 import constants
from Pyro4 import errors
from Pyro4 import configuration
from Pyro4.configuration import config

__version__ = constants.VERSION

from Pyro4 import util
from Pyro4 import message
from Pyro4 import socketutil
from Pyro4 import futures
from Pyro4 import core

from Pyro4.core import URI, Proxy, Daemon, callback, oneway, expose, behavior, batch, asyncproxy
from Pyro4.core import current_context
from Pyro4.core import _locateNS as locateNS, _resolve as resolve
from Pyro4.futures import Future

from Pyro4 import _speedups

__with_cython__ = _speedups.ACTIVE == "cython"
