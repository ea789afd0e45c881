"""Produces and consumes large blobs of data."""

import serpent

import Pyro4


def accepted_serializers():
    names = {"serpent", "marshal"}
    try:
        import msgpack  # noqa: F401  (only offered when it is installed)
        names.add("msgpack")
    except ImportError:
        pass
    return names


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
    Pyro4.config.SERIALIZERS_ACCEPTED = accepted_serializers()
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(DataStore, "example.hugetransfer.datastore")
        print("data store ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
