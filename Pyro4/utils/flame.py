"""Flame ("foreign location automatic module exposer"): remote access to a Python interpreter.

A Flame server gives its clients the run of the server's Python: modules, builtins, code
execution, files and an interactive console. It is therefore disabled unless
``config.FLAME_ENABLED`` is set, and it only works with the pickle serializer, because its
results (``FlameModule``, ``FlameBuiltin``, ``RemoteInteractiveConsole``) travel as pickled objects.
Those classes keep their ``Pyro4.utils.flame`` module path: it is part of the pickled bytes.
"""

import builtins
import code
import contextlib
import importlib
import inspect
import io
import os
import sys
import traceback
import types

from Pyro4 import constants, core, errors
from Pyro4.configuration import config

__all__ = ["connect", "start", "createModule", "Flame"]


# Dunder lookups (pickle's __getnewargs_ex__, copy's __deepcopy__, __setstate__ on a half-built
# object ...) must not turn into remote calls: they are protocol probes, not module attributes.
def _is_protocol_name(name):
    return name.startswith("__") and name.endswith("__")


def fixExecSourceNewlines(source):
    """Return the source without trailing whitespace, ready for compile()."""
    # On Python 3 compile() copes with CRLF line endings; only trailing whitespace needs removal.
    return source.rstrip()


def exec_function(source, filename, global_map):
    """Compile ``source`` (tagged with ``filename`` in tracebacks) and execute it in ``global_map``."""
    source = fixExecSourceNewlines(source)
    exec(compile(source, filename, "exec"), global_map)


def _module_chain(name):
    """The (dotted name, module) pairs for every level of ``name``, reusing modules already imported."""
    chain = []
    dotted = ""
    for component in name.split("."):
        dotted = dotted + "." + component if dotted else component
        chain.append((dotted, sys.modules.get(dotted) or types.ModuleType(dotted)))
    return chain


def createModule(name, source, filename="<dynamic-module>", namespace=None):
    """Create (or update) the module ``name`` from ``source`` and make it importable.

    Every missing level of a dotted name is created too and all of them are put in
    ``sys.modules``, so that ``import a.b.c`` works afterwards. With ``namespace`` (a dict)
    the top-level name is also bound in it, as an ``import`` statement would do.
    """
    chain = _module_chain(name)
    module = chain[-1][1]
    exec_function(source, filename, module.__dict__)
    # only a module whose source ran is published (sys.modules, attribute of its parent)
    for (_, parent), (dotted, child) in zip(chain, chain[1:]):
        setattr(parent, dotted.rpartition(".")[2], child)
    for dotted, level in chain:
        sys.modules[dotted] = level
    if namespace is not None:
        namespace[chain[0][0]] = chain[0][1]
    return module


def _proxy_to_flame(flameserver):
    # a real proxy to the Flame object, at the daemon's own address, so it survives pickling
    return core.Proxy(flameserver._pyroDaemon.uriFor(flameserver))


def _stand_in_repr(stand_in, kind, name):
    cls = type(stand_in)
    location = stand_in.flameserver._pyroUri.location
    return "<%s.%s at 0x%x; %s '%s' at %s>" % (cls.__module__, cls.__name__, id(stand_in), kind, name, location)


class FlameModule(object):
    """Client-side stand-in for a module on the Flame server: attribute calls run remotely."""

    def __init__(self, flameserver, module):
        self.flameserver = _proxy_to_flame(flameserver)
        self.module = module

    def __getattr__(self, item):
        if _is_protocol_name(item):
            raise AttributeError(item)
        return core._RemoteMethod(self.__invoke, "%s.%s" % (self.module, item), 0)

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__ = state

    def __invoke(self, name, args, kwargs):
        return self.flameserver.invokeModule(name, args, kwargs)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.flameserver._pyroRelease()

    def __repr__(self):
        return _stand_in_repr(self, "module", self.module)


class FlameBuiltin(object):
    """Client-side stand-in for a builtin function on the Flame server: calling it runs it there."""

    def __init__(self, flameserver, builtin):
        self.flameserver = _proxy_to_flame(flameserver)
        self.builtin = builtin

    def __call__(self, *args, **kwargs):
        return self.flameserver.invokeBuiltin(self.builtin, args, kwargs)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.flameserver._pyroRelease()

    def __repr__(self):
        return _stand_in_repr(self, "builtin", self.builtin)


@core.expose
class InteractiveConsole(code.InteractiveConsole):
    """Server side of a remote console: runs pushed lines and hands back what they printed."""

    def push_and_get_output(self, line):
        captured = io.StringIO()
        # tracebacks go through write(), which also prints to sys.stdout: they are captured too
        with contextlib.redirect_stdout(captured):
            more = self.push(line)
        return captured.getvalue(), more

    def showtraceback(self):
        # code.InteractiveInterpreter hands tracebacks to sys.excepthook when something replaced
        # it (a test runner, an IDE), and they would never reach the client: always write them
        exc_type, exc_value, tb = sys.exc_info()
        self.write("".join(traceback.format_exception(exc_type, exc_value, tb.tb_next)))

    def showsyntaxerror(self, filename=None, **kwargs):
        exc_type, exc_value = sys.exc_info()[:2]
        self.write("".join(traceback.format_exception_only(exc_type, exc_value)))

    def get_banner(self):
        return self.banner

    def write(self, data):
        sys.stdout.write(data)
        sys.stdout.flush()

    def terminate(self):
        self._pyroDaemon.unregister(self)
        self.resetbuffer()


