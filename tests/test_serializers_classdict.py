"""class_to_dict / dict_to_class rules, their registries, and exceptions travelling as dicts."""
import pprint
import sqlite3

import pytest
import serpent

import Pyro4
import Pyro4.core
import Pyro4.futures
import Pyro4.util
from Pyro4 import errors
from Pyro4.util import SerializerBase

NON_PICKLE = ["serpent", "json", "marshal", "msgpack"]
ALL_NAMES = NON_PICKLE + ["pickle", "dill", "cloudpickle"]


def ser(name):
    return Pyro4.util.get_serializer(name)


class Plain(object):
    def __init__(self):
        self.x = 1
        self.y = "why"


class WithGetstate(object):
    def __init__(self):
        self.hidden = 1

    def __getstate__(self):
        return {"shown": 2}


class GetstateNotDict(object):
    def __init__(self):
        self.z = 3

    def __getstate__(self):
        return ("not", "a", "dict")


class InheritsGetstate(WithGetstate):
    pass


class Slotted(object):
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1
        self.b = 2


class Nothing(object):
    __slots__ = ()


class Base(object):
    pass


class Derived(Base):
    pass


class CustomError(Exception):
    pass


@pytest.fixture
def registries():
    """Registrations made by a test are removed afterwards."""
    c2d = dict(SerializerBase._class_to_dict_registry)
    d2c = dict(SerializerBase._dict_to_class_registry)
    yield
    for clazz in list(SerializerBase._class_to_dict_registry):
        if clazz not in c2d:
            SerializerBase.unregister_class_to_dict(clazz)
    SerializerBase._dict_to_class_registry.clear()
    SerializerBase._dict_to_class_registry.update(d2c)


# ------------------------------------------------------------------------------------- class_to_dict

def test_exception_dict_exact():
    d = SerializerBase.class_to_dict(ZeroDivisionError("hello", 42))
    assert d == {"__class__": "builtins.ZeroDivisionError", "__exception__": True, "args": ("hello", 42),
                 "attributes": {}}
    assert list(d) == ["__class__", "__exception__", "args", "attributes"]


def test_exception_dict_has_attributes():
    ex = errors.NamingError("x")
    ex._pyroTraceback = ["line\n"]
    d = SerializerBase.class_to_dict(ex)
    assert d["__class__"] == "Pyro4.errors.NamingError"
    assert d["attributes"] == {"_pyroTraceback": ["line\n"]}


def test_pretty_printer():
    d = SerializerBase.class_to_dict(pprint.PrettyPrinter(stream="dummy", width=42))
    assert d["__class__"] == "pprint.PrettyPrinter"
    assert d["_width"] == 42


@pytest.mark.parametrize("value", [set(), {}, (), []])
def test_containers_refused(value):
    with pytest.raises(ValueError) as excinfo:
        SerializerBase.class_to_dict(value)
    assert str(excinfo.value) == "can't serialize type %s into a dict" % type(value)


def test_plain_object_gets_vars_and_class_on_every_python():
    # [D] Python >= 3.11's default object.__getstate__ must not be used (4.82 <= 3.10 behaviour)
    d = SerializerBase.class_to_dict(Plain())
    assert d == {"x": 1, "y": "why", "__class__": "test_serializers_classdict.Plain"}
    assert list(d)[-1] == "__class__"


def test_own_getstate_dict_is_used_as_is():
    assert SerializerBase.class_to_dict(WithGetstate()) == {"shown": 2}
    assert SerializerBase.class_to_dict(InheritsGetstate()) == {"shown": 2}
    d = SerializerBase.class_to_dict(GetstateNotDict())
    assert d == {"z": 3, "__class__": "test_serializers_classdict.GetstateNotDict"}


def test_slots():
    assert SerializerBase.class_to_dict(Slotted()) == {"a": 1, "b": 2,
                                                       "__class__": "test_serializers_classdict.Slotted"}


