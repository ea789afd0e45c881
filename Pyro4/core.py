"""Core Pyro objects: URI, Proxy, the decorators, the call context and the name server helpers.

The client side lives here; the daemon side lives in ``Pyro4._core_daemon`` and is re-exported at
the end of this module, so every wire-visible class is known as ``Pyro4.core.<Name>``.
The byte layout of the messages exchanged here is described in ``Pyro4.message``.
"""
import base64
import copy
import inspect
import logging
import marshal
import random
import re
import socket
import threading
import time
import uuid

from Pyro4 import constants, errors, futures, message, socketutil, util
from Pyro4._speedups import message_impl as _message_impl  # its encode_plain, for every request
from Pyro4.configuration import config
from Pyro4.message import (FLAGS_BATCH, FLAGS_COMPRESSED, FLAGS_EXCEPTION, FLAGS_ITEMSTREAMRESULT,
                           FLAGS_KEEPSERIALIZED, FLAGS_META_ON_CONNECT, FLAGS_ONEWAY, MSG_CONNECT,
                           MSG_CONNECTFAIL, MSG_CONNECTOK, MSG_INVOKE, MSG_RESULT)

__all__ = ["URI", "Proxy", "Daemon", "current_context", "callback", "batch", "asyncproxy", "expose",
           "behavior", "oneway", "SerializedBlob", "_resolve", "_locateNS"]

log = logging.getLogger("Pyro4.core")


# --------------------------------------------------------------------------------------------------
# URI
# --------------------------------------------------------------------------------------------------

# protocol: 'PYRO' in any case plus letters; object: shortest run of non-whitespace; optional location
_URI_PATTERN = re.compile(r"(?P<protocol>[Pp][Yy][Rr][Oo][a-zA-Z]*):(?P<object>\S+?)(@(?P<location>.+))?$")
_IPV6_LOCATION_PATTERN = re.compile(r"\[([0-9a-fA-F:%]+)](:(\d+))?$")
_URI_PROTOCOLS = ("PYRO", "PYRONAME", "PYROMETA")


class URI(object):
    """Address of a Pyro object: ``PYRO:obj@host:port``, ``PYRO:obj@./u:path``, ``PYRONAME:name[@host[:port]]``
    or ``PYROMETA:tag,...[@host[:port]]``."""

    def __init__(self, uri):
        if isinstance(uri, URI):
            state = uri.__getstate__()
            if isinstance(state[1], set):
                state = (state[0], set(state[1])) + state[2:]
            self.__setstate__(state)
            return
        if not isinstance(uri, str):
            raise TypeError("uri parameter object is of wrong type")
        self.sockname = self.host = self.port = None
        match = _URI_PATTERN.match(uri)
        if not match:
            raise errors.PyroError("invalid uri")
        self.protocol = match.group("protocol").upper()
        if self.protocol not in _URI_PROTOCOLS:
            raise errors.PyroError("invalid uri (protocol)")
        self.object = match.group("object")
        location = match.group("location")
        if self.protocol == "PYROMETA":
            self.object = set(tag.strip() for tag in self.object.split(","))
        elif self.protocol == "PYRO" and not location:
            raise errors.PyroError("invalid uri")
        if location:
            self._parse_location(location)

    def _parse_location(self, location):
        if URI.isUnixsockLocation(location):
            self.sockname = location[4:]
            if not self.sockname or ":" in self.sockname:
                raise errors.PyroError("invalid uri (location)")
            return
        if location.startswith("[["):
            raise errors.PyroError("invalid ipv6 address: enclosed in too many brackets")
        if location.startswith("["):
            match = _IPV6_LOCATION_PATTERN.match(location)
            if not match:
                raise errors.PyroError("invalid ipv6 address: the part between brackets must be a numeric ipv6 address")
            self.host, port = match.group(1), match.group(3)
        else:
            self.host, _, port = location.partition(":")
            port = port or None
        if port is None and self.protocol in ("PYRONAME", "PYROMETA"):
            self.port = config.NS_PORT   # read at parse time
            return
        try:
            self.port = int(port)
        except (TypeError, ValueError):
            raise errors.PyroError("invalid port in uri, port=" + str(port))

    @staticmethod
    def isUnixsockLocation(location):
        """Is this location string a unix domain socket location (``./u:...``)?"""
        return location.startswith("./u:")

    @property
    def location(self):
        """The location part of the uri (``host:port``, ``[ipv6]:port`` or ``./u:path``), or None."""
        if self.host:
            if ":" in self.host:
                return "[%s]:%s" % (self.host, self.port)
            return "%s:%s" % (self.host, self.port)
        if self.sockname:
            return "./u:" + self.sockname
        return None

    def asString(self):
        """The uri in its text form."""
        if self.protocol == "PYROMETA":
            result = "PYROMETA:" + ",".join(self.object)
        else:
            result = self.protocol + ":" + self.object
        location = self.location
        if location:
            result += "@" + location
        return result

    def __str__(self):
        return self.asString()

    def __repr__(self):
        return "<%s.%s at 0x%x; %s>" % (self.__class__.__module__, self.__class__.__name__, id(self), self)

    def __eq__(self, other):
        if not isinstance(other, URI):
            return False
        return (self.protocol, self.object, self.sockname, self.host, self.port) == \
            (other.protocol, other.object, other.sockname, other.host, other.port)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((self.protocol, str(self.object), self.sockname, self.host, self.port))

    # The state tuple is part of the wire format (pickle BUILD argument, serpent/json "state").
    def __getstate__(self):
        return self.protocol, self.object, self.sockname, self.host, self.port

    def __setstate__(self, state):
        self.protocol, self.object, self.sockname, self.host, self.port = state

    def __getstate_for_dict__(self):
        return self.__getstate__()

    def __setstate_from_dict__(self, state):
        state = tuple(state)
        if state[0] == "PYROMETA" and not isinstance(state[1], set):
            state = (state[0], set(state[1])) + state[2:]   # json/msgpack turn the tag set into a list
        self.__setstate__(state)


