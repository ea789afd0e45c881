"""Serializer registry, data/call API, compression, per-serializer type handling and bad input."""
import array
import copyreg
import datetime
import decimal
import marshal
import pickle
import pickletools
import struct
import sys
import uuid
import warnings
import zlib

import msgpack
import pytest
from hypothesis import given, settings, strategies as st

import Pyro4
import Pyro4.core
import Pyro4.futures
import Pyro4.util
from Pyro4 import errors
from Pyro4 import _serializers_formats
from Pyro4._serializers_marshal_guard import check_marshal_data, _walk
from Pyro4.util import SerializerBase

ALL_NAMES = ["serpent", "json", "marshal", "pickle", "dill", "msgpack", "cloudpickle"]
NON_PICKLE = ["serpent", "json", "marshal", "msgpack"]
EXPECTED_IDS = {"serpent": 1, "json": 2, "marshal": 3, "pickle": 4, "dill": 5, "msgpack": 6, "cloudpickle": 7}
CLASS_NAMES = {"serpent": "SerpentSerializer", "json": "JsonSerializer", "marshal": "MarshalSerializer",
               "pickle": "PickleSerializer", "dill": "DillSerializer", "msgpack": "MsgpackSerializer",
               "cloudpickle": "CloudpickleSerializer"}


def ser(name):
    return Pyro4.util.get_serializer(name)


