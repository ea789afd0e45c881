"""The name server: a directory of name -> Pyro URI (plus metadata tags), the daemon that serves
it, the UDP broadcast responder clients use to find it, and the ``pyro4-ns`` command.

``locateNS`` and ``resolve`` live in :mod:`Pyro4.core` (clients need them without importing this
module); they are re-exported here because that is where Pyro4 users look for them.
"""

import inspect
import logging
import os
import re
import socket
import sys
import threading
import time
import warnings
from optparse import OptionParser

from Pyro4 import constants, core, errors, socketutil
from Pyro4.configuration import config
from Pyro4.core import _locateNS as locateNS
from Pyro4.core import _resolve as resolve

__all__ = ["locateNS", "resolve", "type_meta", "startNSloop", "startNS"]

log = logging.getLogger("Pyro4.naming")


class MemoryStorage(dict):
    """The default, volatile storage: a dict of name -> (uri_string, set of tags).

    The ``optimized_*`` methods return None to say "not optimized": the NameServer then filters
    the entries itself.
    """

    def __init__(self, **kwargs):
        super().__init__()
        for name, entry in kwargs.items():
            self[name] = entry  # through __setitem__, so initial entries get the same tag rule

    def __setitem__(self, key, value):
        uri, metadata = value
        super().__setitem__(key, (uri, metadata or frozenset()))

    def optimized_prefix_list(self, prefix, return_metadata=False):
        return None

    def optimized_regex_list(self, regex, return_metadata=False):
        return None

    def optimized_metadata_search(self, metadata_all=None, metadata_any=None, return_metadata=False):
        return None

    def everything(self, return_metadata=False):
        if return_metadata:
            return self.copy()
        return {name: uri for name, (uri, _) in self.items()}

    def remove_items(self, items):
        for item in items:
            self.pop(item, None)

    def close(self):
        pass


def _check_name(name):
    if not isinstance(name, str):
        raise TypeError("name must be a str")


def _check_metadata(metadata, argname="metadata"):
    """A tag collection must be a real iterable of tags; a lone str would be split into characters."""
    if isinstance(metadata, str):
        raise TypeError("{0} should not be a str, but another iterable (set, list, etc)".format(argname))
    iter(metadata)  # raises TypeError for non-iterables


def _uri_string(uri):
    if isinstance(uri, core.URI):
        uri = uri.asString()  # a URI rebuilt from a peer's state: it must parse back, checked below
    elif not isinstance(uri, str):
        raise TypeError("only URIs or strings can be registered")
    text = core.URI(uri).asString()  # validates; a bad uri raises the URI's PyroError
    _check_encodable(text, "uri")
    return text


