"""Runs the same worker threads with one shared proxy and with a proxy per thread."""

import argparse
import copy
import threading

import Pyro4

THREADS = 4


def run_threads(proxy_for_thread, calls, seconds):
    results = []
    results_lock = threading.Lock()

    def worker(number):
        proxy = proxy_for_thread(number)
        for _ in range(calls):
            outcome = proxy.observe(seconds)
            with results_lock:
                results.append(outcome)

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(title, results):
    connections = {port for port, _ in results}
    most_at_once = max(running for _, running in results)
    print(
        "%s: %d calls over %d connection(s); the server had at most %d in progress at once"
        % (title, len(results), len(connections), most_at_once)
    )


def main():
    parser = argparse.ArgumentParser(description="one proxy shared by threads versus a proxy per thread")
    parser.add_argument("uri", nargs="?", help="uri of the observer (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="fewer calls, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the observer: ").strip()
    calls, seconds = (3, 0.05) if options.demo else (10, 0.1)
    with Pyro4.Proxy(uri) as shared:
        report("one shared proxy", run_threads(lambda number: shared, calls, seconds))
        copies = [copy.copy(shared) for _ in range(THREADS)]
        try:
            report("a proxy per thread", run_threads(lambda number: copies[number], calls, seconds))
        finally:
            for proxy in copies:
                proxy._pyroRelease()


if __name__ == "__main__":
    main()
