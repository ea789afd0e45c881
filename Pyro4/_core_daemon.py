"""The server side of ``Pyro4.core``: the Daemon, its own Pyro object and the oneway call thread.

The public names live in ``Pyro4.core`` (which re-exports them); the classes say so through their
``__module__``, because that path is what pickle and the serpent/json class tags put on the wire.
``Pyro4.core`` is imported as a module and its names are looked up at use time: core imports this
module at its end (a circular import), and tests monkeypatch ``Pyro4.core.X``.

The wire format itself is described in ``Pyro4.message``; the request handling below follows it.
"""

import inspect
import logging
import os
import threading
import uuid
import warnings

from Pyro4 import constants, core, errors, socketutil, util
from Pyro4._daemon_protocol import (
    DaemonProtocol,
    _OnewayCallThread,  # noqa: F401  (re-exported by core)
    _OnewayStarter,
)
from Pyro4.configuration import config

log = logging.getLogger("Pyro4.core")


@core.expose
class DaemonObject(object):
    """The daemon's own Pyro object, registered as ``Pyro.Daemon`` in every daemon."""

    __module__ = "Pyro4.core"

    def __init__(self, daemon):
        self.daemon = daemon

    def registered(self):
        """The ids of all objects registered in this daemon."""
        return list(self.daemon.objectsById.keys())

    def ping(self):
        """Do nothing: a client can use this to check the daemon is alive."""
        pass

    def info(self):
        """A description of the daemon."""
        return "%s bound on %s, NAT %s, %d objects registered. Servertype: %s" % (
            constants.DAEMON_NAME,
            self.daemon.locationStr,
            self.daemon.natLocationStr,
            len(self.daemon.objectsById),
            self.daemon.transportServer,
        )

    def get_metadata(self, objectId, as_lists=False):
        """The exposed methods, oneway methods and attributes of a registered object."""
        obj = self.daemon.objectsById.get(objectId)
        if obj is None:
            log.debug("unknown object requested: %s", objectId)
            raise errors.DaemonError("unknown object")
        metadata = util.get_exposed_members(obj, only_exposed=config.REQUIRE_EXPOSE, as_lists=as_lists)
        if config.REQUIRE_EXPOSE and not metadata["methods"] and not metadata["attrs"]:
            clazz = obj if inspect.isclass(obj) else type(obj)
            warnings.warn(
                "Class %r doesn't expose any methods or attributes. Did you forget setting @expose on them?" % clazz,
                stacklevel=2,
            )
        return metadata

    def get_next_stream_item(self, streamId):
        """The next item of a streamed iterator result; the end (or any error) forgets the stream."""
        streams = self.daemon.streaming_responses
        entry = streams.get(streamId)
        if entry is None:
            raise errors.PyroError("item stream terminated")
        client, timestamp, linger_timestamp, stream = entry
        if client is None:
            # a client reconnected within the linger time: the stream belongs to its new connection
            streams[streamId] = (core.current_context.client, timestamp, 0, stream)
        try:
            return next(stream)
        except BaseException:
            streams.pop(streamId, None)
            raise

    def close_stream(self, streamId):
        """Forget a stream the client doesn't need anymore."""
        self.daemon.streaming_responses.pop(streamId, None)


def _select_transport(connected_socket):
    """A new, not yet initialised transport server for the configured SERVERTYPE."""
    if connected_socket:
        from Pyro4.socketserver.existingconnectionserver import SocketServer_ExistingConnection

        return SocketServer_ExistingConnection()
    if config.SERVERTYPE == "thread":
        from Pyro4.socketserver.threadpoolserver import SocketServer_Threadpool

        return SocketServer_Threadpool()
    if config.SERVERTYPE == "multiplex":
        from Pyro4.socketserver.multiplexserver import SocketServer_Multiplex

        return SocketServer_Multiplex()
    raise errors.PyroError("invalid server type '%s'" % config.SERVERTYPE)


def _accepted_serializer_ids():
    return frozenset(util.get_serializer(name).serializer_id for name in config.SERIALIZERS_ACCEPTED)


def _check_nat_args(nathost, natport, unixsocket):
    if nathost and unixsocket:
        raise ValueError("cannot use nathost together with unixsocket")
    if (nathost is None) != (natport is None):
        raise ValueError("must provide natport with nathost")


