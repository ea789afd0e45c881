"""Measures large transfers per serializer, then fetches data in streamed pieces."""

import argparse
import time

import serpent

import Pyro4

MEGABYTE = 1024 * 1024


def speed(size, seconds):
    return "%.1f MB/s" % (size / MEGABYTE / seconds) if seconds > 0 else "too fast to tell"


def measure(datastore, serializer, size):
    datastore._pyroSerializer = serializer
    datastore._pyroRelease()  # connect again, so that the handshake uses the new serializer too
    started = time.perf_counter()
    received = datastore.upload(b"\x00" * size)
    upload_time = time.perf_counter() - started
    started = time.perf_counter()
    data = serpent.tobytes(datastore.download(size))
    download_time = time.perf_counter() - started
    print("%-8s up: %d bytes arrived (%s), down: %d bytes (%s)"
          % (serializer, received, speed(size, upload_time), len(data), speed(size, download_time)))


def stream_pieces(datastore, size):
    datastore._pyroSerializer = None  # back to the configured default
    pieces = 0
    total = 0
    started = time.perf_counter()
    for piece in datastore.download_in_pieces(size, 256 * 1024):
        total += len(serpent.tobytes(piece))
        pieces += 1
    print("streamed %d bytes in %d pieces (%s)" % (total, pieces, speed(size, time.perf_counter() - started)))


def main():
    parser = argparse.ArgumentParser(description="large data transfers")
    parser.add_argument("uri", nargs="?", help="uri of the data store (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="2 MB instead of 50 MB, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the data store: ").strip()
    size = (2 if options.demo else 50) * MEGABYTE
    with Pyro4.Proxy(uri) as datastore:
        for serializer in ("serpent", "marshal", "msgpack"):
            try:
                measure(datastore, serializer, size)
            except Pyro4.errors.CommunicationError as exc:  # not installed here, or refused there
                print("%-8s not available: %s" % (serializer, exc))
        stream_pieces(datastore, size)
    print("done")


if __name__ == "__main__":
    main()