# --------------------------------------------------------------------------------------------------
# Call context
# --------------------------------------------------------------------------------------------------

_CONTEXT_FIELDS = ("client", "client_sock_addr", "seq", "msg_flags", "serializer_id", "annotations",
                   "response_annotations", "correlation_id")


class _CallContext(threading.local):
    """Per-thread information about the call being served (server) or about to be made (client)."""

    def __init__(self):
        self.client = None
        self.client_sock_addr = None
        self.seq = 0
        self.msg_flags = 0
        self.serializer_id = 0
        self.annotations = {}
        self.response_annotations = {}
        self.correlation_id = None

    def to_global(self):
        """This thread's context as a plain dict (to hand over to another thread)."""
        return {name: getattr(self, name) for name in _CONTEXT_FIELDS}

    def from_global(self, values):
        """Restore a context captured with ``to_global``."""
        for name, value in values.items():
            setattr(self, name, value)

    def track_resource(self, resource):
        """Have ``resource.close()`` called when the current client connection closes."""
        if not self.client:
            raise errors.PyroError("cannot track resource on a connectionless call")
        self.client.tracked_resources.add(resource)

    def untrack_resource(self, resource):
        """Stop tracking a resource registered with ``track_resource``."""
        if not self.client:
            raise errors.PyroError("cannot track resource on a connectionless call")
        self.client.tracked_resources.discard(resource)


current_context = _CallContext()


def _log_wiredata(logger, text, msg):
    """Log one wire message at DEBUG (config.LOGWIRE); never fails, whatever the message holds."""
    try:
        corr = "?"
        corr_bytes = msg.annotations.get("CORR")
        if corr_bytes:
            try:
                corr = str(uuid.UUID(bytes=bytes(corr_bytes)))
            except (ValueError, TypeError):
                corr = "?"
        logger.debug("%s: msgtype=%d flags=0x%x ser=%d seq=%d corr=%s\nannotations=%r\ndata=%r",
                     text, msg.type, msg.flags, msg.serializer_id, msg.seq, corr, msg.annotations, msg.data)
    except Exception:
        logger.debug("%s: (message could not be formatted for logging)", text)


# --------------------------------------------------------------------------------------------------
# Proxy
# --------------------------------------------------------------------------------------------------

# Names stored on the proxy itself; anything else is (potentially) remote.
# __deepcopy__ is listed so copy.deepcopy() falls back to the state protocol instead of connecting.
_PROXY_OWN_ATTRIBUTES = frozenset([
    "__getnewargs__", "__getnewargs_ex__", "__getinitargs__", "__deepcopy__",
    "_pyroConnection", "_pyroUri", "_pyroOneway", "_pyroMethods", "_pyroAttrs", "_pyroTimeout",
    "_pyroSeq", "_pyroHmacKey", "_pyroRawWireResponse", "_pyroHandshake", "_pyroMaxRetries",
    "_pyroSerializer", "_proxy_lock", "_proxy_timeout", "_proxy_hmac_key", "_proxy_async"])


_RESULT_ONLY = (MSG_RESULT,)


