"""Exceptions of the shop application, known to both the server and the client."""


class OutOfStock(Exception):
    def __init__(self, item, available=0):
        super(OutOfStock, self).__init__("not enough %s in stock" % item)
        self.item = item
        self.available = available
