"""Reads sensor samples from remote generators: a finite one, an endless one and one that fails."""

import argparse

import Pyro4


def finite(sensor, count):
    samples = sensor.readings(count)
    print("readings() gave a", type(samples).__name__)
    for number, value in samples:
        print("  sample %d: %.2f" % (number, value))
    print("finite stream done")


def endless(sensor, wanted):
    samples = sensor.live()
    total = 0.0
    for number, value in samples:
        total += value
        if number + 1 == wanted:
            break
    samples.close()  # tells the server to drop the stream now instead of when the connection ends
    print("read %d samples from the endless stream, mean %.2f, then closed it" % (wanted, total / wanted))


def failing(sensor, fail_after):
    received = 0
    try:
        for _ in sensor.flaky(fail_after):
            received += 1
    except IOError as exc:
        print("after %d samples the stream raised %s: %s" % (received, type(exc).__name__, exc))


def main():
    parser = argparse.ArgumentParser(description="streaming results from remote generators")
    parser.add_argument("uri", nargs="?", help="uri of the sensor (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="fewer samples, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the sensor: ").strip()
    count = 5 if options.demo else 20
    with Pyro4.Proxy(uri) as sensor:
        finite(sensor, count)
        endless(sensor, count * 10)
        failing(sensor, 3)
        print("as_list() gave a", type(sensor.as_list(count)).__name__, "in one go")


if __name__ == "__main__":
    main()