class Proxy(object):
    """A transparent stand-in for a remote Pyro object; calls are forwarded over one connection."""

    def __init__(self, uri, connected_socket=None):
        if connected_socket:
            uri = URI("PYRO:" + uri + "@<<connected-socket>>:0")
        if isinstance(uri, str):
            uri = URI(uri)
        elif not isinstance(uri, URI):
            raise TypeError("expected Pyro URI")
        self._init_state(uri, set(), set(), set(), None, "hello", None)
        util.get_serializer(config.SERIALIZER)  # fail early on an unknown serializer
        # 4.82 quirk: constructing a proxy starts the caller's annotations afresh
        current_context.annotations = {}
        current_context.response_annotations = {}
        if connected_socket:
            self._connect(connected_socket=connected_socket)

    def _init_state(self, uri, oneway, methods, attrs, hmac_key, handshake, serializer):
        # timeout and retries always come from the local config, also for deserialized proxies
        self._pyroUri = uri
        self._pyroConnection = None
        self._pyroSerializer = serializer
        self._pyroOneway = oneway
        self._pyroMethods = methods
        self._pyroAttrs = attrs
        self._pyroSeq = 0
        self._pyroRawWireResponse = False
        self._pyroHandshake = handshake
        self._pyroMaxRetries = config.MAX_RETRIES
        self._proxy_lock = threading.RLock()
        self._proxy_timeout = config.COMMTIMEOUT
        self._proxy_async = False
        self._pyroHmacKey = hmac_key

    def __del__(self):
        try:
            self._pyroRelease()
        except Exception:
            pass  # nothing sensible can be done about a failing close during garbage collection

    # -- attribute routing ------------------------------------------------------------------------

    def __getattr__(self, name):
        if name in _PROXY_OWN_ATTRIBUTES:
            # keeps copy/pickle/half-initialised proxies from connecting
            raise AttributeError(name)
        state = self.__dict__  # read directly: each self.attribute would come through this hook's type again
        try:
            methods, attrs = state["_pyroMethods"], state["_pyroAttrs"]
        except KeyError:
            raise AttributeError(name) from None  # a proxy that is not initialised
        metadata = config.METADATA
        if metadata and not methods and not attrs:
            self._ensure_metadata()
            methods, attrs = state["_pyroMethods"], state["_pyroAttrs"]
        if attrs and name in attrs:
            return self._pyroInvoke("__getattr__", (name,), None)
        if metadata and name not in methods:
            raise AttributeError("remote object '%s' has no exposed attribute or method '%s'" % (self._pyroUri, name))
        if state["_proxy_async"]:
            return _AsyncRemoteMethod(self, name, state["_pyroMaxRetries"])
        return _RemoteMethod(self._pyroInvoke, name, state["_pyroMaxRetries"])

    def __setattr__(self, name, value):
        if name in _PROXY_OWN_ATTRIBUTES:
            return super(Proxy, self).__setattr__(name, value)
        if config.METADATA and not self._pyroMethods and not self._pyroAttrs:
            self._ensure_metadata()
        if self._pyroAttrs and name in self._pyroAttrs:
            return self._pyroInvoke("__setattr__", (name, value), None)
        if config.METADATA:
            raise AttributeError("remote object '%s' has no exposed attribute '%s'" % (self._pyroUri, name))
        return super(Proxy, self).__setattr__(name, value)

    def __dir__(self):
        result = set(dir(self.__class__))
        result.update(self.__dict__)
        result.update(self._pyroMethods or ())
        result.update(self._pyroAttrs or ())
        return sorted(result)

    # -- properties -------------------------------------------------------------------------------

    @property
    def _pyroTimeout(self):
        return self._proxy_timeout

    @_pyroTimeout.setter
    def _pyroTimeout(self, timeout):
        self._proxy_timeout = timeout
        if self._pyroConnection is not None:
            self._pyroConnection.timeout = timeout or None   # 0 means "no timeout", not non-blocking

    @property
    def _pyroHmacKey(self):
        return self._proxy_hmac_key

    @_pyroHmacKey.setter
    def _pyroHmacKey(self, value):
        if value and isinstance(value, str):
            value = value.encode("utf-8")
        self._proxy_hmac_key = value

    # -- identity, copying, state -----------------------------------------------------------------

    def __repr__(self):
        if self._pyroConnection:
            connected = "connected " + self._pyroConnection.family()
        else:
            connected = "not connected"
        return "<%s.%s at 0x%x; %s; for %s>" % (self.__class__.__module__, self.__class__.__name__, id(self),
                                                 connected, self._pyroUri)

    def __eq__(self, other):
        if other is self:
            return True
        return isinstance(other, Proxy) and other._pyroUri == self._pyroUri

    def __ne__(self, other):
        if isinstance(other, Proxy):
            return other._pyroUri != self._pyroUri
        return True

    def __hash__(self):
        return hash(self._pyroUri)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self._pyroRelease()

    def __copy__(self):
        proxy = type(self)(copy.copy(self._pyroUri))
        proxy._pyroOneway = set(self._pyroOneway)
        proxy._pyroMethods = set(self._pyroMethods)
        proxy._pyroAttrs = set(self._pyroAttrs)
        proxy._pyroSerializer = self._pyroSerializer
        proxy._pyroTimeout = self._pyroTimeout
        proxy._pyroHandshake = self._pyroHandshake
        proxy._pyroHmacKey = self._pyroHmacKey
        proxy._pyroRawWireResponse = self._pyroRawWireResponse
        proxy._pyroMaxRetries = self._pyroMaxRetries
        proxy._proxy_async = self._proxy_async
        return proxy

    # The 9-tuple is part of the wire format (pickle BUILD argument).
    def __getstate__(self):
        return (self._pyroUri, self._pyroOneway, self._pyroMethods, self._pyroAttrs, self._pyroTimeout,
                self._pyroHmacKey, self._pyroHandshake, self._pyroMaxRetries, self._pyroSerializer)

    def __setstate__(self, state):
        serializer = state[8] if len(state) > 8 else None
        self._init_state(state[0], state[1], state[2], state[3], state[5], state[6], serializer)

    def __getstate_for_dict__(self):
        hmac_key = self._pyroHmacKey
        encoded_hmac = "b64:" + base64.b64encode(hmac_key).decode("ascii") if hmac_key else None
        return (self._pyroUri.asString(), tuple(self._pyroOneway), tuple(self._pyroMethods),
                tuple(self._pyroAttrs), self._pyroTimeout, encoded_hmac, self._pyroHandshake,
                self._pyroMaxRetries, self._pyroSerializer)

    def __setstate_from_dict__(self, state):
        hmac_key = state[5]
        if hmac_key:
            if isinstance(hmac_key, str) and hmac_key.startswith("b64:"):
                hmac_key = base64.b64decode(hmac_key[4:].encode("ascii"))
            else:
                raise errors.ProtocolError("hmac encoding error")
        serializer = state[8] if len(state) > 8 else None
        self._init_state(URI(state[0]), set(state[1]), set(state[2]), set(state[3]), hmac_key, state[6],
                         serializer)

    # -- connection management --------------------------------------------------------------------

    def _pyroRelease(self):
        """Close the network connection (it is re-established automatically on the next call)."""
        with self._proxy_lock:
            connection = self._pyroConnection
            if connection is None or getattr(connection, "keep_open", False):
                return
            connection.close()
            self._pyroConnection = None

    def _pyroBind(self):
        """Connect now (resolving a PYRONAME/PYROMETA uri into the PYRO uri); True if newly connected."""
        return self._connect(replace_uri=True)

    def _pyroReconnect(self, tries=100000000):
        """Drop the connection and connect again, retrying every 2 seconds up to ``tries`` times."""
        self._pyroRelease()
        while tries:
            try:
                self._connect()
                return
            except errors.CommunicationError:
                tries -= 1
                if tries:
                    time.sleep(2)
        log.error("failed to reconnect")
        raise errors.ConnectionClosedError("failed to reconnect")

    def _pyroBatch(self):
        """A batch adapter that records calls on this proxy and sends them in one go."""
        return _BatchProxyAdapter(self)

    def _pyroAsync(self, asynchronous=True):
        """Switch this proxy's method calls to asynchronous (FutureResult) mode, or back."""
        self._proxy_async = asynchronous

    def _pyroInvokeBatch(self, calls, oneway=False):
        flags = FLAGS_BATCH | FLAGS_ONEWAY if oneway else FLAGS_BATCH
        return self._pyroInvoke("<batch>", calls, None, flags)

    # -- overridable hooks ------------------------------------------------------------------------

    def _pyroAnnotations(self):
        """Extra annotations (4-char key -> bytes) to send with every request."""
        return {}

    def _pyroResponseAnnotations(self, annotations, msgtype):
        """Called with the annotations of every response that has any."""
        pass

    def _pyroValidateHandshake(self, response):
        """Called with the daemon's handshake response; raise to refuse the connection."""
        pass

    # -- metadata ---------------------------------------------------------------------------------

    def _pyroGetMetadata(self, objectId=None, known_metadata=None):
        """Obtain the remote object's metadata (exposed methods, oneway methods, attributes)."""
        if known_metadata is not None:
            self._process_metadata(known_metadata)
            return
        objectId = objectId or self._pyroUri.object
        with self._proxy_lock:
            if self._pyroConnection is None:
                self._connect()   # normally delivers the metadata in the handshake
                if self._pyroMethods or self._pyroAttrs:
                    return
            result = self._pyroInvoke("get_metadata", [objectId], {}, objectId=constants.DAEMON_NAME)
            self._process_metadata(result)

    def _ensure_metadata(self):
        # threads sharing a fresh proxy must not each fetch the metadata again
        with self._proxy_lock:
            if not self._pyroMethods and not self._pyroAttrs:
                self._pyroGetMetadata()

    def _process_metadata(self, metadata):
        if not metadata:
            return
        self._pyroOneway = set(metadata["oneway"])
        self._pyroMethods = set(metadata["methods"])
        self._pyroAttrs = set(metadata["attrs"])
        if not self._pyroMethods and not self._pyroAttrs:
            raise errors.PyroError("remote object doesn't expose any methods or attributes. "
                                   "Did you forget setting @expose on them?")

    # -- the wire exchanges -----------------------------------------------------------------------

    def _request_annotations(self, clear_context):
        # the context's own dict is used (and then replaced), so user keys keep their order on the wire
        ctx = current_context
        annotations = ctx.annotations
        correlation_id = ctx.correlation_id
        # the hook is only called when a subclass has one: the base class's adds nothing
        own = self._pyroAnnotations() if type(self)._pyroAnnotations is not _NO_OWN_ANNOTATIONS else None
        if correlation_id:
            annotations["CORR"] = correlation_id.bytes
        else:
            annotations.pop("CORR", None)
        if own:
            annotations.update(own)
        if clear_context:
            ctx.annotations = {}
        return annotations

    def _pyroInvoke(self, methodname, vargs, kwargs, flags=0, objectId=None):
        """Perform one remote call and return its result (see API.md §8.4 for the exact steps)."""
        # The proxy's own attributes are read from its __dict__ here: with __getattr__ defined, every
        # self.attribute goes through the type's lookup hook, which costs several dict lookups.
        state = self.__dict__
        with state["_proxy_lock"]:
            ctx = current_context.__dict__  # this thread's fields: cheaper than attribute access on the local
            ctx["response_annotations"] = {}
            connection = state["_pyroConnection"]
            if connection is None:
                self._connect()
                connection = state["_pyroConnection"]
            serializer = util.get_serializer(state["_pyroSerializer"] or config.SERIALIZER)
            objectId = objectId or connection.objectId
            annotations = ctx["annotations"]
            if annotations or ctx["correlation_id"] or type(self)._pyroAnnotations is not _NO_OWN_ANNOTATIONS:
                annotations = self._request_annotations(True)  # else: nothing to send, nothing to clear
            if vargs and isinstance(vargs[0], SerializedBlob):
                data, flags = _serialize_blob_call(serializer, objectId, methodname, vargs, kwargs, annotations,
                                                   flags)
            elif config.COMPRESSION:
                data, compressed = serializer.serializeCall(objectId, methodname, vargs, kwargs, compress=True)
                if compressed:
                    flags |= FLAGS_COMPRESSED
            else:  # what serializeCall does uncompressed, one call less
                data = serializer.dumpsCall(objectId, methodname, vargs, kwargs)
            if methodname in state["_pyroOneway"]:
                flags |= FLAGS_ONEWAY
            state["_pyroSeq"] = seq = (state["_pyroSeq"] + 1) & 0xffff  # skips __setattr__'s routing
            hmac_key = state["_proxy_hmac_key"]
            if hmac_key or config.LOGWIRE:
                frame, payload = self._encode_request(data, serializer.serializer_id, flags, seq, annotations)
            else:  # the usual request: no Message object needed
                frame, payload = _message_impl.encode_plain(constants.PROTOCOL_VERSION, MSG_INVOKE, data,
                                                            serializer.serializer_id, flags, seq, annotations,
                                                            config.MAX_MESSAGE_SIZE)
            del data  # don't keep a large request alive while waiting for the reply
            try:
                if payload is None:
                    connection.send(frame)
                else:
                    message._send_encoded(connection, frame, payload)
                del frame, payload
                if flags & FLAGS_ONEWAY:
                    return None
                return _receive_result(self, state, serializer, seq)
            except (errors.CommunicationError, KeyboardInterrupt):
                # the stream may be out of sync now; start afresh on the next call
                self._pyroRelease()
                raise

    def _encode_request(self, data, serializer_id, flags, seq, annotations):
        """(frame, payload) of a request with HMAC or wire logging: through a Message object."""
        msg = message.Message(MSG_INVOKE, data, serializer_id, flags, seq, annotations=annotations,
                              hmac_key=self._proxy_hmac_key)
        if config.LOGWIRE:
            _log_wiredata(log, "proxy wiredata sending", msg)
        return msg._encoded_parts()

    def _connect(self, replace_uri=False, connected_socket=None):
        """Make the connection and do the handshake; False if already connected."""
        with self._proxy_lock:
            if self._pyroConnection is not None:
                return False
            if connected_socket:
                return self._adopt_connected_socket(connected_socket)
            uri = _resolve(self._pyroUri, self._pyroHmacKey)
            location = uri.sockname or (uri.host, uri.port)
            connection, reply, response = self._handshake(uri, location)
            if reply.type == MSG_CONNECTFAIL:
                connection.close()
                error = "connection to %s rejected: %s" % (location, response)
                log.error(error)
                raise errors.CommunicationError(error)
            try:
                self._accept_handshake(connection, reply, response, uri, replace_uri)
            except BaseException:
                self._pyroConnection = None
                connection.close()
                raise
            if config.METADATA and not self._pyroMethods and not self._pyroAttrs:
                self._pyroGetMetadata(uri.object)
            return True

    def _adopt_connected_socket(self, sock):
        # an already connected socket is used as-is: no handshake, never closed by a release
        if config.SSL:
            import ssl
            if not isinstance(sock, ssl.SSLSocket):
                raise socket.error("SSL configured for Pyro but existing socket is not a SSL socket")
        self._pyroConnection = socketutil.SocketConnection(sock, self._pyroUri.object, keep_open=True)
        if config.METADATA:
            self._pyroGetMetadata(self._pyroUri.object)
        return True

    def _handshake(self, uri, location):
        """Open the socket, send CONNECT and receive the reply; -> (connection, reply msg, reply data)."""
        sock = connection = None
        try:
            sock = socketutil.createSocket(connect=location, reuseaddr=config.SOCK_REUSE, timeout=self._pyroTimeout,
                                           nodelay=config.SOCK_NODELAY, sslContext=_client_ssl_context())
            connection = socketutil.SocketConnection(sock, uri.object)
            serializer = util.get_serializer(self._pyroSerializer or config.SERIALIZER)
            request = {"handshake": self._pyroHandshake}
            flags = 0
            if config.METADATA:
                request["object"] = uri.object
                flags = FLAGS_META_ON_CONNECT
            data, compressed = serializer.serializeData(request, config.COMPRESSION)
            if compressed:
                flags |= FLAGS_COMPRESSED
            msg = message.Message(MSG_CONNECT, data, serializer.serializer_id, flags, self._pyroSeq,
                                  annotations=self._request_annotations(False), hmac_key=self._pyroHmacKey)
            if config.LOGWIRE:
                _log_wiredata(log, "proxy connect sending", msg)
            connection.send(msg.to_bytes())
            reply = message.Message.recv(connection, [MSG_CONNECTOK, MSG_CONNECTFAIL], hmac_key=self._pyroHmacKey)
            if config.LOGWIRE:
                _log_wiredata(log, "proxy connect response received", reply)
            response = "?"
            if reply.data:
                # the daemon may answer a failure in marshal, so use the reply's own serializer
                response = util.get_serializer_by_id(reply.serializer_id).deserializeData(
                    reply.data, compressed=reply.flags & FLAGS_COMPRESSED)
            return connection, reply, response
        except Exception as x:
            if connection is not None:
                connection.close()
            elif sock is not None:
                sock.close()
            error = "cannot connect to %s: %s" % (location, x)
            log.error(error)
            if isinstance(x, errors.CommunicationError):
                raise
            raise errors.CommunicationError(error) from x

    def _accept_handshake(self, connection, reply, response, uri, replace_uri):
        if reply.type != MSG_CONNECTOK:
            raise errors.ProtocolError("cannot connect to %s: invalid msg type %d received"
                                       % (uri.sockname or (uri.host, uri.port), reply.type))
        handshake_response = response
        if reply.flags & FLAGS_META_ON_CONNECT:
            if not isinstance(response, dict) or "meta" not in response or "handshake" not in response:
                raise errors.ProtocolError("invalid handshake response with metadata: %r" % (response,))
            self._process_metadata(response["meta"])
            handshake_response = response["handshake"]
        self._pyroConnection = connection
        if replace_uri:
            self._pyroUri = uri
        self._pyroValidateHandshake(handshake_response)
        if reply.annotations:
            self._pyroResponseAnnotations(reply.annotations, reply.type)


