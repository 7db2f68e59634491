//! Item 8 of the benchmark issue: the heap bytes a collector holds per
//! series, against the size of the series' own strings (name and tags as
//! sent, plus one separator each).
//!
//! A counting global allocator wraps the system one and keeps the bytes
//! currently allocated; the figure is the growth while 10,000 and 100,000
//! series are recorded, divided by the number of series. It counts requested
//! sizes (what the collector asks for), not the allocator's own overhead.
//! Not a criterion bench: it measures bytes, not time, and prints them.
//!
//! `cargo bench -p collector-tests --bench memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use collector_runtime::Collector;

/// The system allocator, with a running total of the bytes it holds for us.
struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

// Bench-only, measuring: a global allocator can only be written as an
// `unsafe impl GlobalAlloc`. It forwards every call to `System` unchanged and
// only adds up sizes, so it upholds `System`'s contract; the library crates
// keep `forbid(unsafe_code)`.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn held() -> isize {
    HELD.load(Ordering::Relaxed)
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    for (n, tag_count) in [
        (10_000usize, 3usize),
        (100_000, 3),
        (10_000, 0),
        (10_000, 8),
    ] {
        let names: Vec<String> = (0..n).map(|i| format!("bench.memory.{i}")).collect();
        let tags: Vec<String> = (0..tag_count).map(|t| format!("key{t}:value{t}")).collect();
        let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        let own: usize = names
            .iter()
            .map(|name| name.len() + tags.iter().map(|t| 1 + t.len()).sum::<usize>())
            .sum();

        let collector = Collector::builder().max_series(n).build();
        let before = held();
        for name in &names {
            collector.incr(name, &tag_refs[..]);
        }
        let grown = held() - before;
        assert_eq!(collector.len(), n);
        println!(
            "memory/{n}_series_{tag_count}_tags: {:.1} bytes held per series, strings {:.1} bytes per series, overhead {:.1} bytes ({:.2}x)",
            grown as f64 / n as f64,
            own as f64 / n as f64,
            (grown as f64 - own as f64) / n as f64,
            grown as f64 / own as f64,
        );
        drop(collector);
    }
}
