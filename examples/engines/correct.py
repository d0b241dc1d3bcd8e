#!/usr/bin/env python3
"""A matching engine that speaks exsim's line protocol (SPEC §12) and agrees with the reference.

Run it beside exsim's reference engine over many generated flows:

    exsim diff --engine "python3 examples/engines/correct.py" --seeds 0..1000

The protocol: one message a line on standard input, in the `exsim book` format (SPEC §8.1):

    N,<id>,<B|S>,<price>,<qty>[,<tif>]   new limit order; tif GTC (default), IOC, FOK or POST
    M,<id>,<B|S>,<qty>                   market order
    C,<id>                               cancel
    R,<id>,<price>,<qty>                 replace: new price and new open quantity

and for each message its answer on standard output, flushed: the lines

    T,<price>,<qty>,<maker_id>,<taker_id>   a fill, at the maker's price
    X,<id>,<qty>                            quantity that left without filling
    J,<id>,<reason>                         the message was rejected and changed nothing

in the order they happened, then `B,<best_bid>,<best_ask>` (`-` for an empty side), which ends it.

The rules it keeps (those of exsim's reference `Book`, SPEC §2.2):
- price-time priority; a fill executes at the maker's price, never beyond the taker's limit;
- GTC and POST remainders rest; IOC and market remainders are cancelled (`X`);
- FOK: if the crossing quantity cannot fill it completely, `X,<id>,<qty>` and nothing trades;
- POST: rejected with `J,<id>,would_cross` if it would take;
- checks in this order: quantity (`invalid_quantity`), price (`invalid_price`), then the id
  (`duplicate_order_id` for a new order whose id is live, `unknown_order` for a cancel or replace of
  an id with no resting order), then `would_cross`;
- an id is reusable as soon as its order is gone (filled, cancelled, killed);
- replace: same price and a strictly lower quantity reduces the order in place, keeping its queue
  position (no output); anything else pulls it and re-enters it as a new aggressor with the same id
  (a POST order stays post-only, and is rejected with `would_cross` if the new price would take);
  anything else is GTC.

Standard library only; integers are Python's, so quantities up to 2^64-1 are exact.
"""

import bisect
import sys