def _receive_result(proxy, state, serializer, seq):
    """The result of the call just sent: the reply's value, or its exception raised."""
    connection, hmac_key = state["_pyroConnection"], state["_proxy_hmac_key"]
    msg = None
    if hmac_key or config.LOGWIRE or state["_pyroRawWireResponse"]:
        # these need the reply as a Message; the usual one is taken as a tuple, without making one
        msg = message.Message.recv(connection, _RESULT_ONLY, hmac_key)
        if config.LOGWIRE:
            _log_wiredata(log, "proxy wiredata received", msg)
        parts = message._parts_of(msg)
    else:
        parts = message._recv_parts(connection, _RESULT_ONLY)
    (_, _, flags, reply_seq, _, serializer_id, _, annotations, data) = parts
    if reply_seq != seq:
        raise errors.ProtocolError("invoke: reply sequence out of sync, got %d expected %d" % (reply_seq, seq))
    if serializer_id != serializer.serializer_id:
        raise errors.SerializeError("invalid serializer in response: %d" % serializer_id)
    if annotations:
        current_context.__dict__["response_annotations"] = annotations
        # the base class's hook does nothing: only an own one (also one set on the instance) is called
        if type(proxy)._pyroResponseAnnotations is not _NO_RESPONSE_ANNOTATIONS_HOOK or \
                "_pyroResponseAnnotations" in state:
            proxy._pyroResponseAnnotations(annotations, MSG_RESULT)
    if msg is not None and state["_pyroRawWireResponse"]:
        return msg.decompress_if_needed()
    if flags & FLAGS_COMPRESSED:
        result = serializer.deserializeData(data, compressed=True)
    else:
        result = serializer.loads(data)  # what deserializeData does uncompressed, one call less
    if flags & (FLAGS_ITEMSTREAMRESULT | FLAGS_EXCEPTION):
        return _special_result(proxy, flags, annotations, result)
    return result


