"""The benchmark's catalogue: which workload groups exist, what server each needs and what rows it reports.

Plain data, no Pyro4 import: the driver (our python) and the clients (any implementation's python)
both read it. A group is run as one server process plus one client process per implementation and
round; the client measures every row of its group and reports one number per row.

Every row's figure has a unit; ``higher`` says whether a larger figure is better (it decides which way
the ratio to real Pyro4 is taken, so a ratio above 1 always means "faster than real Pyro4").
"""
import collections

Row = collections.namedtuple("Row", "name unit higher")
Group = collections.namedtuple("Group", "name server rows")

# serializers of W1, in the order of the table; W5 leaves out json (it has no bytes type)
SERIALIZERS = ("serpent", "json", "marshal", "pickle", "msgpack", "dill", "cloudpickle")
ECHO_SERIALIZERS = ("serpent", "marshal", "pickle", "msgpack")
ECHO_SIZES = ((1, "1 MiB"), (10, "10 MiB"))
PARALLEL_CLIENTS = (8, 32)
BATCH_SIZE = 100


def _w1():
    return [Row("W1 sync call %s" % name, "us/call", False) for name in SERIALIZERS]


def _w5():
    return [Row("W5 echo %s %s" % (label, name), "MiB/s", True)
            for _, label in ECHO_SIZES for name in ECHO_SERIALIZERS]


def _w6(servertype):
    return [Row("W6 %d clients %s" % (count, servertype), "calls/s", True) for count in PARALLEL_CLIENTS]


def _w8():
    names = ("to_bytes", "new+to_bytes", "from_header", "recv", "new+to_bytes+recv", "new+to_bytes hmac", "recv hmac")
    return [Row("W8 message %s" % name, "ns/op", False) for name in names]


GROUPS = [
    Group("W1", "thread", _w1()),
    # a oneway call that is followed by a normal call is where Nagle meets the delayed ACK; a burst of
    # oneway calls alone is not held back (the kernel coalesces them while it waits for the ACK)
    Group("W2", "thread", [Row("W2 oneway, then sync call", "pairs/s", True),
                           Row("W2 oneway burst", "calls/s", True)]),
    Group("W3", "thread", [Row("W3 batch of %d calls" % BATCH_SIZE, "calls/s", True)]),
    Group("W4", "thread", [Row("W4 connect+call+release", "us/op", False)]),
    Group("W5", "thread", _w5()),
    Group("W6-thread", "thread", _w6("thread")),
    Group("W6-multiplex", "multiplex", _w6("multiplex")),
    Group("W7", "ns", [Row("W7 ns lookup", "us/op", False), Row("W7 PYRONAME resolve", "us/op", False)]),
    Group("W8", None, _w8()),
]


def all_rows():
    return [row for group in GROUPS for row in group.rows]


def echo_size(row_name):
    """Payload size in bytes of a W5 row."""
    for mib, label in ECHO_SIZES:
        if (" %s " % label) in row_name:
            return mib * 1024 * 1024
    raise ValueError("not an echo row: " + row_name)


def parallel_clients(row_name):
    """Number of client processes of a W6 row."""
    return int(row_name.split()[1])