def unicode_array(text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # typecode 'u' is deprecated on 3.13+
        return array.array("u", text)


# ------------------------------------------------------------------------------------------ registry

@pytest.mark.parametrize("name", ALL_NAMES)
def test_registered_by_name_and_id(name):
    serializer = ser(name)
    assert type(serializer).__name__ == CLASS_NAMES[name]
    assert serializer.serializer_id == EXPECTED_IDS[name]
    assert getattr(Pyro4.util, CLASS_NAMES[name]).serializer_id == EXPECTED_IDS[name]
    assert Pyro4.util.get_serializer_by_id(EXPECTED_IDS[name]) is serializer
    assert Pyro4.util._serializers[name] is serializer
    assert Pyro4.util._serializers_by_id[EXPECTED_IDS[name]] is serializer


@pytest.mark.parametrize("class_name", sorted(CLASS_NAMES.values()) + ["SerializerBase"])
def test_class_identity_is_pyro4_util(class_name):
    clazz = getattr(Pyro4.util, class_name)
    assert clazz.__module__ == "Pyro4.util"
    assert clazz.__qualname__ == class_name


def test_unknown_serializer_name():
    with pytest.raises(errors.SerializeError) as excinfo:
        Pyro4.util.get_serializer("foobar")
    assert str(excinfo.value) == "serializer 'foobar' is unknown or not available"


@pytest.mark.parametrize("sid", [0, 8, 42, -1])
def test_unknown_serializer_id(sid):
    with pytest.raises(errors.SerializeError) as excinfo:
        Pyro4.util.get_serializer_by_id(sid)
    assert str(excinfo.value) == "no serializer available for id %d" % sid


@pytest.mark.parametrize("bad", [None, "1", [1]])
def test_serializer_lookup_with_wrong_key_types(bad):
    with pytest.raises(errors.SerializeError):
        Pyro4.util.get_serializer_by_id(bad)
    with pytest.raises(errors.SerializeError):
        Pyro4.util.get_serializer(bad)


def test_optional_library_missing_is_reported(monkeypatch):
    monkeypatch.setattr(_serializers_formats, "msgpack", None)
    monkeypatch.setattr(_serializers_formats, "_is_importable", lambda name: False)
    names = [name for name, _ in _serializers_formats.available_serializers()]
    assert sorted(names) == ["json", "marshal", "pickle", "serpent"]
    with pytest.raises(errors.SerializeError, match="^serializer 'no_such_lib_xyz' is unknown or not available"):
        _serializers_formats._lazy_library("no_such_lib_xyz")


def test_dill_and_cloudpickle_are_imported_only_when_used():
    import subprocess
    code = ("import sys, Pyro4; assert 'dill' not in sys.modules and 'cloudpickle' not in sys.modules; "
            "assert Pyro4.util.get_serializer('dill').loads(Pyro4.util.get_serializer('dill').dumps(5)) == 5; "
            "assert 'dill' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_serializer_survives_round_trip_through_itself(name):
    serializer = ser(name)
    copy = serializer.loads(serializer.dumps(serializer))
    assert type(copy) is type(serializer)
    assert copy == serializer
    assert not (copy != serializer)


def test_serializer_equality_and_hash():
    assert Pyro4.util.SerpentSerializer() == Pyro4.util.SerpentSerializer()
    assert Pyro4.util.SerpentSerializer() != 42
    first, second = Pyro4.util.PickleSerializer(), Pyro4.util.PickleSerializer()
    assert hash(first) != hash(second) or first is second  # identity-based hash
    assert hash(first) == hash(first)


def test_base_class_is_abstract():
    base = SerializerBase()
    for call in (lambda: base.loads(b""), lambda: base.loadsCall(b""), lambda: base.dumps(1),
                 lambda: base.dumpsCall("o", "m", (), {}),
                 lambda: SerializerBase.register_type_replacement(int, str)):
        with pytest.raises(NotImplementedError, match="^implement in subclass$"):
            call()


# ------------------------------------------------------------------------------ data/call API, compression

@pytest.mark.parametrize("name", ALL_NAMES)
def test_compression_rule(name):
    serializer = ser(name)
    data, compressed = serializer.serializeData("small data", compress=True)
    assert not compressed and serializer.deserializeData(data) == "small data"
    big = "x" * 1000
    plain, compressed = serializer.serializeData(big, compress=False)
    assert not compressed
    data, compressed = serializer.serializeData(big, compress=True)
    assert compressed and len(data) < len(plain)
    assert serializer.deserializeData(data, compressed=True) == big
    data, compressed = serializer.serializeCall("obj", "method", (big,), {"k": big}, compress=True)
    assert compressed
    assert list(serializer.deserializeCall(data, compressed=True)[2]) == [big]


def test_incompressible_data_is_sent_plain():
    noise = __import__("os").urandom(1000)
    data, compressed = ser("pickle").serializeData(noise, compress=True)
    assert not compressed and pickle.loads(data) == noise


def test_threshold_is_200_bytes():
    assert _serializers_formats.SerializerBase is SerializerBase
    from Pyro4._serializers_base import _maybe_compress
    assert _maybe_compress(b"a" * 199, True) == (b"a" * 199, False)
    data, compressed = _maybe_compress(b"a" * 200, True)
    assert compressed and zlib.decompress(data) == b"a" * 200


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
@pytest.mark.parametrize("compress", [False, True])
def test_bytes_like_input(name, wrap, compress):
    serializer = ser(name)
    value = ["data"] * 100
    data, compressed = serializer.serializeData(value, compress=compress)
    assert compressed == compress
    assert list(serializer.deserializeData(wrap(data), compressed=compressed)) == value
    call, compressed = serializer.serializeCall("obj", "meth", value, {"a": 1}, compress=compress)
    obj, method, vargs, kwargs = serializer.deserializeCall(wrap(call), compressed=compressed)
    assert (obj, method, list(vargs), kwargs) == ("obj", "meth", value, {"a": 1})
    if not compress:
        assert list(serializer.loads(wrap(data))) == value
        assert serializer.loadsCall(wrap(call))[1] == "meth"


def test_bad_compressed_data():
    with pytest.raises(errors.SerializeError, match="^invalid compressed data"):
        ser("serpent").deserializeData(b"not zlib", compressed=True)
    with pytest.raises(errors.SerializeError):
        ser("json").deserializeCall(b"not zlib", compressed=True)


@pytest.mark.parametrize("limit", [0, 10 ** 6])
def test_truncated_compressed_data(limit):
    Pyro4.config.MAX_MESSAGE_SIZE = limit
    data = zlib.compress(ser("serpent").dumps("x" * 5000))
    with pytest.raises(errors.SerializeError, match="^invalid compressed data: .*incomplete or truncated stream"):
        ser("serpent").deserializeData(data[:-6], compressed=True)


def test_decompression_is_held_to_the_max_message_size():
    bomb = zlib.compress(b"\0" * (20 * 1024 * 1024))  # 20 KiB that inflate to 20 MiB
    Pyro4.config.MAX_MESSAGE_SIZE = 1024 * 1024
    with pytest.raises(errors.SerializeError, match=r"^decompressed payload exceeds the max message size \(1048576\)"):
        ser("marshal").deserializeData(bomb, compressed=True)
    with pytest.raises(errors.SerializeError, match="exceeds the max message size"):
        ser("serpent").deserializeCall(bomb, compressed=True)
    text = "y" * 1000
    assert ser("json").deserializeData(zlib.compress(ser("json").dumps(text)), compressed=True) == text


@pytest.mark.parametrize("name", ["serpent", "json", "marshal"])
def test_circular_structure_with_proxy_is_value_error(name):
    data = [42, "hello", Pyro4.core.Proxy("PYRO:dummy@localhost:4444")]
    data.append(data)
    with pytest.raises(ValueError):
        ser(name).dumps(data)


@pytest.mark.parametrize("name", ["serpent", "json", "msgpack"])
def test_circular_structure_is_value_error(name):
    data = {"a": 1}
    data["me"] = data
    with pytest.raises(ValueError):
        ser(name).dumps(data)


def test_call_formats():
    assert ser("serpent").dumpsCall("obj", "m", (1, 2), {}) == b"# serpent utf-8 python3.2\n('obj','m',(1,2),{})"
    assert ser("json").dumpsCall("obj", "m", (1, 2), {"k": 1}) == \
        b'{"object": "obj", "method": "m", "params": [1, 2], "kwargs": {"k": 1}}'
    assert marshal.loads(ser("marshal").dumpsCall("obj", "m", (1, 2), {})) == ("obj", "m", [1, 2], {})
    assert ser("msgpack").dumpsCall("obj", "m", (1, 2), {}) == b"\x94\xa3obj\xa1m\x92\x01\x02\x80"
    assert pickle.loads(ser("pickle").dumpsCall("obj", "m", (1, 2), {})) == ("obj", "m", (1, 2), {})


def test_marshal_call_with_kwargs_none():
    data = ser("marshal").dumpsCall("obj", "__getattr__", ("name",), None)
    assert ser("marshal").loadsCall(data) == ("obj", "__getattr__", ["name"], None)


def test_serpent_text_is_utf8_and_json_not_ascii_escaped():
    assert ser("json").dumps("h\u00e9") == '"h\u00e9"'.encode("utf-8")
    assert ser("serpent").dumps("h\u00e9") == "# serpent utf-8 python3.2\n'h\u00e9'".encode("utf-8")


# ------------------------------------------------------------------------------------- live settings

def test_pickle_protocol_read_live():
    Pyro4.config.PICKLE_PROTOCOL_VERSION = 2
    assert ser("pickle").dumps(1)[:2] == b"\x80\x02"
    assert ser("cloudpickle").dumps(1)[:2] == b"\x80\x02"
    assert ser("pickle").dumpsCall("o", "m", (), {})[:2] == b"\x80\x02"
    Pyro4.config.PICKLE_PROTOCOL_VERSION = 4
    assert ser("pickle").dumps(1)[:2] == b"\x80\x04"


def test_dill_protocol_read_live():
    Pyro4.config.DILL_PROTOCOL_VERSION = 2
    assert ser("dill").dumps(1)[:2] == b"\x80\x02"
    Pyro4.config.DILL_PROTOCOL_VERSION = 3
    assert ser("dill").dumps(1)[:2] == b"\x80\x03"


# ---------------------------------------------------------------------- exact encodings of core objects

def test_uri_exact_encodings():
    uri = Pyro4.core.URI("PYRO:obj@localhost:1234")
    assert ser("serpent").dumps(uri) in (
        b"# serpent utf-8 python3.2\n{'__class__':'Pyro4.core.URI','state':('PYRO','obj',None,'localhost',1234)}",
        b"# serpent utf-8 python3.2\n{'state':('PYRO','obj',None,'localhost',1234),'__class__':'Pyro4.core.URI'}")
    assert ser("json").dumps(uri) in (
        b'{"__class__": "Pyro4.core.URI", "state": ["PYRO", "obj", null, "localhost", 1234]}',
        b'{"state": ["PYRO", "obj", null, "localhost", 1234], "__class__": "Pyro4.core.URI"}')
    assert pickletools.optimize(pickle.dumps(uri, 2)) == \
        b"\x80\x02cPyro4.core\nURI\n)\x81(X\x04\x00\x00\x00PYROX\x03\x00\x00\x00objNX\t\x00\x00\x00localhostM\xd2\x04tb."


def test_proxy_daemon_wrapper_serpent_encodings():
    proxy = Pyro4.core.Proxy("PYRO:obj@localhost:1234")
    proxy._pyroOneway = {"a"}
    proxy._pyroHmacKey = b"k"
    assert ser("serpent").dumps(proxy) == (
        b"# serpent utf-8 python3.2\n{'__class__':'Pyro4.core.Proxy','state':"
        b"('PYRO:obj@localhost:1234',('a',),(),(),0.0,'b64:aw==','hello',0,None)}")
    wrapper = Pyro4.futures._ExceptionWrapper(ValueError("x"))
    assert ser("serpent").dumps(wrapper) == (
        b"# serpent utf-8 python3.2\n{'__class__':'Pyro4.futures._ExceptionWrapper','exception':"
        b"{'__class__':'builtins.ValueError','__exception__':True,'args':('x',),'attributes':{}}}")
    daemon = Pyro4.core.Daemon.__new__(Pyro4.core.Daemon)
    assert ser("serpent").dumps(daemon) == b"# serpent utf-8 python3.2\n{'__class__':'Pyro4.core.Daemon','state':()}"


@pytest.mark.parametrize("name", ALL_NAMES)
def test_core_objects_round_trip(name):
    serializer = ser(name)
    uri = Pyro4.core.URI("PYRO:obj@127.0.0.1:5555")
    proxy = Pyro4.core.Proxy(uri)
    proxy._pyroMethods = {"m"}
    wrapper = Pyro4.futures._ExceptionWrapper(errors.NamingError("nope"))
    # one by one: marshal only converts the top level
    uri2, proxy2, wrapper2 = [serializer.loads(serializer.dumps(value)) for value in (uri, proxy, wrapper)]
    assert uri2 == uri
    assert proxy2._pyroUri == uri and proxy2._pyroMethods == {"m"}
    assert isinstance(wrapper2, Pyro4.futures._ExceptionWrapper)
    assert type(wrapper2.exception) is errors.NamingError and wrapper2.exception.args == ("nope",)
    _, _, vargs, kwargs = serializer.loadsCall(serializer.dumpsCall("o", "m", (uri,), {"p": proxy}))
    assert vargs[0] == uri and kwargs["p"]._pyroUri == uri


# ---------------------------------------------------------------------------- per-serializer types

def test_json_type_hooks():
    value = {"set": {1}, "uuid": uuid.UUID(int=1), "dt": datetime.datetime(2020, 1, 2, 3, 4, 5),
             "date": datetime.date(2020, 1, 2), "dec": decimal.Decimal("1.5"), "arr": array.array("i", [1]),
             "uarr": unicode_array("ab"), "nan": float("nan"), "inf": float("inf"), "big": 2 ** 80}
    back = ser("json").loads(ser("json").dumps(value))
    assert back["set"] == [1] and back["uuid"] == str(uuid.UUID(int=1))
    assert back["dt"] == "2020-01-02T03:04:05" and back["date"] == "2020-01-02"
    assert back["dec"] == "1.5" and back["arr"] == [1] and back["uarr"] == "ab"
    assert back["nan"] != back["nan"] and back["inf"] == float("inf") and back["big"] == 2 ** 80


@pytest.mark.parametrize("value", [b"x", frozenset([1]), 1j, datetime.time(1), datetime.timedelta(1)])
def test_json_refuses(value):
    with pytest.raises(errors.SerializeError) as excinfo:
        ser("json").dumps(value)
    assert str(excinfo.value) == ("don't know how to serialize class %s using serializer JsonSerializer. "
                                  "Give it vars() or an appropriate __getstate__" % type(value))


def test_json_non_string_keys():
    with pytest.raises(TypeError):
        ser("json").dumps({(1, 2): 3})


def test_msgpack_ext_types_round_trip():
    value = [1 - 2j, 2 ** 70, datetime.datetime(2021, 5, 6, 7, 8, 9, 123000), datetime.date(1999, 12, 31),
             decimal.Decimal("2.5"), uuid.UUID(int=5), bytearray(b"ab"), {3}]
    back = ser("msgpack").loads(ser("msgpack").dumps(value))
    assert back == [1 - 2j, 2 ** 70, value[2], value[3], "2.5", str(uuid.UUID(int=5)), b"ab", [3]]


def test_msgpack_loadscall_keeps_ext_types():
    # [Q] as 4.82: the call decoder has no ext hook
    data = ser("msgpack").dumpsCall("o", "m", (1j,), {})
    _, _, vargs, _ = ser("msgpack").loadsCall(data)
    assert isinstance(vargs[0], msgpack.ExtType) and vargs[0].code == 0x30


def test_msgpack_timezone_datetime():
    value = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    with pytest.raises(errors.SerializeError) as excinfo:
        ser("msgpack").dumps(value)
    assert str(excinfo.value) == "msgpack cannot serialize datetime with timezone info"


def test_msgpack_unknown_ext_code():
    data = msgpack.packb(msgpack.ExtType(0x42, b"xx"))
    with pytest.raises(errors.SerializeError) as excinfo:
        ser("msgpack").loads(data)
    assert str(excinfo.value) == "invalid ext code for msgpack: 66"


@pytest.mark.parametrize("code,payload", [(0x30, b"short"), (0x31, b"12x"), (0x32, b"\x01"), (0x33, b"\xff" * 8)])
def test_msgpack_bad_ext_data(code, payload):
    data = msgpack.packb(msgpack.ExtType(code, payload))
    with pytest.raises(errors.SerializeError, match="^invalid data for msgpack ext code %d" % code):
        ser("msgpack").loads(data)


def test_msgpack_oversize_number_text():
    data = msgpack.packb(msgpack.ExtType(0x31, b"9" * 50000))
    try:
        value = ser("msgpack").loads(data)
    except errors.SerializeError as x:  # Python with an int digit limit (3.11+, 3.10.7+, ...)
        assert "ext code 49" in str(x)
    else:
        assert value == int("9" * 50000)


def test_msgpack_int_keys_fail_on_load():
    data = ser("msgpack").dumps({1: "one"})
    with pytest.raises(ValueError):
        ser("msgpack").loads(data)


def test_marshal_conversion_is_top_level_only():
    uri = Pyro4.core.URI("PYRO:o@h:1")
    assert ser("marshal").loads(ser("marshal").dumps(uri)) == uri
    with pytest.raises(ValueError, match="unmarshallable object"):
        ser("marshal").dumps([uri])
    assert marshal.loads(ser("marshal").dumps(uuid.UUID(int=3))) == str(uuid.UUID(int=3))
    assert marshal.loads(ser("marshal").dumps(unicode_array("hi"))) == "hi"
    assert marshal.loads(ser("marshal").dumps(array.array("b", [1, 2]))) == [1, 2]
    call = marshal.loads(ser("marshal").dumpsCall("o", "m", (uri, uuid.UUID(int=3)), {"k": uri}))
    assert call[2][0]["__class__"] == "Pyro4.core.URI" and call[2][1] == str(uuid.UUID(int=3))
    assert call[3]["k"]["__class__"] == "Pyro4.core.URI"


def test_marshalable_types():
    expected = (str, int, float, type(None), bool, complex, bytes, bytearray, tuple, set, frozenset, list, dict)
    assert Pyro4.util.MarshalSerializer.marshalable_types == expected


def test_marshal_keeps_natives():
    value = (1, 2.5, 1j, b"x", {1}, frozenset([2]), [None, True], {"k": "v"})
    assert ser("marshal").loads(ser("marshal").dumps(value)) == value
    assert ser("marshal").loads(ser("marshal").dumps(bytearray(b"ab"))) == b"ab"


@pytest.mark.skipif(sys.version_info < (3, 13), reason="marshal can only refuse code objects from Python 3.13 on")
def test_marshal_refuses_code_objects():
    data = marshal.dumps(compile("1", "x", "eval"))
    with pytest.raises(ValueError):
        ser("marshal").loads(data)


def test_serpent_special_values():
    serializer = ser("serpent")
    nan = serializer.loads(b"# serpent utf-8 python3.2\n{'__class__':'float','value':'nan'}")
    assert nan != nan
    assert serializer.loads(b"# serpent utf-8 python3.2\n{'__class__':'float','value':'inf'}") == float("inf")
    assert serializer.loads(b"# serpent utf-8 python3.2\n{'__class__':'float','value':'-inf'}") == float("-inf")
    assert serializer.loads(serializer.dumps([float("-inf"), float("inf")])) == [float("-inf"), float("inf")]
    with pytest.raises(errors.SerializeError):
        serializer.loads(b"# serpent utf-8 python3.2\n{'__class__':'float','value':'abc'}")


def test_serpent_ordered_dict_is_refused():
    import collections
    data = ser("serpent").dumps(collections.OrderedDict([("a", 1)]))
    with pytest.raises(errors.SerializeError, match="^unsupported serialized class: collections.OrderedDict$"):
        ser("serpent").loads(data)


def test_pickle_family_keeps_python_types():
    value = {"set": {1}, "bytearray": bytearray(b"x"), "dec": decimal.Decimal("1"), "err": ValueError("v")}
    for name in ("pickle", "dill", "cloudpickle"):
        back = ser(name).loads(ser(name).dumps(value))
        assert back["set"] == {1} and back["bytearray"] == bytearray(b"x") and back["dec"] == decimal.Decimal("1")
        assert type(back["err"]) is ValueError


# --------------------------------------------------------------------------------- type replacements

class Replaceable(object):
    def __init__(self, value=1):
        self.value = value


@pytest.fixture
def replacements_cleanup():
    registered = []
    yield registered
    import serpent
    for clazz in registered:
        serpent.unregister_class(clazz)
        Pyro4.util.JsonSerializer._type_replacements.pop(clazz, None)
        Pyro4.util.MsgpackSerializer._type_replacements.pop(clazz, None)
        copyreg.dispatch_table.pop(clazz, None)


@pytest.mark.parametrize("name", ["serpent", "json", "msgpack", "pickle", "dill", "cloudpickle"])
@pytest.mark.parametrize("bad", [type, 42, "str", None])
def test_type_replacement_refuses_non_types(name, bad):
    with pytest.raises(ValueError):
        type(ser(name)).register_type_replacement(bad, lambda obj: obj)


def test_marshal_ignores_type_replacement():
    Pyro4.util.MarshalSerializer.register_type_replacement(type, lambda obj: obj)
    Pyro4.util.MarshalSerializer.register_type_replacement(Replaceable, lambda obj: "replaced")
    assert marshal.loads(ser("marshal").dumps(Replaceable()))["value"] == 1


@pytest.mark.parametrize("name", ["serpent", "json", "msgpack", "pickle", "dill", "cloudpickle"])
def test_int_replacement_does_not_break_ints(name, replacements_cleanup):
    replacements_cleanup.append(int)
    type(ser(name)).register_type_replacement(int, lambda obj: "an int")
    assert ser(name).loads(ser(name).dumps(42)) == 42


@pytest.mark.parametrize("name", ["serpent", "json", "msgpack", "pickle", "dill", "cloudpickle"])
def test_type_replacement_is_used(name, replacements_cleanup):
    replacements_cleanup.append(Replaceable)
    type(ser(name)).register_type_replacement(Replaceable, lambda obj: Pyro4.core.URI("PYRO:repl@localhost:1"))
    back = ser(name).loads(ser(name).dumps([Replaceable()]))
    assert back[0] == Pyro4.core.URI("PYRO:repl@localhost:1")


def test_serpent_type_replacement_returning_the_object(replacements_cleanup):
    replacements_cleanup.append(Replaceable)
    Pyro4.util.SerpentSerializer.register_type_replacement(Replaceable, lambda obj: obj)
    text = ser("serpent").dumps(Replaceable(5))
    assert b"'value':5" in text and b"Replaceable" in text


# ---------------------------------------------------------------------------------------- bad input

# (no sample claims a huge container size: marshal would preallocate it, see the report on marshal)
GARBAGE = [b"\x00garbage{{", b"(((", b"\xff\xfe\xfd", b"", b"[\x05\x00\x00\x00\xe9", b"{'a':" * 10]


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("payload", GARBAGE)
def test_garbage_payload_raises_an_ordinary_error(name, payload):
    serializer = ser(name)
    with pytest.raises(Exception) as excinfo:
        serializer.loads(payload)
    assert isinstance(excinfo.value, (ValueError, SyntaxError, EOFError, TypeError, errors.PyroError,
                                      pickle.UnpicklingError, IndexError, KeyError))
    with pytest.raises(Exception):
        serializer.loadsCall(payload)


def test_garbage_serpent_gives_syntax_error_as_4_82():
    with pytest.raises(SyntaxError):
        ser("serpent").loads(b"# serpent utf-8 python3.2\n(((")


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("value", [42, "abcd", ("a", "b", "c"), {"a": 1, "b": 2, "c": 3, "d": 4}])
def test_call_of_wrong_shape(name, value):
    serializer = ser(name)
    with pytest.raises(errors.SerializeError, match="^invalid call data"):
        serializer.loadsCall(serializer.dumps(value))


@pytest.mark.parametrize("name", NON_PICKLE)
@pytest.mark.parametrize("classname", ["os.system", "builtins.eval", "subprocess.Popen", "Pyro4.core.Nope",
                                       "Pyro4.util.Nope", "Pyro4.errors.Nope", "Pyro4.errors.errors"])
def test_receiver_refuses_other_classes(name, classname):
    serializer = ser(name)
    payload = serializer.dumps({"__class__": classname, "__exception__": True, "args": ["ls"], "attributes": {}})
    with pytest.raises(errors.SerializeError) as excinfo:
        serializer.loads(payload)
    assert str(excinfo.value) == "unsupported serialized class: " + classname


@pytest.mark.parametrize("name", NON_PICKLE)
def test_receiver_refuses_dunder_classes(name):
    serializer = ser(name)
    payload = serializer.dumps([{"__class__": "__main__.Evil", "x": 1}])
    with pytest.raises(errors.SecurityError) as excinfo:
        serializer.loads(payload)
    assert str(excinfo.value) == "refused to deserialize types with double underscores in their name: __main__.Evil"


@pytest.mark.parametrize("name", NON_PICKLE)
@pytest.mark.parametrize("tag", [{"__class__": 42}, {"__class__": ["x"]}, {"__class__": None}])
def test_wrong_class_tag_types(name, tag):
    serializer = ser(name)
    with pytest.raises(errors.SerializeError, match="^unsupported serialized class"):
        serializer.loads(serializer.dumps(tag))


@pytest.mark.parametrize("name", NON_PICKLE)
@pytest.mark.parametrize("data", [
    {"__class__": "Pyro4.core.URI"},
    {"__class__": "Pyro4.core.URI", "state": 42},
    {"__class__": "builtins.ValueError", "__exception__": True},
    {"__class__": "builtins.UnicodeDecodeError", "__exception__": True, "args": ["x"], "attributes": {}},
    {"__class__": "builtins.ValueError", "__exception__": True, "args": 5},
    {"__class__": "builtins.ValueError", "__exception__": True, "args": [], "attributes": {"__cause__": "x"}},
    {"__class__": "Pyro4.errors.NamingError", "args": [], "attributes": 5},
    {"__class__": "Pyro4.futures._ExceptionWrapper"},
])
def test_malformed_class_dicts(name, data):
    serializer = ser(name)
    with pytest.raises(errors.SerializeError, match="^invalid serialized data for class"):
        serializer.loads(serializer.dumps(data))


def test_json_without_call_keys():
    with pytest.raises(errors.SerializeError):
        ser("json").loadsCall(b'{"object": "x"}')
    with pytest.raises(errors.SerializeError):
        ser("json").loadsCall(b'[1, 2, 3, 4]')


# ------------------------------------------------------------------------------------ property tests

json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 63, 2 ** 63 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=15)


@settings(deadline=None, max_examples=60)
@given(value=json_like)
def test_round_trip_property(value):
    for name in ALL_NAMES:
        serializer = ser(name)
        for compress in (False, True):
            data, compressed = serializer.serializeData(value, compress)
            assert serializer.deserializeData(data, compressed) == value
        call, _ = serializer.serializeCall("obj", "m", [value], {"k": value})
        _, _, vargs, kwargs = serializer.deserializeCall(call)
        assert list(vargs) == [value] and kwargs == {"k": value}


@settings(deadline=None, max_examples=80)
@given(payload=st.binary(max_size=64))
def test_random_bytes_never_crash(payload):
    for name in NON_PICKLE:
        for decode in (ser(name).loads, ser(name).loadsCall):
            try:
                decode(payload)
            except BaseException as x:
                # any ordinary exception is fine (the daemon turns it into an error reply), but
                # never SystemExit/KeyboardInterrupt-like ones, which would stop a server
                assert isinstance(x, Exception)


# ------------------------------------------------------------------------------------------ JSON_MODULE

def _run_fresh(code, **env_extra):
    import os
    import subprocess
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYRO_")}
    env.update(env_extra)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_util_json_is_the_configured_module():
    import json
    assert Pyro4.util.json is json
    from Pyro4.util import json as exported
    assert exported is json


def test_json_module_setting_is_used(tmp_path):
    (tmp_path / "fakejson.py").write_text(
        "import json\nloads = json.loads\n"
        "def dumps(obj, **kwargs):\n    return '[\"fake\"]'\n")
    code = ("import Pyro4.util; s = Pyro4.util.get_serializer('json'); "
            "print(Pyro4.util.json.__name__, s.dumps(1), s.loads(b'[2]'))")
    out = _run_fresh(code, PYRO_JSON_MODULE="fakejson", PYTHONPATH=str(tmp_path))
    assert out == "fakejson b'[\"fake\"]' [2]"


def test_json_module_missing():
    code = ("import Pyro4.util\n"
            "try:\n    Pyro4.util.get_serializer('json')\n"
            "except Pyro4.errors.SerializeError as x:\n    print(x, Pyro4.util.json)\n")
    out = _run_fresh(code, PYRO_JSON_MODULE="no_such_json_module_xyz")
    assert out == "serializer 'json' is unknown or not available None"


# -------------------------------------------------------------------- marshal size guard (bad input)


@pytest.mark.parametrize("header", [b"(", b"[", b"\xa8", b"\xdb"])
@pytest.mark.parametrize("claimed", [2 ** 31 - 1, 2 ** 24, 65536])
@pytest.mark.parametrize("prefix,suffix", [(b"", b""), (b"[\x02\x00\x00\x00\xe9\x01\x00\x00\x00", b""),
                                           (b"{\xda\x01k", b"0"), (b")\x02z\x03(((", b"N")])
def test_marshal_oversized_container_refused(header, claimed, prefix, suffix):
    # CPython's marshal would allocate (and for tuples touch) claimed*8 bytes before noticing
    payload = prefix + header + struct.pack("<i", claimed) + suffix
    for decode in (ser("marshal").loads, ser("marshal").loadsCall):
        with pytest.raises(errors.SerializeError, match="^invalid marshal data: a container claims %d items" % claimed):
            decode(payload)


@pytest.mark.parametrize("items", [1, 300, 5000])
def test_marshal_oversized_container_after_large_data_refused(items):
    # past 4 KiB the guard first walks a few items (skipping big strings), then falls back to the search
    lead = marshal.dumps(["x" * 5000] + list(range(items)))
    assert lead[:1] in (b"[", b"\xdb")
    count = struct.unpack("<i", lead[1:5])[0]
    evil = lead[:1] + struct.pack("<i", count + 1) + lead[5:] + b"(" + struct.pack("<i", 2 ** 30)
    for decode in (ser("marshal").loads, ser("marshal").loadsCall):
        with pytest.raises(errors.SerializeError, match="a container claims %d items" % 2 ** 30):
            decode(evil)
    assert ser("marshal").loads(lead)[-1] == items - 1


def test_marshal_oversized_string_and_int_refused_by_walk():
    with pytest.raises(errors.SerializeError, match="a string claims"):
        _walk(b"s" + struct.pack("<i", 10 ** 9))
    with pytest.raises(errors.SerializeError, match="an integer claims"):
        _walk(b"l" + struct.pack("<i", -10 ** 9))


def test_marshal_large_but_real_containers_pass():
    value = [list(range(70000)), tuple(range(70000)), "(" * 10, {"k": ["[[[["] * 3}]
    data = ser("marshal").dumps(value)
    assert ser("marshal").loads(data) == value


marshallable = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.complex_numbers(allow_nan=False)
    | st.text() | st.binary() | st.frozensets(st.integers(), max_size=3),
    lambda children: st.lists(children, max_size=5) | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=3) | st.integers(), children, max_size=4),
    max_leaves=25)


# hypothesis itself compares the generated bytes and int values while it tracks and shrinks them,
# which python -bb turns into errors; the code under test compares no bytes with ints
@pytest.mark.filterwarnings("ignore::BytesWarning")
@settings(deadline=None, max_examples=150)
@given(value=marshallable, version=st.integers(0, marshal.version))
def test_marshal_walk_accepts_all_real_data(value, version):
    data = marshal.dumps(value, version)
    _walk(data)  # no false alarms, whatever the structure, refs and marshal version
    check_marshal_data(data)
    shared = [value, value, "shared", "shared"]  # repeated objects give FLAG_REF and back-references
    _walk(marshal.dumps(shared, version))
    assert marshal.loads(data) == value or value != value


@settings(deadline=None, max_examples=150)
@given(payload=st.binary(max_size=40))
def test_marshal_random_bytes_are_bounded(payload):
    for decode in (ser("marshal").loads, ser("marshal").loadsCall):
        try:
            decode(payload)
        except BaseException as x:
            assert isinstance(x, Exception)