def _special_result(proxy, flags, annotations, result):
    if flags & FLAGS_ITEMSTREAMRESULT:
        # checked before FLAGS_EXCEPTION: stream replies carry both flags
        stream_id = bytes(annotations.get("STRM", b"")).decode("ascii", "replace")
        if not stream_id:
            raise errors.ProtocolError("result of call is an iterator, but the server is not configured "
                                       "to allow streaming")
        return _StreamResultIterator(stream_id, proxy)
    if flags & FLAGS_EXCEPTION:
        if not isinstance(result, BaseException):
            raise errors.ProtocolError("exception reply does not contain an exception object")
        raise result
    return result


def _client_ssl_context():
    if not config.SSL:
        return None
    return socketutil.getSSLcontext(clientcert=config.SSL_CLIENTCERT, clientkey=config.SSL_CLIENTKEY,
                                    keypassword=config.SSL_CLIENTKEYPASSWD, cacerts=config.SSL_CACERTS)


def _serialize_blob_call(serializer, objectId, methodname, vargs, kwargs, annotations, flags):
    """Payload and flags for a call whose argument is a SerializedBlob (sent without re-serializing)."""
    if len(vargs) > 1 or kwargs:
        raise errors.SerializeError("if SerializedBlob is used, it must be the only argument")
    blob = vargs[0]
    flags |= FLAGS_KEEPSERIALIZED
    # the daemon won't decode the payload, so object and method travel separately
    annotations["BLBI"] = marshal.dumps((blob.info, objectId, methodname))
    if blob._contains_blob:
        received = blob._data
        return received.data, flags | (received.flags & FLAGS_COMPRESSED)
    data, compressed = serializer.serializeCall(objectId, methodname, blob._data, kwargs)
    if compressed:
        flags |= FLAGS_COMPRESSED
    return data, flags


