"""Pyro4.util: exception tracebacks, the serializers, and the helpers that decide what is exposed.

The serializer classes are implemented in the private modules ``Pyro4._serializers_base`` and
``Pyro4._serializers_formats`` but belong to this module: peers know them as
``Pyro4.util.<Name>Serializer``. One shared, stateless instance of each available serializer is
registered here at import, by name (``_serializers``) and by wire id (``_serializers_by_id``).
"""
import inspect
import linecache
import logging
import sys
import traceback

from Pyro4 import errors
from Pyro4.configuration import config
from Pyro4._serializers_base import SerializerBase, all_exceptions
from Pyro4._serializers_formats import (json, SerpentSerializer, JsonSerializer, MarshalSerializer,  # noqa: F401
                                        PickleSerializer, DillSerializer, MsgpackSerializer,
                                        CloudpickleSerializer, available_serializers)

log = logging.getLogger("Pyro4.util")

_SEPARATOR = "-" * 52 + "\n"
_BAD_EX_TYPE_MESSAGE = "invalid argument: ex_type should be an exception type, or just supply no arguments at all"


# ---------------------------------------------------------------------------------------- tracebacks

def _exception_info(ex_type, ex_value, ex_tb):
    if ex_type is not None and ex_value is None and ex_tb is None and not isinstance(ex_type, type):
        # the pre-4.x call style passed the exception object itself
        raise TypeError(_BAD_EX_TYPE_MESSAGE)
    if ex_type is None and ex_tb is None:
        return sys.exc_info()
    return ex_type, ex_value, ex_tb


def formatTraceback(ex_type=None, ex_value=None, ex_tb=None, detailed=False):
    """The traceback of an exception as a list of lines; ``detailed`` adds every frame's local values."""
    ex_type, ex_value, ex_tb = _exception_info(ex_type, ex_value, ex_tb)
    if detailed:
        try:
            return _detailed_traceback(ex_type, ex_value, ex_tb)
        except Exception as x:  # a report about an error must not fail because of another one
            return ["Error building extended traceback!!! :\n", "".join(traceback.format_exception(*sys.exc_info())),
                    "Original Exception follows:\n", "".join(traceback.format_exception(ex_type, ex_value, ex_tb)),
                    "(%s)\n" % type(x).__name__]
    return traceback.format_exception(ex_type, ex_value, ex_tb)


def _safe_repr(value):
    try:
        return repr(value)
    except Exception:
        try:
            return str(value)
        except Exception:
            return "<ERROR>"


def _frame_location(frame):
    if "self" in frame.f_locals:
        return "%s.%s" % (type(frame.f_locals["self"]).__name__, frame.f_code.co_name)
    return frame.f_code.co_name


def _frame_locals_lines(frame):
    code = frame.f_code
    names = set(code.co_varnames) | set(code.co_names) | set(code.co_cellvars) | set(code.co_freevars)
    lines = ["Local values:\n"]
    for name in sorted(names):
        if name not in frame.f_locals:
            continue
        value = frame.f_locals[name]
        lines.append("    %s = %s\n" % (name, _safe_repr(value)))
        if name == "self":
            for attr, attr_value in getattr(value, "__dict__", {}).items():
                lines.append("        self.%s = %s\n" % (attr, _safe_repr(attr_value)))
    return lines


def _detailed_traceback(ex_type, ex_value, ex_tb):
    headline = " EXCEPTION %s: %s\n" % (ex_type, ex_value)
    lines = [_SEPARATOR, headline, " Extended stacktrace follows (most recent call last)\n"]
    first_frame = True
    while ex_tb is not None:
        frame = ex_tb.tb_frame
        filename = frame.f_code.co_filename
        lines.append(_SEPARATOR)
        lines.append('File "%s", line %d, in %s\n' % (filename, ex_tb.tb_lineno, _frame_location(frame)))
        lines.append("Source code:\n")
        lines.append("    " + linecache.getline(filename, ex_tb.tb_lineno).strip() + "\n")
        if not first_frame:  # the outermost frame is where the error was caught: its locals are noise
            lines.extend(_frame_locals_lines(frame))
        first_frame = False
        ex_tb = ex_tb.tb_next
    lines.extend([_SEPARATOR, headline, _SEPARATOR])
    return lines


