"""The seven concrete serializers (ids 1..7) that ``Pyro4.util`` registers and re-exports.

Their classes say they live in ``Pyro4.util``: peers name them ``Pyro4.util.<Name>Serializer`` (in
``__class__`` tags and pickles), so that is where they must be found. The byte formats are
described in the project's WIRE spec (section 5); this module only follows it.
"""
import array
import copyreg
import datetime
import decimal
import importlib
import importlib.util
import inspect
import marshal
import numbers
import pickle
import struct
import sys
import uuid

from Pyro4 import errors
from Pyro4._serializers_base import SerializerBase
from Pyro4._serializers_marshal_guard import check_marshal_data
from Pyro4._speedups import datawalk_impl as _datawalk
from Pyro4._speedups import serpent_impl as _serpent_codec
from Pyro4.configuration import config

try:
    import serpent
except ImportError:  # a hard dependency, but Pyro must still import (and say why serpent is missing)
    serpent = None

try:
    import msgpack
except ImportError:
    msgpack = None

# Read once, when Pyro4.util is first imported (that imports this module), as Pyro4 4.82 does.
try:
    json = importlib.import_module(config.JSON_MODULE)
except ImportError:
    json = None

# Native struct formats on purpose: 4.82 writes msgpack ext data in the sender's byte order and sizes.
_MSGPACK_EXT_COMPLEX = 0x30
_MSGPACK_EXT_NUMBER = 0x31
_MSGPACK_EXT_DATETIME = 0x32
_MSGPACK_EXT_DATE = 0x33

# Python 3.13 can refuse code objects while unmarshalling; no Pyro peer ever sends one.
if sys.version_info >= (3, 13):
    def _unmarshal(data):
        return marshal.loads(data, allow_code=False)
else:
    _unmarshal = marshal.loads


def _marshal_loads(data):
    check_marshal_data(data)  # marshal trusts the sizes in its input: see that module
    return _unmarshal(data)

_lazy_libraries = {}


def _lazy_library(name):
    """dill and cloudpickle cost tens of milliseconds to import: only pay that when they are used."""
    module = _lazy_libraries.get(name)
    if module is None:
        try:
            module = importlib.import_module(name)
        except ImportError as x:
            raise errors.SerializeError("serializer '%s' is unknown or not available: %s" % (name, x)) from None
        _lazy_libraries[name] = module
    return module


def _is_importable(name):
    return name in sys.modules or importlib.util.find_spec(name) is not None


def _as_bytes(data):
    return data if type(data) is bytes else bytes(data)


def _as_text(data):
    return data if isinstance(data, str) else str(data, "utf-8")


def _unpack_call(decoded):
    """The 4 parts of a decoded call; a payload of another shape is a protocol violation, said clearly."""
    if type(decoded) not in (tuple, list) or len(decoded) != 4:
        raise errors.SerializeError("invalid call data: expected (object, method, vargs, kwargs), got %s"
                                    % type(decoded).__name__)
    return tuple(decoded)


def _check_replaceable_type(object_type):
    if object_type is type or not inspect.isclass(object_type):
        raise ValueError("refusing to register replacement for a non-type or the type 'type' itself")


def _array_to_builtin(value):
    return value.tounicode() if value.typecode == "u" else value.tolist()


def _replace_type(replacements, obj):
    # exact type, not isinstance: Pyro's autoproxy registers the classes of registered objects
    replacer = replacements.get(type(obj))
    return replacer(obj) if replacer is not None else obj


def register_serpent_converter(clazz, converter):
    """Lets serpent write ``converter(obj)`` as a plain dict for instances of ``clazz``."""
    if serpent is None:
        return

    def write_converted(obj, serpent_serializer, outputstream, indentlevel):
        serpent_serializer._serialize(converter(obj), outputstream, indentlevel)

    serpent.register_class(clazz, write_converted)


def unregister_serpent_converter(clazz):
    if serpent is not None:
        serpent.unregister_class(clazz)


