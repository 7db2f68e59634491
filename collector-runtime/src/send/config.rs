//! Building a client from the environment, as the official Datadog clients
//! do: `DD_DOGSTATSD_URL`, else `DD_AGENT_HOST` and `DD_DOGSTATSD_PORT`, else
//! `127.0.0.1:8125`; `DD_ENV`, `DD_SERVICE`, `DD_VERSION` and `DD_ENTITY_ID`
//! become tags.

use std::net::{ToSocketAddrs, UdpSocket};
use std::time::Duration;

use cadence::UdpMetricSink;

use crate::errors::config::ConfigError;
use crate::send::client::Client;
use crate::send::outbox::DEFAULT_FLUSH_INTERVAL;
use crate::send::parse::{parse_host, parse_port, parse_url};
use crate::send::target::{Target, DEFAULT_PORT, UDP_PAYLOAD, UNIX_PAYLOAD};
use crate::send::unix_sink::BoundedUnixSink;

use crate::input::sanitize::sanitize_tag;

/// A client configuration: read from `DD_*` variables
/// ([`ClientConfig::from_env`]), or built from a [`Target`] with
/// [`ClientConfig::new`] and the builder methods. Its fields can be read and
/// changed; it is `#[non_exhaustive]`, so a new setting is not a breaking
/// change, and it is built through those functions, not a struct literal.
///
/// ```
/// use collector_runtime::config::{ClientConfig, Target};
///
/// let config = ClientConfig::from_lookup(|var| match var {
///     "DD_DOGSTATSD_URL" => Some("unix:///var/run/datadog/dsd.socket".to_owned()),
///     "DD_ENV" => Some("prod".to_owned()),
///     _ => None,
/// })
/// .unwrap();
/// assert_eq!(config.target, Target::Unix("/var/run/datadog/dsd.socket".into()));
/// assert_eq!(config.tags, ["env:prod"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Where metrics go.
    pub target: Target,
    /// Tags added to every metric (from `DD_ENV`, `DD_SERVICE`, `DD_VERSION`,
    /// `DD_ENTITY_ID`), sanitized.
    pub tags: Vec<String>,
    /// How long a partly filled payload waits for more lines
    /// ([`Client::flush_interval`]); [`DEFAULT_FLUSH_INTERVAL`] from the
    /// environment.
    ///
    /// [`DEFAULT_FLUSH_INTERVAL`]: crate::config::DEFAULT_FLUSH_INTERVAL
    pub flush_interval: Duration,
    /// Whether a histogram's, distribution's or timing's samples go out
    /// packed on one line ([`Client::multi_value`]): `true` unless
    /// `DD_DOGSTATSD_MULTI_VALUE` is `false`, `0`, `no` or `off`.
    pub multi_value: bool,
}

/// The variable that turns packed samples off, for a StatsD server that
/// reads one value per line.
const MULTI_VALUE_VARIABLE: &str = "DD_DOGSTATSD_MULTI_VALUE";

/// Whether the variable's value, if set, asks for packed samples.
fn multi_value_from(value: Option<String>) -> bool {
    !value.is_some_and(|value| {
        matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "false" | "0" | "no" | "off"
        )
    })
}

const TAG_VARIABLES: [(&str, &str); 4] = [
    ("DD_ENV", "env"),
    ("DD_SERVICE", "service"),
    ("DD_VERSION", "version"),
    ("DD_ENTITY_ID", "dd.internal.entity_id"),
];

/// The tags the `DD_*` variables ask for, sanitized; empty values are skipped.
pub(crate) fn tags_from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    TAG_VARIABLES
        .iter()
        .filter_map(|(variable, key)| {
            let value = lookup(variable)?;
            let value = value.trim();
            (!value.is_empty()).then(|| sanitize_tag(&format!("{key}:{value}")).into_owned())
        })
        .collect()
}

