//! The outbox one client's flushes share: the payload being filled and the
//! payloads waiting for the sender thread, bounded in bytes.
//!
//! A flush appends its lines under one short lock (a copy of bytes already
//! written) and returns; the sender thread ([`crate::send::sender`]) puts
//! whole payloads on the wire. So a call costs an append, not a syscall,
//! and the number of datagrams follows the bytes, not the number of calls.
//! Past the bound, new lines are refused: counted, reported once per
//! episode, and their count goes out as [`LINES_DROPPED_METRIC`] with a
//! later flush, so a slow, full or absent agent never blocks a caller and
//! never grows memory without end.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use cadence::MetricSink;

use crate::errors::error::Error;
use crate::errors::handler::{report, ErrorHandler};
use crate::send::ledger::Ledger;
use crate::send::payload::{Batch, Filling, Packed};
use crate::send::this_process::this_process;
use crate::send::upstream::Upstream;

/// The counter that carries how many lines the transport dropped (an
/// outbox past its bound, a sink that failed), sent with a later flush once
/// there is room again.
///
/// ```
/// assert_eq!(collector_runtime::telemetry::LINES_DROPPED_METRIC, "collector.lines_dropped");
/// ```
pub const LINES_DROPPED_METRIC: &str = "collector.lines_dropped";

/// How long a partly filled payload waits for more lines, unless told
/// otherwise: datadog-go's buffer flush interval.
///
/// ```
/// assert_eq!(collector_runtime::config::DEFAULT_FLUSH_INTERVAL.as_millis(), 100);
/// ```
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// How many payloads' worth of lines an outbox holds for the agent, unless
/// told otherwise in bytes ([`Client::max_queued_bytes`]): datadog-go's
/// sender queue size. With the default payload sizes that is about 2.8 MiB
/// for UDP and 16 MiB for a Unix socket, enough for a burst of tens of
/// thousands of calls while the sender catches up.
///
/// [`Client::max_queued_bytes`]: crate::Client::max_queued_bytes
pub(crate) const DEFAULT_QUEUED_PAYLOADS: usize = 2048;

/// How long [`wait_for_delivery`](crate::wait_for_delivery), a synchronous client's flush and the
/// end of the process wait for the sender, unless told otherwise.
///
/// ```
/// assert_eq!(collector_runtime::config::DEFAULT_FLUSH_TIMEOUT.as_secs(), 1);
/// ```
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// How many full payloads wait before an appender wakes a sender that is
/// waiting out the flush interval.
const WAKE_AFTER: usize = 8;

/// How a client's lines travel: what [`Client`](crate::Client)'s delivery
/// settings say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) payload_size: usize,
    pub(crate) interval: Duration,
    /// The bound in bytes; `None` for [`DEFAULT_QUEUED_PAYLOADS`] payloads.
    pub(crate) max_queued: Option<usize>,
    pub(crate) timeout: Duration,
    pub(crate) synchronous: bool,
    /// How often the client's own counters go out; `None`: never.
    pub(crate) telemetry: Option<Duration>,
    /// Whether a context's samples are packed on one line.
    pub(crate) multi_value: bool,
}

impl Settings {
    /// The outbox's bound, in bytes.
    pub(crate) fn max_queued_bytes(&self) -> usize {
        self.max_queued
            .unwrap_or(DEFAULT_QUEUED_PAYLOADS.saturating_mul(self.payload_size))
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            payload_size: crate::send::target::UDP_PAYLOAD,
            interval: DEFAULT_FLUSH_INTERVAL,
            max_queued: None,
            timeout: DEFAULT_FLUSH_TIMEOUT,
            synchronous: false,
            telemetry: None,
            multi_value: true,
        }
    }
}

/// What a payload carries beside its lines.
#[derive(Default)]
pub(crate) struct Extra {
    /// Lines dropped earlier whose count this payload carries: if it is
    /// lost too, they are counted again.
    pub(crate) carried: u64,
    /// How many of its lines are such counts, not counted as lost lines
    /// themselves.
    pub(crate) count_lines: usize,
    /// Where a failure to send it is reported: the error handler of the
    /// collector whose lines opened the payload (none: the global one).
    pub(crate) on_error: Option<ErrorHandler>,
}