class SerpentSerializer(SerializerBase):
    """Serpent: Python literal text (the default serializer)."""
    __module__ = "Pyro4.util"
    serializer_id = 1

    # the serpent twins parse and write the common values themselves and hand everything else to
    # the serpent library: the same bytes and values either way

    def dumpsCall(self, obj, method, vargs, kwargs):
        return _serpent_codec.dumps((obj, method, vargs, kwargs), True)

    def dumps(self, data):
        return _serpent_codec.dumps(data, True)

    def loadsCall(self, data):
        obj, method, vargs, kwargs = _unpack_call(_serpent_codec.loads(_as_bytes(data)))
        return obj, method, self.recreate_classes(vargs), self.recreate_classes(kwargs)

    def loads(self, data):
        return self.recreate_classes(_serpent_codec.loads(_as_bytes(data)))

    @classmethod
    def register_type_replacement(cls, object_type, replacement_function):
        _check_replaceable_type(object_type)

        def write_replacement(obj, serpent_serializer, outputstream, indentlevel):
            replaced = replacement_function(obj)
            if replaced is obj:
                serpent_serializer.ser_default_class(replaced, outputstream, indentlevel)
            else:
                serpent_serializer._serialize(replaced, outputstream, indentlevel)

        serpent.register_class(object_type, write_replacement)

    @classmethod
    def dict_to_class(cls, data):
        # serpent has no literal for NaN and writes it as this dict
        classname = data.get("__class__")
        if type(classname) is str and classname == "float":
            try:
                return float(data["value"])
            except (KeyError, TypeError, ValueError):
                raise errors.SerializeError("invalid serialized float: %r" % (data.get("value"),)) from None
        return super(SerpentSerializer, cls).dict_to_class(data)


class JsonSerializer(SerializerBase):
    """JSON (the module named by config.JSON_MODULE); calls are objects with named parts."""
    __module__ = "Pyro4.util"
    serializer_id = 2
    _type_replacements = {}

    def dumpsCall(self, obj, method, vargs, kwargs):
        return self._encode({"object": obj, "method": method, "params": vargs, "kwargs": kwargs})

    def dumps(self, data):
        return self._encode(data)

    def _encode(self, data):
        return json.dumps(data, ensure_ascii=False, default=self.default).encode("utf-8")

    def loadsCall(self, data):
        call = json.loads(_as_text(data))
        try:
            obj, method, vargs, kwargs = call["object"], call["method"], call["params"], call["kwargs"]
        except (KeyError, TypeError):
            raise errors.SerializeError("invalid call data: expected a json object with keys "
                                        "object, method, params, kwargs") from None
        return obj, method, self.recreate_classes(vargs), self.recreate_classes(kwargs)

    def loads(self, data):
        return self.recreate_classes(json.loads(_as_text(data)))

    def default(self, obj):
        obj = _replace_type(self._type_replacements, obj)
        if isinstance(obj, set):
            return tuple(obj)
        if isinstance(obj, uuid.UUID):
            return str(obj)
        if isinstance(obj, (datetime.datetime, datetime.date)):
            return obj.isoformat()
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        if isinstance(obj, array.array):
            return _array_to_builtin(obj)
        return self.class_to_dict(obj)

    @classmethod
    def register_type_replacement(cls, object_type, replacement_function):
        _check_replaceable_type(object_type)
        cls._type_replacements[object_type] = replacement_function


