//! The slot a test's capture fills: while a capture is active on a thread, a
//! flush writes with the client it gives instead of its own. The slot lives
//! here, under the flush, and `testing` (the top floor) fills it, so the
//! flush never asks the testing integration whether a capture is active.

use std::sync::{Arc, OnceLock};

use crate::send::client::Client;

/// The client a capture active on this thread writes with, for a flush that
/// would have used `own` (or the global client); `None` with no capture.
pub(crate) type CapturingClient = fn(Option<&Arc<Client>>) -> Option<Client>;

static SLOT: OnceLock<CapturingClient> = OnceLock::new();

/// Fills the slot; `testing` does so before its first capture starts, and
/// there is only one `testing`, so the first fill stands.
pub(crate) fn fill(capturing: CapturingClient) {
    let _ = SLOT.get_or_init(|| capturing);
}

/// The capture's client, if a capture is active on this thread. Until a
/// capture has ever started, one atomic load.
pub(crate) fn capturing_client(own: Option<&Arc<Client>>) -> Option<Client> {
    SLOT.get().and_then(|capturing| capturing(own))
}