/// A payload waiting for the sender.
pub(crate) struct Waiting {
    pub(crate) payload: Packed,
    pub(crate) extra: Extra,
}

/// What the sender is doing, for appenders to know whether to wake it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SenderState {
    /// Not started: the first append starts it.
    NotStarted,
    /// Waiting for lines, with no deadline.
    Idle,
    /// Waiting for the flush interval to end.
    Timed,
    /// Sending, or about to look at the queue.
    Busy,
    /// Could not be started: flushes send on their own thread.
    Absent,
}

pub(crate) struct State {
    pub(crate) filling: Filling,
    /// What `filling` carries beside its lines.
    pub(crate) filling_extra: Extra,
    /// When the sender sends `filling` however full it is.
    pub(crate) filling_due: Option<Instant>,
    /// When the sender drains the upstream (the aggregator across
    /// executions): one flush interval after its first line of the
    /// interval was merged; `None` while it holds nothing.
    pub(crate) upstream_due: Option<Instant>,
    /// The sender is writing the upstream's lines into this outbox.
    pub(crate) draining: bool,
    pub(crate) queue: VecDeque<Waiting>,
    /// Bytes of lines waiting or being sent, `filling`'s included.
    pub(crate) queued_bytes: usize,
    /// Payloads moved to the queue since the outbox was made.
    pub(crate) handed: u64,
    /// Of those, the payloads the sender has finished with (sent or lost).
    pub(crate) done: u64,
    pub(crate) sender: SenderState,
    /// A flush asked for `filling` to go now.
    pub(crate) flush_wanted: bool,
    /// Every client of this outbox is gone: the sender sends what is left
    /// and ends.
    pub(crate) closing: bool,
    /// A wait for the sender ran out of time while the sender finished
    /// nothing, and it has finished nothing since: no wait (a flush, the
    /// end of a thread or of the process, a synchronous flush) waits again
    /// until it has, so a sink that hangs costs one timeout per episode,
    /// not one per waiter.
    pub(crate) stuck: bool,
}

impl State {
    /// Moves what is being filled to the queue.
    pub(crate) fn seal_filling(&mut self) {
        if !self.filling.is_empty() {
            let payload = self.filling.seal();
            let extra = std::mem::take(&mut self.filling_extra);
            self.handed += 1;
            self.queue.push_back(Waiting { payload, extra });
        }
        self.filling_due = None;
    }
}

/// What one outbox's sender did since its counters were last sent
/// ([`Client::telemetry`](crate::Client::telemetry)).
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) payloads_sent: AtomicU64,
    pub(crate) bytes_sent: AtomicU64,
    pub(crate) lines_sent: AtomicU64,
    pub(crate) payloads_dropped: AtomicU64,
    /// Lines an aggregator wrote, one per context per interval (more where
    /// samples fill more than a payload).
    pub(crate) aggregated_contexts: AtomicU64,
    /// The executions' values those lines carry.
    pub(crate) aggregated_samples: AtomicU64,
}

/// The client telemetry lines, in the order written.
pub(crate) const TELEMETRY_METRICS: [&str; 6] = [
    "collector.client.payloads_sent",
    "collector.client.bytes_sent",
    "collector.client.lines_sent",
    "collector.client.payloads_dropped",
    "collector.client.aggregated_contexts",
    "collector.client.aggregated_samples",
];