# --------------------------------------------------------------------------------------------------
# Remote method stand-ins: plain, batched and asynchronous
_NO_OWN_ANNOTATIONS = Proxy._pyroAnnotations
_NO_RESPONSE_ANNOTATIONS_HOOK = Proxy._pyroResponseAnnotations


# --------------------------------------------------------------------------------------------------

class _RemoteMethod(object):
    """A remote method: calling it sends the call (retrying on lost connections/timeouts)."""
    __slots__ = ("_send", "_name", "_max_retries")

    def __init__(self, send, name, max_retries):
        self._send = send
        self._name = name
        self._max_retries = max_retries

    def __getattr__(self, name):
        return _RemoteMethod(self._send, "%s.%s" % (self._name, name), self._max_retries)

    def __call__(self, *args, **kwargs):
        if not self._max_retries:
            return self._send(self._name, args, kwargs)
        for attempt in range(self._max_retries + 1):
            try:
                return self._send(self._name, args, kwargs)
            except (errors.ConnectionClosedError, errors.TimeoutError):
                # the failed call released the connection; the next attempt reconnects
                if attempt >= self._max_retries:
                    raise


class _BatchedRemoteMethod(object):
    """Records a call in a batch instead of performing it."""

    def __init__(self, calls, name):
        self._calls = calls
        self._name = name

    def __getattr__(self, name):
        return _BatchedRemoteMethod(self._calls, "%s.%s" % (self._name, name))

    def __call__(self, *args, **kwargs):
        self._calls.append((self._name, args, kwargs))


def _batch_results(results):
    for result in results:
        if isinstance(result, futures._ExceptionWrapper):
            result.raiseIt()   # the server stopped at this call; nothing further was executed
        yield result


class _BatchProxyAdapter(object):
    """Records method calls on a proxy and sends them as one batch when called."""

    def __init__(self, proxy):
        self.__dict__["_batch_proxy"] = proxy
        self.__dict__["_batch_calls"] = []

    def __getattr__(self, name):
        return _BatchedRemoteMethod(self._batch_calls, name)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def __copy__(self):
        duplicate = type(self)(self._batch_proxy)
        duplicate.__dict__["_batch_calls"] = list(self._batch_calls)
        return duplicate

    def __call__(self, oneway=False, asynchronous=False):
        if oneway and asynchronous:
            raise errors.PyroError("async oneway calls make no sense")
        if asynchronous:
            return _AsyncRemoteMethod(self, "<asyncbatch>", self._batch_proxy._pyroMaxRetries)()
        results = self._batch_proxy._pyroInvokeBatch(self._batch_calls, oneway)
        self.__dict__["_batch_calls"] = []
        if not oneway:
            return _batch_results(results)

    def _pyroInvoke(self, name, args, kwargs):
        # used by the async machinery on a copy of this adapter: runs the recorded batch
        results = self._batch_proxy._pyroInvokeBatch(self._batch_calls)
        self.__dict__["_batch_calls"] = []
        return _batch_results(results)


class _AsyncRemoteMethod(object):
    """Calling it returns a FutureResult at once; the call runs on a copy of the proxy in a thread."""

    def __init__(self, proxy, name, max_retries):
        self._proxy = proxy
        self._name = name
        self._max_retries = max_retries

    def __getattr__(self, name):
        return _AsyncRemoteMethod(self._proxy, "%s.%s" % (self._name, name), self._max_retries)

    def __call__(self, *args, **kwargs):
        result = futures.FutureResult()
        thread = threading.Thread(target=self._run, args=(result, args, kwargs), name="Pyro-async-call")
        thread.daemon = True
        thread.start()
        return result

    def _run(self, result, args, kwargs):
        try:
            value = self._invoke_with_retries(args, kwargs)
        except Exception as x:
            value = futures._ExceptionWrapper(x)
        try:
            result.value = value
        except Exception as x:
            result.value = futures._ExceptionWrapper(x)   # a chained then() call failed

    def _invoke_with_retries(self, args, kwargs):
        for attempt in range(self._max_retries + 1):
            try:
                with copy.copy(self._proxy) as proxy:
                    _bind_when_workers_free(proxy)
                    return proxy._pyroInvoke(self._name, args, kwargs)
            except (errors.ConnectionClosedError, errors.TimeoutError):
                if attempt >= self._max_retries:
                    raise


def _bind_when_workers_free(proxy):
    """Connect, waiting (with growing pauses) while the server reports that all its workers are busy."""
    delay = 0.1 + random.random() / 5
    while not proxy._pyroConnection:
        try:
            proxy._pyroBind()
        except errors.CommunicationError as x:
            if "no free workers" not in str(x):
                raise
            commtimeout = config.COMMTIMEOUT or 0
            if 0 < commtimeout / 2 < delay:
                raise
            time.sleep(delay)
            delay += 0.4 + random.random() / 2