def test_cannot_serialize():
    with pytest.raises(errors.SerializeError) as excinfo:
        Pyro4.util.JsonSerializer.class_to_dict(object())
    assert str(excinfo.value) == ("don't know how to serialize class <class 'object'> using serializer "
                                  "JsonSerializer. Give it vars() or an appropriate __getstate__")
    with pytest.raises(errors.SerializeError, match="using serializer SerializerBase"):
        SerializerBase.class_to_dict(object())


def test_pyro_daemon_attribute_is_cleared():
    obj = Plain()
    obj._pyroDaemon = "a daemon"
    d = SerializerBase.class_to_dict(obj)
    assert obj._pyroDaemon is None
    assert d["_pyroDaemon"] is None


def test_marshal_uuid_override():
    import uuid
    value = uuid.uuid4()
    assert Pyro4.util.MarshalSerializer.class_to_dict(value) == str(value)
    assert SerializerBase.class_to_dict(value) == {"int": value.int}  # UUID's own __getstate__


def test_register_class_to_dict_isinstance_and_order(registries):
    SerializerBase.register_class_to_dict(Base, lambda obj: {"__class__": "conv.Base"}, serpent_too=False)
    SerializerBase.register_class_to_dict(Derived, lambda obj: {"__class__": "conv.Derived"}, serpent_too=False)
    assert SerializerBase.class_to_dict(Derived()) == {"__class__": "conv.Base"}  # first registered match wins
    SerializerBase.unregister_class_to_dict(Base)
    assert SerializerBase.class_to_dict(Derived()) == {"__class__": "conv.Derived"}
    SerializerBase.unregister_class_to_dict(Derived)
    SerializerBase.unregister_class_to_dict(Derived)  # absent: no error
    assert SerializerBase.class_to_dict(Derived())["__class__"] == "test_serializers_classdict.Derived"


@pytest.mark.parametrize("name", NON_PICKLE)
def test_registered_converters_both_ways(name, registries):
    SerializerBase.register_class_to_dict(Plain, lambda obj: {"__class__": "custom.Plain", "x": obj.x})

    def rebuild(classname, data):
        assert classname == "custom.Plain"
        obj = Plain()
        obj.x = data["x"] * 10
        return obj

    SerializerBase.register_dict_to_class("custom.Plain", rebuild)
    value = Plain()
    value.x = 4
    back = ser(name).loads(ser(name).dumps(value))
    assert isinstance(back, Plain) and back.x == 40
    _, _, vargs, kwargs = ser(name).loadsCall(ser(name).dumpsCall("o", "m", (value,), {"k": value}))
    assert vargs[0].x == 40 and kwargs["k"].x == 40
    SerializerBase.unregister_dict_to_class("custom.Plain")
    SerializerBase.unregister_dict_to_class("custom.Plain")  # absent: no error
    with pytest.raises(errors.SerializeError, match="^unsupported serialized class: custom.Plain$"):
        ser(name).loads(ser(name).dumps(value))


def test_serpent_too_flag(registries):
    SerializerBase.register_class_to_dict(Plain, lambda obj: {"converted": True}, serpent_too=False)
    assert b"converted" not in serpent.dumps(Plain())
    SerializerBase.register_class_to_dict(Plain, lambda obj: {"converted": True})
    assert serpent.dumps(Plain()) == b"# serpent utf-8 python3.2\n{'converted':True}"
    SerializerBase.unregister_class_to_dict(Plain)
    assert b"converted" not in serpent.dumps(Plain())


def test_custom_class_fails_without_converter():
    for name in NON_PICKLE:
        with pytest.raises(errors.SerializeError) as excinfo:
            ser(name).loads(ser(name).dumps(Plain()))
        assert str(excinfo.value) == "unsupported serialized class: test_serializers_classdict.Plain"
        assert isinstance(excinfo.value, errors.ProtocolError)


@pytest.mark.parametrize("name", ["pickle", "dill", "cloudpickle"])
def test_pickle_family_keeps_custom_classes(name):
    back = ser(name).loads(ser(name).dumps(Plain()))
    assert type(back) is Plain and back.y == "why"


# ------------------------------------------------------------------------------------- dict_to_class

