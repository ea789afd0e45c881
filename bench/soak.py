"""Long soak, fuzz, load and fault runs (the bounded versions are in tests/test_fuzz_twins.py,
test_hostile_*.py, test_load.py and test_faults.py). Everything runs on 127.0.0.1 and prints its
figures; the exit status is 1 when any check failed.

    python3 bench/soak.py --clients 200 --seconds 60 --fuzz-inputs 200000 --ns-entries 10000 --faults 10

Sections: fuzz (random and mutated frames through both message twins, payloads through the safe
decoders), load (clients calling concurrently on each server type while a hostile client keeps
sending mutated frames), ns (registrations and lookups from many threads), faults (client
processes killed mid-call, echo server processes killed and restarted on their port, name
server processes killed and restarted on sql storage). Processes are started here and killed by
their PID only.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

import serpent  # noqa: E402
from fuzz import wire_oracles as oracles  # noqa: E402

import Pyro4  # noqa: E402
from Pyro4 import errors, message, naming, util  # noqa: E402
from Pyro4.configuration import config  # noqa: E402

PROCESS_WAIT = 30
SCRATCH = tempfile.TemporaryDirectory(prefix="pyro-soak-")  # removed at exit


def report(section, **figures):
    print("%-6s %s" % (section, "  ".join("%s=%s" % item for item in figures.items())), flush=True)


# --- fuzz -------------------------------------------------------------------------------------------


def fuzz(inputs, seed):
    rng = random.Random(seed)
    serializers = oracles.available_safe_serializers()
    seeds = _seed_frames(rng)
    documents = _seed_documents(serializers)
    failures = 0
    for number in range(inputs):
        try:
            if number % 2:
                config.MAX_MESSAGE_SIZE = rng.choice((0, 0, 100, 100000))
                frame = oracles.mutate(rng.choice(seeds), rng) if rng.random() < 0.9 else _random_bytes(rng)
                oracles.check_recv_twins_agree(
                    frame, rng.choice((None, [1], [4, 6], [5])), rng.choice((None, b"secret"))
                )
            else:
                name = rng.choice(serializers)
                payload = oracles.mutate(rng.choice(documents[name]), rng) if rng.random() < 0.8 else _random_bytes(rng)
                oracles.decode_outcomes(name, payload)
        except AssertionError as x:
            failures += 1
            print("fuzz failure:", x, file=sys.stderr)
    config.MAX_MESSAGE_SIZE = 0
    report("fuzz", inputs_tried=inputs, twins=len(oracles.twins()), serializers=len(serializers), failures=failures)
    return failures


def _random_bytes(rng):
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 120)))


def _seed_frames(rng):
    frames = []
    for msg_type in range(1, 7):
        for key in (None, b"secret"):
            annotations = {"CORR": bytes(16), "XTRA": b"x" * rng.randrange(40)}
            frames.append(
                oracles.frame_bytes(
                    msg_type,
                    rng.randrange(128),
                    rng.randrange(65536),
                    1,
                    serpent.dumps(("obj", "method", (1, "two"), {})),
                    annotations,
                    key,
                )
            )
    return frames


def _seed_documents(serializers):
    hostile = [
        {"__class__": name, "__exception__": True, "args": ["x"], "attributes": {}, "state": ("a", 1)}
        for name in (
            "os.system",
            "__main__.Evil",
            "Pyro4.core.URI",
            "Pyro4.core.Proxy",
            "builtins.ValueError",
            "Pyro4.errors.NamingError",
            "Pyro4.futures._ExceptionWrapper",
            "float",
        )
    ]
    value = ["obj", "method", [hostile, {"k": [1, 2.5, None, True]}], {"kw": hostile[:2]}]
    documents = {
        "serpent": [serpent.dumps(value, module_in_classname=True), serpent.dumps(tuple(value))],
        "json": [json.dumps(value).encode()],
        "marshal": [util.get_serializer("marshal").dumps(value)],
    }
    if "msgpack" in serializers:
        import msgpack

        documents["msgpack"] = [msgpack.packb(value, use_bin_type=True)]
    return documents


# --- load -------------------------------------------------------------------------------------------


@Pyro4.expose
class Counter(object):
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = 0

    def add(self, a, b):
        with self.lock:
            self.calls += 1
        return a + b


def load(servertype, clients, seconds, seed):
    config.SERVERTYPE = servertype
    config.THREADPOOL_SIZE = clients + 10  # room for the hostile client's connections
    counter = Counter()
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(counter, "counter")
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    try:
        proxies = [_bound(uri) for _ in range(clients)]
        deadline = time.monotonic() + seconds
        results = {"calls": 0, "errors": 0, "hostile": 0}
        lock = threading.Lock()
        threads = [threading.Thread(target=_caller, args=(proxy, deadline, results, lock)) for proxy in proxies]
        threads.append(threading.Thread(target=_hostile, args=(daemon, deadline, results, lock, seed)))
        _run(threads, seconds)
        for proxy in proxies:
            proxy._pyroRelease()
    finally:
        daemon.shutdown()
        loop.join(PROCESS_WAIT)
        daemon.close()
    report(
        "load",
        servertype=servertype,
        clients_held=clients,
        seconds=seconds,
        calls=results["calls"],
        calls_per_s=int(results["calls"] / max(seconds, 0.001)),
        hostile_frames=results["hostile"],
        errors=results["errors"],
        server_counted=counter.calls,
    )
    return results["errors"] + (counter.calls != results["calls"])


def _bound(uri):
    proxy = Pyro4.Proxy(uri)
    proxy._pyroTimeout = 60
    proxy._pyroBind()
    return proxy


def _run(threads, seconds):
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)


def _caller(proxy, deadline, results, lock):
    calls = errors_seen = 0
    while time.monotonic() < deadline:
        try:
            if proxy.add(calls, 1) != calls + 1:
                errors_seen += 1
        except Exception as x:
            errors_seen += 1
            print("call failed:", type(x).__name__, x, file=sys.stderr)
        calls += 1
    with lock:
        results["calls"] += calls
        results["errors"] += errors_seen


def _hostile(daemon, deadline, results, lock, seed):
    """Mutated frames on fresh connections, back to back, while the clients call."""
    rng = random.Random(seed)
    base = oracles.frame_bytes(message.MSG_CONNECT, 0, 0, 1, serpent.dumps({"handshake": "hello"}), {})
    sent = 0
    while time.monotonic() < deadline:
        with socket.create_connection(daemon.sock.getsockname()[:2], timeout=10) as sock:
            try:
                sock.sendall(oracles.mutate(base, rng))
                sock.shutdown(socket.SHUT_WR)
                oracles.read_until_closed(sock, 10)
            except OSError:
                pass  # the server may reset the connection before we finished sending: a fine answer
        sent += 1
    with lock:
        results["hostile"] += sent


# --- name server --------------------------------------------------------------------------------


def name_server(entries, threads, storage):
    daemon = naming.NameServerDaemon(host="127.0.0.1", port=0, storage=storage)
    uri = daemon.uriFor(daemon.nameserver)
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    per_thread = entries // threads
    started = time.monotonic()
    try:
        workers = [
            threading.Thread(target=_register_range, args=(uri, number, per_thread)) for number in range(threads)
        ]
        _run(workers, 600)
        with Pyro4.Proxy(uri) as ns:
            listing = ns.list(prefix="soak.")
    finally:
        daemon.shutdown()
        loop.join(PROCESS_WAIT)
        daemon.close()
    expected = {
        _entry(number, item)[0]: _entry(number, item)[1] for number in range(threads) for item in range(per_thread)
    }
    lost = len(set(expected) - set(listing))
    wrong = sum(1 for name in expected if name in listing and listing[name] != expected[name])
    extra = len(set(listing) - set(expected))
    report(
        "ns",
        storage=storage.split(":")[0] if storage else "memory",
        entries=len(expected),
        threads=threads,
        lost=lost,
        wrong=wrong,
        extra=extra,
        seconds=round(time.monotonic() - started, 1),
    )
    return lost + wrong + extra


def _entry(thread, item):
    return "soak.%d.%d" % (thread, item), "PYRO:o%d_%d@127.0.0.1:%d" % (thread, item, item + 1)


def _register_range(uri, thread, count):
    with Pyro4.Proxy(uri) as ns:
        ns._pyroTimeout = 120
        for item in range(count):
            ns.register(*_entry(thread, item))
        for item in range(count):
            if ns.lookup(_entry(thread, item)[0]).asString() != _entry(thread, item)[1]:
                print("lookup mismatch", _entry(thread, item), file=sys.stderr)


# --- faults ---------------------------------------------------------------------------------------


def _python(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYRO_")}
    return subprocess.Popen(
        [sys.executable, "-u"] + [str(a) for a in args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _wait_for(proc, prefix):
    """The first output line with this prefix; the process is killed if it takes too long."""
    watchdog = threading.Timer(PROCESS_WAIT, proc.kill)
    watchdog.start()
    try:
        for line in proc.stdout:
            if line.startswith(prefix):
                return line.strip()
    finally:
        watchdog.cancel()
    raise RuntimeError("process %d ended without printing %r" % (proc.pid, prefix))


def _end(proc):
    proc.kill()  # the PID of a process started by this script
    proc.wait(PROCESS_WAIT)
    proc.stdout.close()


def server_restarts(rounds):
    proc = _python("-m", "Pyro4.test.echoserver", "-H", "127.0.0.1")
    uri = _wait_for(proc, "echo uri:").split()[-1]
    port = Pyro4.URI(uri).port
    survived = 0
    try:
        with Pyro4.Proxy(uri) as proxy:
            for number in range(rounds):
                assert proxy.echo(number) == number
                _end(proc)
                try:
                    proxy.echo("to a dead server")
                except errors.CommunicationError:
                    pass
                proc = _python("-m", "Pyro4.test.echoserver", "-H", "127.0.0.1", "-p", port)
                _wait_for(proc, "echoserver running")
                proxy._pyroReconnect(tries=3)
                survived += proxy.echo(number) == number
    finally:
        _end(proc)
    report("faults", kind="server_restart", rounds=rounds, survived=survived)
    return rounds - survived


@Pyro4.expose
class Gate(object):
    """hold() returns only when the soak releases it; `entered` tells that a call is inside."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def hold(self):
        self.entered.set()
        self.release.wait(PROCESS_WAIT)

    def ping(self):
        return "pong"