class RemoteInteractiveConsole(object):
    """Client side of a remote console: a local read-eval loop whose lines run on the server."""

    class LineSendingConsole(code.InteractiveConsole):
        """Sends each line to the remote console and prints what it printed."""

        def __init__(self, remoteconsole):
            code.InteractiveConsole.__init__(self)
            self.remoteconsole = remoteconsole

        def push(self, line):
            output, more = self.remoteconsole.push_and_get_output(line)
            if output:
                sys.stdout.write(output)
                sys.stdout.flush()
            return more

    def __init__(self, remoteconsoleuri):
        self.remoteconsole = core.Proxy(remoteconsoleuri)

    def interact(self):
        console = self.LineSendingConsole(self.remoteconsole)
        # exitmsg "" keeps the end of the session to our own line below
        console.interact(banner=self.remoteconsole.get_banner(), exitmsg="")
        print("(Remote session ended)")

    def close(self):
        self.remoteconsole.terminate()
        self.remoteconsole._pyroRelease()

    def terminate(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def __repr__(self):
        return "<%s.%s at 0x%x; for %s>" % (
            self.__class__.__module__,
            self.__class__.__name__,
            id(self),
            self.remoteconsole._pyroUri.location,
        )


def _accepts_only_pickle():
    return set(config.SERIALIZERS_ACCEPTED) == {"pickle"}


def _resolve_dotted(dottedname):
    """The object named ``module.attr.attr...``, importing the top-level module if needed."""
    modulename, _, attributes = dottedname.partition(".")
    target = sys.modules.get(modulename) or importlib.import_module(modulename)
    for attribute in attributes.split(".") if attributes else ():
        target = getattr(target, attribute)
    return target


@core.expose
class Flame(object):
    """The Flame server object, registered as ``Pyro.Flame``. Every method is remotely callable."""

    def __init__(self):
        if not _accepts_only_pickle():
            raise RuntimeError("flame requires the pickle serializer exclusively")
        self._sent_sources = {}

    def module(self, name):
        importlib.import_module(name)
        return FlameModule(self, name)

    def builtin(self, name):
        return FlameBuiltin(self, name)

    def execute(self, code):
        exec_function(code, "<remote-code>", globals())

    def evaluate(self, expression):
        return eval(expression, globals())

    def sendmodule(self, modulename, modulesource):
        createModule(modulename, modulesource)
        # a module made from source has no loader to ask for it later: keep it for getmodule()
        self._sent_sources[modulename] = modulesource

    def getmodule(self, modulename):
        if modulename in self._sent_sources:
            return self._sent_sources[modulename]
        module = importlib.import_module(modulename)
        loader = getattr(module, "__loader__", None)
        source = loader.get_source(modulename) if hasattr(loader, "get_source") else None
        # frozen stdlib modules (3.11+) have a loader without source: fall back to their file
        return source if source is not None else inspect.getsource(module)

    def sendfile(self, filename, filedata):
        fd = os.open(filename, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as target:
            os.chmod(filename, 0o600)  # an existing file keeps its mode in os.open
            target.write(filedata)

    def getfile(self, filename):
        with open(filename, "rb") as source:
            return source.read()

    def console(self):
        daemon = self._pyroDaemon
        banner = "Python %s on %s\n(Remote console on %s)" % (sys.version, sys.platform, daemon.locationStr)
        console = InteractiveConsole(filename="<remote console>")
        console.banner = banner
        uri = daemon.register(console)
        return RemoteInteractiveConsole(uri)

    def invokeBuiltin(self, builtin, args, kwargs):
        return getattr(builtins, builtin)(*args, **kwargs)

    def invokeModule(self, dottedname, args, kwargs):
        # no privacy checks: Flame is full remote access by design (and disabled by default)
        return _resolve_dotted(dottedname)(*args, **kwargs)


def start(daemon):
    """Register a new Flame server object in the daemon, as ``Pyro.Flame``; returns its URI."""
    if not config.FLAME_ENABLED:
        raise errors.SecurityError("Flame is disabled in the server configuration")
    if not _accepts_only_pickle():
        raise errors.SerializeError("Flame requires the pickle serializer exclusively")
    return daemon.register(Flame(), constants.FLAME_NAME)


def connect(location, hmac_key=None):
    """A bound proxy to the Flame server at ``location`` (``host:port`` or ``./u:socketpath``)."""
    if config.SERIALIZER != "pickle":
        raise errors.SerializeError("Flame requires the pickle serializer")
    proxy = core.Proxy("PYRO:%s@%s" % (constants.FLAME_NAME, location))
    proxy._pyroHmacKey = hmac_key
    proxy._pyroBind()
    return proxy
