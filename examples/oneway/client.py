"""Starts a render job with a oneway call, then keeps talking to the server while the job runs."""

import argparse
import time

import Pyro4

MAX_POLLS = 200


def wait_until_finished(farm, interval):
    for _ in range(MAX_POLLS):
        state, done = farm.progress()
        print("  progress: %s, %d frames done" % (state, done))
        if state in ("finished", "gave up waiting"):
            return state
        time.sleep(interval)
    return "still busy after %d polls" % MAX_POLLS


def main():
    parser = argparse.ArgumentParser(description="oneway calls")
    parser.add_argument("uri", nargs="?", help="uri of the render farm (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="a short job, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the render farm: ").strip()
    frames, seconds_per_frame = (4, 0.1) if options.demo else (10, 0.5)
    with Pyro4.Proxy(uri) as farm:
        farm._pyroBind()  # fetches the metadata, which says start_render is oneway
        print("oneway methods of the farm:", sorted(farm._pyroOneway))
        result = farm.start_render(frames, seconds_per_frame)
        print("start_render returned at once (result %r); the job waits for our go-ahead" % (result,))
        farm.go_ahead()
        print("go_ahead() got through on the same connection while the oneway job was running")
        final = wait_until_finished(farm, seconds_per_frame)
    print("job ended:", final)


if __name__ == "__main__":
    main()
