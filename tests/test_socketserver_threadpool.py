"""The thread pool and the thread-pool transport server, driven by a fake daemon."""

import contextlib
import socket
import threading

import pytest
from server_helpers import FakeDaemon, recv_all, threads_named

from Pyro4.configuration import config
from Pyro4.socketserver import threadpool, threadpoolserver
from Pyro4.socketserver.threadpool import NoFreeWorkersError, Pool, PoolError
from Pyro4.socketserver.threadpoolserver import SocketServer_Threadpool


class TestPool:
    def test_size_validation(self):
        config.THREADPOOL_SIZE = 0
        with pytest.raises(ValueError, match="threadpool sizes must be greater than zero"):
            Pool()
        config.THREADPOOL_SIZE = 4
        config.THREADPOOL_SIZE_MIN = 0
        with pytest.raises(ValueError, match="threadpool sizes must be greater than zero"):
            Pool()
        config.THREADPOOL_SIZE_MIN = 5
        with pytest.raises(ValueError, match="minimum threadpool size must be less than or equal to max size"):
            Pool()

    def test_starts_min_idle_workers_and_closes(self):
        config.THREADPOOL_SIZE_MIN = 3
        with Pool() as pool:
            assert len(pool.idle) == 3
            assert len(pool.busy) == 0
            assert pool.num_workers() == 3
            assert all(w.name.startswith("Pyro-Worker-") and w.daemon for w in pool.idle)
            assert repr(pool).startswith("<Pyro4.socketserver.threadpool.Pool at 0x")
            assert repr(pool).endswith("; 0 busy workers; 3 idle workers>")
        assert pool.closed
        assert not pool.idle and not pool.busy

    def test_closed_pool_refuses_jobs(self):
        pool = Pool()
        pool.close()
        with pytest.raises(PoolError, match="job queue is closed"):
            pool.process(lambda: None)

    def test_busy_when_process_returns_and_no_free_workers(self):
        config.THREADPOOL_SIZE_MIN = 1
        config.THREADPOOL_SIZE = 2
        release = threading.Event()
        with Pool() as pool:
            pool.process(lambda: release.wait(10))
            assert len(pool.busy) == 1
            pool.process(lambda: release.wait(10))
            assert len(pool.busy) == 2
            with pytest.raises(NoFreeWorkersError, match="no free workers available, increase thread pool size"):
                pool.process(lambda: None)
            release.set()

    def test_shrinks_to_min_after_burst(self):
        config.THREADPOOL_SIZE_MIN = 2
        config.THREADPOOL_SIZE = 10
        release = threading.Event()
        done = threading.Semaphore(0)

        def job():
            release.wait(10)
            done.release()

        with Pool() as pool:
            for _ in range(8):
                pool.process(job)
            assert len(pool.busy) == 8
            release.set()
            for _ in range(8):
                assert done.acquire(timeout=10)
            for _ in range(200):  # notify_done runs right after the job; give it a moment
                if not pool.busy:
                    break
                threading.Event().wait(0.01)
            assert len(pool.busy) == 0
            assert len(pool.idle) == 2

    def test_job_exception_does_not_kill_worker(self):
        config.THREADPOOL_SIZE_MIN = 1
        config.THREADPOOL_SIZE = 1
        ran = threading.Event()

        def bad():
            raise ValueError("job failed")

        with Pool() as pool:
            pool.process(bad)
            for _ in range(200):
                try:
                    pool.process(ran.set)
                    break
                except NoFreeWorkersError:
                    threading.Event().wait(0.01)
            assert ran.wait(5)

    def test_errors_hierarchy(self):
        assert issubclass(NoFreeWorkersError, PoolError)
        assert threadpoolserver.NoFreeWorkersError is NoFreeWorkersError
        assert threadpoolserver.Pool is Pool
        assert threadpool.Worker.__name__ == "Worker"


@pytest.fixture
def fake_server():
    with _running_fake_server() as running:
        yield running


@contextlib.contextmanager
def _running_fake_server():
    daemon = FakeDaemon()
    server = SocketServer_Threadpool()
    server.init(daemon, "localhost", 0)
    loop = threading.Thread(target=server.loop, daemon=True)
    loop.start()
    try:
        yield server, daemon
    finally:
        server.shutdown()
        loop.join(10)
        server.close()


def _connect(server):
    sock = socket.create_connection(server.sock.getsockname()[:2], timeout=5)
    return sock


