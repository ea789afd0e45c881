"""The serializer base class: compression, the class <-> dict conversion rules and their registries.

Everything here is re-exported by ``Pyro4.util``, which is where users (and the wire, through the
``__class__`` tags and pickle references) know these names from; so the public class says it lives
in ``Pyro4.util``. The concrete serializers are in ``Pyro4._serializers_formats``.
"""
import builtins
import inspect
import logging
import zlib

from Pyro4 import errors
from Pyro4._speedups import datawalk_impl as _datawalk
from Pyro4.configuration import config

log = logging.getLogger("Pyro4.util")

# Serialized payloads shorter than this are never compressed: the zlib overhead would not pay off.
_COMPRESSION_THRESHOLD = 200

_CORE_CLASSES = frozenset({"URI", "Proxy", "Daemon"})
_SERIALIZER_CLASSES = frozenset({"SerpentSerializer", "JsonSerializer", "MarshalSerializer", "PickleSerializer",
                                 "DillSerializer", "MsgpackSerializer", "CloudpickleSerializer"})
_CONTAINER_TYPES = (set, dict, tuple, list)

# The ways a rebuild can fail on malformed input (missing "args"/"state", wrong argument types, ...).
_REBUILD_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def _collect_exceptions():
    """{short name: class} of all builtin exceptions and all Pyro errors (these win on name clashes)."""
    found = {}
    for module in (builtins, errors):
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException):
                if module is builtins or issubclass(value, errors.PyroError):
                    found[name] = value
    return found


all_exceptions = _collect_exceptions()


def _qualified_class_name(obj):
    # 4.82 uses __name__, not __qualname__: a peer resolves the tag as "module.Name"
    return obj.__class__.__module__ + "." + obj.__class__.__name__


def _defined_getstate(obj):
    """The object's own ``__getstate__``, or None.

    [D] Python 3.11 gave every object a default ``object.__getstate__``; Pyro4 4.82 picks that one up
    and then sends plain objects as a bare attribute dict without ``__class__``. Only a
    ``__getstate__`` that the object's class (or a base class other than ``object``) defines counts
    here, so every Python version behaves like 4.82 did on Python <= 3.10.
    """
    for klass in type(obj).__mro__:
        if klass is not object and "__getstate__" in vars(klass):
            return obj.__getstate__
    return None


def _slot_values(obj):
    slots = type(obj).__slots__
    if isinstance(slots, str):
        slots = (slots,)
    # an unset slot has no value to send: leave it out rather than fail the whole call
    return {name: getattr(obj, name) for name in slots if hasattr(obj, name)}


def _maybe_compress(data, compress):
    if not compress or len(data) < _COMPRESSION_THRESHOLD:
        return data, False
    compressed = zlib.compress(data)
    if len(compressed) < len(data):
        return compressed, True
    return data, False


def _decompress(data):
    # With a MAX_MESSAGE_SIZE set, the inflated payload is held to it as well: otherwise a small
    # message could inflate to gigabytes (a zlib bomb) past the limit that the raw message obeyed.
    limit = config.MAX_MESSAGE_SIZE
    try:
        if limit <= 0:
            return zlib.decompress(data)
        inflater = zlib.decompressobj()
        inflated = inflater.decompress(data, limit + 1)
    except zlib.error as x:
        raise errors.SerializeError("invalid compressed data: %s" % x) from None
    if len(inflated) > limit:
        raise errors.SerializeError("decompressed payload exceeds the max message size (%d)" % limit)
    if not inflater.eof:  # the text zlib.decompress gives for this
        raise errors.SerializeError("invalid compressed data: Error -5 while decompressing data: incomplete or "
                                    "truncated stream")
    return inflated