class Daemon(DaemonProtocol):
    """Pyro daemon: receives requests for the objects registered in it and dispatches them.

    The connection protocol (handshake, request dispatch, streams, housekeeping) is inherited from
    ``DaemonProtocol``; this class holds construction, registration and the serving loop."""

    __module__ = "Pyro4.core"

    def __init__(
        self,
        host=None,
        port=0,
        unixsocket=None,
        nathost=None,
        natport=None,
        interface=DaemonObject,
        connected_socket=None,
    ):
        if connected_socket:
            nathost = natport = None
        else:
            if host is None:
                host = config.HOST
            if nathost is None:
                nathost = config.NATHOST
            if natport is None and nathost is not None:
                natport = config.NATPORT
            _check_nat_args(nathost, natport, unixsocket)
        self._shutdown_event = threading.Event()
        self._shutdown_event.set()  # nothing to serve until fully constructed
        self._loop_stopped = threading.Event()
        self._loop_stopped.set()
        self._loop_thread = None
        self._oneway_starter = _OnewayStarter()
        # captured now: later changes of the config item don't affect this daemon
        self._accepted_ids = _accepted_serializer_ids()
        self.transportServer = _select_transport(connected_socket)
        if connected_socket:
            self.transportServer.init(self, connected_socket)
        else:
            self.transportServer.init(self, host, port, unixsocket)
        self.locationStr = self.transportServer.locationStr
        self.natLocationStr = self._nat_location(nathost, natport)
        log.debug("daemon created on %s - %s (pid %d)", self.locationStr, socketutil.family_str(self.sock), os.getpid())
        self.__hmac_key = None
        daemon_object = interface(self)
        daemon_object._pyroId = constants.DAEMON_NAME
        self.objectsById = {daemon_object._pyroId: daemon_object}
        self._pyroInstances = {}
        self.streaming_responses = {}
        self.housekeeper_lock = threading.Lock()
        self.create_single_instance_lock = threading.Lock()
        self._shutdown_event.clear()

    def _nat_location(self, nathost, natport):
        if not nathost:
            return None
        if natport == 0:
            natport = self.sock.getsockname()[1]  # same as the internal port
        if ":" in nathost:
            return "[%s]:%d" % (nathost, natport)
        return "%s:%d" % (nathost, natport)

    # --- properties --------------------------------------------------------------------------

    @property
    def sock(self):
        return self.transportServer.sock

    @property
    def sockets(self):
        return self.transportServer.sockets

    @property
    def selector(self):
        return self.transportServer.selector

    @property
    def _shutting_down(self):
        return self._shutdown_event.is_set()

    @property
    def _pyroHmacKey(self):
        return self.__hmac_key

    @_pyroHmacKey.setter
    def _pyroHmacKey(self, value):
        # a str key is used as its UTF-8 bytes, as on the proxy side
        if value and isinstance(value, str):
            value = value.encode("utf-8")
        self.__hmac_key = value

    # --- serving -----------------------------------------------------------------------------

    @staticmethod
    def serveSimple(objects, host=None, port=0, daemon=None, ns=True, verbose=True):
        """Register the objects (dict object -> name) and serve them until shut down."""
        if daemon is None:
            daemon = Daemon(host, port)
        with daemon:
            if ns:
                ns = core._locateNS()
            for obj, name in objects.items():
                uri = daemon.register(obj, None if ns else name)
                if verbose:
                    print("Object {0}:\n    uri = {1}".format(repr(obj), uri))
                if ns and name is not None:
                    ns.register(name, uri)
                    if verbose:
                        print("    name = {0}".format(name))
            if verbose:
                print("Pyro daemon running.")
            daemon.requestLoop()

    def requestLoop(self, loopCondition=lambda: True):
        """Serve requests until shutdown() is called or loopCondition() returns False."""
        log.info("daemon %s entering requestloop", self.locationStr)
        self._loop_stopped.clear()
        self._loop_thread = threading.current_thread()
        shutdown_event = self._shutdown_event
        try:
            self.transportServer.loop(loopCondition=lambda: not shutdown_event.is_set() and loopCondition())
        finally:
            self._loop_thread = None
            self._loop_stopped.set()
        log.debug("daemon exits requestloop")

    def events(self, eventsockets):
        """For external event loops: process the events of these ready sockets."""
        self.transportServer.events(eventsockets)

    def shutdown(self):
        """Stop the request loop and close the daemon (also from another thread or a remote call)."""
        server = self.transportServer
        if server is None:
            return
        log.debug("daemon shutting down")
        self.streaming_responses = {}
        self._shutdown_event.set()
        server.shutdown()
        self.close()
        if self._loop_thread is not threading.current_thread():
            self._loop_stopped.wait(5)
        log.info("daemon %s shut down", self.locationStr)

    def close(self):
        """Release the transport server and its sockets; idempotent."""
        self._shutdown_event.set()
        self.streaming_responses = {}
        server = self.transportServer
        if server is not None:
            self.transportServer = None
            server.close()
        self._oneway_starter.close()

    def combine(self, daemon):
        """Merge the sockets of another daemon (or broadcast server) into this daemon's loop."""
        log.debug("combining event loop with other daemon")
        other = getattr(daemon, "transportServer", daemon)
        self.transportServer.combine_loop(other)

    def __enter__(self):
        if not self.transportServer:
            raise errors.PyroError("cannot reuse this object")
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def __repr__(self):
        if not hasattr(self, "locationStr"):
            return "<%s.%s at 0x%x; unusable>" % (self.__class__.__module__, self.__class__.__name__, id(self))
        server = self.transportServer
        family = socketutil.family_str(server.sock) if server is not None and server.sock is not None else "???"
        return "<%s.%s at 0x%x; %s - %s; %d objects>" % (
            self.__class__.__module__,
            self.__class__.__name__,
            id(self),
            self.locationStr,
            family,
            len(self.objectsById),
        )

    # a daemon travels only as an empty shell, so objects that refer to it can still be serialized
    def __getstate__(self):
        return {}

    def __getstate_for_dict__(self):
        return tuple()

    def __setstate_from_dict__(self, state):
        pass

    # --- user hooks --------------------------------------------------------------------------

    def validateHandshake(self, conn, data):
        """Override to check the client's handshake data; raise to refuse the connection."""
        return "hello"

    def clientDisconnect(self, conn):
        """Override to be told that a client connection has ended."""
        pass

    def housekeeping(self):
        """Override for periodic work; called by the request loop now and then."""
        pass

    def annotations(self):
        """Override to add annotations to every response."""
        return {}

    # --- registration ------------------------------------------------------------------------

    def register(self, obj_or_class, objectId=None, force=False):
        """Register a Pyro object (instance or class) under an id; returns its URI."""
        if objectId:
            if not isinstance(objectId, str):
                raise TypeError("objectId must be a string or None")
        else:
            objectId = "obj_" + uuid.uuid4().hex
        if inspect.isclass(obj_or_class) and not hasattr(obj_or_class, "_pyroInstancing"):
            obj_or_class._pyroInstancing = ("session", None)
        if not force:
            if getattr(obj_or_class, "_pyroId", ""):
                raise errors.DaemonError("object or class already has a Pyro id")
            if objectId in self.objectsById:
                raise errors.DaemonError("an object or class is already registered with that id")
        obj_or_class._pyroId = objectId
        obj_or_class._pyroDaemon = self
        if config.AUTOPROXY:
            self._install_autoproxy(obj_or_class)
        self.objectsById[objectId] = obj_or_class
        return self.uriFor(objectId)

    @staticmethod
    def _install_autoproxy(obj_or_class):
        clazz = obj_or_class if inspect.isclass(obj_or_class) else type(obj_or_class)
        for serializer in util._serializers.values():
            serializer.register_type_replacement(clazz, core.pyroObjectToAutoProxy)

    def unregister(self, objectOrId):
        """Remove an object (given as the object or its id) from the daemon."""
        if objectOrId is None:
            raise ValueError("object or objectid argument expected")
        if isinstance(objectOrId, str):
            objectId, obj = objectOrId, None
        else:
            objectId, obj = getattr(objectOrId, "_pyroId", None), objectOrId
            if objectId is None:
                raise errors.DaemonError("object isn't registered")
        if objectId == constants.DAEMON_NAME or objectId not in self.objectsById:
            return
        del self.objectsById[objectId]
        if obj is not None:
            for attribute in ("_pyroId", "_pyroDaemon"):
                try:
                    delattr(obj, attribute)
                except AttributeError:
                    pass

    def uriFor(self, objectOrId, nat=True):
        """The URI of an object id, or of a registered object (NAT location unless nat=False)."""
        if not isinstance(objectOrId, str):
            objectOrId = getattr(objectOrId, "_pyroId", None)
            if objectOrId is None or objectOrId not in self.objectsById:
                raise errors.DaemonError("object isn't registered in this daemon")
        location = (self.natLocationStr or self.locationStr) if nat else self.locationStr
        return core.URI("PYRO:%s@%s" % (objectOrId, location))

    def proxyFor(self, objectOrId, nat=True):
        """A proxy for a registered object, its metadata filled in locally."""
        uri = self.uriFor(objectOrId, nat)
        registered = self.objectsById.get(uri.object)
        if registered is None:
            raise errors.DaemonError("object isn't registered in this daemon")
        proxy = core.Proxy(uri)
        proxy._pyroGetMetadata(known_metadata=util.get_exposed_members(registered, only_exposed=config.REQUIRE_EXPOSE))
        return proxy

    def resetMetadataCache(self, objectOrId, nat=True):
        """Forget the cached exposed members of the object's class (after adding methods to it)."""
        uri = self.uriFor(objectOrId, nat)
        registered = self.objectsById.get(uri.object)
        if registered is not None:
            util.reset_exposed_members(registered, config.REQUIRE_EXPOSE, as_lists=True)
            util.reset_exposed_members(registered, config.REQUIRE_EXPOSE, as_lists=False)
