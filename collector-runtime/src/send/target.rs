//! Where metrics go, and the payload sizes each transport carries: what the
//! configuration produces, the parser reads into and the client sends to.

use std::fmt;
use std::path::PathBuf;

/// The DogStatsD port when none is configured.
///
/// ```
/// assert_eq!(collector_runtime::config::DEFAULT_PORT, 8125);
/// ```
pub const DEFAULT_PORT: u16 = 8125;
/// Bytes per UDP datagram: fits a 1500-byte Ethernet frame after headers.
///
/// ```
/// assert!(collector_runtime::config::UDP_PAYLOAD + 20 + 8 <= 1500); // IPv4 + UDP headers
/// ```
pub const UDP_PAYLOAD: usize = 1432;
/// Bytes per Unix datagram, as the Datadog Agent expects.
///
/// ```
/// assert_eq!(collector_runtime::config::UNIX_PAYLOAD, 8192);
/// ```
pub const UNIX_PAYLOAD: usize = 8192;

/// Where metrics go.
///
/// ```
/// use collector_runtime::config::Target;
///
/// let target = Target::Udp { host: "127.0.0.1".into(), port: 8125 };
/// assert_eq!(target.to_string(), "udp://127.0.0.1:8125");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A DogStatsD server over UDP.
    Udp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A DogStatsD server on a Unix datagram socket.
    Unix(PathBuf),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Udp { host, port } if host.contains(':') => write!(f, "udp://[{host}]:{port}"),
            Target::Udp { host, port } => write!(f, "udp://{host}:{port}"),
            Target::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}
