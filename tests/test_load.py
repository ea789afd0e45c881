"""Load on live servers: 200 concurrent clients on the thread-pool and the multiplex server, pool
exhaustion, and 10,000 name server registrations and lookups from many threads. Threads and open
file descriptors must be back to their baseline afterwards. (Longer runs: bench/soak.py.)"""

import os
import threading

import pytest
from server_helpers import serving

import Pyro4
from Pyro4 import core, errors, naming
from Pyro4.configuration import config

CLIENTS = 200
DENIAL = "no free workers, increase server threadpool size"


@Pyro4.expose
class Meeting(object):
    """Every caller of `gather` waits until all expected callers are inside at the same time."""

    def __init__(self, parties):
        self.barrier = threading.Barrier(parties, timeout=60)
        self.connections = set()
        self.lock = threading.Lock()

    def gather(self):
        with self.lock:
            self.connections.add(id(core.current_context.client))
        return self.barrier.wait()

    def echo(self, x):
        with self.lock:
            self.connections.add(id(core.current_context.client))
        return x


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def settled(condition, rounds=1000):
    """Wait (bounded) until condition() holds; True if it did."""
    pause = threading.Event()
    for _ in range(rounds):
        if condition():
            return True
        pause.wait(0.01)
    return condition()


@pytest.fixture
def baseline():
    """Thread count and open descriptors before the test; the test must return to them."""
    settled(lambda: not [t for t in threading.enumerate() if t.name.startswith(("Pyro-Worker", "housekeeper"))])
    before = threading.active_count(), open_fds()
    yield
    assert settled(lambda: threading.active_count() <= before[0]), threading.enumerate()
    assert settled(lambda: open_fds() <= before[1])


