"""A chat participant without a person: it answers every line someone else says."""

import argparse
import queue

from chatter import Chatter


def main():
    parser = argparse.ArgumentParser(description="chat bot")
    parser.add_argument("--nick", default="echobot", help="the bot's nickname")
    parser.add_argument("--channel", default="lobby", help="channel to join")
    parser.add_argument("--lines", type=int, default=1000, help="leave after answering this many lines")
    options = parser.parse_args()
    heard = queue.Queue()
    # answering from the main thread: the listener's thread only queues what it hears
    with Chatter(options.nick, options.channel, lambda *message: heard.put(message)) as chatter:
        print("bot %s is in channel %s" % (options.nick, options.channel), flush=True)
        for _ in range(options.lines):
            channel, nick, text = heard.get()
            if nick not in (options.nick, "server"):
                chatter.say("%s said %r" % (nick, text))


if __name__ == "__main__":
    main()