def client_kills(rounds):
    """Client processes killed while their call is running in a thread-pool daemon."""
    config.SERVERTYPE = "thread"
    gate = Gate()
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(gate, "gate")
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    survived = 0
    try:
        for _ in range(rounds):
            gate.entered.clear()
            gate.release.clear()
            proc = _python("-c", "import sys, Pyro4; Pyro4.Proxy(sys.argv[1]).hold()", uri)
            if gate.entered.wait(PROCESS_WAIT):
                _end(proc)
                gate.release.set()  # the reply goes to a dead peer
                with Pyro4.Proxy(uri) as proxy:
                    survived += proxy.ping() == "pong"
            else:
                _end(proc)
    finally:
        gate.release.set()
        daemon.shutdown()
        loop.join(PROCESS_WAIT)
        daemon.close()
    report("faults", kind="client_killed_mid_call", rounds=rounds, survived=survived)
    return rounds - survived


def name_server_restarts(rounds):
    """Name server processes on one sql file, each killed (SIGKILL) after acknowledging 50 entries."""
    dbfile = os.path.join(SCRATCH.name, "restarts.sqlite")
    port, acknowledged, missing = 0, [], 0
    for number in range(rounds + 1):
        proc = _python(
            "-c",
            "import sys, Pyro4.naming; Pyro4.naming.main(sys.argv[1:])",
            "-n",
            "127.0.0.1",
            "-p",
            port,
            "-x",
            "-s",
            "sql:" + dbfile,
        )
        uri = _wait_for(proc, "URI = ").split(" = ")[1]
        port = Pyro4.URI(uri).port
        with Pyro4.Proxy(uri) as ns:
            present = ns.list(prefix="fault.")
            missing = sum(1 for name in acknowledged if name not in present)
            for item in range(50 if number < rounds else 0):
                name = "fault.%d.%d" % (number, item)
                ns.register(name, "PYRO:x@127.0.0.1:%d" % (item + 1))
                acknowledged.append(name)
        _end(proc)
    report(
        "faults", kind="ns_restart_sql", restarts=rounds, entries_acknowledged=len(acknowledged), entries_lost=missing
    )
    return missing


