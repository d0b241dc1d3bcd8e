//! The kernel's event queue: events ordered by (time in ns, sequence number).
//!
//! Invariants:
//! - ties in time are broken by the sequence number assigned at scheduling, never by a hash or
//!   an address, so the order is a pure function of the order of `schedule` calls;
//! - time never goes backwards: scheduling in the past is a bug and asserts;
//! - sequence numbers are unique: each is handed out once, in increasing order, either to an
//!   event scheduled now or as part of a [`Reserved`] block for events scheduled later (the crash
//!   schedule, drawn one crash at a time), which then order exactly as if they had been
//!   scheduled when the block was reserved.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An event with its place in the order.
#[derive(Debug)]
struct Entry<E> {
    time_ns: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time_ns, self.seq) == (other.time_ns, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so the max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time_ns, other.seq).cmp(&(self.time_ns, self.seq))
    }
}

/// Sequence numbers set aside by [`Queue::reserve`].
#[derive(Clone, Debug, Default)]
pub struct Reserved {
    next: u64,
    end: u64,
}

/// A deterministic event queue.
#[derive(Debug)]
pub struct Queue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now_ns: u64,
}

impl<E> Default for Queue<E> {
    fn default() -> Self {
        Queue { heap: BinaryHeap::with_capacity(1024), next_seq: 0, now_ns: 0 }
    }
}

impl<E> Queue<E> {
    /// Schedules `event` at `time_ns` (not before the current time).
    #[inline]
    pub fn schedule(&mut self, time_ns: u64, event: E) {
        assert!(time_ns >= self.now_ns, "event scheduled in the past: {time_ns} < {}", self.now_ns);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time_ns, seq, event });
    }

    /// Sets aside the next `count` sequence numbers for events to be scheduled later with
    /// [`Queue::schedule_reserved`], in order.
    pub fn reserve(&mut self, count: u64) -> Reserved {
        let next = self.next_seq;
        self.next_seq += count;
        Reserved { next, end: self.next_seq }
    }

    /// Schedules `event` at `time_ns` with the next sequence number of `block`. A block hands
    /// out each of its numbers once: scheduling past its end is a bug and asserts.
    #[inline]
    pub fn schedule_reserved(&mut self, block: &mut Reserved, time_ns: u64, event: E) {
        assert!(time_ns >= self.now_ns, "event scheduled in the past: {time_ns} < {}", self.now_ns);
        assert!(block.next < block.end, "a reserved block of sequence numbers is used up");
        let seq = block.next;
        block.next += 1;
        self.heap.push(Entry { time_ns, seq, event });
    }

    /// The next event, if any, advancing the current time to it: (time, seq, event).
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, u64, E)> {
        let Entry { time_ns, seq, event } = self.heap.pop()?;
        assert!(time_ns >= self.now_ns, "time went back: {time_ns} < {}", self.now_ns);
        self.now_ns = time_ns;
        Some((time_ns, seq, event))
    }

    /// The time of the last popped event.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }
}

#[cfg(test)]
mod tests {
    use super::Queue;

    #[test]
    fn pops_by_time_then_by_scheduling_order() {
        let mut q = Queue::default();
        q.schedule(10, 'a');
        q.schedule(5, 'b');
        q.schedule(10, 'c');
        q.schedule(5, 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'a', 'c']);
        assert_eq!(q.now_ns(), 10);
    }

    #[test]
    fn reserved_numbers_order_as_if_scheduled_when_reserved() {
        let mut q = Queue::default();
        q.schedule(10, 'a');
        let mut block = q.reserve(2);
        q.schedule(10, 'c');
        q.schedule_reserved(&mut block, 10, 'b');
        assert_eq!(q.pop(), Some((10, 0, 'a')));
        q.schedule_reserved(&mut block, 10, 'B');
        let order: Vec<(u64, char)> = std::iter::from_fn(|| q.pop().map(|(_, s, e)| (s, e))).collect();
        assert_eq!(order, vec![(1, 'b'), (2, 'B'), (3, 'c')]);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.schedule_reserved(&mut block, 10, 'x')));
        assert!(r.is_err(), "a used-up block refuses");
    }

    #[test]
    fn scheduling_in_the_past_is_refused() {
        let mut q = Queue::default();
        q.schedule(10, ());
        q.pop();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.schedule(9, ())));
        assert!(r.is_err());
    }
}