def _check_encodable(text, what):
    """Every client gets the entries back: text that UTF-8 can't encode (a lone surrogate, which
    serpent and json requests can carry) would make list() fail for json and msgpack clients."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise errors.NamingError("%s contains characters that can't be encoded as UTF-8" % what) from None


def _storable_tags(metadata):
    tags = set(metadata or ())
    for tag in tags:
        if isinstance(tag, str):
            _check_encodable(tag, "metadata")
    return tags


def _with_tag_lists(entries):
    """Tag sets become lists for the caller: every serializer can carry a list, not every one a set."""
    return {name: (uri, list(tags or ())) for name, (uri, tags) in entries.items()}


@core.expose
class NameServer(object):
    """The Pyro name server object itself: registers, looks up, lists and removes names."""

    def __init__(self, storageProvider=None):
        self.storage = storageProvider if storageProvider is not None else MemoryStorage()
        self.lock = threading.RLock()

    def count(self):
        return len(self.storage)

    def lookup(self, name, return_metadata=False):
        try:
            uri, metadata = self.storage[name]
        except KeyError:
            raise errors.NamingError("unknown name: " + str(name)) from None
        uri = core.URI(uri)
        if return_metadata:
            return uri, list(metadata or ())
        return uri

    def register(self, name, uri, safe=False, metadata=None):
        uri = _uri_string(uri)
        _check_name(name)
        _check_encodable(name, "name")
        if metadata is not None:
            _check_metadata(metadata)
        tags = _storable_tags(metadata)
        with self.lock:
            if safe and name in self.storage:
                raise errors.NamingError("name already registered: " + name)
            self.storage[name] = uri, tags

    def set_metadata(self, name, metadata):
        _check_name(name)
        if metadata is not None:
            _check_metadata(metadata)
        with self.lock:
            try:
                uri, _ = self.storage[name]
            except KeyError:
                raise errors.NamingError("unknown name: " + name) from None
            self.storage[name] = uri, _storable_tags(metadata)

    def remove(self, name=None, prefix=None, regex=None):
        with self.lock:
            if name and name != constants.NAMESERVER_NAME and name in self.storage:
                del self.storage[name]
                return 1
            if prefix:
                return self._remove_listed(self.list(prefix=prefix))
            if regex:
                return self._remove_listed(self.list(regex=regex))
            return 0

    def _remove_listed(self, listing):
        # the name server's own entry must survive any bulk removal
        names = [name for name in listing if name != constants.NAMESERVER_NAME]
        self.storage.remove_items(names)
        return len(names)

    def list(self, prefix=None, regex=None, metadata_all=None, metadata_any=None, return_metadata=False):
        given = [arg for arg in (prefix, regex, metadata_all, metadata_any) if arg is not None]
        if len(given) > 1:
            raise ValueError("you can only filter on one thing at a time")
        with self.lock:
            if prefix:
                result = self._list_prefix(prefix, return_metadata)
            elif regex:
                result = self._list_regex(regex, return_metadata)
            elif metadata_all:
                result = self._list_metadata(metadata_all, None, return_metadata)
            elif metadata_any:
                result = self._list_metadata(None, metadata_any, return_metadata)
            else:
                result = self.storage.everything(return_metadata=return_metadata)
        return _with_tag_lists(result) if return_metadata else result

    def _filtered(self, keep, return_metadata):
        entries = self.storage.everything(return_metadata=True)
        return {name: (entry if return_metadata else entry[0]) for name, entry in entries.items() if keep(name, entry)}

    def _list_prefix(self, prefix, return_metadata):
        result = self.storage.optimized_prefix_list(prefix, return_metadata)
        if result is None:
            result = self._filtered(lambda name, entry: name.startswith(prefix), return_metadata)
        return result

    def _list_regex(self, regex, return_metadata):
        result = self.storage.optimized_regex_list(regex, return_metadata)
        if result is None:
            try:
                pattern = re.compile(regex)
            except re.error as x:
                raise errors.NamingError("invalid regex: " + str(x)) from None
            # match(), not fullmatch(): anchored at the start of the name only, as in 4.82
            result = self._filtered(lambda name, entry: pattern.match(name) is not None, return_metadata)
        return result

    def _list_metadata(self, metadata_all, metadata_any, return_metadata):
        if metadata_all is not None:
            _check_metadata(metadata_all, "metadata_all")
            wanted = set(metadata_all)
            keep = lambda name, entry: wanted.issubset(entry[1] or ())  # noqa: E731
        else:
            _check_metadata(metadata_any, "metadata_any")
            wanted = set(metadata_any)
            keep = lambda name, entry: not wanted.isdisjoint(entry[1] or ())  # noqa: E731
        result = self.storage.optimized_metadata_search(
            metadata_all=metadata_all, metadata_any=metadata_any, return_metadata=return_metadata
        )
        if result is None:
            result = self._filtered(keep, return_metadata)
        return result

    def ping(self):
        pass


def _create_storage(storage):
    """The storage provider named by the pyro4-ns -s option (memory, dbm:file, sql:file)."""
    if not storage or storage == "memory":
        log.debug("using volatile in-memory dict storage")
        return MemoryStorage()
    if storage.startswith("dbm:") and len(storage) > 4:
        from Pyro4.naming_storage import DbmStorage

        dbmfile = storage[4:]
        log.debug("using persistent dbm storage in file %s", dbmfile)
        print("Warning: the DbmStorage doesn't support metadata.")
        log.warning("the DbmStorage doesn't support metadata")
        return DbmStorage(dbmfile)
    if storage.startswith("sql:") and len(storage) > 4:
        from Pyro4.naming_storage import SqlStorage

        sqlfile = storage[4:]
        log.debug("using persistent sql storage in file %s", sqlfile)
        return SqlStorage(sqlfile)
    raise ValueError("invalid storage type '%s'" % storage)


class NameServerDaemon(core.Daemon):
    """A Daemon that serves a NameServer object (and registers that object in itself)."""

    def __init__(self, host=None, port=None, unixsocket=None, nathost=None, natport=None, storage=None):
        host = config.HOST if host is None else host
        port = config.NS_PORT if port is None else port
        nathost = config.NATHOST if nathost is None else nathost
        natport = (config.NATPORT or None) if natport is None else natport
        self.nameserver = None
        self.cleaner_thread = None
        storage_provider = _create_storage(storage)
        try:
            super().__init__(host, port, unixsocket, nathost=nathost, natport=natport)
        except BaseException:
            storage_provider.close()
            raise
        self.nameserver = NameServer(storage_provider)
        try:
            self._register_self()
        except BaseException:
            self.close()
            raise

    def _register_self(self):
        self.register(self.nameserver, constants.NAMESERVER_NAME)
        # overwrites an entry a persistent storage may still hold from an earlier run
        own_uri = self.uriFor(self.nameserver).asString()
        self.nameserver.storage[constants.NAMESERVER_NAME] = own_uri, {"class:Pyro4.naming.NameServer"}
        log.info("nameserver daemon created on %s", self.locationStr)
        if config.NS_AUTOCLEAN > 0:
            self.cleaner_thread = AutoCleaner(self.nameserver)
            self.cleaner_thread.start()
            log.info("autoclean enabled every %s seconds", config.NS_AUTOCLEAN)

    def close(self):
        super().close()
        if self.nameserver is not None:
            self.nameserver.storage.close()
            self.nameserver = None
        cleaner, self.cleaner_thread = self.cleaner_thread, None
        if cleaner is not None:
            cleaner.stop = True
            if cleaner is not threading.current_thread():
                cleaner.join()

    def __enter__(self):
        if self.nameserver is None:
            raise errors.PyroError("cannot reuse this object")
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()
        return False

    def handleRequest(self, conn):
        try:
            return super().handleRequest(conn)
        except errors.ProtocolError as x:
            # a warning is visible on the name server's console, where a log line usually isn't
            warnings.warn("Pyro protocol error occurred: " + str(x), stacklevel=2)
            raise


class AutoCleaner(threading.Thread):
    """Periodically removes registrations whose objects can no longer be reached."""

    min_autoclean_value = 3
    max_unreachable_time = 20.0
    loop_delay = 2.0
    override_autoclean_min = False

    def __init__(self, nameserver):
        if not self.override_autoclean_min and config.NS_AUTOCLEAN < self.min_autoclean_value:
            raise ValueError("NS_AUTOCLEAN cannot be smaller than " + str(self.min_autoclean_value))
        super().__init__(name="PyroNsAutoCleaner", daemon=True)
        self.nameserver = nameserver
        self._wakeup = threading.Event()
        self.last_cleaned = time.time()
        self.unreachable = {}

    @property
    def stop(self):
        return self._wakeup.is_set()

    @stop.setter
    def stop(self, value):
        # setting stop also wakes the thread up, so close() doesn't wait for a whole loop_delay
        if value:
            self._wakeup.set()
        else:
            self._wakeup.clear()

    def run(self):
        while not self._wakeup.wait(self.loop_delay):
            if time.time() - self.last_cleaned < config.NS_AUTOCLEAN:
                continue
            try:
                self._sweep()
            except Exception:
                log.exception("error during autoclean")  # keep cleaning on later rounds
            self.last_cleaned = time.time()

    def _sweep(self):
        nameserver = self.nameserver
        if nameserver is None:
            return
        now = time.time()
        for name, uri in nameserver.list().items():
            if name in (constants.DAEMON_NAME, constants.NAMESERVER_NAME):
                continue
            if _is_reachable(uri):
                self.unreachable.pop(name, None)
                continue
            first_failure = self.unreachable.setdefault(name, now)
            if now - first_failure >= self.max_unreachable_time:
                log.info("autoclean: removing unreachable registration %s", name)
                nameserver.remove(name)
                del self.unreachable[name]


def _is_reachable(uri_string):
    """Can a connection be made to the location in the uri? URIs without a location count as alive.

    [D] 4.82's cleaner thread dies on URIs without host/port; unix socket paths are probed here and
    location-less URIs (PYRONAME/PYROMETA) are left alone.
    """
    try:
        uri = core.URI(uri_string)
    except errors.PyroError:
        return True
    timeout = config.COMMTIMEOUT or 5
    try:
        if uri.sockname:
            family, address = socket.AF_UNIX, uri.sockname
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(address)
            finally:
                sock.close()
        elif uri.host and uri.port:
            socket.create_connection((uri.host, uri.port), timeout=timeout).close()
    except (OSError, ValueError):
        return False
    return True


class BroadcastServer(object):
    """UDP responder: answers a GET_NSURI datagram with the name server's URI (WIRE.md §7.1)."""

    REQUEST_NSURI = b"GET_NSURI"

    class TransportServerAdapter(object):
        """Lets a multiplex Daemon include this server in its loop (Daemon.combine)."""

        def __init__(self, bcserver):
            self.sockets = [bcserver]

        def events(self, eventobjects):
            for bcserver in eventobjects:
                bcserver.processRequest()

    def __init__(self, nsUri, bchost=None, bcport=None, ipv6=False):
        self.transportServer = self.TransportServerAdapter(self)
        self.nsUri = nsUri
        bcport = config.NS_BCPORT if bcport is None else bcport
        bchost = config.NS_BCHOST if bchost is None else bchost
        ns_host = core.URI(nsUri).host or ""
        if ":" in ns_host or ipv6:
            bind = (bchost or "::", bcport, 0, 0)
        else:
            bind = (bchost, bcport)
        self.sock = socketutil.createBroadcastSocket(bind, reuseaddr=config.SOCK_REUSE, timeout=2.0)
        bound = self.sock.getsockname()
        host = bchost or bound[0]
        self.locationStr = ("[%s]:%d" if ":" in host else "%s:%d") % (host, bound[1])
        log.debug("broadcast server created on %s - %s", self.locationStr, socketutil.family_str(self.sock))
        self.running = True

    def close(self):
        log.debug("broadcast server closing")
        self.running = False
        sock, self.sock = self.sock, None
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes up a thread blocked in recvfrom (Linux)
        except OSError:
            pass
        sock.close()

    def getPort(self):
        return self.sock.getsockname()[1]

    def fileno(self):
        return self.sock.fileno()

    def runInThread(self):
        thread = threading.Thread(target=self._loop, name="PyroNsBroadcastServer", daemon=True)
        thread.start()
        log.debug("broadcast server loop running in own thread")
        return thread

    def _loop(self):
        while self.running:
            self.processRequest()
        log.debug("broadcast server loop terminating")

    def processRequest(self):
        sock = self.sock
        if sock is None:
            return
        try:
            data, addr = sock.recvfrom(100)
            if data == self.REQUEST_NSURI:
                sock.sendto(self._reply_for(addr[0]).encode("iso-8859-1"), 0, addr)
        except (OSError, ValueError):
            pass  # timeouts, closed sockets, unreachable senders: nothing to answer

    def _reply_for(self, sender_ip):
        uri = core.URI(self.nsUri)
        if uri.host == "0.0.0.0":
            # a name server bound to all interfaces: tell the sender the address it can actually reach
            uri.host = socketutil.getInterfaceAddress(sender_ip)
        return uri.asString()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()
        return False