def _remote_traceback_lines(remote_traceback):
    if isinstance(remote_traceback, str):
        remote_traceback = [remote_traceback]
    lines = [" +--- This exception occured remotely (Pyro) - Remote traceback:"]  # sic, as 4.82 prints it
    for element in remote_traceback:
        if element.endswith("\n"):
            element = element[:-1]
        for line in element.split("\n"):
            lines.append("\n | ")
            lines.append(line)
    lines.append("\n +--- End of remote traceback\n")
    return lines


def getPyroTraceback(ex_type=None, ex_value=None, ex_tb=None):
    """The local traceback, followed by the remote one if the exception came from a Pyro call."""
    ex_type, ex_value, ex_tb = _exception_info(ex_type, ex_value, ex_tb)
    try:
        lines = formatTraceback(ex_type, ex_value, ex_tb, config.DETAILED_TRACEBACK)
        remote_traceback = getattr(ex_value, "_pyroTraceback", None)
        if remote_traceback:
            lines.extend(_remote_traceback_lines(remote_traceback))
        return lines
    finally:
        del ex_tb  # a traceback in a local variable keeps all its frames alive


def excepthook(ex_type, ex_value, ex_tb):
    """A ``sys.excepthook`` that also prints the remote part of Pyro exceptions."""
    sys.stderr.write("".join(getPyroTraceback(ex_type, ex_value, ex_tb)))


def fixIronPythonExceptionForPickle(exceptionObject, addAttributes):
    """IronPython loses exception attributes when pickling; this moves them into ``args`` and back.

    Pyro only needs it on IronPython, but it works the same on CPython.
    """
    if not hasattr(exceptionObject, "args"):
        return
    if addAttributes:
        attributes = vars(exceptionObject)
        attributes["__ironpythonargs__"] = True
        exceptionObject.args += (attributes,)
    elif exceptionObject.args:
        piggyback = exceptionObject.args[-1]
        if type(piggyback) is dict and piggyback.get("__ironpythonargs__"):
            del piggyback["__ironpythonargs__"]
            exceptionObject.args = exceptionObject.args[:-1]
            exceptionObject.__dict__.update(piggyback)


# ---------------------------------------------------------------------------------- serializer registry

_serializers = {}
_serializers_by_id = {}


def _register_serializers():
    for name, serializer in available_serializers():
        _serializers[name] = serializer
        _serializers_by_id[serializer.serializer_id] = serializer
    if "serpent" not in _serializers:
        log.warning("serpent serializer is not available (install the 'serpent' package)")


_register_serializers()


def get_serializer(name):
    """The shared serializer instance for that name (SerializeError if unknown or not installed)."""
    try:
        return _serializers[name]
    except (KeyError, TypeError):
        raise errors.SerializeError("serializer '%s' is unknown or not available" % (name,)) from None


def get_serializer_by_id(sid):
    """The shared serializer instance for that wire id (SerializeError if there is none)."""
    try:
        return _serializers_by_id[sid]
    except (KeyError, TypeError):
        message = "no serializer available for id %d" % sid if isinstance(sid, int) else \
            "no serializer available for id %r" % (sid,)
        raise errors.SerializeError(message) from None


# --------------------------------------------------------------------------------- exposure helpers

_private_dunder_methods = frozenset([
    "__init__", "__init_subclass__", "__class__", "__module__", "__weakref__",
    "__call__", "__new__", "__del__", "__repr__", "__unicode__",
    "__str__", "__format__", "__nonzero__", "__bool__", "__coerce__",
    "__cmp__", "__eq__", "__ne__", "__hash__", "__ge__", "__gt__", "__le__", "__lt__",
    "__dir__", "__enter__", "__exit__", "__copy__", "__deepcopy__", "__sizeof__",
    "__getattr__", "__setattr__", "__hasattr__", "__getattribute__", "__delattr__",
    "__instancecheck__", "__subclasscheck__", "__getinitargs__", "__getnewargs__",
    "__getstate__", "__setstate__", "__reduce__", "__reduce_ex__",
    "__getstate_for_dict__", "__setstate_from_dict__", "__subclasshook__"
])


def is_private_attribute(attr_name):
    """Is this a name that remote callers may never use? Public dunder names (``__len__``) are allowed."""
    if attr_name in _private_dunder_methods:
        return True
    if not attr_name.startswith("_"):
        return False
    if len(attr_name) > 4 and attr_name.startswith("__") and attr_name.endswith("__"):
        return False
    return True


