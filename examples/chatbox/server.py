"""The chat server: channels of listeners, each message fanned out with oneway callbacks."""

import threading

import Pyro4


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class ChatBox(object):
    def __init__(self):
        self._channels = {}  # channel -> {nick: listener proxy}
        self._lock = threading.Lock()  # several clients' calls run at the same time

    def join(self, channel, nick, listener):
        with self._lock:
            members = self._channels.setdefault(channel, {})
            if nick in members:
                raise ValueError("the nickname %r is taken in channel %r" % (nick, channel))
            members[nick] = listener
        self.publish(channel, "server", "%s joined" % nick)
        return sorted(members)

    def leave(self, channel, nick):
        with self._lock:
            self._channels.get(channel, {}).pop(nick, None)
        self.publish(channel, "server", "%s left" % nick)

    def channels(self):
        with self._lock:
            return sorted(self._channels)

    def publish(self, channel, nick, text):
        with self._lock:
            members = list(self._channels.get(channel, {}).items())
        for member, listener in members:
            try:
                listener.message(channel, nick, text)
            except Pyro4.errors.CommunicationError:
                print("dropping unreachable member %s from %s" % (member, channel), flush=True)
                with self._lock:
                    self._channels[channel].pop(member, None)


def main():
    with Pyro4.Daemon() as daemon, Pyro4.locateNS() as ns:
        uri = daemon.register(ChatBox)
        ns.register("example.chatbox", uri)
        print("chat box ready, registered as example.chatbox", flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