def _is_loopback(hostip):
    return hostip.startswith("127.") or hostip == "::1"


def _broadcast_decision(daemon, unixsocket, enableBroadcast):
    """(bound host description, whether to start the broadcast server, banner line or None)."""
    if unixsocket:
        return "Unix domain socket", False, None
    hostip = daemon.sock.getsockname()[0]
    # as in 4.82 both lines are printed even with -x, and IPv6 wins over localhost (for ::1)
    if daemon.sock.family == socket.AF_INET6:
        return hostip, False, "Not starting broadcast server for IPv6."
    if _is_loopback(hostip):
        return hostip, False, "Not starting broadcast server for localhost."
    return hostip, enableBroadcast, None


def _create_broadcast_server(daemon, bchost, bcport):
    # the internal uri, never the NAT one: clients behind the NAT can't broadcast to us anyway
    internalUri = daemon.uriFor(daemon.nameserver, nat=False)
    return BroadcastServer(internalUri, bchost, bcport, ipv6=daemon.sock.family == socket.AF_INET6)


def startNS(
    host=None,
    port=None,
    enableBroadcast=True,
    bchost=None,
    bcport=None,
    unixsocket=None,
    nathost=None,
    natport=None,
    storage=None,
    hmac=None,
):
    """Create a name server (not yet running); returns (uri, daemon, broadcast server or None)."""
    daemon = NameServerDaemon(host, port, unixsocket, nathost=nathost, natport=natport, storage=storage)
    try:
        daemon._pyroHmacKey = hmac
        nsUri = daemon.uriFor(daemon.nameserver)
        bcserver = None
        # A loopback name server gets no responder: nobody else could reach it. (4.82 only checks
        # 127.x here; ::1 is skipped too, because its responder would bind to all IPv6 interfaces.)
        if unixsocket is None and enableBroadcast and not _is_loopback(daemon.sock.getsockname()[0]):
            bcserver = _create_broadcast_server(daemon, bchost, bcport)
    except BaseException:
        daemon.close()
        raise
    return nsUri, daemon, bcserver


