"""formatTraceback, getPyroTraceback, excepthook and the IronPython pickle helper."""
import io
import sys
import traceback

import pytest

import Pyro4
import Pyro4.util
from Pyro4 import errors

BAD_ARGUMENT = "invalid argument: ex_type should be an exception type, or just supply no arguments at all"


class Holder(object):
    def __init__(self):
        self.attribute = "attr-value"

    def fail(self, x):
        pre2 = x
        return inner(pre2)


def inner(value):
    a = 10
    q = "white" + "black"
    return value / (a - 10) if q else None


def _raise_and_catch():
    try:
        Holder().fail(999)
    except ZeroDivisionError:
        return sys.exc_info()
    raise AssertionError("no exception")


def test_plain_format_is_traceback_module_output():
    ex_type, ex_value, ex_tb = _raise_and_catch()
    lines = Pyro4.util.formatTraceback(ex_type, ex_value, ex_tb)
    assert lines == traceback.format_exception(ex_type, ex_value, ex_tb)
    assert all(line.endswith("\n") for line in lines)
    text = "".join(lines)
    assert " a = 10" not in text and " x = 999" not in text


def test_detailed_format_has_locals():
    ex_type, ex_value, ex_tb = _raise_and_catch()
    lines = Pyro4.util.formatTraceback(ex_type, ex_value, ex_tb, detailed=True)
    assert all(isinstance(line, str) and line.endswith("\n") for line in lines)
    text = "".join(lines)
    for expected in (" a = 10", " q = 'whiteblack'", " pre2 = 999", " x = 999", "self.attribute = 'attr-value'"):
        assert expected in text
    assert " Extended stacktrace follows (most recent call last)\n" in lines
    assert lines[0] == "-" * 52 + "\n" and lines[-1] == "-" * 52 + "\n"
    assert "in Holder.fail\n" in text and "in inner\n" in text
    assert "Source code:\n" in lines and "Local values:\n" in lines
    # the outermost frame (where the exception was caught) has no locals section
    first_frame = text.split("-" * 52 + "\n")[2]
    assert "_raise_and_catch" in first_frame and "Local values" not in first_frame


def test_detailed_format_survives_bad_repr():
    class BadRepr(object):
        def __repr__(self):
            raise RuntimeError("no repr")

        def __str__(self):
            raise RuntimeError("no str")

    def failing():
        broken = BadRepr()
        raise ValueError(broken is None)

    try:
        failing()
    except ValueError:
        lines = Pyro4.util.formatTraceback(detailed=True)
    assert "    broken = <ERROR>\n" in lines


def test_uses_current_exception_without_arguments():
    try:
        raise KeyError("current")
    except KeyError:
        lines = Pyro4.util.formatTraceback()
        pyro_lines = Pyro4.util.getPyroTraceback()
    assert lines[-1] == "KeyError: 'current'\n"
    assert pyro_lines[-1] == "KeyError: 'current'\n"


def test_old_call_style_rejected():
    with pytest.raises(TypeError) as excinfo:
        Pyro4.util.formatTraceback(ValueError("an instance"))
    assert str(excinfo.value) == BAD_ARGUMENT
    with pytest.raises(TypeError) as excinfo:
        Pyro4.util.getPyroTraceback(ValueError("an instance"))
    assert str(excinfo.value) == BAD_ARGUMENT


def test_pyro_traceback_without_remote_part():
    ex_type, ex_value, ex_tb = _raise_and_catch()
    assert Pyro4.util.getPyroTraceback(ex_type, ex_value, ex_tb) == traceback.format_exception(ex_type, ex_value, ex_tb)


def test_pyro_traceback_follows_detailed_config():
    ex_type, ex_value, ex_tb = _raise_and_catch()
    Pyro4.config.DETAILED_TRACEBACK = True
    assert " a = 10" in "".join(Pyro4.util.getPyroTraceback(ex_type, ex_value, ex_tb))


def test_pyro_traceback_with_remote_part():
    try:
        raise errors.NamingError("local side")
    except errors.NamingError as x:
        x._pyroTraceback = ["Traceback (most recent call last):\n", "  File \"srv.py\", line 1\n    two\n",
                            "ValueError: remote\n"]
        lines = Pyro4.util.getPyroTraceback()
    local = lines[:lines.index(" +--- This exception occured remotely (Pyro) - Remote traceback:")]
    assert local[-1] == "Pyro4.errors.NamingError: local side\n"
    remote = lines[len(local):]
    assert remote == [" +--- This exception occured remotely (Pyro) - Remote traceback:",
                      "\n | ", "Traceback (most recent call last):",
                      "\n | ", "  File \"srv.py\", line 1",
                      "\n | ", "    two",
                      "\n | ", "ValueError: remote",
                      "\n +--- End of remote traceback\n"]


def test_excepthook_writes_to_stderr(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    ex = ValueError("hooked")
    ex._pyroTraceback = ["remote line\n"]
    Pyro4.util.excepthook(type(ex), ex, None)
    text = stream.getvalue()
    assert "ValueError: hooked" in text and "\n | remote line" in text
    assert text == "".join(Pyro4.util.getPyroTraceback(type(ex), ex, None))


def test_remote_exception_through_serializer_then_excepthook(monkeypatch):
    remote = ZeroDivisionError("division by zero")
    remote._pyroTraceback = ["Traceback (most recent call last):\n", "ZeroDivisionError: division by zero\n"]
    serializer = Pyro4.util.get_serializer("json")
    arrived = serializer.deserializeData(serializer.serializeData(remote)[0])
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    Pyro4.util.excepthook(type(arrived), arrived, None)
    assert "Remote traceback:\n | Traceback (most recent call last):\n | ZeroDivisionError" in stream.getvalue()


def test_iron_python_fix_is_harmless_round_trip():
    ex = ValueError("arg")
    ex.extra = 42
    Pyro4.util.fixIronPythonExceptionForPickle(ex, True)
    assert len(ex.args) == 2 and ex.args[1]["__ironpythonargs__"] is True and ex.args[1]["extra"] == 42
    copy = ValueError(*ex.args)
    Pyro4.util.fixIronPythonExceptionForPickle(copy, False)
    assert copy.args == ("arg",)
    assert copy.extra == 42 and not hasattr(copy, "__ironpythonargs__")


def test_iron_python_fix_leaves_other_args_alone():
    ex = ValueError("arg", {"plain": "dict"})
    Pyro4.util.fixIronPythonExceptionForPickle(ex, False)
    assert ex.args == ("arg", {"plain": "dict"})
    empty = ValueError()
    Pyro4.util.fixIronPythonExceptionForPickle(empty, False)
    assert empty.args == ()
    Pyro4.util.fixIronPythonExceptionForPickle(object(), True)  # nothing with args: nothing happens
