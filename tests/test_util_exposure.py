"""getAttribute, get_exposed_members (and its cache), exposed property access, is_private_attribute."""
import pytest

import Pyro4
import Pyro4.util
from Pyro4 import expose, oneway


class MembersBase(object):
    c_attr = "hi"
    _private_attr1 = "hi"

    def __init__(self):
        self._value = 0

    def method(self):
        pass

    @staticmethod
    def staticmethod():
        pass

    @classmethod
    def classmethod(cls):
        pass

    def __dunder__(self):
        pass

    def __private(self):
        pass

    def _private(self):
        pass

    @oneway
    @expose
    def oneway(self):
        pass

    @expose
    def exposed(self):
        pass

    @expose
    @property
    def prop1(self):
        return self._value

    @prop1.setter
    def prop1(self, value):
        self._value = value

    @expose
    @property
    def readonly_prop1(self):
        return "readonly"

    @property
    def prop2(self):
        return "unexposed"

    @prop2.setter
    def prop2(self, value):
        self._value = value


PartlyExposed = type("PartlyExposed", (MembersBase,), {})


@expose
class WholeExposed(MembersBase):
    def method(self):
        pass

    @staticmethod
    def staticmethod():
        pass

    @classmethod
    def classmethod(cls):
        pass

    def __dunder__(self):
        pass

    @property
    def prop2(self):
        return "now exposed"


@expose
class ExposedSub(WholeExposed):
    def sub_method(self):
        pass

    @oneway
    def sub_oneway(self):
        pass


class UnexposedSub(PartlyExposed):
    @expose
    def sub_exposed(self):
        pass

    def sub_unexposed(self):
        pass

    @oneway
    def sub_oneway_unexposed(self):
        pass


ALL_METHODS = {"classmethod", "staticmethod", "method", "__dunder__", "oneway", "exposed"}
ALL_ATTRS = {"prop1", "readonly_prop1", "prop2"}


@pytest.fixture(autouse=True)
def fresh_cache():
    Pyro4.util._exposed_member_cache.clear()
    yield
    Pyro4.util._exposed_member_cache.clear()


def test_partly_exposed():
    members = Pyro4.util.get_exposed_members(PartlyExposed())
    assert members == {"methods": {"oneway", "exposed"}, "oneway": {"oneway"}, "attrs": {"prop1", "readonly_prop1"}}


def test_partly_exposed_with_unexposed_allowed():
    members = Pyro4.util.get_exposed_members(PartlyExposed, only_exposed=False)
    assert members["methods"] == ALL_METHODS
    assert members["attrs"] == ALL_ATTRS
    assert members["oneway"] == {"oneway"}


def test_whole_class_exposed():
    members = Pyro4.util.get_exposed_members(WholeExposed())
    assert members == {"methods": ALL_METHODS, "oneway": {"oneway"}, "attrs": ALL_ATTRS}


def test_subclasses():
    members = Pyro4.util.get_exposed_members(ExposedSub)
    assert members["methods"] == ALL_METHODS | {"sub_method", "sub_oneway"}
    assert members["oneway"] == {"oneway", "sub_oneway"}
    members = Pyro4.util.get_exposed_members(UnexposedSub)
    assert members["methods"] == {"oneway", "exposed", "sub_exposed"}
    assert members["oneway"] == {"oneway"}


def test_as_lists():
    members = Pyro4.util.get_exposed_members(PartlyExposed, as_lists=True)
    assert all(type(value) is list for value in members.values())
    assert sorted(members["methods"]) == ["exposed", "oneway"]


def test_cache_and_reset():
    first = Pyro4.util.get_exposed_members(PartlyExposed)
    assert Pyro4.util.get_exposed_members(PartlyExposed()) is first  # instance and class share the entry
    PartlyExposed.late = expose(lambda self: None)
    try:
        assert "late" not in Pyro4.util.get_exposed_members(PartlyExposed)["methods"]
        assert "late" in Pyro4.util.get_exposed_members(PartlyExposed, use_cache=False)["methods"]
        assert "late" in Pyro4.util.get_exposed_members(PartlyExposed)["methods"]  # cache was refreshed
        del PartlyExposed.late
        Pyro4.util.reset_exposed_members(PartlyExposed())
        assert "late" not in Pyro4.util.get_exposed_members(PartlyExposed)["methods"]
    finally:
        if "late" in vars(PartlyExposed):
            del PartlyExposed.late
    Pyro4.util.reset_exposed_members(PartlyExposed, only_exposed=False, as_lists=True)  # absent: no error