class MarshalSerializer(SerializerBase):
    """marshal of the running interpreter; no autoproxy (marshal has no per-type hook)."""
    __module__ = "Pyro4.util"
    serializer_id = 3
    marshalable_types = (str, int, float, type(None), bool, complex, bytes, bytearray,
                         tuple, set, frozenset, list, dict)

    def dumpsCall(self, obj, method, vargs, kwargs):
        # only the top level of each argument is converted, as in 4.82; arguments of the exact builtin
        # types (the usual call) need no conversion, and finding that out costs less than converting
        for value in vargs:
            if type(value) not in _MARSHAL_EXACT_TYPES:
                vargs = [self.convert_obj_into_marshallable(value) for value in vargs]
                break
        else:
            vargs = list(vargs)
        if kwargs:  # None for attribute access and batches (4.82's client crashes there)
            kwargs = {key: self.convert_obj_into_marshallable(value) for key, value in kwargs.items()}
        return marshal.dumps((obj, method, vargs, kwargs))

    def dumps(self, data):
        if type(data) not in _MARSHAL_EXACT_TYPES:
            data = self.convert_obj_into_marshallable(data)
        return marshal.dumps(data)

    # loadsCall and loads spell out _marshal_loads and recreate_classes: they run for every request and
    # result, and each of those calls costs about as much as the decoding itself

    def loadsCall(self, data):
        check_marshal_data(data)
        decoded = _unmarshal(data)
        # a call as this library and 4.82 send it needs none of _unpack_call's conversions
        obj, method, vargs, kwargs = decoded if type(decoded) is tuple and len(decoded) == 4 else _unpack_call(decoded)
        rebuild = self.dict_to_class
        return obj, method, _datawalk.recreate_classes(vargs, rebuild), _datawalk.recreate_classes(kwargs, rebuild)

    def loads(self, data):
        check_marshal_data(data)
        return _datawalk.recreate_classes(_unmarshal(data), self.dict_to_class)

    def convert_obj_into_marshallable(self, obj):
        if isinstance(obj, self.marshalable_types):
            return obj
        if isinstance(obj, array.array):
            return _array_to_builtin(obj)
        return self.class_to_dict(obj)

    @classmethod
    def class_to_dict(cls, obj):
        if isinstance(obj, uuid.UUID):
            return str(obj)
        return super(MarshalSerializer, cls).class_to_dict(obj)

    @classmethod
    def register_type_replacement(cls, object_type, replacement_function):
        pass  # marshal can't hook types, so it never autoproxies


_MARSHAL_EXACT_TYPES = frozenset(MarshalSerializer.marshalable_types)


class MsgpackSerializer(SerializerBase):
    """msgpack, with ext types 0x30-0x33 for complex, big numbers, datetime and date."""
    __module__ = "Pyro4.util"
    serializer_id = 6
    _type_replacements = {}

    def dumpsCall(self, obj, method, vargs, kwargs):
        return msgpack.packb((obj, method, vargs, kwargs), use_bin_type=True, default=self.default)

    def dumps(self, data):
        return msgpack.packb(data, use_bin_type=True, default=self.default)

    def loadsCall(self, data):
        # [Q] as in 4.82, no ext_hook for calls: ext-typed arguments arrive as msgpack.ExtType
        return _unpack_call(msgpack.unpackb(data, raw=False, object_hook=self.object_hook))

    def loads(self, data):
        return msgpack.unpackb(data, raw=False, object_hook=self.object_hook, ext_hook=self.ext_hook)

    def default(self, obj):
        obj = _replace_type(self._type_replacements, obj)
        if isinstance(obj, set):
            return tuple(obj)
        if isinstance(obj, uuid.UUID):
            return str(obj)
        if isinstance(obj, bytearray):
            return bytes(obj)
        if isinstance(obj, complex):
            return msgpack.ExtType(_MSGPACK_EXT_COMPLEX, struct.pack("dd", obj.real, obj.imag))
        if isinstance(obj, datetime.datetime):
            if obj.tzinfo is not None:
                raise errors.SerializeError("msgpack cannot serialize datetime with timezone info")
            return msgpack.ExtType(_MSGPACK_EXT_DATETIME, struct.pack("d", obj.timestamp()))
        if isinstance(obj, datetime.date):
            return msgpack.ExtType(_MSGPACK_EXT_DATE, struct.pack("l", obj.toordinal()))
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        if isinstance(obj, numbers.Number):
            return msgpack.ExtType(_MSGPACK_EXT_NUMBER, str(obj).encode("ascii"))
        if isinstance(obj, array.array):
            return _array_to_builtin(obj)
        return self.class_to_dict(obj)

    def object_hook(self, obj):
        if "__class__" in obj:
            return self.dict_to_class(obj)
        return obj

    def ext_hook(self, code, data):
        decoder = _MSGPACK_EXT_DECODERS.get(code)
        if decoder is None:
            raise errors.SerializeError("invalid ext code for msgpack: %d" % code)
        try:
            return decoder(data)
        except (struct.error, ValueError, OverflowError, OSError) as x:
            raise errors.SerializeError("invalid data for msgpack ext code %d: %s" % (code, x)) from None

    @classmethod
    def register_type_replacement(cls, object_type, replacement_function):
        _check_replaceable_type(object_type)
        cls._type_replacements[object_type] = replacement_function