impl ClientConfig {
    /// A configuration sending to `target`, with no tags, the default flush
    /// interval and packed samples on: what [`ClientConfig::from_env`] gives
    /// when only the target is set.
    ///
    /// ```
    /// use std::time::Duration;
    /// use collector_runtime::config::{ClientConfig, Target, DEFAULT_FLUSH_INTERVAL};
    ///
    /// let config = ClientConfig::new(Target::Unix("/var/run/datadog/dsd.socket".into()))
    ///     .tags(["env:prod"])
    ///     .flush_interval(Duration::from_millis(50))
    ///     .multi_value(false);
    /// assert_eq!(config.tags, ["env:prod"]);
    /// assert!(!config.multi_value);
    /// assert_ne!(config.flush_interval, DEFAULT_FLUSH_INTERVAL);
    /// ```
    pub fn new(target: Target) -> ClientConfig {
        ClientConfig {
            target,
            tags: Vec::new(),
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            multi_value: true,
        }
    }

    /// The tags added to every metric, sanitized as any tag; they replace
    /// the ones set before.
    ///
    /// ```
    /// use collector_runtime::config::{ClientConfig, Target};
    ///
    /// let config = ClientConfig::new(Target::Unix("/tmp/dsd.socket".into())).tags(["env:prod", "team|a"]);
    /// assert_eq!(config.tags, ["env:prod", "team_a"]);
    /// ```
    pub fn tags<T: AsRef<str>>(mut self, tags: impl IntoIterator<Item = T>) -> ClientConfig {
        self.tags = tags
            .into_iter()
            .map(|tag| sanitize_tag(tag.as_ref()).into_owned())
            .collect();
        self
    }

    /// How long a partly filled payload waits for more lines.
    ///
    /// ```
    /// use std::time::Duration;
    /// use collector_runtime::config::{ClientConfig, Target};
    ///
    /// let config = ClientConfig::new(Target::Unix("/tmp/dsd.socket".into()))
    ///     .flush_interval(Duration::from_millis(10));
    /// assert_eq!(config.flush_interval, Duration::from_millis(10));
    /// ```
    pub fn flush_interval(mut self, interval: Duration) -> ClientConfig {
        self.flush_interval = interval;
        self
    }

    /// Whether a context's histogram, distribution and timing samples go
    /// out packed on one line ([`Client::multi_value`]).
    ///
    /// ```
    /// use collector_runtime::config::{ClientConfig, Target};
    ///
    /// let config = ClientConfig::new(Target::Unix("/tmp/dsd.socket".into())).multi_value(false);
    /// assert!(!config.multi_value);
    /// ```
    pub fn multi_value(mut self, on: bool) -> ClientConfig {
        self.multi_value = on;
        self
    }

