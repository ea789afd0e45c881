"""W8: micro benchmark of the wire message (encode, decode, receive from memory), no sockets involved.

Uses only the ``Pyro4.message.Message`` API that our Pyro4 and real Pyro4 4.82 share. The message
is an INVOKE with a 16-byte CORR annotation (as every proxy call sends) and a small payload.

    to_bytes       to_bytes() of a message built beforehand (the encoding itself)
    new+to_bytes   Message(...) and its to_bytes(): what a sender does per message
    from_header    Message.from_header() of the 24 header bytes (the header decoding)
    recv           Message.recv() of the whole frame from an in-memory connection
    new+to_bytes+recv  one call's worth of message work on both sides
    new+to_bytes hmac, recv hmac: the same with an HMAC key (HMAC-SHA1 computed and checked)

Run on its own, it is the driver (run.py) limited to these rows: ours compiled, ours pure and real
Pyro4 4.82 (its venv from tests/interop/realpyro.py, or PYRO4_482_PYTHON), ratios from one run:

    python3 bench/message_micro.py [--quick] [--rounds N] [--seconds S] [--impls cython,pure,4.82] [--real-python PATH]
"""
import timing

PAYLOAD_SIZE = 120
_HMAC_KEY = b"bench-key"


class _MemoryConnection(object):
    """Serves one frame over and over through recv(size), like a socket that always has it ready."""

    __slots__ = ("frame", "offset")

    def __init__(self, frame):
        self.frame = frame
        self.offset = 0

    def recv(self, size):
        start = self.offset
        end = start + size
        self.offset = 0 if end >= len(self.frame) else end
        return self.frame[start:end]

    def close(self):
        pass


def _operations(hmac_key):
    from Pyro4.message import MSG_INVOKE, Message

    payload = bytes(range(256)) * (PAYLOAD_SIZE // 256) + bytes(PAYLOAD_SIZE % 256)
    corr = {"CORR": b"0123456789abcdef"}
    frame = Message(MSG_INVOKE, payload, 1, 0, 1234, corr, hmac_key=hmac_key).to_bytes()
    header = frame[:24]
    connection = _MemoryConnection(frame)

    built = Message(MSG_INVOKE, payload, 1, 0, 1234, corr, hmac_key=hmac_key)

    def new_to_bytes():
        return Message(MSG_INVOKE, payload, 1, 0, 1234, corr, hmac_key=hmac_key).to_bytes()

    def recv():
        return Message.recv(connection, None, hmac_key)

    def both():
        new_to_bytes()
        return recv()

    def from_header():
        return Message.from_header(header)

    return {"to_bytes": built.to_bytes, "new+to_bytes": new_to_bytes, "from_header": from_header, "recv": recv,
            "new+to_bytes+recv": both}


def measure(row_names, seconds):
    """ns per operation for each requested W8 row."""
    plain, keyed = _operations(None), _operations(_HMAC_KEY)
    operations = dict(("W8 message " + name, op) for name, op in plain.items())
    operations["W8 message new+to_bytes hmac"] = keyed["new+to_bytes"]
    operations["W8 message recv hmac"] = keyed["recv"]
    return dict((name, timing.seconds_per_op(operations[name], seconds) * 1e9) for name in row_names)


if __name__ == "__main__":
    import sys

    import run

    run.main(["--only", "W8*"] + sys.argv[1:])
