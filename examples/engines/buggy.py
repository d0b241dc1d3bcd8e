#!/usr/bin/env python3
"""`correct.py` with one classic bug: a partially filled maker loses its place in the queue.

THE BUG: when a resting order is only partly filled, this engine moves it to the back of its price
level's queue, behind orders that arrived after it (as if a partial fill were a cancel and a new
order). Price-time priority says it keeps its place: it arrived first, so it trades first. (exsim's
reference has the same mistake as the fault switch `priority_lost_on_partial`, SPEC §5.)

It shows only when a later taker reaches that level while the partly filled order shares it: the
next fill goes to the wrong maker. `exsim diff` catches it and shrinks the flow to a few lines:

    exsim diff --engine "python3 examples/engines/buggy.py" --seeds 0..50

Everything else — the protocol, the other rules — is `correct.py`'s; see there.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from correct import Book, serve  # noqa: E402


class BuggyBook(Book):
    def take(self, out, taker, side, limit, qty):
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
                else:
                    # BUG: the partly filled maker goes to the back of the queue.
                    level.append(level.pop(0))
            if not level:
                self.drop_level(opposite, price)
        return qty


if __name__ == "__main__":
    serve(BuggyBook())
