"""Coverage-guided fuzz target (atheris) for the wire parsing and the safe serializers' decoders.

Each input is split by its first byte: frames for both message twins (Message.recv, with an HMAC
key, expected types and a size limit chosen from the input), or payloads for one of serpent,
json, marshal and msgpack. The checks are those of tests/fuzz/wire_oracles.py: the twins agree and
raise only Pyro errors; a decoder raises only its documented errors and builds no arbitrary
objects. A failed check raises, which atheris reports as a crash together with the input.

Run on demand (atheris is not needed by the normal test suite)::

    pip install atheris
    cd tests && python3 fuzz/fuzz_pyro.py -atheris_runs=200000 [corpus_dir]
"""

import os
import sys

import atheris

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

with atheris.instrument_imports():
    from fuzz import wire_oracles as oracles

    from Pyro4 import message
    from Pyro4.configuration import config

_REQUIRED_TYPES = (None, [message.MSG_CONNECT], [message.MSG_INVOKE, message.MSG_PING], [message.MSG_RESULT])
_HMAC_KEYS = (None, b"secret")
_MAX_SIZES = (0, 40, 100000)
_SERIALIZERS = oracles.available_safe_serializers()


def test_one_input(data):
    if len(data) < 2:
        return
    selector, body = data[0], data[1:]
    if selector < 128:
        config.MAX_MESSAGE_SIZE = _MAX_SIZES[selector % len(_MAX_SIZES)]
        oracles.check_recv_twins_agree(
            body, _REQUIRED_TYPES[selector % len(_REQUIRED_TYPES)], _HMAC_KEYS[(selector >> 2) % len(_HMAC_KEYS)]
        )
    else:
        oracles.decode_outcomes(_SERIALIZERS[selector % len(_SERIALIZERS)], body)


def main():
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