# --- main -----------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients per server type")
    parser.add_argument("--seconds", type=float, default=10, help="duration of each load run")
    parser.add_argument("--fuzz-inputs", type=int, default=20000, help="fuzz inputs to try")
    parser.add_argument("--ns-entries", type=int, default=10000, help="name server registrations")
    parser.add_argument("--ns-threads", type=int, default=20, help="threads registering in the name server")
    parser.add_argument("--faults", type=int, default=5, help="kill/restart rounds per fault kind")
    parser.add_argument("--seed", type=int, default=48)
    options = parser.parse_args(argv)
    threads_before = threading.active_count()
    problems = fuzz(options.fuzz_inputs, options.seed)
    for servertype in ("thread", "multiplex"):
        problems += load(servertype, options.clients, options.seconds, options.seed)
    for storage in (None, "sql:" + os.path.join(SCRATCH.name, "load.sqlite")):
        problems += name_server(options.ns_entries, options.ns_threads, storage)
    problems += client_kills(options.faults) + server_restarts(options.faults) + name_server_restarts(options.faults)
    for _ in range(500):  # the last pool workers end shortly after their daemon closed
        if threading.active_count() <= threads_before:
            break
        threading.Event().wait(0.01)
    report("total", problems=problems, threads_left=threading.active_count() - threads_before)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