def run_threads(target, count):
    """Run target(index) in `count` threads; returns the exceptions they raised."""
    failures = []

    def guarded(index):
        try:
            target(index)
        except Exception as x:  # collected, so a failure in a thread fails the test
            failures.append(x)

    threads = [threading.Thread(target=guarded, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "client threads hang"
    return failures


def bound_proxies(uri, count):
    proxies = []
    for _ in range(count):
        proxy = Pyro4.Proxy(uri)
        proxy._pyroTimeout = 60
        proxy._pyroBind()
        proxies.append(proxy)
    return proxies


def echo_all(proxies, start, step):
    for number in range(start, len(proxies), step):
        assert proxies[number].echo(number) == number


def release(proxies):
    for proxy in proxies:
        proxy._pyroRelease()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open descriptors in /proc")
def test_200_concurrent_clients_thread_pool(baseline):
    config.SERVERTYPE = "thread"
    config.THREADPOOL_SIZE = CLIENTS
    meeting = Meeting(CLIENTS)
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(meeting, "meeting")
    with serving(daemon):
        proxies = bound_proxies(uri, CLIENTS)
        try:
            # all 200 calls are inside the server at once, or the barrier would time out
            assert not run_threads(lambda index: proxies[index].gather(), CLIENTS)
            assert not run_threads(lambda index: echo_all(proxies, index, 8), 8)
            assert len(meeting.connections) == CLIENTS
        finally:
            release(proxies)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open descriptors in /proc")
def test_pool_exhaustion_is_denied_not_hung(baseline):
    config.SERVERTYPE = "thread"
    config.THREADPOOL_SIZE = 20
    config.THREADPOOL_SIZE_MIN = 4
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(Meeting(1), "meeting")
    outcomes = []
    with serving(daemon):
        held = bound_proxies(uri, 20)
        try:

            def attempt(index):
                with Pyro4.Proxy(uri) as proxy:
                    proxy._pyroTimeout = 30
                    try:
                        proxy._pyroBind()
                        outcomes.append("accepted")
                    except errors.CommunicationError as x:
                        outcomes.append(str(x).split(": ", 1)[1] if "rejected" in str(x) else str(x))

            assert not run_threads(attempt, CLIENTS - 20)
            assert outcomes == [DENIAL] * (CLIENTS - 20)
            assert all(proxy.echo(n) == n for n, proxy in enumerate(held))
        finally:
            release(held)
        # the workers come free once their connections are gone
        with Pyro4.Proxy(uri) as late:
            assert settled(lambda: _accepted(late))
            assert late.echo("late") == "late"


def _accepted(proxy):
    try:
        proxy._pyroBind()
        return True
    except errors.CommunicationError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open descriptors in /proc")
def test_200_clients_multiplex(baseline):
    config.SERVERTYPE = "multiplex"
    meeting = Meeting(1)
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(meeting, "meeting")
    with serving(daemon):
        proxies = bound_proxies(uri, CLIENTS)
        try:
            # (the server registers a connection just after sending its CONNECTOK)
            assert settled(lambda: "%d connections" % CLIENTS in repr(daemon.transportServer))
            assert not run_threads(lambda index: echo_all(proxies, index, 10), 10)
            assert len(meeting.connections) == CLIENTS
        finally:
            release(proxies)
        assert settled(lambda: "0 connections" in repr(daemon.transportServer))


# --- name server ---------------------------------------------------------------------------------

ENTRIES = 10000
BATCHED_THREADS, BATCHED_EACH = 8, 1000
SINGLE_THREADS, SINGLE_EACH = 8, 250
BATCH = 100


def entry(thread, number):
    name = "load.t%02d.n%04d" % (thread, number)
    return name, "PYRO:obj_%d_%d@127.0.0.1:%d" % (thread, number, 1 + number)


def register_and_look_up(uri, thread):
    with Pyro4.Proxy(uri) as ns:
        ns._pyroTimeout = 60
        if thread < BATCHED_THREADS:
            _batched(ns, thread)
        else:
            for number in range(SINGLE_EACH):
                name, target = entry(thread, number)
                ns.register(name, target, metadata={"t%d" % thread})
                assert ns.lookup(name).asString() == target


def _batched(ns, thread):
    for start in range(0, BATCHED_EACH, BATCH):
        batch = Pyro4.batch(ns)
        for number in range(start, start + BATCH):
            batch.register(*entry(thread, number), metadata={"t%d" % thread})
        assert list(batch()) == [None] * BATCH
        batch = Pyro4.batch(ns)
        for number in range(start, start + BATCH):
            batch.lookup(entry(thread, number)[0])
        found = [found.asString() for found in batch()]
        assert found == [entry(thread, number)[1] for number in range(start, start + BATCH)]


@pytest.mark.filterwarnings("ignore:Pyro protocol error occurred")
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open descriptors in /proc")
def test_10000_name_server_entries_from_many_threads(baseline):
    assert BATCHED_THREADS * BATCHED_EACH + SINGLE_THREADS * SINGLE_EACH == ENTRIES
    daemon = naming.NameServerDaemon(host="127.0.0.1", port=0)
    uri = daemon.uriFor(daemon.nameserver)
    with serving(daemon):
        assert not run_threads(lambda thread: register_and_look_up(uri, thread), BATCHED_THREADS + SINGLE_THREADS)
        with Pyro4.Proxy(uri) as ns:
            listing = ns.list(prefix="load.")
            assert ns.count() == ENTRIES + 1
            assert len(ns.list(metadata_any={"t3", "t12"})) == BATCHED_EACH + SINGLE_EACH
            assert ns.remove(prefix="load.") == ENTRIES
    expected = dict(entry(thread, number) for thread in range(BATCHED_THREADS) for number in range(BATCHED_EACH))
    expected.update(
        entry(thread, number)
        for thread in range(BATCHED_THREADS, BATCHED_THREADS + SINGLE_THREADS)
        for number in range(SINGLE_EACH)
    )
    assert listing == expected  # nothing lost, nothing duplicated, nothing crossed


@pytest.mark.filterwarnings("ignore:Pyro protocol error occurred")
def test_racing_safe_registrations_have_one_winner_each():
    daemon = naming.NameServerDaemon(host="127.0.0.1", port=0)
    uri = daemon.uriFor(daemon.nameserver)
    wins = []

    def racer(thread):
        with Pyro4.Proxy(uri) as ns:
            for number in range(100):
                try:
                    ns.register("race.%d" % number, "PYRO:r%d@127.0.0.1:1" % thread, safe=True)
                    wins.append(("race.%d" % number, thread))
                except errors.NamingError as x:
                    assert str(x) == "name already registered: race.%d" % number

    with serving(daemon):
        assert not run_threads(racer, 8)
        with Pyro4.Proxy(uri) as ns:
            listing = ns.list(prefix="race.")
    assert sorted(name for name, _ in wins) == sorted("race.%d" % n for n in range(100))
    assert listing == {name: "PYRO:r%d@127.0.0.1:1" % thread for name, thread in wins}
