//! What building an execution's collector takes, kept by an annotated call
//! that has not built one: a call that records nothing allocates nothing.

use std::sync::Arc;

use crate::errors::handler::ErrorHandler;
use crate::scope::ending::Plan;
use crate::send::client::Client;

/// What building a call's collector takes beyond the frame's store (which
/// has the key base and the bound): nothing that costs a reference count
/// unless the call has a client or an error handler of its own.
#[derive(Clone)]
pub(crate) struct Recipe {
    /// How many of the key base's tags are the call's base tags.
    pub(crate) base_len: usize,
    pub(crate) client: Option<Arc<Client>>,
    pub(crate) on_error: Option<ErrorHandler>,
    /// What ending the call adds, its names literals.
    pub(crate) plan: Plan<&'static str>,
}