    /// Reads the process environment.
    ///
    /// ```
    /// # std::env::remove_var("DD_DOGSTATSD_URL");
    /// # std::env::remove_var("DD_AGENT_HOST");
    /// # std::env::remove_var("DD_DOGSTATSD_PORT");
    /// let config = collector_runtime::ClientConfig::from_env().unwrap();
    /// assert_eq!(config.target.to_string(), "udp://127.0.0.1:8125");
    /// ```
    pub fn from_env() -> Result<ClientConfig, ConfigError> {
        ClientConfig::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads the variables through `lookup`, which returns a variable's value.
    ///
    /// ```
    /// use collector_runtime::config::{ClientConfig, Target};
    ///
    /// let config = ClientConfig::from_lookup(|var| match var {
    ///     "DD_AGENT_HOST" => Some("agent.local".to_owned()),
    ///     "DD_DOGSTATSD_PORT" => Some("9125".to_owned()),
    ///     _ => None,
    /// })
    /// .unwrap();
    /// assert_eq!(config.target, Target::Udp { host: "agent.local".into(), port: 9125 });
    /// ```
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientConfig, ConfigError> {
        let set = |var: &str| lookup(var).filter(|value| !value.trim().is_empty());
        let target = match set("DD_DOGSTATSD_URL") {
            Some(url) => parse_url(url.trim())?,
            None => {
                let host = match set("DD_AGENT_HOST") {
                    Some(host) => parse_host(&host)?,
                    None => "127.0.0.1".to_owned(),
                };
                let port = match set("DD_DOGSTATSD_PORT") {
                    Some(port) => parse_port(&port)?,
                    None => DEFAULT_PORT,
                };
                Target::Udp { host, port }
            }
        };
        Ok(ClientConfig {
            target,
            tags: tags_from_lookup(&lookup),
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            multi_value: multi_value_from(lookup(MULTI_VALUE_VARIABLE)),
        })
    }

    /// Builds a client on a cadence sink (1432-byte UDP payloads, or 8192
    /// bytes on a Unix socket) whose lines carry the configuration's tags,
    /// and whose send errors name the target. The client packs the
    /// payloads itself, so the sink is cadence's unbuffered one: one
    /// payload, one datagram.
    ///
    /// No write blocks for long. The UDP socket does not block at all: a
    /// full send buffer drops the payload, counted. A write to the Unix
    /// socket waits at most 100 ms for the agent to make room, and once one
    /// has timed out, writes do not wait until one goes through again.
    ///
    /// A Unix socket need not exist yet (an agent may start after the
    /// application): each send looks the path up again, so metrics flow
    /// once it appears, and sends fail, reported, until then.
    ///
    /// ```
    /// use collector_runtime::config::{ClientConfig, Target, UDP_PAYLOAD};
    ///
    /// let config = ClientConfig::new(Target::Udp { host: "127.0.0.1".into(), port: 8125 })
    ///     .tags(["env:prod"]);
    /// let client = config.build().unwrap();
    /// assert_eq!(client.default_tags(), ["env:prod"]);
    /// assert_eq!(client.max_payload(), UDP_PAYLOAD);
    /// ```
    pub fn build(&self) -> Result<Client, ConfigError> {
        let target = self.target.to_string();
        let socket_error = |err: std::io::Error| ConfigError::Socket {
            target: target.clone(),
            reason: err.to_string(),
        };
        match &self.target {
            Target::Udp { host, port } => {
                let addr = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|err| ConfigError::Resolve {
                        target: target.clone(),
                        reason: err.to_string(),
                    })?
                    .next()
                    .ok_or_else(|| ConfigError::Resolve {
                        target: target.clone(),
                        reason: "no address found".to_owned(),
                    })?;
                let local = if addr.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                let socket = UdpSocket::bind(local).map_err(socket_error)?;
                // Never stall the caller's request on a full socket buffer:
                // a failed send reaches the error handler instead.
                socket.set_nonblocking(true).map_err(socket_error)?;
                let sink = UdpMetricSink::from(addr, socket)
                    .map_err(|err| socket_error(std::io::Error::other(err.to_string())))?;
                Ok(Client::new(sink)
                    .payload_size(UDP_PAYLOAD)
                    .flush_interval(self.flush_interval)
                    .multi_value(self.multi_value)
                    .tags(&self.tags)
                    .detect_origin()
                    .with_target(&self.target))
            }
            Target::Unix(path) => {
                let sink = BoundedUnixSink::new(path).map_err(socket_error)?;
                Ok(Client::new(sink)
                    .payload_size(UNIX_PAYLOAD)
                    .flush_interval(self.flush_interval)
                    .multi_value(self.multi_value)
                    .tags(&self.tags)
                    .detect_origin()
                    .with_target(&self.target))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<ClientConfig, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ClientConfig::from_lookup(move |var| {
            vars.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone())
        })
    }

    fn udp(host: &str, port: u16) -> Target {
        Target::Udp {
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn defaults_to_the_local_agent() {
        assert_eq!(config(&[]).unwrap().target, udp("127.0.0.1", 8125));
    }

    #[test]
    fn agent_host_and_port() {
        assert_eq!(
            config(&[("DD_AGENT_HOST", "dd")]).unwrap().target,
            udp("dd", 8125)
        );
        let both = config(&[("DD_AGENT_HOST", "dd"), ("DD_DOGSTATSD_PORT", "9999")]);
        assert_eq!(both.unwrap().target, udp("dd", 9999));
        let port_only = config(&[("DD_DOGSTATSD_PORT", " 9000 ")]);
        assert_eq!(port_only.unwrap().target, udp("127.0.0.1", 9000));
    }

    #[test]
    fn url_wins_over_host_and_port() {
        let vars = [
            ("DD_DOGSTATSD_URL", "udp://10.0.0.1:9125"),
            ("DD_AGENT_HOST", "ignored"),
        ];
        assert_eq!(config(&vars).unwrap().target, udp("10.0.0.1", 9125));
        let url = config(&[("DD_DOGSTATSD_URL", "udp://[::1]:8126")]);
        assert_eq!(url.unwrap().target, udp("::1", 8126));
        let no_port = config(&[("DD_DOGSTATSD_URL", "udp://statsd")]);
        assert_eq!(no_port.unwrap().target, udp("statsd", 8125));
        let unix = config(&[("DD_DOGSTATSD_URL", "unix:///run/dsd.sock")]);
        assert_eq!(unix.unwrap().target, Target::Unix("/run/dsd.sock".into()));
    }

    #[test]
    fn malformed_values_name_the_variable_and_the_value() {
        for (var, value) in [
            ("DD_DOGSTATSD_PORT", "http"),
            ("DD_DOGSTATSD_PORT", "0"),
            ("DD_DOGSTATSD_PORT", "70000"),
            ("DD_DOGSTATSD_URL", "http://host:1"),
            ("DD_DOGSTATSD_URL", "udp://host:port"),
            ("DD_DOGSTATSD_URL", "udp://:8125"),
            ("DD_DOGSTATSD_URL", "udp://[::1"),
            ("DD_DOGSTATSD_URL", "unix://relative.sock"),
        ] {
            let err = config(&[(var, value)]).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(var) && text.contains(value), "{text}");
        }
    }

    #[test]
    fn unified_service_tags_come_from_dd_variables() {
        let vars = [
            ("DD_ENV", "prod"),
            ("DD_SERVICE", "billing api"),
            ("DD_VERSION", "1.2.3"),
            ("DD_ENTITY_ID", "abc-123"),
        ];
        assert_eq!(
            config(&vars).unwrap().tags,
            [
                "env:prod",
                "service:billing_api",
                "version:1.2.3",
                "dd.internal.entity_id:abc-123"
            ]
        );
        assert!(config(&[("DD_ENV", "  ")]).unwrap().tags.is_empty());
    }

    #[test]
    fn socket_errors_name_the_socket_path() {
        let dir = std::env::temp_dir().join(format!("collector-no-socket-{}", std::process::id()));
        let target = Target::Unix(dir.join("dsd.socket"));
        let client = ClientConfig {
            target: target.clone(),
            tags: vec![],
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            multi_value: true,
        }
        .build()
        .unwrap();
        let sent = crate::send::sender::hand_over(client.sink(), client.target(), "a:1|c", 1);
        let Err(crate::Error::Send { source, lines, .. }) = sent else {
            panic!("sent to a socket that is not there: {sent:?}");
        };
        assert_eq!(lines, 1);
        let text = source.to_string();
        assert!(text.contains(&format!("sending to {target}: ")), "{text}");
        assert!(std::error::Error::source(&source).is_some());
    }

    #[test]
    fn packed_samples_are_on_unless_the_variable_turns_them_off() {
        let with = |value: &str| {
            let value = value.to_owned();
            ClientConfig::from_lookup(move |var| {
                (var == MULTI_VALUE_VARIABLE).then(|| value.clone())
            })
            .unwrap()
            .multi_value
        };
        assert!(ClientConfig::from_lookup(|_| None).unwrap().multi_value);
        for off in ["false", "0", "no", "OFF", " False "] {
            assert!(!with(off), "{off}");
        }
        for on in ["true", "1", "yes", ""] {
            assert!(with(on), "{on}");
        }
    }

    #[test]
    fn an_unresolvable_host_is_an_error_not_a_panic() {
        let config = ClientConfig {
            target: udp("host.invalid", 8125),
            tags: vec![],
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            multi_value: true,
        };
        assert!(matches!(config.build(), Err(ConfigError::Resolve { .. })));
    }
}