class Book:
    def __init__(self):
        # side -> {price: [order, ...]} in time order; an order is a list [id, qty, post_only].
        self.levels = {"B": {}, "S": {}}
        # side -> sorted list of the prices that have a level.
        self.prices = {"B": [], "S": []}
        # id -> (side, price, order) for every resting order.
        self.orders = {}

    # --- the top of book -------------------------------------------------------------------
    def best(self, side):
        prices = self.prices[side]
        if not prices:
            return None
        return prices[-1] if side == "B" else prices[0]

    @staticmethod
    def opposite(side):
        return "S" if side == "B" else "B"

    @staticmethod
    def accepts(side, limit, price):
        """Whether a taker on `side` with `limit` may trade at `price`."""
        return price <= limit if side == "B" else price >= limit

    def crosses(self, side, limit):
        best = self.best(self.opposite(side))
        return best is not None and self.accepts(side, limit, best)

    # --- resting orders ----------------------------------------------------------------------
    def rest(self, oid, side, price, qty, post_only):
        order = [oid, qty, post_only]
        level = self.levels[side].get(price)
        if level is None:
            level = self.levels[side][price] = []
            bisect.insort(self.prices[side], price)
        level.append(order)
        self.orders[oid] = (side, price, order)

    def remove(self, oid):
        side, price, order = self.orders.pop(oid)
        level = self.levels[side][price]
        level.remove(order)
        if not level:
            self.drop_level(side, price)
        return side, price, order

    def drop_level(self, side, price):
        del self.levels[side][price]
        prices = self.prices[side]
        del prices[bisect.bisect_left(prices, price)]

    # --- matching ----------------------------------------------------------------------------
    def fok_fillable(self, side, limit, qty):
        opposite = self.opposite(side)
        prices = self.prices[opposite]
        walk = reversed(prices) if opposite == "B" else iter(prices)
        available = 0
        for price in walk:
            if not self.accepts(side, limit, price):
                break
            for order in self.levels[opposite][price]:
                available += order[1]
                if available >= qty:
                    return True
        return False

    def take(self, out, taker, side, limit, qty):
        """Matches `qty` of `taker` against the opposite side; returns what is left."""
        opposite = self.opposite(side)
        while qty > 0:
            price = self.best(opposite)
            if price is None or (limit is not None and not self.accepts(side, limit, price)):
                break
            level = self.levels[opposite][price]
            while level and qty > 0:
                maker = level[0]
                traded = min(qty, maker[1])
                out.append("T,%d,%d,%d,%d" % (price, traded, maker[0], taker))
                maker[1] -= traded
                qty -= traded
                if maker[1] == 0:
                    level.pop(0)
                    del self.orders[maker[0]]
            if not level:
                self.drop_level(opposite, price)
        return qty

    # --- messages ----------------------------------------------------------------------------
    def new(self, out, oid, side, price, qty, tif):
        if qty == 0:
            return out.append("J,%d,invalid_quantity" % oid)
        if price == 0:
            return out.append("J,%d,invalid_price" % oid)
        if oid in self.orders:
            return out.append("J,%d,duplicate_order_id" % oid)
        if tif == "POST" and self.crosses(side, price):
            return out.append("J,%d,would_cross" % oid)
        if tif == "FOK" and not self.fok_fillable(side, price, qty):
            return out.append("X,%d,%d" % (oid, qty))
        left = self.take(out, oid, side, price, qty)
        if left > 0:
            if tif in ("GTC", "POST"):
                self.rest(oid, side, price, left, tif == "POST")
            else:
                out.append("X,%d,%d" % (oid, left))

    def market(self, out, oid, side, qty):
        if qty == 0:
            return out.append("J,%d,invalid_quantity" % oid)
        if oid in self.orders:
            return out.append("J,%d,duplicate_order_id" % oid)
        left = self.take(out, oid, side, None, qty)
        if left > 0:
            out.append("X,%d,%d" % (oid, left))

    def cancel(self, out, oid):
        if oid not in self.orders:
            return out.append("J,%d,unknown_order" % oid)
        _, _, order = self.remove(oid)
        out.append("X,%d,%d" % (oid, order[1]))

    def replace(self, out, oid, price, qty):
        if qty == 0:
            return out.append("J,%d,invalid_quantity" % oid)
        if price == 0:
            return out.append("J,%d,invalid_price" % oid)
        if oid not in self.orders:
            return out.append("J,%d,unknown_order" % oid)
        side, old_price, order = self.orders[oid]
        if price == old_price and qty < order[1]:
            order[1] = qty  # keeps its place in the queue
            return
        post_only = order[2]
        if post_only and self.crosses(side, price):
            return out.append("J,%d,would_cross" % oid)
        self.remove(oid)
        self.new(out, oid, side, price, qty, "POST" if post_only else "GTC")

    def handle(self, line):
        """The answer lines to one message line (without the final B line)."""
        fields = [f.strip() for f in line.split(",")]
        out = []
        kind = fields[0]
        if kind == "N":
            tif = fields[5] if len(fields) == 6 else "GTC"
            self.new(out, int(fields[1]), fields[2], int(fields[3]), int(fields[4]), tif)
        elif kind == "M":
            self.market(out, int(fields[1]), fields[2], int(fields[3]))
        elif kind == "C":
            self.cancel(out, int(fields[1]))
        elif kind == "R":
            self.replace(out, int(fields[1]), int(fields[2]), int(fields[3]))
        else:
            raise ValueError("not a message: %r" % line)
        return out

    def top(self):
        bid, ask = self.best("B"), self.best("S")
        return "B,%s,%s" % ("-" if bid is None else bid, "-" if ask is None else ask)


def serve(book, stdin=sys.stdin, stdout=sys.stdout):
    for line in stdin:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for answer in book.handle(line):
            stdout.write(answer + "\n")
        stdout.write(book.top() + "\n")
        stdout.flush()


if __name__ == "__main__":
    serve(Book())