# is_private_attribute of the method names requests use: it runs for every call
_private_name_cache = {}
_PRIVATE_NAME_CACHE_SIZE = 1024


def getAttribute(obj, attr):
    """The attribute a remote call may use: never private, never dotted, exposed if config.REQUIRE_EXPOSE."""
    if not isinstance(attr, str):
        raise AttributeError("attribute name must be a string, not %s" % type(attr).__name__)
    private = _private_name_cache.get(attr)
    if private is None:
        private = is_private_attribute(attr)
        if len(_private_name_cache) < _PRIVATE_NAME_CACHE_SIZE:  # the names come from clients: bounded
            _private_name_cache[attr] = private
    if private:
        raise AttributeError("attempt to access private attribute '%s'" % attr)
    value = getattr(obj, attr)  # a dotted name is just a name that doesn't exist: no traversal
    if not config.REQUIRE_EXPOSE or getattr(value, "_pyroExposed", False):
        return value
    raise AttributeError("attempt to access unexposed attribute '%s'" % attr)


_exposed_member_cache = {}


def _cache_key(obj, only_exposed, as_lists):
    if not inspect.isclass(obj):
        obj = obj.__class__
    return obj, only_exposed, as_lists


def reset_exposed_members(obj, only_exposed=True, as_lists=False):
    """Forgets the cached result of ``get_exposed_members`` for these arguments."""
    _exposed_member_cache.pop(_cache_key(obj, only_exposed, as_lists), None)


def _first_accessor(descriptor):
    return getattr(descriptor, "fget", None) or getattr(descriptor, "fset", None) or getattr(descriptor, "fdel", None)


def _is_method(value):
    return inspect.ismethod(value) or inspect.isfunction(value) or inspect.ismethoddescriptor(value)


def _collect_exposed_members(clazz, only_exposed):
    methods, oneway, attrs = set(), set(), set()
    for name in dir(clazz):
        if is_private_attribute(name):
            continue
        try:
            value = getattr(clazz, name)
        except AttributeError:
            continue
        if _is_method(value):
            if getattr(value, "_pyroExposed", not only_exposed):
                methods.add(name)
                if getattr(value, "_pyroOneway", False):
                    oneway.add(name)
        elif inspect.isdatadescriptor(value):
            if getattr(_first_accessor(value), "_pyroExposed", not only_exposed):
                attrs.add(name)
    return methods, oneway, attrs


def get_exposed_members(obj, only_exposed=True, as_lists=False, use_cache=True):
    """The exposed methods, oneway methods and attributes (properties) of an object's class.

    Returns a dict with keys "methods", "oneway", "attrs"; sets, or lists when ``as_lists``.
    Results are cached per class; ``use_cache=False`` computes them again.
    """
    key = _cache_key(obj, only_exposed, as_lists)
    if use_cache and key in _exposed_member_cache:
        return _exposed_member_cache[key]
    methods, oneway, attrs = _collect_exposed_members(key[0], only_exposed)
    if as_lists:
        methods, oneway, attrs = list(methods), list(oneway), list(attrs)
    result = {"methods": methods, "oneway": oneway, "attrs": attrs}
    _exposed_member_cache[key] = result
    return result


def _unexposed_attribute_error(propname):
    return AttributeError("attempt to access unexposed or unknown remote attribute '%s'" % propname)


def get_exposed_property_value(obj, propname, only_exposed=True):
    """Reads an exposed property of ``obj`` (the remote ``__getattr__``)."""
    descriptor = getattr(obj.__class__, propname)
    if inspect.isdatadescriptor(descriptor):
        getter = getattr(descriptor, "fget", None)
        if getter is not None and getattr(getter, "_pyroExposed", not only_exposed):
            return getter(obj)
    raise _unexposed_attribute_error(propname)


def set_exposed_property_value(obj, propname, value, only_exposed=True):
    """Writes an exposed, writable property of ``obj`` (the remote ``__setattr__``)."""
    descriptor = getattr(obj.__class__, propname)
    if inspect.isdatadescriptor(descriptor):
        setter = getattr(descriptor, "fset", None)
        if setter is not None and getattr(_first_accessor(descriptor), "_pyroExposed", not only_exposed):
            return setter(obj, value)
    raise _unexposed_attribute_error(propname)