def startNSloop(
    host=None,
    port=None,
    enableBroadcast=True,
    bchost=None,
    bcport=None,
    unixsocket=None,
    nathost=None,
    natport=None,
    storage=None,
    hmac=None,
):
    """Run a name server (with broadcast responder) until it is shut down or interrupted."""
    daemon = NameServerDaemon(host, port, unixsocket, nathost=nathost, natport=natport, storage=storage)
    daemon._pyroHmacKey = hmac
    bcserver = None
    try:
        hostip, enableBroadcast, line = _broadcast_decision(daemon, unixsocket, enableBroadcast)
        if line:
            print(line)
        if enableBroadcast:
            bcserver = _create_broadcast_server(daemon, bchost, bcport)
            print("Broadcast server running on %s" % bcserver.locationStr)
            bcserver.runInThread()
        _print_banner(daemon, hostip, hmac)
        sys.stdout.flush()
        daemon.requestLoop()
    except KeyboardInterrupt:
        log.debug("name server interrupted")
    finally:
        daemon.close()
        if bcserver is not None:
            bcserver.close()
    print("NS shut down.")


def _print_banner(daemon, hostip, hmac):
    existing = daemon.nameserver.count()
    if existing > 1:  # the name server's own entry doesn't count as "existing"
        print("Persistent store contains %d existing registrations." % existing)
    print("NS running on %s (%s)" % (daemon.locationStr, hostip))
    if not hmac:
        print("Warning: HMAC key not set. Anyone can connect to this server!")
    if daemon.natLocationStr:
        print("internal URI = %s" % daemon.uriFor(daemon.nameserver, nat=False))
        print("external URI = %s" % daemon.uriFor(daemon.nameserver, nat=True))
    else:
        print("URI = %s" % daemon.uriFor(daemon.nameserver))