def batch(proxy):
    """A batch adapter for the proxy (records calls; call the adapter to send them)."""
    return proxy._pyroBatch()


def asyncproxy(proxy, asynchronous=True):
    """Switch the proxy into (or out of) asynchronous mode."""
    proxy._pyroAsync(asynchronous)


# --------------------------------------------------------------------------------------------------
# Remote iterators
# --------------------------------------------------------------------------------------------------

class _StreamResultIterator(object):
    """Iterates over a remote iterator/generator by fetching one item per call."""

    def __init__(self, streamId, proxy):
        self.streamId = streamId
        self.proxy = proxy
        self.pyroseq = proxy._pyroSeq

    def __iter__(self):
        return self

    def __next__(self):
        if self.proxy is None:
            raise StopIteration
        if self.proxy._pyroConnection is None:
            raise errors.ConnectionClosedError("the proxy for this stream result has been closed")
        self.pyroseq += 1
        try:
            return self.proxy._pyroInvoke("get_next_stream_item", [self.streamId], {},
                                          objectId=constants.DAEMON_NAME)
        except (StopIteration, GeneratorExit):
            self.proxy = None   # the server has forgotten the stream
            raise

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass  # garbage collection must not raise

    def close(self):
        """Tell the server to drop the stream (safe to call more than once)."""
        proxy = self.proxy
        if proxy is not None and proxy._pyroConnection is not None:
            if self.pyroseq == proxy._pyroSeq:
                _send_close_stream(proxy, self.streamId)
            else:
                # the proxy was used for other calls meanwhile: use a separate connection
                try:
                    with copy.copy(proxy) as closing_proxy:
                        _send_close_stream(closing_proxy, self.streamId)
                except errors.CommunicationError:
                    pass
        self.proxy = None


def _send_close_stream(proxy, stream_id):
    proxy._pyroInvoke("close_stream", [stream_id], {}, flags=FLAGS_ONEWAY, objectId=constants.DAEMON_NAME)


# --------------------------------------------------------------------------------------------------
# Decorators
# --------------------------------------------------------------------------------------------------

def callback(method):
    """Mark a method as a callback: its exceptions are also raised (and logged) in the daemon."""
    method._pyroCallback = True
    return method


def oneway(method):
    """Mark a method as oneway: clients don't wait for its (absent) result."""
    method._pyroOneway = True
    return method


_PRIVATE_EXPOSE_MESSAGE = "exposing private names (starting with _) is not allowed"


def expose(method_or_class):
    """Mark a method, property or a whole class as remotely accessible."""
    if isinstance(method_or_class, property):
        accessor = method_or_class.fget or method_or_class.fset or method_or_class.fdel
        if util.is_private_attribute(accessor.__name__):
            raise AttributeError(_PRIVATE_EXPOSE_MESSAGE)
        accessor._pyroExposed = True
        return method_or_class
    if isinstance(method_or_class, (classmethod, staticmethod)):
        raise AttributeError("using @expose on a classmethod/staticmethod must be done after "
                             "@classmethod/@staticmethod. Method: " + method_or_class.__func__.__name__)
    name = getattr(method_or_class, "__name__", None)
    if not name:
        raise AttributeError("@expose cannot determine what this is: " + repr(method_or_class))
    if util.is_private_attribute(name):
        raise AttributeError(_PRIVATE_EXPOSE_MESSAGE)
    if inspect.isclass(method_or_class):
        _expose_class_members(method_or_class)
    method_or_class._pyroExposed = True
    return method_or_class


def _expose_class_members(clazz):
    for name, thing in vars(clazz).items():
        if util.is_private_attribute(name):
            continue
        if isinstance(thing, property):
            targets = [accessor for accessor in (thing.fget, thing.fset, thing.fdel) if accessor]
        elif isinstance(thing, (classmethod, staticmethod)):
            targets = [thing.__func__]
        elif inspect.isfunction(thing) or inspect.ismethoddescriptor(thing):
            targets = [thing]
        else:
            continue
        for target in targets:
            try:
                target._pyroExposed = True
            except (AttributeError, TypeError):
                pass   # builtin descriptors can't carry attributes


_INSTANCE_MODES = ("single", "session", "percall")


def behavior(instance_mode="session", instance_creator=None):
    """Class decorator that sets the instance mode (single/session/percall) and optional creator."""
    if not isinstance(instance_mode, str):
        # used bare as @behavior: the class itself arrived as the mode
        raise SyntaxError("behavior decorator is missing argument(s)")

    def decorate_class(clazz):
        if not inspect.isclass(clazz):
            raise TypeError("behavior decorator can only be used on a class")
        if instance_mode not in _INSTANCE_MODES:
            raise ValueError("invalid instance mode: " + instance_mode)
        if instance_creator is not None and not callable(instance_creator):
            raise TypeError("instance_creator must be a callable")
        clazz._pyroInstancing = (instance_mode, instance_creator)
        return clazz
    return decorate_class


# --------------------------------------------------------------------------------------------------
# SerializedBlob
# --------------------------------------------------------------------------------------------------

class SerializedBlob(object):
    """Data that is passed along without being (de)serialized by Pyro itself in between."""

    def __init__(self, info, data, is_blob=False):
        self.info = info
        self._data = data
        self._contains_blob = is_blob

    def deserialized(self):
        """The data: as given, or for a received blob the arguments decoded from the message payload."""
        if not self._contains_blob:
            return self._data
        received = self._data
        serializer = util.get_serializer_by_id(received.serializer_id)
        call = serializer.deserializeData(received.data, compressed=received.flags & FLAGS_COMPRESSED)
        if isinstance(call, dict):
            # [D] a json call is an object; 4.82 unpacks its keys and returns the string "params"
            return call["params"]
        return call[2]