/// One client's outbox, shared with its sender thread.
pub(crate) struct Outbox {
    pub(crate) state: Mutex<State>,
    /// The sender waits here for work.
    pub(crate) work: Condvar,
    /// Flushes wait here for the sender's progress.
    pub(crate) progress: Condvar,
    pub(crate) sink: Arc<dyn MetricSink + Send + Sync>,
    /// Where the sink sends, for error messages.
    pub(crate) target: Option<Arc<str>>,
    pub(crate) settings: Settings,
    /// Dropped lines whose count has not gone out yet: the next flush with
    /// room writes it as [`LINES_DROPPED_METRIC`].
    pub(crate) unreported_drops: AtomicU64,
    /// Appends are being refused (past the bound): the first refusal of an
    /// episode is reported, the rest counted.
    pub(crate) refusing: AtomicBool,
    /// The sink is failing: the first failure of an episode is reported,
    /// the rest counted, until a payload goes through.
    pub(crate) failing: AtomicBool,
    pub(crate) counters: Counters,
    /// Set by the sender once per telemetry interval: the next flush writes
    /// the counters.
    pub(crate) telemetry_due: AtomicBool,
    /// Where each line stands: waiting, in flight, sent or dropped.
    pub(crate) ledger: Ledger,
    /// Starts the sender thread (the client hands in `sender::start`): the
    /// sender works this outbox, so the outbox does not import the sender.
    start_sender: StartSender,
    /// What the sender drains into this outbox once per interval: the
    /// aggregator across executions, made by the first flush that merges.
    pub(crate) upstream: OnceLock<Arc<dyn Upstream>>,
    /// No sender thread could be started: flushes send on their own
    /// thread, and nothing waits in the upstream.
    pub(crate) no_sender: AtomicBool,
    /// The process that made this outbox. A child forked from it never
    /// locks it (a thread of the parent may have held the lock at the
    /// fork, for good) nor sends or counts the parent's lines in it: it
    /// uses `successor`, an outbox of its own.
    pid: u32,
    successor: OnceLock<Arc<Outbox>>,
}

/// How an outbox starts its sender thread.
pub(crate) type StartSender = fn(&Arc<Outbox>) -> std::io::Result<()>;

/// What an append did with a batch.
pub(crate) enum Appended {
    /// In the outbox; the sender sends it. `upto` is the payload count a
    /// wait for it waits for; `too_long` lines were refused, alone, as
    /// longer than a payload (counted as dropped, and reported).
    Queued { upto: u64, too_long: usize },
    /// Refused: the outbox is past its bound.
    Refused {
        /// Whether this refusal starts an episode (it is reported).
        first: bool,
    },
    /// No sender could be started: the caller sends these payloads itself.
    SendHere(Vec<Waiting>),
}

impl Outbox {
    pub(crate) fn new(
        sink: Arc<dyn MetricSink + Send + Sync>,
        target: Option<Arc<str>>,
        settings: Settings,
        start_sender: StartSender,
    ) -> Outbox {
        Outbox {
            state: Mutex::new(State {
                filling: Filling::new(settings.payload_size),
                filling_extra: Extra::default(),
                filling_due: None,
                upstream_due: None,
                draining: false,
                queue: VecDeque::new(),
                queued_bytes: 0,
                handed: 0,
                done: 0,
                sender: SenderState::NotStarted,
                flush_wanted: false,
                closing: false,
                stuck: false,
            }),
            work: Condvar::new(),
            progress: Condvar::new(),
            sink,
            target,
            settings,
            unreported_drops: AtomicU64::new(0),
            refusing: AtomicBool::new(false),
            failing: AtomicBool::new(false),
            counters: Counters::default(),
            telemetry_due: AtomicBool::new(false),
            ledger: Ledger::new(this_process()),
            start_sender,
            upstream: OnceLock::new(),
            no_sender: AtomicBool::new(false),
            pid: crate::send::process_id::id(),
            successor: OnceLock::new(),
        }
    }