def type_meta(class_or_object, prefix="class:"):
    """The metadata tags naming a class and its base classes (builtins left out)."""
    if inspect.isclass(class_or_object):
        return {
            prefix + cls.__module__ + "." + cls.__name__
            for cls in inspect.getmro(class_or_object)
            if cls.__module__ != "builtins"
        }
    if hasattr(class_or_object, "__class__"):
        return type_meta(class_or_object.__class__, prefix)
    return frozenset()


_HMAC_KEY_DEPRECATION = (
    "using -k to supply HMAC key on the command line is a security problem "
    "and is deprecated since Pyro 4.72. See the documentation for an alternative."
)


def _hmac_key_from_options(key):
    """The HMAC key from -k (deprecated) or from the PYRO_HMAC_KEY environment variable."""
    if key:
        warnings.warn(_HMAC_KEY_DEPRECATION, stacklevel=2)
    if "PYRO_HMAC_KEY" in os.environ:
        if key:
            raise SystemExit("error: don't use -k and PYRO_HMAC_KEY at the same time")
        key = os.environ["PYRO_HMAC_KEY"]
    return key


def _ns_option_parser():
    parser = OptionParser()
    parser.add_option("-n", "--host", dest="host", help="hostname to bind server on")
    parser.add_option("-p", "--port", dest="port", type="int", help="port to bind server on (0=random)")
    parser.add_option("-u", "--unixsocket", help="Unix domain socket name to bind server on")
    parser.add_option("-s", "--storage", help="Storage system to use (memory, dbm:file, sql:file)", default="memory")
    parser.add_option("", "--bchost", dest="bchost", help='hostname to bind broadcast server on (default is "")')
    parser.add_option("", "--bcport", dest="bcport", type="int", help="port to bind broadcast server on (0=random)")
    parser.add_option("", "--nathost", dest="nathost", help="external hostname in case of NAT")
    parser.add_option("", "--natport", dest="natport", type="int", help="external port in case of NAT")
    parser.add_option(
        "-x", "--nobc", dest="enablebc", action="store_false", default=True, help="don't start a broadcast server"
    )
    parser.add_option("-k", "--key", help="the HMAC key to use (deprecated)")
    return parser


def main(args=None):
    """The pyro4-ns command."""
    options, _ = _ns_option_parser().parse_args(args)
    key = _hmac_key_from_options(options.key)
    startNSloop(
        options.host,
        options.port,
        enableBroadcast=options.enablebc,
        bchost=options.bchost,
        bcport=options.bcport,
        unixsocket=options.unixsocket,
        nathost=options.nathost,
        natport=options.natport,
        storage=options.storage,
        hmac=key,
    )


if __name__ == "__main__":
    # run the copy imported as Pyro4.naming, so the classes carry their real module name
    from Pyro4.naming import main as _main

    _main()
