"""Faults: a client process killed mid-call or mid-message, a server process killed and restarted on
the same port (the proxy reconnects with _pyroReconnect), a name server process killed and
restarted on sql storage (acknowledged entries kept), socket timeouts on both sides, and a
connection reset in the middle of a streamed iterator. Processes are started here and killed by
their PID only."""

import os
import queue
import socket
import struct
import subprocess
import sys
import threading

import pytest
from server_helpers import SERVERTYPES, serving

import Pyro4
from Pyro4 import errors, message
from Pyro4.configuration import config

WAIT = 30  # upper bound for every wait on another process or thread; never reached when things work


def start_python(code, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYRO_")}
    proc = subprocess.Popen(
        [sys.executable, "-u", "-c", code] + [str(a) for a in args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    # a thread reads the output: a selector on a buffered pipe misses lines already in the buffer
    proc.lines = queue.Queue()
    proc.pump = threading.Thread(target=_pump_lines, args=(proc,), daemon=True)
    proc.pump.start()
    return proc


def _pump_lines(proc):
    for line in iter(proc.stdout.readline, b""):
        proc.lines.put(line.decode())
    proc.lines.put("")


def read_line(proc, prefix=""):
    """The next stdout line of proc starting with prefix (bounded wait)."""
    for _ in range(50):
        try:
            line = proc.lines.get(timeout=WAIT)
        except queue.Empty:
            break
        if not line:
            break
        if line.startswith(prefix):
            return line.strip()
    raise AssertionError("process %d printed no line starting with %r" % (proc.pid, prefix))


def kill(proc):
    proc.kill()  # by the PID of the process this test started
    proc.wait(WAIT)
    proc.pump.join(WAIT)  # the pipe is at EOF now
    proc.stdout.close()


@pytest.fixture
def processes():
    started = []
    yield started
    for proc in started:
        if proc.poll() is None:
            kill(proc)


class Tracker(Pyro4.Daemon):
    """A daemon that signals when a client connection is gone."""

    def __init__(self, *args, **kwargs):
        super(Tracker, self).__init__(*args, **kwargs)
        self.disconnected = threading.Event()

    def clientDisconnect(self, conn):
        self.disconnected.set()


@Pyro4.expose
class Service(object):
    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def block(self):
        self.entered.set()
        assert self.release.wait(WAIT)
        return "done"

    def echo(self, x):
        return x

    def big(self, size):
        return b"x" * size

    def count(self, n):
        for i in range(n):
            yield i


def tracked_daemon(servertype):
    config.SERVERTYPE = servertype
    daemon = Tracker(host="127.0.0.1")
    service = Service()
    uri = daemon.register(service, "service")
    return daemon, service, uri


def good_call(uri):
    with Pyro4.Proxy(uri) as proxy:
        assert proxy.echo("alive") == "alive"


# --- clients that die -----------------------------------------------------------------------------

CALLING_CLIENT = """
import sys, Pyro4
with Pyro4.Proxy(sys.argv[1]) as proxy:
    print("calling", flush=True)
    proxy.block()
"""

HALF_MESSAGE_CLIENT = """
import socket, sys, threading
from Pyro4 import message, util
host, port = sys.argv[1], int(sys.argv[2])
sock = socket.create_connection((host, port))
ser = util.get_serializer("serpent")
hello = ser.dumps({"handshake": "hello"})
sock.sendall(message.Message(message.MSG_CONNECT, hello, 1, 0, 0).to_bytes())
sock.recv(1000)
frame = message.Message(message.MSG_INVOKE, ser.dumpsCall("service", "echo", ("x" * 1000000,), {}), 1, 0, 1).to_bytes()
sock.sendall(frame[:len(frame) // 2])
print("half sent", flush=True)
threading.Event().wait()  # until killed
"""


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_client_killed_mid_call(processes, servertype):
    daemon, service, uri = tracked_daemon(servertype)
    with serving(daemon):
        processes.append(start_python(CALLING_CLIENT, uri))
        assert read_line(processes[0], "calling")
        assert service.entered.wait(WAIT)
        kill(processes[0])
        service.release.set()  # the reply now goes to a dead connection
        assert daemon.disconnected.wait(WAIT)
        good_call(uri)


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_client_killed_mid_message(processes, servertype):
    daemon, _, uri = tracked_daemon(servertype)
    with serving(daemon):
        host, port = daemon.sock.getsockname()[:2]
        processes.append(start_python(HALF_MESSAGE_CLIENT, host, port))
        assert read_line(processes[0], "half sent")
        kill(processes[0])
        assert daemon.disconnected.wait(WAIT)
        good_call(uri)


# --- servers that die -------------------------------------------------------------------------------

SERVER = """
import os, sys, Pyro4
@Pyro4.expose
class Service(object):
    def pid(self):
        return os.getpid()
daemon = Pyro4.Daemon(host="127.0.0.1", port=int(sys.argv[1]))
uri = daemon.register(Service(), "service")
print("uri", uri, flush=True)
daemon.requestLoop()
"""


def test_server_killed_and_restarted_on_same_port(processes):
    processes.append(start_python(SERVER, 0))
    uri = read_line(processes[0], "uri").split()[1]
    port = Pyro4.URI(uri).port
    with Pyro4.Proxy(uri) as proxy:
        assert proxy.pid() == processes[0].pid
        kill(processes[0])
        with pytest.raises(errors.CommunicationError):
            proxy.pid()
        processes.append(start_python(SERVER, port))
        assert read_line(processes[1], "uri").split()[1] == uri
        proxy._pyroReconnect(tries=3)
        assert proxy.pid() == processes[1].pid


def test_reconnect_gives_up_when_the_server_stays_down(processes):
    processes.append(start_python(SERVER, 0))
    uri = read_line(processes[0], "uri").split()[1]
    with Pyro4.Proxy(uri) as proxy:
        proxy._pyroBind()
        kill(processes[0])
        with pytest.raises(errors.ConnectionClosedError, match="failed to reconnect"):
            proxy._pyroReconnect(tries=1)


NAME_SERVER = "import sys, Pyro4.naming; Pyro4.naming.main(sys.argv[1:])"


def start_name_server(port, dbfile):
    proc = start_python(NAME_SERVER, "-n", "127.0.0.1", "-p", port, "-x", "-s", "sql:%s" % dbfile)
    return proc, read_line(proc, "URI = ").split(" = ")[1]


@pytest.mark.filterwarnings("ignore:Pyro protocol error occurred")
def test_name_server_killed_and_restarted_on_sql_storage(processes, tmp_path):
    dbfile = tmp_path / "names.sqlite"
    proc, uri = start_name_server(0, dbfile)
    processes.append(proc)
    acknowledged = []
    stop = threading.Event()

    def register_until_stopped():
        with Pyro4.Proxy(uri) as ns:
            for number in range(100000):
                if stop.is_set():
                    return
                try:
                    ns.register("fault.%d" % number, "PYRO:o%d@127.0.0.1:9" % number, metadata={"m%d" % (number % 3)})
                except errors.CommunicationError:
                    return  # the name server died under this call: it may or may not be stored
                acknowledged.append(number)

    writer = threading.Thread(target=register_until_stopped)
    writer.start()
    try:
        assert _settled(lambda: len(acknowledged) >= 50)
        kill(proc)  # in the middle of the registrations
    finally:
        stop.set()
        writer.join(WAIT)
    proc, new_uri = start_name_server(Pyro4.URI(uri).port, dbfile)
    processes.append(proc)
    assert new_uri == uri
    with Pyro4.Proxy(uri) as ns:
        listing = ns.list(prefix="fault.", return_metadata=True)
        assert ns.lookup("Pyro.NameServer").asString() == uri
    for number in acknowledged:
        assert list(listing["fault.%d" % number]) == ["PYRO:o%d@127.0.0.1:9" % number, ["m%d" % (number % 3)]]
    assert len(listing) - len(acknowledged) in (0, 1)  # at most the one call that was cut off


def _settled(condition):
    pause = threading.Event()
    for _ in range(WAIT * 100):
        if condition():
            return True
        pause.wait(0.01)
    return False


# --- timeouts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_client_timeout_then_a_fresh_call(servertype):
    daemon, service, uri = tracked_daemon(servertype)
    with serving(daemon):
        with Pyro4.Proxy(uri) as proxy:
            proxy._pyroTimeout = 0.3
            with pytest.raises(errors.TimeoutError, match="receiving: timeout"):
                proxy.block()
            assert proxy._pyroConnection is None  # released after the timeout
            service.release.set()  # the late reply goes to the closed connection
            assert daemon.disconnected.wait(WAIT)
            proxy._pyroTimeout = WAIT
            assert proxy.echo("fresh") == "fresh"  # a new connection: no stale reply, seq in sync


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_server_send_timeout_on_a_client_that_does_not_read(servertype):
    config.COMMTIMEOUT = 0.3  # given to client sockets by the server when it accepts them
    daemon, _, uri = tracked_daemon(servertype)
    with serving(daemon):
        with Pyro4.Proxy(uri) as lazy:
            lazy._pyroTimeout = WAIT
            lazy._pyroBind()
            lazy._pyroConnection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            request = message.Message(message.MSG_INVOKE, _call_payload("big", (20000000,)), 1, 0, 1)
            lazy._pyroConnection.send(request.to_bytes())  # and never read the 20 MB reply
            assert daemon.disconnected.wait(WAIT)
        with Pyro4.Proxy(uri) as good:
            good._pyroTimeout = WAIT
            assert good.echo("served") == "served"


def _call_payload(method, vargs):
    return Pyro4.util.get_serializer("serpent").dumpsCall("service", method, vargs, {})


# --- streamed iterators --------------------------------------------------------------------------------


def reset(proxy):
    """Abort the proxy's connection with a TCP reset (SO_LINGER 0), as a crashed peer or middlebox would."""
    sock = proxy._pyroConnection.sock
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_reset_during_stream_then_reconnect_continues(servertype):
    daemon, _, uri = tracked_daemon(servertype)
    with serving(daemon):
        with Pyro4.Proxy(uri) as proxy:
            items = proxy.count(10)
            assert [next(items) for _ in range(3)] == [0, 1, 2]
            reset(proxy)
            assert daemon.disconnected.wait(WAIT)
            with pytest.raises(errors.ConnectionClosedError):
                next(items)
            proxy._pyroReconnect(tries=1)
            assert list(items) == [3, 4, 5, 6, 7, 8, 9]  # the stream lingered for the reconnecting proxy
            assert not daemon.streaming_responses


@pytest.mark.parametrize("servertype", SERVERTYPES)
def test_reset_during_stream_without_linger_ends_it(servertype):
    config.ITER_STREAM_LINGER = 0
    daemon, _, uri = tracked_daemon(servertype)
    with serving(daemon):
        with Pyro4.Proxy(uri) as proxy:
            items = proxy.count(10)
            assert next(items) == 0
            reset(proxy)
            assert daemon.disconnected.wait(WAIT)
            assert not daemon.streaming_responses
            with pytest.raises(errors.ConnectionClosedError):
                next(items)
            proxy._pyroReconnect(tries=1)
            with pytest.raises(errors.PyroError, match="item stream terminated"):
                next(items)
            assert proxy.echo("after") == "after"