def test_dunder_names_refused_even_with_data():
    with pytest.raises(errors.SecurityError) as excinfo:
        SerializerBase.dict_to_class({"__class__": "__main__.Foo", "__exception__": True, "args": []})
    assert str(excinfo.value) == "refused to deserialize types with double underscores in their name: __main__.Foo"
    with pytest.raises(errors.SecurityError):
        SerializerBase.dict_to_class({"__class__": "a.b__c"})


def test_converter_takes_precedence_over_dunder_rule(registries):
    SerializerBase.register_dict_to_class("__main__.Foo", lambda classname, data: ("rebuilt", classname))
    assert SerializerBase.dict_to_class({"__class__": "__main__.Foo"}) == ("rebuilt", "__main__.Foo")


def test_untagged_builtin_exception_dict():
    with pytest.raises(errors.SerializeError) as excinfo:
        SerializerBase.dict_to_class({"__class__": "builtins.ZeroDivisionError", "args": ["x"]})
    assert str(excinfo.value) == "unsupported serialized class: builtins.ZeroDivisionError"


def test_missing_class_name():
    with pytest.raises(errors.SerializeError, match="^unsupported serialized class: <unknown>$"):
        SerializerBase.dict_to_class({"x": 1})


def test_bytes_class_name():
    ex = SerializerBase.dict_to_class({"__class__": b"builtins.KeyError", "__exception__": True, "args": ["k"]})
    assert type(ex) is KeyError and ex.args == ("k",)


@pytest.mark.parametrize("classname,expected", [
    ("builtins.ValueError", ValueError), ("exceptions.ValueError", ValueError), ("ValueError", ValueError),
    ("GeneratorExit", GeneratorExit), ("builtins.KeyboardInterrupt", KeyboardInterrupt),
    ("sqlite3.OperationalError", sqlite3.OperationalError), ("sqlite3.Error", sqlite3.Error),
    ("Pyro4.errors.CommunicationError", errors.CommunicationError), ("NamingError", errors.NamingError),
    ("TimeoutError", errors.TimeoutError), ("builtins.TimeoutError", TimeoutError),
])
def test_exception_namespaces(classname, expected):
    ex = SerializerBase.dict_to_class({"__class__": classname, "__exception__": True, "args": ("a", 1),
                                       "attributes": {"extra": [1]}})
    assert type(ex) is expected
    assert ex.args == ("a", 1) and ex.extra == [1]


def test_pyro_errors_need_no_exception_flag():
    ex = SerializerBase.dict_to_class({"__class__": "Pyro4.errors.DaemonError", "args": ["x"]})
    assert type(ex) is errors.DaemonError


@pytest.mark.parametrize("classname", ["builtins.NoSuchError", "builtins.int", "exceptions.print", "sqlite3.connect",
                                       "sqlite3.NoSuchError", "Pyro4.errors.NoSuchError", "mymodule.MyError",
                                       "NoSuchError"])
def test_unknown_exceptions_refused(classname):
    # [D] 4.82 leaks an AttributeError for some of these
    with pytest.raises(errors.SerializeError) as excinfo:
        SerializerBase.dict_to_class({"__class__": classname, "__exception__": True, "args": []})
    assert str(excinfo.value) == "unsupported serialized class: " + classname


@pytest.mark.parametrize("name", ["SerpentSerializer", "JsonSerializer", "MarshalSerializer", "PickleSerializer",
                                  "DillSerializer", "MsgpackSerializer", "CloudpickleSerializer"])
def test_serializer_classes_rebuilt(name):
    obj = SerializerBase.dict_to_class({"__class__": "Pyro4.util." + name})
    assert type(obj) is getattr(Pyro4.util, name)


def test_core_objects_rebuilt_from_lists():
    uri = SerializerBase.dict_to_class({"__class__": "Pyro4.core.URI", "state": ["PYRO", "obj", None, "h", 5]})
    assert uri == Pyro4.core.URI("PYRO:obj@h:5")
    proxy = SerializerBase.dict_to_class({"__class__": "Pyro4.core.Proxy", "state":
                                          ["PYRO:obj@h:5", [], ["m"], [], 0.0, None, "hello", 0, None]})
    assert isinstance(proxy, Pyro4.core.Proxy) and proxy._pyroMethods == {"m"}
    daemon = SerializerBase.dict_to_class({"__class__": "Pyro4.core.Daemon", "state": []})
    assert type(daemon) is Pyro4.core.Daemon


