"""A chat client for a person: lines typed are said in the channel, messages heard are printed."""

import argparse
import sys
import threading

from chatter import Chatter


class Ears(object):
    """Prints what is heard and counts the lines that came from others."""

    def __init__(self, nick):
        self.nick = nick
        self.from_others = 0
        self.condition = threading.Condition()

    def __call__(self, channel, nick, text):
        print("[%s] %s: %s" % (channel, nick, text), flush=True)
        if nick not in (self.nick, "server"):
            with self.condition:
                self.from_others += 1
                self.condition.notify_all()

    def wait_for(self, count, timeout):
        with self.condition:
            self.condition.wait_for(lambda: self.from_others >= count, timeout)


def talk(chatter, ears, demo):
    said = 0
    for line in sys.stdin:
        line = line.strip()
        if line == "/quit":
            break
        if line:
            chatter.say(line)
            said += 1
            if demo:
                # messages travel as oneway calls, each in a thread of its own, so they may overtake
                # each other: in the demo each line waits for its answer, for output in a fixed order
                ears.wait_for(said, 5.0)
    return said


def main():
    parser = argparse.ArgumentParser(description="chat client")
    parser.add_argument("--nick", default="guest", help="nickname")
    parser.add_argument("--channel", default="lobby", help="channel to join")
    parser.add_argument("--demo", action="store_true", help="wait for an answer to each line (a fixed order of output)")
    options = parser.parse_args()
    ears = Ears(options.nick)
    with Chatter(options.nick, options.channel, ears) as chatter:
        print("joined %s; members: %s" % (options.channel, ", ".join(chatter.members)), flush=True)
        talk(chatter, ears, options.demo)
    print("left the chat")


if __name__ == "__main__":
    main()