class SerializerBase(object):
    """Base class of the serializers: the data/call (de)serialization API that Pyro's core uses."""
    __module__ = "Pyro4.util"

    # Shared by every serializer (also by subclasses), so always mutated, never rebound.
    _class_to_dict_registry = {}
    _dict_to_class_registry = {}

    def serializeData(self, data, compress=False):
        """Serialize a value; returns (bytes, compressed?)."""
        if compress:
            return _maybe_compress(self.dumps(data), True)
        return self.dumps(data), False

    def deserializeData(self, data, compressed=False):
        """Deserialize a value from bytes, bytearray or memoryview (zlib-compressed if ``compressed``)."""
        if compressed:
            data = _decompress(data)
        return self.loads(data)

    def serializeCall(self, obj, method, vargs, kwargs, compress=False):
        """Serialize a method call; returns (bytes, compressed?)."""
        if compress:
            return _maybe_compress(self.dumpsCall(obj, method, vargs, kwargs), True)
        return self.dumpsCall(obj, method, vargs, kwargs), False

    def deserializeCall(self, data, compressed=False):
        """Deserialize a method call into (object id, method name, vargs, kwargs)."""
        if compressed:
            data = _decompress(data)
        return self.loadsCall(data)

    def loads(self, data):
        raise NotImplementedError("implement in subclass")

    def loadsCall(self, data):
        raise NotImplementedError("implement in subclass")

    def dumps(self, data):
        raise NotImplementedError("implement in subclass")

    def dumpsCall(self, obj, method, vargs, kwargs):
        raise NotImplementedError("implement in subclass")

    @classmethod
    def register_type_replacement(cls, object_type, replacement_function):
        raise NotImplementedError("implement in subclass")

    def recreate_classes(self, literal):
        """Rebuilds the objects that a decoded value describes as dicts with a "__class__" key."""
        # a twin (Pyro4._datawalk): this walk runs over every decoded request and result
        return _datawalk.recreate_classes(literal, self.dict_to_class)

    def __eq__(self, other):
        return isinstance(other, SerializerBase) and vars(self) == vars(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = object.__hash__

    @classmethod
    def register_class_to_dict(cls, clazz, converter, serpent_too=True):
        """Makes ``converter(obj) -> dict`` the way to serialize instances of ``clazz`` (and subclasses)."""
        SerializerBase._class_to_dict_registry[clazz] = converter
        if serpent_too:
            from Pyro4 import _serializers_formats
            _serializers_formats.register_serpent_converter(clazz, converter)

    @classmethod
    def unregister_class_to_dict(cls, clazz):
        SerializerBase._class_to_dict_registry.pop(clazz, None)
        from Pyro4 import _serializers_formats
        _serializers_formats.unregister_serpent_converter(clazz)

    @classmethod
    def register_dict_to_class(cls, classname, converter):
        """Makes ``converter(classname, dict) -> object`` rebuild dicts tagged with that exact class name."""
        SerializerBase._dict_to_class_registry[classname] = converter

    @classmethod
    def unregister_dict_to_class(cls, classname):
        SerializerBase._dict_to_class_registry.pop(classname, None)

    @classmethod
    def class_to_dict(cls, obj):
        """The dict that represents ``obj`` for the serializers without native support for its class."""
        for clazz, converter in SerializerBase._class_to_dict_registry.items():
            if isinstance(obj, clazz):
                return converter(obj)
        if type(obj) in _CONTAINER_TYPES:
            raise ValueError("can't serialize type " + str(obj.__class__) + " into a dict")
        if hasattr(obj, "_pyroDaemon"):
            # never send a daemon along with a Pyro object [Q]: this changes the object itself
            obj._pyroDaemon = None
        if isinstance(obj, BaseException):
            return {"__class__": _qualified_class_name(obj), "__exception__": True,
                    "args": obj.args, "attributes": vars(obj)}
        return cls._plain_object_to_dict(obj)

    @classmethod
    def _plain_object_to_dict(cls, obj):
        getstate = _defined_getstate(obj)
        if getstate is not None:
            state = getstate()
            if isinstance(state, dict):
                return state
        if hasattr(obj, "__dict__"):
            value = dict(vars(obj))
        elif hasattr(type(obj), "__slots__"):
            value = _slot_values(obj)
        else:
            raise errors.SerializeError("don't know how to serialize class " + str(obj.__class__) +
                                        " using serializer " + cls.__name__ +
                                        ". Give it vars() or an appropriate __getstate__")
        value["__class__"] = _qualified_class_name(obj)
        return value

    @staticmethod
    def make_exception(exceptiontype, data):
        ex = exceptiontype(*data["args"])
        if "attributes" in data:
            for name, value in data["attributes"].items():
                setattr(ex, name, value)
        return ex

    @classmethod
    def dict_to_class(cls, data):
        """Rebuilds the object described by a dict with a "__class__" key; refuses unknown classes."""
        classname = _class_name_of(data)
        converter = SerializerBase._dict_to_class_registry.get(classname)
        if converter is not None:
            return converter(classname, data)
        if "__" in classname:
            raise errors.SecurityError("refused to deserialize types with double underscores in their name: " +
                                       classname)
        rebuild = _find_rebuilder(cls, classname, data)
        if rebuild is not None:
            try:
                return rebuild()
            except _REBUILD_ERRORS as x:
                raise errors.SerializeError("invalid serialized data for class %s: %s: %s"
                                            % (classname, type(x).__name__, x)) from None
        log.warning("unsupported serialized class: %s", classname)
        raise errors.SerializeError("unsupported serialized class: " + classname)


def _class_name_of(data):
    classname = data.get("__class__", "<unknown>")
    if isinstance(classname, bytes):
        try:
            classname = classname.decode("utf-8")
        except UnicodeDecodeError:
            classname = repr(classname)
    if not isinstance(classname, str):
        raise errors.SerializeError("unsupported serialized class: %r" % (classname,))
    return classname


def _find_rebuilder(serializer_class, classname, data):
    """A function without arguments that rebuilds the object, or None when the class is not allowed."""
    module, _, name = classname.rpartition(".")
    if module == "Pyro4.core" and name in _CORE_CLASSES:
        return lambda: _rebuild_core_object(name, data["state"])
    if module == "Pyro4.util" and name in _SERIALIZER_CLASSES:
        return lambda: _rebuild_serializer(name)
    if module == "Pyro4.errors":
        # [D] 4.82 leaks an AttributeError for a name that is not a Pyro error; here it is refused
        errortype = getattr(errors, name, None)
        if inspect.isclass(errortype) and issubclass(errortype, errors.PyroError):
            return lambda: SerializerBase.make_exception(errortype, data)
        return None
    if classname == "Pyro4.futures._ExceptionWrapper":
        return lambda: _rebuild_exception_wrapper(serializer_class, data["exception"])
    if data.get("__exception__"):
        exceptiontype = _find_exception_class(classname, module, name)
        if exceptiontype is not None:
            return lambda: SerializerBase.make_exception(exceptiontype, data)
    return None


def _find_exception_class(classname, module, name):
    # [D] names that don't resolve give None (and so the final SerializeError), not 4.82's AttributeError
    if classname in all_exceptions:
        return all_exceptions[classname]
    if module in ("builtins", "exceptions"):  # "exceptions." is how Python 2 peers name them
        exceptiontype = getattr(builtins, name, None)
    elif module == "sqlite3" and name.endswith("Error"):
        try:
            import sqlite3
        except ImportError:
            return None
        exceptiontype = getattr(sqlite3, name, None)
    else:
        return None
    if inspect.isclass(exceptiontype) and issubclass(exceptiontype, BaseException):
        return exceptiontype
    return None


def _rebuild_core_object(name, state):
    from Pyro4 import core  # core imports util, so only at use
    klass = getattr(core, name)
    obj = klass.__new__(klass)
    obj.__setstate_from_dict__(state)
    return obj


def _rebuild_serializer(name):
    from Pyro4 import util
    return getattr(util, name)()


def _rebuild_exception_wrapper(serializer_class, exception):
    from Pyro4 import futures
    if isinstance(exception, dict) and "__class__" in exception:
        exception = serializer_class.dict_to_class(exception)
    return futures._ExceptionWrapper(exception)
