"""Deferred results: ``Future`` runs a callable in the background, ``FutureResult`` holds a result
that arrives later (async proxy calls, async batches, futures)."""
import logging
import threading

__all__ = ["Future", "FutureResult", "_ExceptionWrapper"]

log = logging.getLogger("Pyro4.futures")

_MAX_DELAY_STEP = 2.0   # a cancel() during a delay takes effect within this many seconds


class Future(object):
    """Runs ``somecallable`` in a background thread when called; returns a FutureResult at once."""

    def __init__(self, somecallable):
        self.callable = somecallable
        self.chain = []
        self.exceptionhandler = None
        self.call_delay = 0
        self.cancelled = False
        self.completed = False
        self._evaluated = False
        self._wakeup = threading.Event()

    def __call__(self, *args, **kwargs):
        if self._evaluated or self.completed:
            raise RuntimeError("the future has already been evaluated")
        if self.cancelled:
            raise RuntimeError("the future has been cancelled")
        self._evaluated = True
        chain, self.chain = self.chain, []
        result = FutureResult()
        thread = threading.Thread(target=self._run, args=(result, chain, args, kwargs), name="Pyro-future")
        thread.daemon = True
        thread.start()
        return result

    def _run(self, result, chain, args, kwargs):
        self._wait_for_delay()
        if self.cancelled:
            self.completed = True
            result.set_cancelled()
            return
        try:
            self.completed = True
            value = self.callable(*args, **kwargs)
            for call, call_args, call_kwargs in chain:
                value = call(value, *call_args, **call_kwargs)
            result.value = value
        except Exception as x:
            if self.exceptionhandler:
                self.exceptionhandler(x)
            result.value = _ExceptionWrapper(x)

    def _wait_for_delay(self):
        # delay() may extend the delay while we wait; cancel() wakes us up early
        while self.call_delay > 0 and not self.cancelled:
            step = min(self.call_delay, _MAX_DELAY_STEP)
            self._wakeup.wait(step)
            self.call_delay -= step

    def delay(self, seconds):
        """Postpone the evaluation by this many seconds; False if it already happened."""
        if self.completed:
            log.info("cannot delay a future that has already been completed")
            return False
        self.call_delay = seconds
        return True

    def cancel(self):
        """Cancel the evaluation if it didn't happen yet; False if it already happened."""
        if self.completed:
            return False
        self.cancelled = True
        self._wakeup.set()
        return True

    def then(self, call, *args, **kwargs):
        """Chain a call that gets the previous result as first argument. Returns self."""
        if self._evaluated:
            raise RuntimeError("the future has already been evaluated")
        self.chain.append((call, args, kwargs))
        return self

    def iferror(self, exceptionhandler):
        """Set the function to call with the exception if the evaluation fails. Returns self."""
        self.exceptionhandler = exceptionhandler
        return self


class FutureResult(object):
    """The result of an asynchronous call; ``value`` blocks until it is available."""

    def __init__(self):
        self._ready = threading.Event()
        self._value = None
        self.callchain = []
        self.valueLock = threading.Lock()
        self.exceptionhandler = None

    def wait(self, timeout=None):
        """Wait until the result is available (True) or the timeout passed (False)."""
        return self._ready.wait(timeout)

    @property
    def ready(self):
        """Is the result available?"""
        return self._ready.is_set()

    def get_value(self):
        self._ready.wait()
        if isinstance(self._value, _ExceptionWrapper):
            self._value.raiseIt()
        return self._value

    def set_value(self, value):
        with self.valueLock:
            self._value = value
            if isinstance(value, _ExceptionWrapper):
                if self.exceptionhandler:
                    self.exceptionhandler(value.exception)
            else:
                self._run_callchain()
            self.callchain = []
            self._ready.set()

    def _run_callchain(self):
        # an exception from a chained call propagates to the setter, which stores it as the result
        for call, args, kwargs in self.callchain:
            self._value = call(self._value, *args, **kwargs)
            if isinstance(self._value, _ExceptionWrapper):
                break

    value = property(get_value, set_value, None, "The result value (blocks until available).")

    def then(self, call, *args, **kwargs):
        """Chain a call that gets the previous result as first argument. Returns self."""
        with self.valueLock:
            if self._ready.is_set():
                if not isinstance(self._value, _ExceptionWrapper):
                    self._value = call(self._value, *args, **kwargs)
            else:
                self.callchain.append((call, args, kwargs))
        return self

    def iferror(self, exceptionhandler):
        """Set the function to call with the exception if the result is an error. Returns self."""
        self.exceptionhandler = exceptionhandler
        return self

    def set_cancelled(self):
        self.set_value(_ExceptionWrapper(RuntimeError("future has been cancelled")))


class _ExceptionWrapper(object):
    """Carries an exception as a value (in batch results and async results) until it is raised."""

    def __init__(self, exception):
        self.exception = exception

    def raiseIt(self):
        raise self.exception

    def __serialized_dict__(self):
        """The dict form used by the non-pickle serializers (its __class__ tag is part of the wire format)."""
        from Pyro4 import util
        return {"__class__": "Pyro4.futures._ExceptionWrapper",
                "exception": util.SerializerBase.class_to_dict(self.exception)}
