//! Why no client could be built: one of the errors an [`Error`](crate::Error)
//! carries, so it sits with the errors rather than with the configuration.

use std::fmt;

/// Why no client could be built from the configuration.
///
/// ```
/// use collector_runtime::ClientConfig;
///
/// let err = ClientConfig::from_lookup(|var| {
///     (var == "DD_DOGSTATSD_PORT").then(|| "eighty".to_owned())
/// })
/// .unwrap_err();
/// assert!(err.to_string().contains("DD_DOGSTATSD_PORT"));
/// assert!(err.to_string().contains("eighty"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A variable holds a value that cannot be used.
    Invalid {
        /// The variable's name.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What is wrong, and the value to write instead.
        reason: String,
    },
    /// The host name did not resolve to an address.
    Resolve {
        /// Where metrics were to go.
        target: String,
        /// The resolver's error.
        reason: String,
    },
    /// The local socket could not be created.
    Socket {
        /// Where metrics were to go.
        target: String,
        /// The operating system's error.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid {
                variable,
                value,
                reason,
            } => write!(f, "{variable}={value:?} is not usable: {reason}"),
            ConfigError::Resolve { target, reason } => {
                write!(f, "cannot resolve {target}: {reason}")
            }
            ConfigError::Socket { target, reason } => {
                write!(f, "cannot open a socket for {target}: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}
