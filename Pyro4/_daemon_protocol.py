"""The daemon's side of the Pyro protocol: connection handshake, request dispatch, replies,
item streams and housekeeping. ``Pyro4.core.Daemon`` inherits these methods.

Message layout and the meaning of every flag and annotation: see ``Pyro4.message``.
"""

import collections.abc
import inspect
import logging
import queue
import random
import socket
import sys
import threading
import time
import types
import uuid

from Pyro4 import constants, core, errors, futures, message, util
from Pyro4._serializers_formats import _marshal_loads
from Pyro4._speedups import message_impl as _message_impl  # its encode_plain, for every reply
from Pyro4.configuration import config

log = logging.getLogger("Pyro4.core")

_MARSHAL_ID = 3  # a handshake that fails before its serializer is validated is answered in marshal

# iterators over a dict's contents change with the dict, so they are neither streamed nor serialized
_LAZY_DICT_ITERATORS = (type(iter({})), type(iter({}.values())), type(iter({}.items())))

_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)

_MethodType = types.MethodType
_serializers_by_id = util._serializers_by_id  # util.get_serializer_by_id, minus a call per request
_MSG_INVOKE_OR_PING = (message.MSG_INVOKE, message.MSG_PING)
_MSG_PING = message.MSG_PING
_FLAGS_ONEWAY = message.FLAGS_ONEWAY
_FLAGS_BATCH = message.FLAGS_BATCH
# results that are never iterators (their subclasses still get the full check)
_PLAIN_RESULT_TYPES = frozenset(
    [type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset]
)


def _set_quickack(conn):
    """Send the ACK for a received oneway request now instead of after the delayed-ACK timeout.

    A oneway request gets no reply to carry the ACK, so the server's delayed ACK combined with the
    client's Nagle algorithm would hold back the client's next small message. Linux resets QUICKACK
    by itself, so it is set again after each such receive.
    """
    try:
        conn.sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)
    except (OSError, AttributeError, TypeError):
        pass  # unix socket, or a connection-like object without a real socket


def _peer_address(conn):
    """The client's address; looked up once per connection (it can't change), saving a syscall per call."""
    try:
        return conn._pyro_peer_address
    except AttributeError:
        pass
    try:
        address = conn.sock.getpeername()
    except (socket.error, AttributeError):
        return None
    try:
        conn._pyro_peer_address = address
    except AttributeError:
        pass  # a connection-like object that takes no attributes
    return address


def _correlation_id(annotations):
    corr = annotations.get("CORR")
    return uuid.UUID(bytes=corr) if corr else _new_correlation_id()


def _regular_correlation_id():
    # a version-4 UUID like uuid.uuid4(), but without the getrandom() syscall that uuid4 makes for
    # every request: correlation ids only need to be unique, not unpredictable
    return uuid.UUID(int=_random_bits(128), version=4)


def _quick_correlation_id():
    """The same as _regular_correlation_id, filled in directly instead of through UUID.__init__'s
    checks (which cost as much as the rest of the daemon's own per-request work)."""
    corr = _new_object(_UUID)
    _set_int_slot(corr, _random_bits(128) & _UUID4_KEEP | _UUID4_SET)
    _set_is_safe_slot(corr, _SAFE_UNKNOWN)
    return corr


_random_bits = random.getrandbits  # the module's generator is reseeded in forked children
_new_object = object.__new__
_UUID = uuid.UUID
# UUID objects are immutable through their own __setattr__: their slots are filled in directly
_set_int_slot = getattr(getattr(_UUID, "int", None), "__set__", None)
_set_is_safe_slot = getattr(getattr(_UUID, "is_safe", None), "__set__", None)
_SAFE_UNKNOWN = uuid.SafeUUID.unknown
# the RFC 4122 variant and version 4 bits, where UUID(int=..., version=4) puts them
_UUID4_KEEP = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)


def _quick_ids_match():
    try:
        sample = _quick_correlation_id()
        return sample == uuid.UUID(int=sample.int, version=4) and str(sample) == str(uuid.UUID(sample.hex))
    except (AttributeError, TypeError):
        return False  # another UUID layout: keep the regular constructor


_new_correlation_id = _quick_correlation_id if _quick_ids_match() else _regular_correlation_id


