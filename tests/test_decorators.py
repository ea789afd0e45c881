"""Decorators expose/oneway/callback/behavior (API.md §8.8) and their effect on exposed members."""
import pytest

import Pyro4
from Pyro4 import core, util


def test_public_identity():
    assert Pyro4.expose is core.expose
    assert Pyro4.oneway is core.oneway
    assert Pyro4.callback is core.callback
    assert Pyro4.behavior is core.behavior


def test_callback_and_oneway_return_the_method():
    def method():
        pass
    assert core.callback(method) is method
    assert method._pyroCallback is True
    assert core.oneway(method) is method
    assert method._pyroOneway is True


def test_expose_function():
    def method():
        pass
    assert core.expose(method) is method
    assert method._pyroExposed is True


def test_expose_dunder_is_fine():
    def __dunder__():
        pass
    assert core.expose(__dunder__)._pyroExposed


@pytest.mark.parametrize("name", ["_private", "__private", "_", "__"])
def test_expose_private_names(name):
    def method():
        pass
    method.__name__ = name
    with pytest.raises(AttributeError) as excinfo:
        core.expose(method)
    assert str(excinfo.value) == "exposing private names (starting with _) is not allowed"


def test_expose_private_class():
    with pytest.raises(AttributeError) as excinfo:
        @core.expose
        class _Test4(object):
            pass
    assert "exposing private names" in str(excinfo.value)


def test_expose_wrong_order_with_classmethod():
    with pytest.raises(AttributeError) as excinfo:
        class Klass(object):
            @core.expose
            @classmethod
            def cmethod(cls):
                pass
    assert str(excinfo.value) == ("using @expose on a classmethod/staticmethod must be done after "
                                  "@classmethod/@staticmethod. Method: cmethod")
    with pytest.raises(AttributeError) as excinfo:
        class Klass2(object):
            @core.expose
            @staticmethod
            def smethod():
                pass
    assert "must be done after" in str(excinfo.value)


def test_expose_right_order_with_classmethod():
    class Klass(object):
        @classmethod
        @core.expose
        def cmethod(cls):
            return "c"

        @staticmethod
        @core.expose
        def smethod():
            return "s"
    assert Klass.cmethod._pyroExposed and Klass.smethod._pyroExposed
    assert Klass.cmethod() == "c"


def test_expose_unknown_thing():
    with pytest.raises(AttributeError) as excinfo:
        core.expose(42)
    assert str(excinfo.value) == "@expose cannot determine what this is: 42"


def test_expose_properties():
    class Klass(object):
        def __init__(self):
            self._value = 1

        @core.expose
        @property
        def value(self):
            return self._value

        @core.expose
        @value.setter
        def value(self, v):
            self._value = v

        @property
        def hidden(self):
            return 2
    assert Klass.value.fget._pyroExposed
    assert not hasattr(Klass.hidden.fget, "_pyroExposed")
    obj = Klass()
    obj.value = 5
    assert obj.value == 5


def test_expose_private_property_raises():
    with pytest.raises(AttributeError):
        class Klass(object):
            @core.expose
            @property
            def _secret(self):
                return 1


class _Base(object):
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

    def _private(self):
        pass

    def __private(self):
        pass

    @core.oneway
    @core.expose
    def oneway(self):
        pass

    @core.expose
    def exposed(self):
        pass

    @core.expose
    @property
    def prop1(self):
        return 1

    @core.expose
    @prop1.setter
    def prop1(self, value):
        pass

    @core.expose
    @property
    def readonly_prop1(self):
        return 2

    @property
    def prop2(self):
        return 3

    c_attr = 1
    _private_attr1 = 2


def test_exposed_members_of_partly_exposed_class():
    members = util.get_exposed_members(_Base, only_exposed=True, use_cache=False)
    assert members["methods"] == {"oneway", "exposed"}
    assert members["attrs"] == {"prop1", "readonly_prop1"}
    assert members["oneway"] == {"oneway"}


def test_expose_whole_class():
    namespace = dict((k, v) for k, v in vars(_Base).items() if k not in ("__dict__", "__weakref__"))
    Exposed = core.expose(type("Exposed", (object,), namespace))
    assert Exposed._pyroExposed is True
    members = util.get_exposed_members(Exposed, only_exposed=True, use_cache=False)
    assert members["methods"] == {"classmethod", "staticmethod", "method", "__dunder__", "oneway", "exposed"}
    assert members["attrs"] == {"prop1", "readonly_prop1", "prop2"}
    assert members["oneway"] == {"oneway"}


def test_expose_as_function_on_third_party_class():
    class ThirdParty(object):
        def work(self):
            return 1
    exposed = Pyro4.expose(ThirdParty)
    assert exposed is ThirdParty
    assert ThirdParty.work._pyroExposed


def test_behavior_valid():
    @core.behavior(instance_mode="percall")
    class Klass(object):
        pass
    assert Klass._pyroInstancing == ("percall", None)

    def creator(cls):
        return cls()

    @core.behavior("single", instance_creator=creator)
    class Klass2(object):
        pass
    assert Klass2._pyroInstancing == ("single", creator)

    @core.behavior()
    class Klass3(object):
        pass
    assert Klass3._pyroInstancing == ("session", None)


def test_behavior_and_expose_order():
    @core.behavior(instance_mode="single")
    @core.expose
    class A(object):
        pass

    @core.expose
    @core.behavior(instance_mode="percall")
    class B(object):
        pass
    assert A._pyroInstancing == ("single", None) and A._pyroExposed
    assert B._pyroInstancing == ("percall", None) and B._pyroExposed


def test_behavior_missing_arguments():
    with pytest.raises(SyntaxError) as excinfo:
        @core.behavior
        class Klass(object):
            pass
    assert str(excinfo.value) == "behavior decorator is missing argument(s)"


def test_behavior_errors():
    with pytest.raises(TypeError) as excinfo:
        core.behavior(instance_mode="single")(lambda: 1)
    assert str(excinfo.value) == "behavior decorator can only be used on a class"
    with pytest.raises(TypeError):
        core.behavior(instance_mode="bogus")(lambda: 1)   # the class check comes first
    with pytest.raises(ValueError) as excinfo:
        @core.behavior(instance_mode="bogus")
        class Klass(object):
            pass
    assert str(excinfo.value) == "invalid instance mode: bogus"
    with pytest.raises(TypeError) as excinfo:
        @core.behavior(instance_mode="single", instance_creator=12345)
        class Klass2(object):
            pass
    assert str(excinfo.value) == "instance_creator must be a callable"
