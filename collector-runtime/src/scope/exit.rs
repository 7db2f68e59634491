//! Ending the process from inside an annotated call without losing it.

use crate::input::enclosing::Enclosing;
use crate::scope::call::end_unbuilt;
use crate::scope::context::{enclosing_taken, take_frames, Owner, TakenFrame};
use crate::scope::ending::Ended;
use crate::scope::outcome::Outcome;
use crate::scope::spare;
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

/// Ends a frame the process is ending under: what it recorded is sent now,
/// an execution's with the end the exit code gives (`ok` or `error`), and
/// the tags of the frames `enclosing` it.
fn end_taken_frame(frame: TakenFrame, ok: bool, enclosing: Enclosing) {
    let ended = || Ended {
        outcome: if ok { Outcome::Ok } else { Outcome::Error },
        text: (!ok).then(|| "exited with a failure code".to_owned()),
        tag: None,
    };
    match frame.owner {
        Owner::Collector(shared) => {
            if let Some(mut local) = frame.local {
                shared.absorb(&mut local);
                spare::recycle(local);
            }
            // A collector built by hand learnt its enclosing tags when built.
            shared.end(ended(), enclosing);
            shared.flush_ended();
        }
        Owner::Call(recipe) => {
            let mut store = match frame.local {
                Some(store) => store,
                None if recipe.plan.adds() => spare::lend_store(frame.max_series, &frame.base),
                None => return,
            };
            let enclosing = if recipe.plan.inherit {
                enclosing
            } else {
                Enclosing::NONE
            };
            end_unbuilt(&mut store, &recipe, &frame.base, ended(), &enclosing);
            spare::recycle(store);
        }
    }
}
