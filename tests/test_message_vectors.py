"""Byte-exact checks of both message twins against the messages captured from real Pyro4 4.82.

Every message of every exchange vector is rebuilt from its decoded fields, annotations and payload
(the HMAC recomputed from the vector's key) and must come out byte for byte as captured; every
captured frame must parse back to the recorded fields. See shared/spec/vectors/README.md.
"""
import json
import os
import zlib

import pytest

import Pyro4.errors
import Pyro4.message
from Pyro4.message import Message

VECTOR_DIR = os.environ.get("PYRO4_SPEC_VECTORS", "/work/shared/spec/vectors")
NOT_EXCHANGES = {"index.json", "broadcast.json", "payload_encodings.json"}


def _load(name):
    with open(os.path.join(VECTOR_DIR, name), encoding="utf-8") as stream:
        return json.load(stream)


def _exchange_files():
    names = sorted(n for n in os.listdir(VECTOR_DIR) if n.endswith(".json") and n not in NOT_EXCHANGES)
    assert len(names) > 70, "the spec's vector directory is missing or incomplete"
    return names


# the frames these bad-input captures sent on purpose have a broken header (tested further below)
BROKEN_HEADER_FILES = {"badinput_first_bad_checksum.json", "badinput_first_bad_version.json",
                       "badinput_later_bad_checksum.json"}


def _valid_messages():
    for name in _exchange_files():
        vector = _load(name)
        for index, message in enumerate(vector["messages"]):
            broken = name in BROKEN_HEADER_FILES and message["header_hex"] == vector["sent_hex"][:48]
            if not broken:
                yield name, index, vector, message


def _captured_messages():
    return [pytest.param(vector, message, id="%s[%d]" % (name[:-5], index))
            for name, index, vector, message in _valid_messages() if "data_hex" in message]


def _all_frames():
    return [pytest.param(message, id="%s[%d]" % (name[:-5], index))
            for name, index, vector, message in _valid_messages()]


def _hmac_key(vector, message):
    """The key the sender of this message used (the vector's keys are UTF-8 text)."""
    config = vector["config"]
    key = config.get("hmac_key")
    if message["direction"] == "server->client" and "server_hmac_key" in config:
        key = config["server_hmac_key"]
    return key.encode("utf-8") if key else None


def _annotations(message):
    return {chunk["key"]: bytes.fromhex(chunk["value_hex"]) for chunk in message["annotations"]
            if chunk["key"] != "HMAC"}


def _frame(message):
    return bytes.fromhex(message["header_hex"] + message["annotations_hex"] + message.get("data_hex", ""))


@pytest.fixture
def msgmod(message_twin, monkeypatch):
    monkeypatch.setattr(Pyro4.message, "_impl", message_twin)
    return Pyro4.message


@pytest.mark.parametrize("vector, message", _captured_messages())
def test_rebuild_captured_message(msgmod, vector, message):
    data = bytes.fromhex(message["data_hex"])
    msg = Message(message["type"], data, message["serializer_id"], message["flags"], message["seq"],
                  _annotations(message), hmac_key=_hmac_key(vector, message))
    encoded = msg.to_bytes()
    assert encoded[:24].hex() == message["header_hex"]
    assert encoded[24:24 + msg.annotations_size].hex() == message["annotations_hex"]
    assert encoded == _frame(message)


@pytest.mark.parametrize("message", _all_frames())
def test_parse_captured_header(message_twin, message):
    fields = message_twin.parse_header(bytes.fromhex(message["header_hex"]), 48)
    assert fields == (message["type"], message["flags"], message["seq"], message["data_size"],
                      message["serializer_id"], message["annotations_size"])
    assert message_twin.checksum(message["type"], 48, message["data_size"], message["annotations_size"],
                                 message["serializer_id"], message["flags"], message["seq"]) == message["checksum"]
    block = bytes.fromhex(message["annotations_hex"])
    assert message_twin.annotations_size(message_twin.parse_annotations(block)) == len(block)


@pytest.mark.parametrize("message", _all_frames())
def test_parse_captured_annotations(message_twin, message):
    parsed = message_twin.parse_annotations(bytes.fromhex(message["annotations_hex"]))
    assert list(parsed) == [chunk["key"] for chunk in message["annotations"]]
    assert [value.hex() for value in parsed.values()] == [chunk["value_hex"] for chunk in message["annotations"]]
    assert message_twin.encode_annotations(parsed).hex() == message["annotations_hex"]


