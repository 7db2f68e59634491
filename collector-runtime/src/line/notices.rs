//! The lines of a flush's service checks and events, written after its
//! series into the same batch, in the order recorded: they are packed and
//! handed over like every other line, whole.

use crate::errors::handler::{report, ErrorHandler};
use crate::input::notice::Notice;
use crate::line::writer::LineWriter;
use crate::line::{event, service_check};
use crate::send::payload::Batch;

/// Writes one line per notice into `batch`, each at most `limit` bytes
/// (the client's payload, less the newline a sink adds) when its free
/// text can be cut to fit; a cut is reported to `on_error`.
pub(crate) fn write_notices<'a>(
    batch: &mut Batch,
    writer: &mut LineWriter<'a>,
    notices: &'a [Notice],
    limit: usize,
    on_error: Option<&ErrorHandler>,
) {
    for notice in notices {
        let mut cut = None;
        batch.line(false, |out| {
            cut = match notice {
                Notice::Check(check) => service_check::write(out, writer, check, limit),
                Notice::Event(one) => event::write(out, writer, one, limit),
            };
        });
        if let Some(error) = cut {
            report(on_error, error);
        }
    }
}
