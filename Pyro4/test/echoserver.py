"""The built-in echo server (``pyro4-test-echoserver``): a ready-made object to try clients against.

The command-line behaviour (options, printed lines) is that of Pyro4 4.82's tool, see CLI.md §4.
"""

import sys
import threading
import time
from optparse import OptionParser

from Pyro4 import core, naming
from Pyro4.configuration import config
from Pyro4.utils import _hmac_key_from_cli

__all__ = ["EchoServer"]

_SLOW_SECONDS = 5.0


@core.expose
class EchoServer(object):
    """Echoes what it gets, and has a few methods that misbehave on purpose (errors, slowness, nan)."""

    _verbose = False
    _must_shutdown = False

    def echo(self, message):
        if self._verbose:
            self._report("echo: %r" % (message,))
        return message

    def error(self):
        if self._verbose:
            self._report("error: generating exception")
        raise ValueError("expected error from echoserver error() method")

    def error_with_text(self):
        if self._verbose:
            self._report("error_with_text: generating exception")
        raise ValueError("the message of the error")

    @core.oneway
    def oneway_echo(self, message):
        if self._verbose:
            self._report("oneway_echo: %r" % (message,))
        # a oneway call never delivers its return value; clients can check that it doesn't arrive
        return "bogus return value"

    def slow(self):
        if self._verbose:
            self._report("slow: waiting a bit...")
        time.sleep(_SLOW_SECONDS)
        if self._verbose:
            self._report("slow: returning result")
        return "Finally, an answer!"

    def generator(self):
        return (word for word in ("one", "two", "three"))

    def nan(self):
        return float("nan")

    def inf(self):
        return float("inf")

    @core.oneway
    def oneway_slow(self):
        if self._verbose:
            self._report("oneway_slow: waiting a bit...")
        time.sleep(_SLOW_SECONDS)
        if self._verbose:
            self._report("oneway_slow: returning result")

    def _private(self):
        """Not remotely accessible (private name)."""

    def __private(self):
        """Not remotely accessible (name-mangled private name)."""

    def __dunder__(self):
        return "should be allowed (dunder)"

    def shutdown(self):
        if self._verbose:
            self._report("shutting down")
        self._must_shutdown = True

    @property
    def verbose(self):
        return self._verbose

    @verbose.setter
    def verbose(self, onoff):
        self._verbose = bool(onoff)

    @staticmethod
    def _report(what):
        line = "%s - %s" % (time.asctime(), what)
        # echoed messages may hold characters the console can't show; that must not fail the call
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        print(line.encode(encoding, "replace").decode(encoding))
        sys.stdout.flush()


class NameServer(threading.Thread):
    """A name server running in a background (daemon) thread, as started by ``-N``."""

    def __init__(self, hostname, hmac=None):
        super(NameServer, self).__init__(name="echoserver-nameserver", daemon=True)
        self.hostname = hostname
        self.hmac = hmac
        self.started = threading.Event()
        self.uri = self.ns_daemon = self.bc_server = None
        self.start_error = None

    def run(self):
        try:
            self.uri, self.ns_daemon, self.bc_server = naming.startNS(self.hostname, hmac=self.hmac)
        except BaseException as x:
            # hand the failure to whoever waits on 'started' instead of leaving it waiting forever
            self.start_error = x
            raise
        finally:
            self.started.set()
        if self.bc_server:
            self.bc_server.runInThread()
        self.ns_daemon.requestLoop()


def startNameServer(host, hmac=None):
    """Start a name server in a background thread and return that thread once the server is up."""
    ns = NameServer(host, hmac=hmac)
    ns.start()
    ns.started.wait()
    if ns.start_error is not None:
        raise ns.start_error
    return ns


def _option_parser():
    parser = OptionParser()
    parser.add_option("-H", "--host", default="localhost", help="hostname to bind server on (default=%default)")
    parser.add_option("-p", "--port", type="int", default=0, help="port to bind server on")
    parser.add_option("-u", "--unixsocket", help="Unix domain socket name to bind server on")
    parser.add_option("-n", "--naming", action="store_true", default=False, help="register with nameserver")
    parser.add_option("-N", "--nameserver", action="store_true", default=False, help="also start a nameserver")
    parser.add_option("-v", "--verbose", action="store_true", default=False, help="verbose output")
    parser.add_option("-q", "--quiet", action="store_true", default=False, help="don't output anything")
    parser.add_option("-k", "--key", help="the HMAC key to use (deprecated)")
    return parser


def _register_with_nameserver(object_name, uri, nameserver_thread, hmac, verbose):
    host = port = None
    if nameserver_thread is not None:
        host, port = nameserver_thread.uri.host, nameserver_thread.uri.port
    ns = core._locateNS(host, port, hmac_key=hmac)
    try:
        ns.register(object_name, uri)
        if verbose:
            print("using name server at %s" % ns._pyroUri)
            if nameserver_thread is not None:
                if nameserver_thread.bc_server:
                    print("broadcast server running at %s" % nameserver_thread.bc_server.locationStr)
                else:
                    print("not using a broadcast server")
    finally:
        ns._pyroRelease()


def _start_echo_daemon(options, hmac, nameserver_thread):
    """Create the daemon with the echo object, registered in a name server if asked; prints its lines."""
    daemon = core.Daemon(host=options.host, port=options.port, unixsocket=options.unixsocket)
    if hmac:
        daemon._pyroHmacKey = hmac
    echo = EchoServer()
    echo._verbose = options.verbose
    object_name = "test.echoserver"
    uri = daemon.register(echo, object_name)
    if options.naming:
        _register_with_nameserver(object_name, uri, nameserver_thread, hmac, options.verbose)
    elif options.verbose:
        print("not using a name server.")
    if not options.quiet:
        print("object name: %s" % object_name)
        print("echo uri: %s" % uri)
        print("echoserver running.")
    sys.stdout.flush()
    return daemon, echo, uri


def main(args=None, returnWithoutLooping=False):
    options, _ = _option_parser().parse_args(args)
    hmac = _hmac_key_from_cli(options.key)
    if options.verbose:
        options.quiet = False
    if not options.quiet:
        print("Starting Pyro's built-in test echo server.")
    config.SERVERTYPE = "multiplex"
    if hmac is None and not options.quiet:
        print("Warning: HMAC key not set. Anyone can connect to this server!")
    nameserver_thread = None
    if options.nameserver:
        options.naming = True
        nameserver_thread = startNameServer(options.host, hmac=hmac)
    daemon, echo, uri = _start_echo_daemon(options, hmac, nameserver_thread)
    if returnWithoutLooping:
        return daemon, echo, uri
    daemon.requestLoop(loopCondition=lambda: not echo._must_shutdown)
    daemon.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
