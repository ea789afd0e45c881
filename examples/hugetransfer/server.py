"""Produces and consumes large blobs of data."""

import importlib.util

import serpent

import Pyro4


@Pyro4.expose
class DataStore(object):
    def download(self, size):
        return b"\x5a" * size

    def upload(self, data):
        # serpent delivers bytes as a dict with base64 text; tobytes() leaves real bytes alone
        return len(serpent.tobytes(data))

    def download_in_pieces(self, size, piece_size):
        # a generator: the client gets a remote iterator that fetches one piece per next()
        sent = 0
        while sent < size:
            piece = min(piece_size, size - sent)
            yield b"\xa5" * piece
            sent += piece


def main():
    # a daemon refuses to start with a serializer that is not installed, so msgpack is optional
    optional = {"msgpack"} if importlib.util.find_spec("msgpack") else set()
    Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "marshal"} | optional
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(DataStore, "example.hugetransfer.datastore")
        print("data store ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