class TestThreadpoolServer:
    def test_init_attributes(self):
        daemon = FakeDaemon()
        server = SocketServer_Threadpool()
        port = None
        try:
            server.init(daemon, "localhost", 0)
            port = server.sock.getsockname()[1]
            assert server.locationStr == "localhost:%d" % port
            assert server.sockets == [server.sock]
            with pytest.raises(TypeError, match="threadpool server doesn't have multiplexing selector"):
                _ = server.selector
            with pytest.raises(TypeError, match="You can't use the loop combiner on the threadpool server type"):
                server.combine_loop(server)
            assert repr(server) == "<SocketServer_Threadpool on localhost:%d; %d workers>" % (
                port,
                config.THREADPOOL_SIZE_MIN,
            )
            assert threads_named("housekeeper")
        finally:
            server.close()
        server.close()  # twice is fine
        assert server.sock is None

    def test_location_with_empty_host(self):
        server = SocketServer_Threadpool()
        try:
            server.init(FakeDaemon(), "", 0)
            assert server.locationStr == "0.0.0.0:%d" % server.sock.getsockname()[1]
        finally:
            server.close()

    def test_unix_socket_location_and_cleanup(self, tmp_path):
        path = str(tmp_path / "pyro.sock")
        server = SocketServer_Threadpool()
        try:
            server.init(FakeDaemon(), None, None, unixsocket=path)
            assert server.locationStr == "./u:" + path
        finally:
            server.close()
        import os

        assert not os.path.exists(path)

    def test_serves_requests_and_disconnect(self, fake_server):
        server, daemon = fake_server
        with _connect(server) as sock:
            assert sock.recv(5) == b"HELLO"
            sock.sendall(b"abcd")
            assert sock.recv(4) == b"abcd"
        assert daemon.disconnected.wait(5)
        assert len(daemon.disconnects) == 1

    def test_survives_crashing_handshake_and_garbage(self, fake_server):
        server, daemon = fake_server
        daemon.handshake_ok = "crash"
        with _connect(server) as sock:
            assert recv_all(sock) == b"HELLO"  # then closed by the server
        daemon.handshake_ok = True
        with _connect(server) as sock:
            assert sock.recv(5) == b"HELLO"
            sock.sendall(b"BOOM")
            assert recv_all(sock) == b""  # error in handleRequest: connection closed
        with _connect(server) as sock:
            assert sock.recv(5) == b"HELLO"
            sock.sendall(b"ping")
            assert sock.recv(4) == b"ping"

    def test_refused_handshake_closes(self, fake_server):
        server, daemon = fake_server
        daemon.handshake_ok = False
        with _connect(server) as sock:
            assert recv_all(sock) == b"HELLO"
        assert daemon.disconnects == []

    def test_denies_when_pool_full(self):
        config.THREADPOOL_SIZE = config.THREADPOOL_SIZE_MIN = 1
        with _running_fake_server() as (server, daemon), _connect(server) as first:
            assert first.recv(5) == b"HELLO"
            with _connect(server) as second:
                reply = recv_all(second)
            assert reply == b"DENIED:no free workers, increase server threadpool size"
            assert daemon.denied == ["no free workers, increase server threadpool size"]
            first.sendall(b"more")
            assert first.recv(4) == b"more"

    def test_client_accepted_after_the_pool_closed_is_closed_not_leaked(self):
        # a close() in another thread may end the pool between the accept and the hand-over
        server = SocketServer_Threadpool()
        server.init(FakeDaemon(), "127.0.0.1", 0)
        try:
            server.pool.close()
            with _connect(server) as client:
                server.events([server.sock])
                assert recv_all(client) == b""
        finally:
            server.close()

    def test_pool_hands_jobs_over_before_a_concurrent_close(self):
        pool = Pool()
        ran = threading.Event()
        try:
            pool.process(ran.set)
        finally:
            pool.close()
        assert ran.wait(5)

    def test_housekeeper_calls_daemon(self):
        config.POLLTIMEOUT = 0.05
        daemon = FakeDaemon()
        keeper = threadpoolserver.Housekeeper(daemon)
        assert keeper.name == "housekeeper" and keeper.daemon
        assert keeper.waittime == 0.05
        keeper.start()
        try:
            assert daemon.housekept.wait(5)
        finally:
            keeper.stop.set()
            keeper.join(5)
        assert not keeper.is_alive()

    def test_close_ends_workers_of_live_connections(self):
        daemon = FakeDaemon()
        server = SocketServer_Threadpool()
        server.init(daemon, "localhost", 0)
        loop = threading.Thread(target=server.loop, daemon=True)
        loop.start()
        sock = _connect(server)
        try:
            assert sock.recv(5) == b"HELLO"
            server.shutdown()
            loop.join(10)
            assert not loop.is_alive()
            assert daemon.disconnected.wait(5)
            assert recv_all(sock) == b""
        finally:
            sock.close()
            server.close()
        for _ in range(200):
            if not threads_named("Pyro-Worker-") and not threads_named("housekeeper"):
                break
            threading.Event().wait(0.01)
        assert not threads_named("Pyro-Worker-")
        assert not threads_named("housekeeper")

    def test_loop_condition_stops_loop(self):
        config.POLLTIMEOUT = 0.1
        server = SocketServer_Threadpool()
        server.init(FakeDaemon(), "localhost", 0)
        try:
            server.loop(loopCondition=lambda: False)  # returns at once
            calls = []

            def condition():
                calls.append(1)
                return len(calls) < 3

            server.loop(loopCondition=condition)
            assert len(calls) == 3
        finally:
            server.close()