def test_get_attribute_rules():
    obj = PartlyExposed()
    assert Pyro4.util.getAttribute(obj, "exposed") == obj.exposed
    with pytest.raises(AttributeError) as excinfo:
        Pyro4.util.getAttribute(obj, "method")
    assert str(excinfo.value) == "attempt to access unexposed attribute 'method'"
    for name in ("_private", "__private", "__init__", "_", "__class__"):
        with pytest.raises(AttributeError) as excinfo:
            Pyro4.util.getAttribute(obj, name)
        assert str(excinfo.value) == "attempt to access private attribute '%s'" % name
    with pytest.raises(AttributeError):
        Pyro4.util.getAttribute(obj, "nonexisting")


def test_get_attribute_without_require_expose():
    obj = PartlyExposed()
    Pyro4.config.REQUIRE_EXPOSE = False
    assert Pyro4.util.getAttribute(obj, "method") == obj.method
    assert Pyro4.util.getAttribute(obj, "c_attr") == "hi"
    with pytest.raises(AttributeError, match="private"):
        Pyro4.util.getAttribute(obj, "_private")


class Outer(object):
    def __init__(self):
        self.inner = PartlyExposed()


def test_get_attribute_never_traverses_dots():
    Pyro4.config.REQUIRE_EXPOSE = False
    with pytest.raises(AttributeError):
        Pyro4.util.getAttribute(Outer(), "inner.method")


def test_get_attribute_non_string_name():
    with pytest.raises(AttributeError):
        Pyro4.util.getAttribute(PartlyExposed(), 42)


def test_exposed_property_get_and_set():
    obj = PartlyExposed()
    assert Pyro4.util.get_exposed_property_value(obj, "prop1") == 0
    assert Pyro4.util.set_exposed_property_value(obj, "prop1", 5) is None
    assert obj.prop1 == 5
    assert Pyro4.util.get_exposed_property_value(obj, "readonly_prop1") == "readonly"


@pytest.mark.parametrize("name", ["prop2", "readonly_prop1", "method", "c_attr", "__weakref__"])
def test_exposed_property_set_refused(name):
    with pytest.raises(AttributeError) as excinfo:
        Pyro4.util.set_exposed_property_value(PartlyExposed(), name, 1)
    assert str(excinfo.value) == "attempt to access unexposed or unknown remote attribute '%s'" % name


@pytest.mark.parametrize("name", ["prop2", "method", "c_attr", "__weakref__"])
def test_exposed_property_get_refused(name):
    with pytest.raises(AttributeError) as excinfo:
        Pyro4.util.get_exposed_property_value(PartlyExposed(), name)
    assert str(excinfo.value) == "attempt to access unexposed or unknown remote attribute '%s'" % name


def test_exposed_property_unknown():
    with pytest.raises(AttributeError):
        Pyro4.util.get_exposed_property_value(PartlyExposed(), "nonexisting")


def test_unexposed_property_allowed_when_not_only_exposed():
    obj = PartlyExposed()
    assert Pyro4.util.get_exposed_property_value(obj, "prop2", only_exposed=False) == "unexposed"
    Pyro4.util.set_exposed_property_value(obj, "prop2", 9, only_exposed=False)
    assert obj._value == 9


@pytest.mark.parametrize("name", ["_", "__", "___", "_p", "_p_", "__p", "___p", "_private", "__private",
                                  "__init__", "__call__", "__getstate_for_dict__", "__setstate_from_dict__",
                                  "__hash__", "__reduce_ex__", "__subclasshook__", "__init_subclass__"])
def test_private_names(name):
    assert Pyro4.util.is_private_attribute(name)


@pytest.mark.parametrize("name", ["a", "method", "__dunder__", "__len__", "__p__", "p_", "p__"])
def test_public_names(name):
    assert not Pyro4.util.is_private_attribute(name)


def test_private_dunder_list():
    expected = set("""__init__ __init_subclass__ __class__ __module__ __weakref__ __call__ __new__ __del__
        __repr__ __unicode__ __str__ __format__ __nonzero__ __bool__ __coerce__ __cmp__ __eq__ __ne__
        __hash__ __ge__ __gt__ __le__ __lt__ __dir__ __enter__ __exit__ __copy__ __deepcopy__ __sizeof__
        __getattr__ __setattr__ __hasattr__ __getattribute__ __delattr__ __instancecheck__
        __subclasscheck__ __getinitargs__ __getnewargs__ __getstate__ __setstate__ __reduce__
        __reduce_ex__ __getstate_for_dict__ __setstate_from_dict__ __subclasshook__""".split())
    assert Pyro4.util._private_dunder_methods == frozenset(expected)
    assert type(Pyro4.util._private_dunder_methods) is frozenset