# --------------------------------------------------------------------------------------------------
# Autoproxy and serialization hooks of the core classes
# --------------------------------------------------------------------------------------------------

def pyroObjectToAutoProxy(obj):
    """Type replacement installed by Daemon.register: a registered Pyro object travels as a Proxy."""
    if config.AUTOPROXY:
        daemon = getattr(obj, "_pyroDaemon", None)
        if daemon:
            return daemon.proxyFor(obj)
    return obj


def serialize_core_object_to_dict(obj):
    return {"__class__": "Pyro4.core." + obj.__class__.__name__, "state": obj.__getstate_for_dict__()}


def pyro_class_serpent_serializer(obj, serializer, stream, level):
    # serpent hook: write the class_to_dict form as a plain dict literal
    serializer.ser_builtins_dict(util.SerializerBase.class_to_dict(obj), stream, level)


# --------------------------------------------------------------------------------------------------
# Name server lookup
# --------------------------------------------------------------------------------------------------

def _resolve(uri, hmac_key=None):
    """Resolve a PYRONAME/PYROMETA uri into a PYRO uri by asking the name server (PYRO: returned as is)."""
    if isinstance(uri, str):
        uri = URI(uri)
    elif not isinstance(uri, URI):
        raise TypeError("can only resolve Pyro URIs")
    if uri.protocol == "PYRO":
        return uri
    log.debug("resolving %s", uri)
    with _locateNS(uri.host, uri.port, hmac_key=hmac_key) as nameserver:
        if uri.protocol == "PYRONAME":
            return nameserver.lookup(uri.object)
        candidates = nameserver.list(metadata_all=uri.object)
    if not candidates:
        raise errors.NamingError("no registrations available with desired metadata properties %s" % uri.object)
    return URI(random.choice(list(candidates.values())))


def _locateNS(host=None, port=None, broadcast=True, hmac_key=None):
    """Get a proxy for a name server: on localhost first, then by broadcast, then at NS_HOST:NS_PORT."""
    if host is None:
        nameserver = _locate_ns_on_localhost(port, hmac_key)
        if nameserver is not None:
            return nameserver
        if broadcast and config.PREFER_IP_VERSION != 6:
            nameserver = _locate_ns_by_broadcast(port, hmac_key)
            if nameserver is not None:
                return nameserver
        host, port = config.NS_HOST, config.NS_PORT
    return _locate_ns_directly(host, port, hmac_key)


def _nameserver_proxy(uri, hmac_key):
    proxy = Proxy(uri)
    proxy._pyroHmacKey = hmac_key
    return proxy


def _locate_ns_on_localhost(port, hmac_key):
    ns_host = config.NS_HOST
    if not (ns_host in ("localhost", "::1") or ns_host.startswith("127.")):
        return None
    if ":" in ns_host:
        hosts = ["[::1]"]
    else:
        hosts = [ns_host]
        if ns_host != "127.0.1.1" and _address_resolves("127.0.1.1"):
            hosts.append("127.0.1.1")   # Debian-style hostname entry for the local machine
    for host in hosts:
        proxy = _nameserver_proxy("PYRO:%s@%s:%d" % (constants.NAMESERVER_NAME, host, port or config.NS_PORT),
                                  hmac_key)
        try:
            proxy._pyroBind()
            return proxy
        except errors.PyroError:
            pass
    return None


def _address_resolves(address):
    try:
        socket.gethostbyaddr(address)
        return True
    except (socket.error, UnicodeError):
        return False


def _locate_ns_by_broadcast(port, hmac_key):
    port = port or config.NS_BCPORT
    addresses = config.parseAddressesString(config.BROADCAST_ADDRS)
    ignored_errnos = set(socketutil.ERRNO_EADDRNOTAVAIL) | set(socketutil.ERRNO_EADDRINUSE)
    sock = socketutil.createBroadcastSocket(reuseaddr=config.SOCK_REUSE, timeout=0.7)
    try:
        for _ in range(3):
            for address in addresses:
                try:
                    sock.sendto(b"GET_NSURI", 0, (address, port))
                except socket.error as x:
                    if getattr(x, "errno", None) not in ignored_errnos:
                        raise
            try:
                data, _ = sock.recvfrom(100)
            except socket.timeout:
                continue
            # the answer is used without connecting to it yet [Q]
            return _nameserver_proxy(data.decode("iso-8859-1"), hmac_key)
    finally:
        sock.close()
    return None


def _locate_ns_directly(host, port, hmac_key):
    port = port or config.NS_PORT
    if URI.isUnixsockLocation(host):
        uristring = "PYRO:%s@%s" % (constants.NAMESERVER_NAME, host)
    else:
        if ":" in host and not host.startswith("["):
            host = "[%s]" % host
        uristring = "PYRO:%s@%s:%d" % (constants.NAMESERVER_NAME, host, port)
    proxy = _nameserver_proxy(uristring, hmac_key)
    try:
        proxy._pyroBind()
        return proxy
    except errors.PyroError as x:
        raise errors.NamingError("Failed to locate the nameserver") from x


# --------------------------------------------------------------------------------------------------
# The daemon side, re-exported under its 4.82 module path (it looks core names up at use time)
# --------------------------------------------------------------------------------------------------

from Pyro4._core_daemon import Daemon, DaemonObject, _OnewayCallThread  # noqa: E402


def _register_core_class_hooks():
    for clazz in (URI, Proxy, Daemon):
        util.SerializerBase.register_class_to_dict(clazz, serialize_core_object_to_dict, serpent_too=False)
    util.SerializerBase.register_class_to_dict(futures._ExceptionWrapper,
                                               futures._ExceptionWrapper.__serialized_dict__,
                                               serpent_too=False)
    try:
        import serpent
    except ImportError:
        return
    for clazz in (URI, Proxy, Daemon, futures._ExceptionWrapper):
        serpent.register_class(clazz, pyro_class_serpent_serializer)


_register_core_class_hooks()
