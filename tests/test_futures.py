"""Pyro4.futures: Future, FutureResult, _ExceptionWrapper (API.md §9)."""
import pickle
import threading

import pytest

import Pyro4
from Pyro4 import futures, util
from Pyro4.futures import Future, FutureResult, _ExceptionWrapper

WAIT = 10   # generous upper bound for anything that should happen "soon"


def test_names():
    assert futures.__all__ == ["Future", "FutureResult", "_ExceptionWrapper"]
    assert Pyro4.Future is Future
    assert _ExceptionWrapper.__module__ == "Pyro4.futures"


def test_future_simple():
    future = Future(lambda a, b: a + b)
    result = future(3, b=4)
    assert isinstance(result, FutureResult)
    assert result.wait(WAIT)
    assert result.ready
    assert result.value == 7
    assert future.completed


def test_future_called_twice():
    future = Future(lambda: 1)
    result = future()
    with pytest.raises(RuntimeError) as excinfo:
        future()
    assert str(excinfo.value) == "the future has already been evaluated"
    assert result.value == 1
    with pytest.raises(RuntimeError):
        future()


def test_future_chain():
    future = Future(lambda x: x * 2)
    assert future.then(lambda value, add: value + add, 10) is future
    future.then(lambda value, mul=1: value * mul, mul=3)
    assert future(5).value == (5 * 2 + 10) * 3


def test_future_exception_and_handler():
    errors_seen = []
    future = Future(lambda: 1 // 0)
    assert future.iferror(errors_seen.append) is future
    result = future()
    with pytest.raises(ZeroDivisionError):
        result.value
    assert len(errors_seen) == 1 and isinstance(errors_seen[0], ZeroDivisionError)


def test_future_exception_in_chain():
    future = Future(lambda: 1).then(lambda v: v / 0)
    with pytest.raises(ZeroDivisionError):
        future().value


def test_future_cancel_before_call():
    future = Future(lambda: 1)
    assert future.cancel()
    with pytest.raises(RuntimeError) as excinfo:
        future()
    assert "cancelled" in str(excinfo.value)


def test_future_cancel_during_delay():
    called = threading.Event()
    future = Future(called.set)
    assert future.delay(60)
    result = future()
    assert not result.wait(0.05)
    assert future.cancel()
    assert result.wait(WAIT)
    with pytest.raises(RuntimeError) as excinfo:
        result.value
    assert str(excinfo.value) == "future has been cancelled"
    assert not called.is_set()
    assert future.completed
    assert not future.cancel()


def test_future_delay_after_completion():
    future = Future(lambda: 42)
    result = future()
    assert result.value == 42
    assert result.wait(WAIT)
    assert not future.delay(1)
    assert not future.cancel()


def test_future_short_delay_still_runs():
    future = Future(lambda: "done")
    assert future.delay(0.05)
    assert future().value == "done"


def test_futureresult_set_and_wait():
    result = FutureResult()
    assert not result.ready
    assert not result.wait(0.01)
    assert result.callchain == [] and result.exceptionhandler is None
    assert hasattr(result.valueLock, "acquire")
    threading.Timer(0.01, result.set_value, args=(99,)).start()
    assert result.wait(WAIT)
    assert result.get_value() == 99
    assert result.value == 99


def test_futureresult_value_property_setter():
    result = FutureResult()
    result.value = "x"
    assert result.ready and result.value == "x"


def test_futureresult_then_before_and_after():
    result = FutureResult()
    assert result.then(lambda v, a: v + a, 1) is result
    result.then(lambda v: v * 10)
    result.value = 4
    assert result.value == 50
    result.then(lambda v: v + 1)   # ready: applied immediately
    assert result.value == 51
    assert result.callchain == []


def test_futureresult_exception():
    handled = []
    result = FutureResult()
    assert result.iferror(handled.append) is result
    result.then(lambda v: pytest.fail("chain must not run on an error"))
    error = ValueError("bad")
    result.value = _ExceptionWrapper(error)
    assert handled == [error]
    with pytest.raises(ValueError):
        result.value


def test_futureresult_chain_exception_propagates_to_setter():
    result = FutureResult()
    result.then(lambda v: v / 0)
    with pytest.raises(ZeroDivisionError):
        result.value = 1
    assert not result.ready
    result.value = _ExceptionWrapper(ZeroDivisionError("x"))
    with pytest.raises(ZeroDivisionError):
        result.value


def test_futureresult_set_cancelled():
    result = FutureResult()
    result.set_cancelled()
    with pytest.raises(RuntimeError) as excinfo:
        result.value
    assert str(excinfo.value) == "future has been cancelled"


def test_exception_wrapper():
    error = ZeroDivisionError("hello", 42)
    wrapper = _ExceptionWrapper(error)
    assert wrapper.exception is error
    assert "ExceptionWrapper" in repr(wrapper)
    with pytest.raises(ZeroDivisionError):
        wrapper.raiseIt()
    assert wrapper.__serialized_dict__() == {
        "__class__": "Pyro4.futures._ExceptionWrapper",
        "exception": {"__class__": "builtins.ZeroDivisionError", "__exception__": True, "args": ("hello", 42),
                      "attributes": {}}}


def test_exception_wrapper_pickle():
    wrapper = pickle.loads(pickle.dumps(_ExceptionWrapper(ValueError("x"))))
    assert isinstance(wrapper, _ExceptionWrapper)
    assert vars(wrapper).keys() == {"exception"}
    assert isinstance(wrapper.exception, ValueError) and wrapper.exception.args == ("x",)


@pytest.mark.parametrize("name", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_exception_wrapper_all_serializers(name):
    serializer = util.get_serializer(name)
    data, _ = serializer.serializeData(_ExceptionWrapper(ValueError("x")))
    wrapper = serializer.deserializeData(data)
    assert isinstance(wrapper, _ExceptionWrapper)
    assert isinstance(wrapper.exception, ValueError) and list(wrapper.exception.args) == ["x"]


def test_exception_wrapper_serpent_text():
    data, _ = util.get_serializer("serpent").serializeData(_ExceptionWrapper(ValueError("x")))
    text = data.decode("utf-8")
    assert "'__class__':'Pyro4.futures._ExceptionWrapper'" in text
    assert "'exception':{'__class__':'builtins.ValueError'" in text
