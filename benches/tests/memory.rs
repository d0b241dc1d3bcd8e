//! Memory per resting order of exsim's bare `Book` (SPEC §11: ≤ 128 bytes), measured with a
//! counting allocator: every byte the book holds on the heap — its order arena, free list, price
//! levels and id index, including the spare capacity of growing `Vec`s and hash tables — divided
//! by the number of orders resting.
//!
//! Struct sizes for comparison (x86_64): an arena node is 40 bytes (measured below), an id-index
//! entry `(u64, u32)` 16 bytes plus a control byte at a load of at most 7/8, a price level 16
//! bytes (`u64` key, two `u32` links) shared by the orders at its price: about 60 + 16/k bytes
//! per order with k orders per level, before spare capacity. The arena and the level `Vec`s grow
//! by half (spare capacity at most a third), the id index (a hash table) by doubling.
//!
//! The bound is checked after **every** order added, from 1,000 orders on, so every growth point
//! of every structure is measured, wherever the growth policy puts it.
//!
//! The count is per thread (each test's book is built and measured on its own thread), so tests
//! running side by side do not disturb each other.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use exsim::bookfile::{apply, Message};
use exsim::engine::{Book, MatchingEngine, OrderId, Tif};
use exsim::units::{Price, Qty, Side};

struct Counting;

thread_local! {
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn add(delta: isize) {
    let _ = LIVE_BYTES.try_with(|b| b.set(b.get() + delta));
}

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> isize {
    LIVE_BYTES.with(Cell::get)
}

/// Builds a fresh `Book` of `orders` resting orders, `per_level` at each price (bids below asks,
/// so nothing trades), and measures its heap bytes per order after every order from 1,000 on.
/// Returns the worst (bytes per order, orders at that point) and the figure at the end.
fn bytes_per_order(orders: u64, per_level: u64) -> ((f64, u64), f64) {
    // The events buffer is not the book's: allocated before counting starts (one `Rest` event per
    // message, cleared each time, so it never grows).
    let mut events = Vec::with_capacity(4);
    let before = live_bytes();
    let mut book = Book::new();
    let mut worst = (0.0f64, 0);
    for i in 0..orders {
        // New levels arrive at the top (each better than the last), as a book builds toward the
        // spread; the measure is the same in any order, this one is just the quickest to build.
        let level = i / 2 / per_level;
        let (side, price) = if i % 2 == 0 { (Side::Buy, 1_000_000 + level) } else { (Side::Sell, 3_000_000 - level) };
        let message = Message::New { id: OrderId(i + 1), side, price: Price(price), qty: Qty(1), tif: Tif::Gtc };
        apply(&mut book, message, &mut events).expect("fresh ids");
        events.clear();
        let resting = i + 1;
        if resting >= 1_000 {
            let per_order = (live_bytes() - before) as f64 / resting as f64;
            if per_order > worst.0 {
                worst = (per_order, resting);
            }
        }
    }
    assert_eq!(book.len() as u64, orders);
    let end = (live_bytes() - before) as f64 / orders as f64;
    drop(book);
    (worst, end)
}

#[test]
fn a_resting_order_costs_at_most_128_bytes() {
    let mut report = String::new();
    for per_level in [1u64, 2, 4, 100, 10_000] {
        let ((worst, at), end) = bytes_per_order(1_000_000, per_level);
        report.push_str(&format!(
            "\n  {per_level:>5} per level: worst {worst:6.1} B/order (at {at} orders), {end:6.1} at 1,000,000"
        ));
        // SPEC §11, in every shape, at every size from 1,000 orders to 1,000,000, including the
        // moment right after any structure grew.
        assert!(worst <= 128.0, "{per_level} per level: worst {worst:.1} B/order at {at} orders > 128{report}");
    }

    // The deep-book bench flow's book at its end (~130 000 orders over ~9 000 levels).
    let before = live_bytes();
    let mut book = Book::new();
    let mut events = Vec::new();
    for message in exsim::workload::deep_book(1, 200_000) {
        let _ = apply(&mut book, message, &mut events);
        events.clear();
    }
    drop(events);
    let per_order = (live_bytes() - before) as f64 / book.len() as f64;
    report.push_str(&format!("\n  deep_book(1, 200000): {} orders: {per_order:6.1} B/order", book.len()));
    assert!(per_order <= 128.0, "deep_book: {per_order:.1} B/order{report}");
    println!("heap bytes per resting order, spare capacity included:{report}");
}

/// `Book::with_capacity(n)` reserves exactly `n` arena nodes and nothing else: the node size.
#[test]
fn an_arena_node_is_40_bytes() {
    let before = live_bytes();
    let book = Book::with_capacity(1000);
    let node = (live_bytes() - before) / 1000;
    drop(book);
    assert_eq!(node, 40, "size of an arena node");
}
