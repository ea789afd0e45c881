"""What every chat participant needs: a listener in a daemon of its own, served in the background."""

import threading

import Pyro4


class Listener(object):
    def __init__(self, on_message):
        self._on_message = on_message

    @Pyro4.expose
    @Pyro4.oneway
    def message(self, channel, nick, text):
        self._on_message(channel, nick, text)


class Chatter(object):
    """Joins a channel on creation (use it in a with block so that it leaves again)."""

    def __init__(self, nick, channel, on_message):
        self.nick = nick
        self.channel = channel
        self.daemon = Pyro4.Daemon()
        self.listener = Listener(on_message)
        self.daemon.register(self.listener)
        self.thread = threading.Thread(target=self.daemon.requestLoop, name="listener", daemon=True)
        self.thread.start()
        self.chatbox = Pyro4.Proxy("PYRONAME:example.chatbox")
        self.members = self.chatbox.join(channel, nick, self.listener)

    def say(self, text):
        self.chatbox.publish(self.channel, self.nick, text)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        try:
            self.chatbox.leave(self.channel, self.nick)
        finally:
            self.chatbox._pyroRelease()
            self.daemon.shutdown()
            self.thread.join(5)
            self.daemon.close()
