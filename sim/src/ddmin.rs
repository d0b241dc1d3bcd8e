//! Delta debugging (Zeller's ddmin) over a sequence: the shortest subsequence that still fails.
//!
//! [`ddmin`] keeps the items in their order and only ever removes some; it tests `fails` on
//! candidates and keeps a candidate only when `fails` says it still fails, so what it returns
//! always failed (or is the input, untouched, when the budget ran out before any test).
//!
//! Invariants: the result is a subsequence of the input, and `fails` returned true for it (or it
//! is the input); `fails` is called at most `budget` times; with budget to spare the result is
//! 1-minimal — removing any one item of it makes `fails` false.

/// What [`ddmin`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shrunk<T> {
    /// The shortest failing subsequence found.
    pub items: Vec<T>,
    /// How many times `fails` was called.
    pub tests: usize,
    /// Whether the budget ran out (the result may then not be 1-minimal).
    pub exhausted: bool,
}

/// Shrinks `items`, which fail, to a 1-minimal failing subsequence, testing candidates with
/// `fails` at most `budget` times. The empty sequence is never tested.
pub fn ddmin<T: Clone>(items: Vec<T>, budget: usize, mut fails: impl FnMut(&[T]) -> bool) -> Shrunk<T> {
    let mut current = items;
    let mut tests = 0usize;
    let mut exhausted = false;
    let mut test = |candidate: &[T], tests: &mut usize, exhausted: &mut bool| -> bool {
        if *tests >= budget {
            *exhausted = true;
            return false;
        }
        *tests += 1;
        fails(candidate)
    };
    let mut n = 2usize;
    while current.len() >= 2 && !exhausted {
        let chunks = split(current.len(), n);
        let mut reduced = false;
        // A chunk alone that fails: keep only it.
        for &(start, end) in &chunks {
            if test(&current[start..end], &mut tests, &mut exhausted) {
                current = current[start..end].to_vec();
                n = 2;
                reduced = true;
                break;
            }
        }
        // Otherwise, everything but one chunk (with two chunks, that is the other chunk: done).
        if !reduced && n > 2 {
            for &(start, end) in &chunks {
                let complement: Vec<T> = current[..start].iter().chain(&current[end..]).cloned().collect();
                if test(&complement, &mut tests, &mut exhausted) {
                    current = complement;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if n >= current.len() {
                break;
            }
            n = (2 * n).min(current.len());
        }
    }
    // With two items left and `n = 2`, the chunks were the single items: already 1-minimal.
    Shrunk { items: current, tests, exhausted }
}

/// `len` items cut into `n` contiguous chunks as even as can be (`n ≤ len`), as `(start, end)`.
fn split(len: usize, n: usize) -> Vec<(usize, usize)> {
    let n = n.clamp(1, len.max(1));
    (0..n).map(|i| (i * len / n, (i + 1) * len / n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_two_items_that_fail_together() {
        let items: Vec<u32> = (0..100).collect();
        let shrunk = ddmin(items, 10_000, |c| c.contains(&17) && c.contains(&83));
        assert_eq!(shrunk.items, vec![17, 83]);
        assert!(!shrunk.exhausted);
        assert!(shrunk.tests < 200, "{} tests", shrunk.tests);
    }

    #[test]
    fn keeps_the_order_and_finds_a_one_minimal_result() {
        // Fails when some 3 appears before some 5 and a 9 is anywhere: order matters.
        let items = vec![5, 1, 3, 2, 9, 3, 5, 7, 5, 9, 1];
        let fails = |c: &[u32]| {
            let three = c.iter().position(|&x| x == 3);
            let five = c.iter().rposition(|&x| x == 5);
            matches!((three, five), (Some(t), Some(f)) if t < f) && c.contains(&9)
        };
        let shrunk = ddmin(items.clone(), 10_000, fails);
        assert!(fails(&shrunk.items));
        assert_eq!(shrunk.items.len(), 3, "{:?}", shrunk.items);
        // 1-minimal: removing any one item passes.
        for i in 0..shrunk.items.len() {
            let mut less = shrunk.items.clone();
            less.remove(i);
            assert!(!fails(&less), "removing {i} still fails: {less:?}");
        }
        // A subsequence of the input, in order.
        let mut rest = items.iter();
        assert!(shrunk.items.iter().all(|x| rest.any(|y| y == x)));
    }

    #[test]
    fn a_single_failing_item_and_an_exhausted_budget() {
        let shrunk = ddmin(vec![1, 2, 3, 4, 5, 6, 7, 8], 10_000, |c| c.contains(&6));
        assert_eq!(shrunk.items, vec![6]);
        let shrunk = ddmin((0..64).collect::<Vec<u32>>(), 3, |c| c.contains(&6) && c.contains(&60));
        assert!(shrunk.exhausted);
        assert_eq!(shrunk.tests, 3);
        assert!(shrunk.items.contains(&6) && shrunk.items.contains(&60), "what is returned still fails");
        let shrunk = ddmin(vec![42], 10, |_| true);
        assert_eq!((shrunk.items, shrunk.tests), (vec![42], 0), "one item: nothing to test");
    }
}