def test_exception_wrapper_rebuilt():
    wrapper = SerializerBase.dict_to_class({"__class__": "Pyro4.futures._ExceptionWrapper", "exception": {
        "__class__": "builtins.KeyError", "__exception__": True, "args": ["k"], "attributes": {}}})
    assert isinstance(wrapper, Pyro4.futures._ExceptionWrapper)
    assert type(wrapper.exception) is KeyError
    with pytest.raises(errors.SecurityError):
        SerializerBase.dict_to_class({"__class__": "Pyro4.futures._ExceptionWrapper",
                                      "exception": {"__class__": "__main__.X", "__exception__": True}})


def test_make_exception():
    ex = SerializerBase.make_exception(ValueError, {"args": ["a"], "attributes": {"b": 1}})
    assert ex.args == ("a",) and ex.b == 1
    assert SerializerBase.make_exception(KeyError, {"args": []}).args == ()


def test_recreate_classes_walks_containers():
    serializer = ser("serpent")
    ex = {"__class__": "builtins.ValueError", "__exception__": True, "args": ["x"], "attributes": {}}
    value = serializer.recreate_classes([1, (2, ex), {"k": [ex]}, {3, (4, 5)}, "s"])
    assert value[0] == 1 and type(value[1]) is tuple and type(value[1][1]) is ValueError
    assert type(value[2]["k"][0]) is ValueError
    assert value[3] == {3, (4, 5)} and value[4] == "s"


def test_recreate_classes_invalid_class():
    with pytest.raises(errors.ProtocolError):
        ser("serpent").recreate_classes([{"__class__": "invalid"}])


def test_recreate_passes_converter_the_raw_dict(registries):
    seen = []
    SerializerBase.register_dict_to_class("outer.X", lambda classname, data: seen.append(data) or "outer")
    value = ser("serpent").recreate_classes({"__class__": "outer.X", "inner": {"__class__": "invalid"}})
    assert value == "outer"
    assert seen == [{"__class__": "outer.X", "inner": {"__class__": "invalid"}}]


# -------------------------------------------------------------------------------- exceptions over the wire

@pytest.mark.parametrize("name", ALL_NAMES)
def test_exceptions_round_trip(name):
    serializer = ser(name)
    for original in (ZeroDivisionError("hello", 42), errors.NamingError("no name"), sqlite3.OperationalError("db"),
                     KeyError("k"), errors.CommunicationError()):
        original._pyroTraceback = ["Traceback (most recent call last):\n", "  remote line\n"]
        original.custom = {"a": 1}
        data, _ = serializer.serializeData(original)
        back = serializer.deserializeData(data)
        assert type(back) is type(original)
        assert back.args == original.args
        assert repr(back) == repr(original)
        assert back._pyroTraceback == original._pyroTraceback
        assert back.custom == {"a": 1}


@pytest.mark.parametrize("name", NON_PICKLE)
def test_custom_exception_class_refused(name):
    with pytest.raises(errors.SerializeError) as excinfo:
        ser(name).loads(ser(name).dumps(CustomError("x")))
    assert str(excinfo.value) == "unsupported serialized class: test_serializers_classdict.CustomError"


def test_all_exceptions():
    assert Pyro4.util.all_exceptions["GeneratorExit"] is GeneratorExit
    assert Pyro4.util.all_exceptions["ValueError"] is ValueError
    assert Pyro4.util.all_exceptions["NamingError"] is errors.NamingError
    assert Pyro4.util.all_exceptions["PyroError"] is errors.PyroError
    assert Pyro4.util.all_exceptions["TimeoutError"] is errors.TimeoutError  # Pyro's shadows the builtin
    assert all(issubclass(value, BaseException) for value in Pyro4.util.all_exceptions.values())
    assert "int" not in Pyro4.util.all_exceptions