    /// The outbox this process uses in place of this one: itself, or in a
    /// process forked after it was made, a fresh one of that process's own
    /// (same sink, same settings, a sender of its own started on first
    /// use). The inherited one is never locked.
    pub(crate) fn for_this_process(self: &Arc<Self>) -> &Arc<Outbox> {
        let pid = crate::send::process_id::id();
        let mut outbox = self;
        while outbox.pid != pid {
            outbox = outbox.successor.get_or_init(|| {
                Arc::new(Outbox::new(
                    Arc::clone(&outbox.sink),
                    outbox.target.clone(),
                    outbox.settings,
                    outbox.start_sender,
                ))
            });
        }
        outbox
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Every update keeps the state whole, so a panic elsewhere while the
        // lock was held (a sink's, contained) does not stop the outbox.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Dropped lines not reported to the agent yet, taken for a flush to
    /// write as [`LINES_DROPPED_METRIC`].
    #[inline]
    pub(crate) fn take_unreported_drops(&self) -> u64 {
        if self.unreported_drops.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        self.unreported_drops.swap(0, Ordering::Relaxed)
    }

    /// The counters to send, taken, when the telemetry interval has passed.
    #[inline]
    pub(crate) fn take_telemetry(&self) -> Option<[u64; 6]> {
        if !self.telemetry_due.load(Ordering::Relaxed)
            || !self.telemetry_due.swap(false, Ordering::Relaxed)
        {
            return None;
        }
        let c = &self.counters;
        Some(
            [
                &c.payloads_sent,
                &c.bytes_sent,
                &c.lines_sent,
                &c.payloads_dropped,
                &c.aggregated_contexts,
                &c.aggregated_samples,
            ]
            .map(|counter| counter.swap(0, Ordering::Relaxed)),
        )
    }

    /// Counts `lines` as dropped, with the count of `carried` earlier drops
    /// that was lost with them: both are to be reported to the agent again.
    pub(crate) fn count_dropped(&self, lines: u64, carried: u64) {
        self.unreported_drops
            .fetch_add(lines + carried, Ordering::Relaxed);
        self.ledger.refuse(lines as usize);
    }

    /// Packs `batch` (which carries the count of `carried` dropped lines)
    /// into the outbox, unless that would take it past its bound. Starts
    /// the sender on first use, and wakes it when it has work.
    pub(crate) fn append(
        self: &Arc<Self>,
        batch: &Batch,
        carried: u64,
        on_error: Option<&ErrorHandler>,
    ) -> Appended {
        let limit = Filling::limit_for(self.settings.payload_size);
        // Only a batch longer than a payload can hold a line that is.
        if batch.len() <= limit {
            return self.pack_in(batch, 0, carried, on_error);
        }
        let too_long = batch.too_long(limit);
        let appended = self.pack_in(batch, too_long, carried, on_error);
        if too_long > 0 && !matches!(appended, Appended::Refused { .. }) {
            self.count_dropped(too_long as u64, 0);
            if let Some((name, len)) = batch.first_too_long(limit) {
                let lines = too_long;
                report(
                    on_error,
                    Error::LineTooLong {
                        name,
                        len,
                        limit,
                        lines,
                    },
                );
            }
        }
        appended
    }

    /// [`Outbox::append`], with `too_long` of the batch's lines left out.
    fn pack_in(
        self: &Arc<Self>,
        batch: &Batch,
        too_long: usize,
        carried: u64,
        on_error: Option<&ErrorHandler>,
    ) -> Appended {
        let mut guard = self.lock();
        if guard.queued_bytes + batch.len() > self.settings.max_queued_bytes() {
            drop(guard);
            let first = !self.refusing.swap(true, Ordering::Relaxed);
            return Appended::Refused { first };
        }
        self.refusing.store(false, Ordering::Relaxed);
        let state = &mut *guard;
        let was_empty = state.filling.is_empty();
        let handed_before = state.handed;
        let filled_before = state.filling.payload.text.len();
        if was_empty {
            state.filling_extra.on_error = on_error.cloned();
        }
        let mut sealed_bytes = 0;
        let queue = &mut state.queue;
        let handed = &mut state.handed;
        let filling_extra = &mut state.filling_extra;
        self.ledger.accept(batch.lines() - too_long);
        state.filling.take(batch, &mut |payload| {
            // A full payload takes what the filling carried with it; the
            // next one is opened by this batch.
            let next = Extra {
                on_error: on_error.cloned(),
                ..Extra::default()
            };
            let extra = std::mem::replace(filling_extra, next);
            *handed += 1;
            sealed_bytes += payload.text.len();
            queue.push_back(Waiting { payload, extra });
        });
        // The count of earlier drops is the batch's last line: it goes with
        // the payload being filled.
        state.filling_extra.carried += carried;
        state.filling_extra.count_lines += usize::from(carried > 0);
        // Exactly the bytes of the payloads now waiting or being filled: the
        // sender takes each payload's length off once it is done with it.
        state.queued_bytes += sealed_bytes + state.filling.payload.text.len() - filled_before;
        if self.settings.synchronous {
            state.seal_filling();
        }
        let upto = state.handed + u64::from(!state.filling.is_empty());
        let sealed = state.handed > handed_before;
        let queued = Appended::Queued { upto, too_long };
        match state.sender {
            SenderState::NotStarted => {
                state.sender = SenderState::Busy;
                drop(guard);
                if (self.start_sender)(self).is_err() {
                    return self.send_here_instead();
                }
            }
            SenderState::Absent => return self.send_here_instead_locked(guard),
            SenderState::Idle if sealed || was_empty => {
                state.sender = SenderState::Busy;
                drop(guard);
                self.work.notify_one();
            }
            // Waking the sender is a syscall: while it waits out the
            // interval, it is woken once a few payloads are full, not for
            // each (a payload holds a handful of calls' lines).
            SenderState::Timed
                if (sealed && state.queue.len() >= WAKE_AFTER) || self.settings.synchronous =>
            {
                state.sender = SenderState::Busy;
                drop(guard);
                self.work.notify_one();
            }
            _ => {}
        }
        queued
    }

    #[cold]
    fn send_here_instead(&self) -> Appended {
        let mut state = self.lock();
        state.sender = SenderState::Absent;
        self.no_sender.store(true, Ordering::Relaxed);
        self.send_here_instead_locked(state)
    }

    /// With no sender thread: everything queued, and what is being filled,
    /// for the caller to send.
    #[cold]
    fn send_here_instead_locked(&self, mut state: MutexGuard<'_, State>) -> Appended {
        state.seal_filling();
        let waiting: Vec<Waiting> = state.queue.drain(..).collect();
        state.done = state.handed;
        state.queued_bytes = 0;
        Appended::SendHere(waiting)
    }

    /// Asks the sender to send everything handed to it so far, the payload
    /// being filled included, and the upstream's lines, and waits until it
    /// has or `deadline` passes. Returns whether it finished in time.
    ///
    /// With a sender, the sender writes the upstream's lines, sending as it
    /// goes, and the waiter only waits: a wait that runs out leaves the rest
    /// of the interval pending (the ledger counts it, see
    /// [`Ledger::add_upstream`]) for the sender to go on with, instead of
    /// writing it into a full outbox that would refuse it. Without one (or
    /// with one that is stuck), the waiter writes them itself.
    pub(crate) fn wait_sent(self: &Arc<Self>, deadline: Instant) -> bool {
        let mut state = self.lock();
        // Progress is judged over the whole wait, the drain's part included.
        let progress_before = state.done;
        if self.sender_can_drain(&state) {
            if state.upstream_due.is_some() || state.draining {
                state.flush_wanted = true;
                let drained = |state: &State| state.upstream_due.is_none() && !state.draining;
                let in_time;
                (state, in_time) = self.wait_until(state, deadline, progress_before, drained);
                if !in_time {
                    return false;
                }
            }
        } else {
            drop(state);
            self.drain_upstream(&|| self.wait_for_room(deadline));
            state = self.lock();
        }
        if !state.filling.is_empty() {
            state.flush_wanted = true;
        }
        let upto = state.handed + u64::from(!state.filling.is_empty());
        self.wait_until(state, deadline, progress_before, |state| state.done >= upto)
            .1
    }

    /// Whether the sender thread will do what a waiter asks (write the
    /// upstream's lines, send what is queued): it runs, it is not stuck,
    /// and the process has not given up.
    fn sender_can_drain(&self, state: &State) -> bool {
        !state.stuck
            && !self.ledger.abandoned()
            && !matches!(state.sender, SenderState::NotStarted | SenderState::Absent)
    }

    /// Waits until the sender has finished the first `upto` payloads, or
    /// `deadline` passes.
    pub(crate) fn wait_for(&self, upto: u64, deadline: Instant) -> bool {
        let mut state = self.lock();
        state.flush_wanted = true;
        let progress_before = state.done;
        self.wait_until(state, deadline, progress_before, |state| state.done >= upto)
            .1
    }

    /// Wakes the sender and waits until `done` holds of the state, unless
    /// the sender is stuck (a wait ran out of time while it finished
    /// nothing, and it has finished nothing since) or the process has
    /// given up on its lines; `false` if `done` does not hold when it
    /// returns. `progress_before` is the payloads finished when the wait
    /// began: a sender is taken as stuck only if it finished nothing during
    /// the whole of it, not only in what was left when this part began.
    fn wait_until<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        deadline: Instant,
        progress_before: u64,
        done: impl Fn(&State) -> bool,
    ) -> (MutexGuard<'a, State>, bool) {
        if !self.sender_can_drain(&state) {
            let ok = done(&state);
            return (state, ok);
        }
        if matches!(state.sender, SenderState::Idle | SenderState::Timed) {
            state.sender = SenderState::Busy;
            self.work.notify_one();
        }
        while !done(&state) {
            let now = Instant::now();
            if now >= deadline {
                // A sender that finished nothing in a whole wait is stuck
                // (a sink that hangs) until it finishes something; one
                // that is slow but moving is waited for again.
                state.stuck = state.done == progress_before;
                this_process().timeouts.fetch_add(1, Ordering::Relaxed);
                return (state, false);
            }
            state = self
                .progress
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        (state, true)
    }

    /// Has the upstream write what it holds into this outbox now, on this
    /// thread: what a wait for the outbox waits for must be in it first.
    /// While another thread drains the upstream into this outbox: once the
    /// queue holds half the bound, wakes the sender and waits (until
    /// `deadline`) for it to make room, so that a large interval is not
    /// refused for want of a sender.
    fn wait_for_room(&self, deadline: Instant) {
        let half = self.settings.max_queued_bytes() / 2;
        let mut state = self.lock();
        if state.queued_bytes <= half || state.stuck {
            return;
        }
        if matches!(state.sender, SenderState::Idle | SenderState::Timed) {
            state.sender = SenderState::Busy;
            self.work.notify_one();
        }
        while state.queued_bytes > half && !state.stuck {
            let now = Instant::now();
            if now >= deadline
                || matches!(state.sender, SenderState::NotStarted | SenderState::Absent)
            {
                return;
            }
            state = self
                .progress
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// `relieve` is called after each run of lines handed over (see
    /// [`Upstream::drain`]).
    pub(crate) fn drain_upstream(self: &Arc<Self>, relieve: &dyn Fn()) {
        if let Some(upstream) = self.upstream.get() {
            upstream.drain(relieve);
        }
    }

    /// The upstream has lines for this interval: the sender drains it one
    /// flush interval from now. Called once per interval (the upstream
    /// remembers that it asked), so the lock and the wake cost nothing per
    /// call.
    pub(crate) fn upstream_waiting(self: &Arc<Self>) {
        let mut state = self.lock();
        if state.upstream_due.is_none() {
            state.upstream_due = Some(Instant::now() + self.settings.interval);
        }
        match state.sender {
            SenderState::NotStarted => {
                state.sender = SenderState::Busy;
                drop(state);
                if (self.start_sender)(self).is_err() {
                    // No thread: what the upstream holds is drained by the
                    // next wait for the outbox, and it takes no more.
                    self.lock().sender = SenderState::Absent;
                    self.no_sender.store(true, Ordering::Relaxed);
                    self.drain_upstream(&|| {});
                }
            }
            SenderState::Idle => {
                state.sender = SenderState::Busy;
                drop(state);
                self.work.notify_one();
            }
            _ => {}
        }
    }

    /// Lines handed over and neither sent nor dropped yet: waiting (being
    /// filled, queued, or taken by the sender) or in flight (inside a write
    /// that has not returned), with an upstream's (see
    /// [`Ledger::add_upstream`]).
    pub(crate) fn pending_lines(&self) -> u64 {
        self.ledger.pending()
    }
}

/// The handle clients hold: when the last one goes, the sender sends what
/// is left and ends.
pub(crate) struct OutboxHandle(pub(crate) Arc<Outbox>);

impl Drop for OutboxHandle {
    fn drop(&mut self) {
        // In a forked child, the child's own outbox closes; the inherited
        // one is not touched.
        let outbox = self.0.for_this_process();
        let mut state = outbox.lock();
        state.closing = true;
        let wake = matches!(state.sender, SenderState::Idle | SenderState::Timed);
        if wake {
            state.sender = SenderState::Busy;
        }
        drop(state);
        if wake {
            outbox.work.notify_one();
        }
    }
}