@pytest.mark.parametrize("vector, message", _captured_messages())
def test_recv_captured_message(msgmod, vector, message):
    msg = Message.recv(_Replay(_frame(message)), hmac_key=_hmac_key(vector, message))
    assert (msg.type, msg.flags, msg.seq, msg.serializer_id) == (
        message["type"], message["flags"], message["seq"], message["serializer_id"])
    assert msg.data.hex() == message["data_hex"]
    if msg.flags & Pyro4.message.FLAGS_COMPRESSED:
        assert msg.decompress_if_needed().data.hex() == message["data_decompressed_hex"]
        assert zlib.compress(msg.data) == bytes.fromhex(message["data_hex"])


def test_hmac_vectors_cover_hmac_annotation():
    # guards the rebuild test above: the HMAC chunks really are recomputed, not copied
    vector = _load("hmac_annotations_serpent.json")
    message = vector["messages"][0]
    assert [chunk["key"] for chunk in message["annotations"]] == ["XTRA", "CORR", "HMAC"]
    msg = Message(message["type"], bytes.fromhex(message["data_hex"]), 1, 0, message["seq"],
                  _annotations(message), hmac_key=b"pyro-secret")
    assert msg.annotations["HMAC"].hex() == message["annotations"][2]["value_hex"]


class _Replay(object):
    def __init__(self, data):
        self.data = data

    def recv(self, size):
        chunk, self.data = self.data[:size], self.data[size:]
        assert len(chunk) == size
        return chunk

    def close(self):
        pass


# ---- badinput_*.json: what a 4.82 daemon was sent ------------------------------------------------

BAD_FIRST_MESSAGES = {
    "badinput_first_not_pyro.json": "invalid data or unsupported protocol version",
    "badinput_first_bad_version.json": "invalid data or unsupported protocol version",
    "badinput_first_bad_checksum.json": "header checksum mismatch",
    "badinput_later_bad_checksum.json": "header checksum mismatch",
}


@pytest.mark.parametrize("name, error", sorted(BAD_FIRST_MESSAGES.items()))
def test_badinput_header_errors(msgmod, name, error):
    sent = bytes.fromhex(_load(name)["sent_hex"])
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.recv(_Replay(sent[:24] + b"\x00" * 100), [Pyro4.message.MSG_CONNECT])
    assert str(excinfo.value) == error


@pytest.mark.parametrize("name, required, error", [
    ("badinput_first_invoke.json", [1], "invalid msg type 4 received"),
    ("badinput_later_unknown_msgtype.json", [4, 6], "invalid msg type 9 received"),
    ("badinput_later_connect_again.json", [4, 6], "invalid msg type 1 received"),
])
def test_badinput_unexpected_type(msgmod, name, required, error):
    sent = bytes.fromhex(_load(name)["sent_hex"])
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.recv(_Replay(sent), required)
    assert str(excinfo.value) == error
    assert excinfo.value.pyroMsg.type == int(error.split()[3])


@pytest.mark.parametrize("name", ["badinput_first_unknown_serializer.json", "badinput_later_unknown_serializer.json",
                                  "badinput_later_garbage_serpent.json", "badinput_later_ping.json",
                                  "badinput_later_switch_serializer.json"])
def test_badinput_valid_frames_parse(msgmod, name):
    # these are protocol-valid frames; the daemon rejects them later (serializer, payload)
    vector = _load(name)
    msg = Message.recv(_Replay(bytes.fromhex(vector["sent_hex"])))
    sent = [m for m in vector["messages"] if m["direction"] == "client->server"][-1]
    assert (msg.type, msg.serializer_id, msg.seq) == (sent["type"], sent["serializer_id"], sent["seq"])


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(VECTOR_DIR) if n.startswith("badinput_")))
def test_badinput_replies_parse(msgmod, name):
    reply = bytes.fromhex(_load(name)["reply_hex"])
    replay = _Replay(reply)
    while replay.data:
        msg = Message.recv(replay)
        assert msg.type in (Pyro4.message.MSG_CONNECTOK, Pyro4.message.MSG_CONNECTFAIL,
                            Pyro4.message.MSG_RESULT, Pyro4.message.MSG_PING)