_MSGPACK_EXT_DECODERS = {
    _MSGPACK_EXT_COMPLEX: lambda data: complex(*struct.unpack("dd", data)),
    _MSGPACK_EXT_NUMBER: int,
    _MSGPACK_EXT_DATETIME: lambda data: datetime.datetime.fromtimestamp(struct.unpack("d", data)[0]),
    _MSGPACK_EXT_DATE: lambda data: datetime.date.fromordinal(struct.unpack("l", data)[0]),
}


class _PickleFamilySerializer(SerializerBase):
    """pickle and its extensions (dill, cloudpickle): they differ only in module and protocol setting."""

    def _library(self):
        raise NotImplementedError("implement in subclass")

    def _protocol(self):
        return config.PICKLE_PROTOCOL_VERSION

    def dumpsCall(self, obj, method, vargs, kwargs):
        return self._library().dumps((obj, method, vargs, kwargs), self._protocol())

    def dumps(self, data):
        return self._library().dumps(data, self._protocol())

    def loadsCall(self, data):
        return _unpack_call(self._library().loads(_as_bytes(data)))

    def loads(self, data):
        return self._library().loads(_as_bytes(data))

    @classmethod
    def register_type_replacement(cls, object_type, replacement_function):
        _check_replaceable_type(object_type)

        def reduce_replaced(obj):
            return replacement_function(obj).__reduce__()

        try:
            # copyreg is shared by pickle, dill and cloudpickle
            copyreg.pickle(object_type, reduce_replaced)
        except TypeError:
            pass


class PickleSerializer(_PickleFamilySerializer):
    """pickle, protocol config.PICKLE_PROTOCOL_VERSION."""
    __module__ = "Pyro4.util"
    serializer_id = 4

    def _library(self):
        return pickle

    # the family's methods with the library and protocol lookups spelled out: pickle is the one of
    # the three that is used for speed, and those two calls cost as much as pickling a small call

    def dumpsCall(self, obj, method, vargs, kwargs):
        return pickle.dumps((obj, method, vargs, kwargs), config.PICKLE_PROTOCOL_VERSION)

    def dumps(self, data):
        return pickle.dumps(data, config.PICKLE_PROTOCOL_VERSION)

    def loadsCall(self, data):
        return _unpack_call(pickle.loads(data if type(data) is bytes else bytes(data)))

    def loads(self, data):
        return pickle.loads(data if type(data) is bytes else bytes(data))


class DillSerializer(_PickleFamilySerializer):
    """dill, protocol config.DILL_PROTOCOL_VERSION."""
    __module__ = "Pyro4.util"
    serializer_id = 5

    def _library(self):
        return _lazy_library("dill")

    def _protocol(self):
        return config.DILL_PROTOCOL_VERSION


class CloudpickleSerializer(_PickleFamilySerializer):
    """cloudpickle, protocol config.PICKLE_PROTOCOL_VERSION."""
    __module__ = "Pyro4.util"
    serializer_id = 7

    def _library(self):
        return _lazy_library("cloudpickle")


def available_serializers():
    """(name, serializer instance) of every serializer whose library can be used here."""
    candidates = [
        ("pickle", PickleSerializer, True),
        ("marshal", MarshalSerializer, True),
        ("cloudpickle", CloudpickleSerializer, _is_importable("cloudpickle")),
        ("dill", DillSerializer, _is_importable("dill")),
        ("msgpack", MsgpackSerializer, msgpack is not None),
        ("json", JsonSerializer, json is not None),
        ("serpent", SerpentSerializer, serpent is not None),
    ]
    return [(name, serializer_class()) for name, serializer_class, available in candidates if available]