class _OnewayCallThread(threading.Thread):
    """Runs one oneway call, in (a copy of) the call context of the request that started it."""

    __module__ = "Pyro4.core"

    def __init__(self, target, args, kwargs):
        super(_OnewayCallThread, self).__init__(name="oneway-call")
        self.daemon = True
        self._call = (target, args, kwargs)
        self.parent_context = core.current_context.to_global()

    def run(self):
        core.current_context.from_global(self.parent_context)
        target, args, kwargs = self._call
        self._call = None
        try:
            target(*args, **kwargs)
        except Exception:
            # nobody waits for a oneway result: the error can only be logged
            log.exception("exception in oneway call %r", target)


class _OnewayStarter(object):
    """Starts a daemon's oneway call threads from a thread of its own.

    Thread.start() waits until the new thread runs, which on a busy machine can take milliseconds;
    the worker that received the oneway call would sit idle meanwhile, with the connection's next
    request waiting. Each call still gets its own new _OnewayCallThread, started in arrival order.
    """

    def __init__(self):
        self._calls = queue.SimpleQueue()
        self._thread = None
        self._closed = False
        self._lock = threading.Lock()

    def start(self, call_thread):
        with self._lock:
            if self._closed:
                # a request that raced with the daemon's close: no new starter thread for it
                call_thread.start()
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="oneway-starter")
                self._thread.daemon = True
                self._thread.start()
        self._calls.put(call_thread)

    def _run(self):
        while True:
            call_thread = self._calls.get()
            if call_thread is None:
                return
            try:
                call_thread.start()
            except RuntimeError:
                log.exception("cannot start a thread for a oneway call")

    def close(self, timeout=1.0):
        """Start what was queued, then stop (waits up to timeout)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._closed = True
        if thread is not None:
            self._calls.put(None)
            if thread is not threading.current_thread():
                thread.join(timeout)


class DaemonProtocol(object):
    """Protocol methods of the Daemon (mixed into ``Pyro4.core.Daemon``)."""

    # --- connection handshake ------------------------------------------------------------------

    def _handshake(self, conn, denied_reason=None):
        """Perform the connection handshake; True if the client is accepted."""
        ctx = core.current_context
        # a worker thread is reused for many connections: a failure reply must not carry the
        # correlation id of an earlier client (4.82 leaks it; a fresh thread has none)
        ctx.correlation_id = None
        serializer_id = _MARSHAL_ID
        msg_seq = 0
        try:
            msg = message.Message.recv(conn, [message.MSG_CONNECT], hmac_key=self._pyroHmacKey)
            msg_seq = msg.seq
            if config.LOGWIRE:
                core._log_wiredata(log, "daemon handshake received", msg)
            if denied_reason:
                raise errors.CommunicationError(denied_reason)
            if msg.serializer_id not in self._accepted_ids:
                raise errors.SerializeError("message used serializer that is not accepted: %d" % msg.serializer_id)
            ctx.correlation_id = _correlation_id(msg.annotations)
            serializer_id = msg.serializer_id
            msgtype, flags, data = self._handshake_response(conn, msg)
        except errors.ConnectionClosedError:
            log.debug("handshake failed, connection closed early")
            return False
        except Exception as x:
            log.debug("handshake failed, reason: %s", x)
            msgtype, flags = message.MSG_CONNECTFAIL, 0
            data = util.get_serializer_by_id(serializer_id).serializeData(str(x))[0]
        reply = message.Message(
            msgtype,
            data,
            serializer_id,
            flags,
            msg_seq,
            annotations=self._reply_annotations(),
            hmac_key=self._pyroHmacKey,
        )
        if config.LOGWIRE:
            core._log_wiredata(log, "daemon handshake response", reply)
        try:
            conn.send(reply.to_bytes())
        except errors.CommunicationError:
            if msgtype == message.MSG_CONNECTOK:
                raise
            return False  # the refused client is gone already
        return msgtype == message.MSG_CONNECTOK

    def _handshake_response(self, conn, msg):
        """(msgtype, flags, payload) of the CONNECTOK for a valid CONNECT message."""
        serializer = util.get_serializer_by_id(msg.serializer_id)
        data = serializer.deserializeData(msg.data, msg.flags & message.FLAGS_COMPRESSED)
        response = self.validateHandshake(conn, data["handshake"])
        flags = 0
        if msg.flags & message.FLAGS_META_ON_CONNECT:
            flags = message.FLAGS_META_ON_CONNECT
            metadata = self.objectsById[constants.DAEMON_NAME].get_metadata(data["object"], as_lists=True)
            response = {"handshake": response, "meta": metadata}
        payload, compressed = serializer.serializeData(response, config.COMPRESSION)
        if compressed:
            flags |= message.FLAGS_COMPRESSED
        return message.MSG_CONNECTOK, flags, payload

    def _reply_annotations(self):
        """Annotations of a normal reply: the method's response annotations, CORR, the daemon hook."""
        ctx = core.current_context.__dict__  # this thread's fields: cheaper than attribute access on the local
        annotations = {}
        if ctx["response_annotations"]:
            # copied, not updated in place: the method may have assigned a dict it keeps using
            annotations.update(ctx["response_annotations"])
            annotations.pop("CORR", None)
            ctx["response_annotations"] = {}
        correlation_id = ctx["correlation_id"]
        if correlation_id:
            annotations["CORR"] = correlation_id.int.to_bytes(16, "big")  # UUID.bytes, minus its property call
        if type(self).annotations is not core.Daemon.annotations:  # Daemon's own hook adds nothing
            annotations.update(self.annotations())
        return annotations

    # --- requests ------------------------------------------------------------------------------

    def handleRequest(self, conn):
        """Receive one request from the connection, execute it, and send the reply (if any).

        Errors while receiving propagate at once, without a reply (the stream is out of sync); the
        transport then closes the connection."""
        msg = message.Message.recv(conn, _MSG_INVOKE_OR_PING, self._pyroHmacKey)
        is_callback = False
        flags = msg.flags
        try:
            # a request without annotations (the usual one) can't carry a CORR
            core.current_context.__dict__["correlation_id"] = _correlation_id(msg.annotations) if msg.annotations \
                else _new_correlation_id()
            if config.LOGWIRE:
                core._log_wiredata(log, "daemon wiredata received", msg)
            if msg.type == _MSG_PING:
                self._send_reply(conn, _MSG_PING, b"pong", msg.serializer_id, 0, msg.seq, msg.hmac_key)
                return
            if flags & _FLAGS_ONEWAY and _TCP_QUICKACK is not None:
                _set_quickack(conn)
            if msg.serializer_id not in self._accepted_ids:
                raise errors.SerializeError("message used serializer that is not accepted: %d" % msg.serializer_id)
            serializer = _serializers_by_id.get(msg.serializer_id) or util.get_serializer_by_id(msg.serializer_id)
            obj, method, vargs, kwargs = self._decode_request(conn, msg, serializer)
            if flags & _FLAGS_BATCH:
                self._run_batch(conn, msg, serializer, obj, vargs)
                return
            if method == "__getattr__":
                result = util.get_exposed_property_value(obj, vargs[0], only_exposed=config.REQUIRE_EXPOSE)
            elif method == "__setattr__":
                result = util.set_exposed_property_value(obj, vargs[0], vargs[1], only_exposed=config.REQUIRE_EXPOSE)
            else:
                method = util.getAttribute(obj, method)
                # looked up on the function: a bound method's own lookup raises (and formats) an
                # AttributeError for every method that is not a callback, before getattr's default applies
                is_callback = getattr(method.__func__ if type(method) is _MethodType else method, "_pyroCallback",
                                      False)
                if flags & _FLAGS_ONEWAY and config.ONEWAY_THREADED and not self._is_own_object(obj):
                    self._oneway_starter.start(_OnewayCallThread(method, vargs, kwargs or {}))
                    return
                result = method(*vargs, **kwargs) if kwargs else method(*vargs)
            if not flags & _FLAGS_ONEWAY:
                self._send_result(conn, msg, serializer, result)
        except Exception as x:
            self._request_failed(conn, msg, x, is_callback)

    def _is_own_object(self, obj):
        # The daemon's own oneway method (close_stream) is quick bookkeeping: done at once, so the
        # stream is gone before the connection's next request, as a client closing it expects.
        return obj is self.objectsById.get(constants.DAEMON_NAME)

    def _decode_request(self, conn, msg, serializer):
        """Decode the call, set up the call context; returns (target object, method, vargs, kwargs)."""
        if msg.flags & message.FLAGS_KEEPSERIALIZED:
            # a SerializedBlob call: the payload is handed to the method undecoded
            # _marshal_loads checks the claimed sizes first: BLBI comes from the peer, and plain
            # marshal.loads would allocate whatever container size it claims
            blob_info, object_id, method = _marshal_loads(msg.annotations["BLBI"])
            vargs, kwargs = (core.SerializedBlob(blob_info, msg, is_blob=True),), {}
        else:
            if msg.flags & message.FLAGS_COMPRESSED:
                object_id, method, vargs, kwargs = serializer.deserializeCall(msg.data, compressed=True)
            else:  # what deserializeCall does uncompressed, one call less
                object_id, method, vargs, kwargs = serializer.loadsCall(msg.data)
            # the payload is not needed any more: freeing a large one now lets the allocator reuse its
            # memory for the reply, instead of every large echo faulting in fresh pages
            msg.data = b""
        ctx = core.current_context.__dict__  # this thread's fields: cheaper than attribute access on the local
        ctx["client"] = conn
        ctx["client_sock_addr"] = _peer_address(conn)
        ctx["seq"] = msg.seq
        ctx["annotations"] = msg.annotations
        ctx["msg_flags"] = msg.flags
        ctx["serializer_id"] = msg.serializer_id
        obj = self.objectsById.get(object_id)
        if obj is None:
            raise errors.DaemonError("unknown object")
        if isinstance(obj, type):  # inspect.isclass, minus a function call
            obj = self._getInstance(obj, conn)
        return obj, method, vargs, kwargs

    def _run_batch(self, conn, msg, serializer, obj, calls):
        """Run batched calls in order; the first exception is wrapped and ends the batch."""
        results = []
        for method_name, args, kwargs in calls:
            # a lookup failure is not wrapped: it aborts the whole batch (as 4.82 does)
            method = util.getAttribute(obj, method_name)
            try:
                results.append(method(*args, **(kwargs or {})))
            except Exception as x:
                x._pyroTraceback = util.formatTraceback(detailed=config.DETAILED_TRACEBACK)
                results.append(futures._ExceptionWrapper(x))
                break
        if not msg.flags & message.FLAGS_ONEWAY:
            self._send_result(conn, msg, serializer, results, message.FLAGS_BATCH)

    def _send_result(self, conn, msg, serializer, result, flags=0):
        if not flags & message.FLAGS_BATCH and result.__class__ not in _PLAIN_RESULT_TYPES:
            is_stream, result = self._streamResponse(result, conn)
            if is_stream:
                self._send_stream_start(conn, msg, result)
                return
        if config.COMPRESSION:
            data, compressed = serializer.serializeData(result, True)
            if compressed:
                flags |= message.FLAGS_COMPRESSED
        else:  # what serializeData does uncompressed, one call less
            data = serializer.dumps(result)
        self._send_reply(conn, message.MSG_RESULT, data, serializer.serializer_id, flags, msg.seq, msg.hmac_key)

    def _send_reply(self, conn, msgtype, data, serializer_id, flags, seq, hmac_key):
        """Send a reply, with the HMAC key the request was received with (the daemon's)."""
        annotations = self._reply_annotations()
        if not (hmac_key or config.LOGWIRE):
            # the usual reply: encoded directly, without a Message object
            frame, payload = _message_impl.encode_plain(constants.PROTOCOL_VERSION, msgtype, data, serializer_id, flags,
                                                        seq, annotations, config.MAX_MESSAGE_SIZE)
            if payload is None:
                conn.send(frame)
            else:
                message._send_encoded(conn, frame, payload)
            return
        reply = message.Message(msgtype, data, serializer_id, flags, seq, annotations=annotations, hmac_key=hmac_key)
        if config.LOGWIRE:
            core._log_wiredata(log, "daemon wiredata sending", reply)
        reply._write_to(conn)

    def _send_stream_start(self, conn, msg, stream_id):
        """A stream starts with an exception-style reply, so clients without streaming fail clearly."""
        annotations = {"STRM": stream_id.encode("ascii")} if stream_id else {}
        exc = errors.ProtocolError("result of call is an iterator")
        core.current_context.response_annotations = {}
        self._sendExceptionResponse(
            conn, msg.seq, msg.serializer_id, exc, None, flags=message.FLAGS_ITEMSTREAMRESULT, annotations=annotations
        )

    def _request_failed(self, conn, msg, exc, is_callback):
        """Reply with the exception where the protocol allows it; re-raise when the connection must end."""
        core.current_context.response_annotations = {}
        if isinstance(exc, errors.ConnectionClosedError):
            raise exc
        if not msg.flags & message.FLAGS_ONEWAY:
            if isinstance(exc, errors.SerializeError) or not isinstance(exc, errors.CommunicationError):
                tbinfo = util.formatTraceback(detailed=config.DETAILED_TRACEBACK)
                # the request's serializer id, even an unaccepted one; an unknown id raises here
                self._sendExceptionResponse(conn, msg.seq, msg.serializer_id, exc, tbinfo)
        if is_callback or isinstance(exc, (errors.CommunicationError, errors.SecurityError)):
            raise exc
        log.debug("exception occurred in a remote call (reply sent): %s: %s", type(exc).__name__, exc)

    def _sendExceptionResponse(self, connection, seq, serializer_id, exc_value, tbinfo, flags=0, annotations=None):
        """Send an exception reply (never with CORR, never compressed)."""
        serializer = util.get_serializer_by_id(serializer_id)
        try:
            exc_value._pyroTraceback = tbinfo
            data = serializer.serializeData(exc_value)[0]
        except Exception:
            error = sys.exc_info()[1]
            replacement = errors.PyroError(
                "Error serializing exception: %s. Original exception: %s: %s" % (error, type(exc_value), exc_value)
            )
            replacement._pyroTraceback = tbinfo
            data = serializer.serializeData(replacement)[0]
        annotations = dict(annotations) if annotations else {}
        annotations.update(self.annotations())
        reply = message.Message(
            message.MSG_RESULT,
            data,
            serializer.serializer_id,
            flags | message.FLAGS_EXCEPTION,
            seq,
            annotations=annotations,
            hmac_key=self._pyroHmacKey,
        )
        if config.LOGWIRE:
            core._log_wiredata(log, "daemon wiredata sending (error response)", reply)
        connection.send(reply.to_bytes())

    # --- instances and streams -----------------------------------------------------------------

    def _getInstance(self, clazz, conn):
        """The instance of a registered class that serves this call, per its instance mode."""
        instance_mode, instance_creator = clazz._pyroInstancing
        if instance_mode == "single":
            instance = self._pyroInstances.get(clazz)
            if instance is None:
                with self.create_single_instance_lock:
                    instance = self._pyroInstances.get(clazz)
                    # [D] only a missing instance is created; 4.82 also re-creates falsy instances
                    if instance is None:
                        instance = self._pyroInstances[clazz] = _create_instance(clazz, instance_creator)
            return instance
        if instance_mode == "session":
            instance = conn.pyroInstances.get(clazz)
            if instance is None:
                instance = conn.pyroInstances[clazz] = _create_instance(clazz, instance_creator)
            return instance
        if instance_mode == "percall":
            return _create_instance(clazz, instance_creator)
        raise errors.DaemonError("invalid instancemode in registered class")

    def _streamResponse(self, data, client):
        """(True, stream id or None) for an iterator result, else (False, data) unchanged."""
        if data.__class__ in _PLAIN_RESULT_TYPES:
            return False, data  # the common case, without the slow abstract-class check
        if isinstance(data, collections.abc.Iterator) or inspect.isgenerator(data):
            if isinstance(data, _LAZY_DICT_ITERATORS):
                raise errors.PyroError("won't serialize or stream lazy dict iterators, convert to list yourself")
            if config.ITER_STREAMING:
                stream_id = str(uuid.uuid4())
                self.streaming_responses[stream_id] = (client, time.time(), 0, data)
                return True, stream_id
            return True, None
        return False, data

    def _clientDisconnect(self, conn):
        """A client connection ended: its streams linger (or go), then the user hook runs."""
        streams = self.streaming_responses
        if streams:
            linger = config.ITER_STREAM_LINGER > 0
            now = time.time()
            for stream_id, (owner, timestamp, _, stream) in list(streams.items()):
                if owner is conn:
                    if linger:
                        streams[stream_id] = (None, timestamp, now, stream)
                    else:
                        streams.pop(stream_id, None)
        self.clientDisconnect(conn)

    def _housekeeping(self):
        """Periodic work: expire old and lingering streams, then the user's housekeeping()."""
        if self._shutting_down:
            return
        with self.housekeeper_lock:
            if self.streaming_responses:
                self._expire_streams(time.time())
            self.housekeeping()

    def _expire_streams(self, now):
        lifetime = config.ITER_STREAM_LIFETIME
        linger = config.ITER_STREAM_LINGER
        for stream_id, (_, timestamp, linger_timestamp, _) in list(self.streaming_responses.items()):
            too_old = lifetime > 0 and now - timestamp > lifetime
            lingered = linger > 0 and linger_timestamp and now - linger_timestamp > linger
            if too_old or lingered:
                log.debug("housekeeping: removing stream %s", stream_id)
                self.streaming_responses.pop(stream_id, None)


def _create_instance(clazz, creator):
    if creator:
        instance = creator(clazz)
        if not isinstance(instance, clazz):
            raise TypeError("instance creator returned object of different type")
        return instance
    return clazz()
