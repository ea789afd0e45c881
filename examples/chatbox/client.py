"""A chat client for a person: lines typed are said in the channel, messages heard are printed."""

import argparse
import sys
import threading

from chatter import Chatter


class Ears(object):
    """Prints what is heard and counts the lines heard back from oneself and from others."""

    def __init__(self, nick):
        self.nick = nick
        self.own = 0
        self.from_others = 0
        self.condition = threading.Condition()

    def __call__(self, channel, nick, text):
        print("[%s] %s: %s" % (channel, nick, text), flush=True)
        if nick != "server":
            with self.condition:
                if nick == self.nick:
                    self.own += 1
                else:
                    self.from_others += 1
                self.condition.notify_all()

    def wait_for(self, count, timeout):
        """Until ``count`` lines of one's own came back and as many answers came from others."""
        with self.condition:
            self.condition.wait_for(lambda: self.own >= count and self.from_others >= count, timeout)


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
                # each other: in the demo each line waits for its echo and its answer, so that the
                # answers come in a fixed order and nothing is still on its way when the client leaves
                ears.wait_for(said, 5.0)
    return said


def main():
    parser = argparse.ArgumentParser(description="chat client")
    parser.add_argument("--nick", default="guest", help="nickname")
    parser.add_argument("--channel", default="lobby", help="channel to join")
    parser.add_argument("--demo", action="store_true",
                        help="wait for the echo of each line and an answer to it (answers in a fixed order)")
    options = parser.parse_args()
    ears = Ears(options.nick)
    with Chatter(options.nick, options.channel, ears) as chatter:
        print("joined %s; members: %s" % (options.channel, ", ".join(chatter.members)), flush=True)
        talk(chatter, ears, options.demo)
    print("left the chat")


if __name__ == "__main__":
    main()
