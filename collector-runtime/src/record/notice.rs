//! Recording service checks and events: kept in the
//! collector's store in the order recorded, one line each at its flush,
//! or sent at once through the global client when no collector is current.

use crate::errors::handler::report;
use crate::input::check::ServiceCheck;
use crate::input::event::Event;
use crate::input::notice::Notice;
use crate::scope::frame_record;
use crate::store::flush::{flush_series, Contents, LineTags};

/// Records a service check into the current collector, sent once at its
/// flush with the collector's base tags; with no collector current, sends
/// it at once through the global client.
///
/// ```
/// use collector_runtime::{testing, Collector, checks_events::ServiceCheck, checks_events::Status};
///
/// let ((), lines) = testing::capture(|| {
///     let collector = Collector::builder().tag("job:import").build();
///     {
///         let _current = collector.enter();
///         collector_runtime::service_check(ServiceCheck::new("import.source", Status::Warning));
///     }
///     collector.flush();
/// });
/// assert_eq!(lines, ["_sc|import.source|1|#job:import"]);
/// ```
pub fn service_check(check: ServiceCheck) {
    keep(Notice::Check(Box::new(check)));
}

/// Records an event into the current collector, sent once at its flush
/// with the collector's base tags (two events are two events: nothing is
/// aggregated); with no collector current, sends it at once through the
/// global client.
///
/// ```
/// use collector_runtime::{testing, checks_events::Event};
///
/// let ((), lines) = testing::capture(|| {
///     collector_runtime::event(Event::new("cache rebuilt", "12 MB"));
/// });
/// assert_eq!(lines, ["_e{13,5}:cache rebuilt|12 MB"]);
/// ```
pub fn event(event: Event) {
    keep(Notice::Event(Box::new(event)));
}

fn keep(notice: Notice) {
    match frame_record::keep_notice_current(notice) {
        Ok(Ok(())) => {}
        Ok(Err(rejected)) => rejected.report(),
        Err(notice) => send_now(notice),
    }
}

/// The no-collector path: sent at once through the global client.
#[cold]
fn send_now(notice: Notice) {
    if let Some(error) = notice.problem() {
        return report(None, error);
    }
    let contents = Contents {
        series: &[],
        notices: &[notice],
        dropped: 0,
    };
    flush_series(None, &LineTags::NONE, None, &contents);
}
