//! Ending the process from inside an annotated call without losing it.

use crate::scope::call::end_taken_frame;
use crate::scope::context::{enclosing_taken, take_frames};
use crate::send::exit::end_of_process;

/// Ends the process with `code`, as `std::process::exit` does, after the
/// annotated calls and entered collectors of this thread have been flushed
/// (each call's series with its `timing`, and `outcome:ok` for a `code` of
/// 0, `outcome:error` otherwise) and every outbox has sent what it holds
/// (see [`wait_for_delivery`](crate::wait_for_delivery)).
///
/// `std::process::exit` inside an annotated call skips the call's end, and
/// with it every line the call recorded: call this instead. An async call
/// that has been suspended before keeps what it recorded in earlier polls
/// in its future, which `exit` cannot reach: end such a call first.
///
/// ```no_run
/// use collector_runtime::collect_metrics;
///
/// #[collect_metrics(name = "cron.cleanup", timing, outcome)]
/// fn main() {
///     collector_runtime::incr("cron.cleanup.rows", ());
///     collector_runtime::exit(3); // sent with outcome:error and the timing
/// }
/// ```
pub fn exit(code: i32) -> ! {
    let mut frames = take_frames();
    // Innermost first, each with the tags of the frames around it.
    let enclosing: Vec<_> = (0..frames.len())
        .map(|at| enclosing_taken(&frames, at))
        .collect();
    for (frame, enclosing) in frames.drain(..).zip(enclosing) {
        end_taken_frame(frame, code == 0, enclosing);
    }
    end_of_process();
    std::process::exit(code)
}
