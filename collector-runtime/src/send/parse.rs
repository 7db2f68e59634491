//! Reading `DD_DOGSTATSD_URL`, `DD_AGENT_HOST` and `DD_DOGSTATSD_PORT`.
//!
//! A malformed value is refused with the variable, the value and the value
//! to write instead: the user reads it once, on stderr, often from a
//! container's log, and must be able to fix it from that line alone.

use std::net::Ipv6Addr;
use std::path::PathBuf;

use crate::errors::config::ConfigError;
use crate::send::target::{Target, DEFAULT_PORT};

const URL: &str = "DD_DOGSTATSD_URL";
const HOST: &str = "DD_AGENT_HOST";
const PORT: &str = "DD_DOGSTATSD_PORT";

fn invalid(variable: &'static str, value: &str, reason: String) -> ConfigError {
    ConfigError::Invalid {
        variable,
        value: value.to_owned(),
        reason,
    }
}

/// A port from 1 to 65535; `None` for anything else.
fn port_number(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|&port| port > 0)
}

/// `DD_DOGSTATSD_PORT`.
pub(crate) fn parse_port(value: &str) -> Result<u16, ConfigError> {
    port_number(value.trim()).ok_or_else(|| {
        let reason = format!("expected a port number from 1 to 65535, e.g. {PORT}={DEFAULT_PORT}");
        invalid(PORT, value, reason)
    })
}

/// `DD_AGENT_HOST`: a host name or address, without a scheme or a port.
pub(crate) fn parse_host(value: &str) -> Result<String, ConfigError> {
    let host = value.trim();
    let refuse = |reason: String| Err(invalid(HOST, value, reason));
    if host.contains("://") {
        return refuse(format!(
            "it holds a URL, and a host name or address alone is expected: \
             set {URL}={host} instead, or {HOST} to the host alone"
        ));
    }
    if let Some((name, port)) = host_and_port(host) {
        let hint = if name.contains(':') {
            format!("[{name}]")
        } else {
            name.to_owned()
        };
        return refuse(format!(
            "it holds a port, which goes in {PORT}: set {HOST}={name} and {PORT}={port} \
             (or {URL}=udp://{hint}:{port})"
        ));
    }
    if host.contains(['/', ' ', '@', '?', '#']) {
        return refuse(format!(
            "expected a host name or IP address alone, e.g. {HOST}=datadog-agent"
        ));
    }
    // `[::1]` is how an IPv6 address is written beside a port; alone, the
    // brackets are not part of the address.
    let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(inner) => inner,
        None => host,
    };
    Ok(host.to_owned())
}

/// `host:port` or `[ipv6]:port` with a valid port, split; `None` for a
/// host alone, IPv6 addresses (`::1`, `fe80::1`) included.
fn host_and_port(text: &str) -> Option<(&str, &str)> {
    let (host, port) = match text.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']')?;
            (host, after.strip_prefix(':')?)
        }
        None => {
            let (host, port) = text.split_once(':')?;
            if port.contains(':') || text.parse::<Ipv6Addr>().is_ok() {
                return None;
            }
            (host, port)
        }
    };
    port_number(port).map(|_| (host, port))
}

/// `DD_DOGSTATSD_URL`: `udp://host[:port]` or `unix:///absolute/path`.
pub(crate) fn parse_url(value: &str) -> Result<Target, ConfigError> {
    let refuse = |reason: String| Err(invalid(URL, value, reason));
    let Some((scheme, rest)) = value.split_once("://") else {
        let fix = if value.starts_with('/') {
            format!("write unix://{value} for a Unix socket")
        } else {
            format!("write udp://{value} (or unix:///path/to/dsd.socket for a Unix socket)")
        };
        return refuse(format!("it has no scheme; {fix}"));
    };
    match scheme {
        "unix" => parse_unix(rest).or_else(refuse),
        "udp" => parse_udp(rest).or_else(refuse),
        _ => refuse(format!(
            "the scheme {scheme}:// is not one DogStatsD takes; write udp://{rest} \
             (or unix:///path/to/dsd.socket for a Unix socket)"
        )),
    }
}

fn parse_unix(path: &str) -> Result<Target, String> {
    if path.is_empty() {
        return Err(
            "the socket path is missing; write unix:///path/to/dsd.socket \
                    (e.g. unix:///var/run/datadog/dsd.socket)"
                .to_owned(),
        );
    }
    if !path.starts_with('/') {
        return Err(format!(
            "the socket path must be absolute (three slashes after unix:); write unix:///{path}"
        ));
    }
    Ok(Target::Unix(PathBuf::from(path)))
}

/// What follows `udp://`.
fn parse_udp(rest: &str) -> Result<Target, String> {
    // The authority ends at the first `/`, `?` or `#`; a lone trailing `/`
    // is harmless and accepted.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    if !after.is_empty() && after != "/" {
        return Err(format!(
            "nothing may follow the host and port ({after:?} does); write udp://{authority}"
        ));
    }
    if let Some((_, host)) = authority.rsplit_once('@') {
        return Err(format!("udp:// takes no user name; write udp://{host}"));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(format!(
                "an IPv6 host needs a closing ']'; write udp://[{bracketed}]:{DEFAULT_PORT}"
            ));
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => {
                    return Err(format!(
                        "expected a ':' and the port after ']'; write udp://[{host}]:{DEFAULT_PORT}"
                    ))
                }
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        let port = port.unwrap_or("8125");
        return Err(format!(
            "the host is missing; write udp://host:port, e.g. udp://127.0.0.1:{port}"
        ));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some("") => {
            return Err(format!(
                "the port is missing after ':'; write udp://{}:{DEFAULT_PORT} \
                 ({DEFAULT_PORT} is DogStatsD's port)",
                bracket(host)
            ))
        }
        Some(port) => port_number(port).ok_or_else(|| {
            format!(
                "the port {port:?} is not a number from 1 to 65535; write e.g. udp://{}:{DEFAULT_PORT}",
                bracket(host)
            )
        })?,
    };
    Ok(Target::Udp {
        host: host.to_owned(),
        port,
    })
}

/// A host as written before `:port`.
fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug, ConfigError>) -> String {
        result.unwrap_err().to_string()
    }

    fn udp(host: &str, port: u16) -> Target {
        Target::Udp {
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn every_malformed_url_names_the_value_and_what_to_write() {
        let cases = [
            (
                "udp://127.0.0.1:8125/x",
                r#"DD_DOGSTATSD_URL="udp://127.0.0.1:8125/x" is not usable: nothing may follow the host and port ("/x" does); write udp://127.0.0.1:8125"#,
            ),
            (
                "udp://agent:8125?x=1",
                r#"DD_DOGSTATSD_URL="udp://agent:8125?x=1" is not usable: nothing may follow the host and port ("?x=1" does); write udp://agent:8125"#,
            ),
            (
                "localhost:8125",
                r#"DD_DOGSTATSD_URL="localhost:8125" is not usable: it has no scheme; write udp://localhost:8125 (or unix:///path/to/dsd.socket for a Unix socket)"#,
            ),
            (
                "/var/run/datadog/dsd.socket",
                r#"DD_DOGSTATSD_URL="/var/run/datadog/dsd.socket" is not usable: it has no scheme; write unix:///var/run/datadog/dsd.socket for a Unix socket"#,
            ),
            (
                "http://agent:8125",
                r#"DD_DOGSTATSD_URL="http://agent:8125" is not usable: the scheme http:// is not one DogStatsD takes; write udp://agent:8125 (or unix:///path/to/dsd.socket for a Unix socket)"#,
            ),
            (
                "unix://",
                r#"DD_DOGSTATSD_URL="unix://" is not usable: the socket path is missing; write unix:///path/to/dsd.socket (e.g. unix:///var/run/datadog/dsd.socket)"#,
            ),
            (
                "unix://var/run/datadog/dsd.socket",
                r#"DD_DOGSTATSD_URL="unix://var/run/datadog/dsd.socket" is not usable: the socket path must be absolute (three slashes after unix:); write unix:///var/run/datadog/dsd.socket"#,
            ),
            (
                "udp://",
                r#"DD_DOGSTATSD_URL="udp://" is not usable: the host is missing; write udp://host:port, e.g. udp://127.0.0.1:8125"#,
            ),
            (
                "udp://:9125",
                r#"DD_DOGSTATSD_URL="udp://:9125" is not usable: the host is missing; write udp://host:port, e.g. udp://127.0.0.1:9125"#,
            ),
            (
                "udp://agent:",
                r#"DD_DOGSTATSD_URL="udp://agent:" is not usable: the port is missing after ':'; write udp://agent:8125 (8125 is DogStatsD's port)"#,
            ),
            (
                "udp://agent:port",
                r#"DD_DOGSTATSD_URL="udp://agent:port" is not usable: the port "port" is not a number from 1 to 65535; write e.g. udp://agent:8125"#,
            ),
            (
                "udp://agent:0",
                r#"DD_DOGSTATSD_URL="udp://agent:0" is not usable: the port "0" is not a number from 1 to 65535; write e.g. udp://agent:8125"#,
            ),
            (
                "udp://[::1",
                r#"DD_DOGSTATSD_URL="udp://[::1" is not usable: an IPv6 host needs a closing ']'; write udp://[::1]:8125"#,
            ),
            (
                "udp://[::1]8125",
                r#"DD_DOGSTATSD_URL="udp://[::1]8125" is not usable: expected a ':' and the port after ']'; write udp://[::1]:8125"#,
            ),
            (
                "udp://user@agent:8125",
                r#"DD_DOGSTATSD_URL="udp://user@agent:8125" is not usable: udp:// takes no user name; write udp://agent:8125"#,
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(message(parse_url(value)), expected);
        }
    }

    #[test]
    fn usable_urls_are_read_as_before() {
        assert_eq!(
            parse_url("udp://10.0.0.1:9125").unwrap(),
            udp("10.0.0.1", 9125)
        );
        assert_eq!(parse_url("udp://[::1]:8126").unwrap(), udp("::1", 8126));
        assert_eq!(parse_url("udp://[::1]").unwrap(), udp("::1", 8125));
        assert_eq!(parse_url("udp://statsd").unwrap(), udp("statsd", 8125));
        assert_eq!(parse_url("udp://statsd:1/").unwrap(), udp("statsd", 1));
        assert_eq!(
            parse_url("unix:///run/dsd.sock").unwrap(),
            Target::Unix("/run/dsd.sock".into())
        );
    }

    #[test]
    fn an_agent_host_with_a_port_or_a_scheme_says_where_each_part_goes() {
        let cases = [
            (
                "127.0.0.1:8125",
                r#"DD_AGENT_HOST="127.0.0.1:8125" is not usable: it holds a port, which goes in DD_DOGSTATSD_PORT: set DD_AGENT_HOST=127.0.0.1 and DD_DOGSTATSD_PORT=8125 (or DD_DOGSTATSD_URL=udp://127.0.0.1:8125)"#,
            ),
            (
                "[::1]:9125",
                r#"DD_AGENT_HOST="[::1]:9125" is not usable: it holds a port, which goes in DD_DOGSTATSD_PORT: set DD_AGENT_HOST=::1 and DD_DOGSTATSD_PORT=9125 (or DD_DOGSTATSD_URL=udp://[::1]:9125)"#,
            ),
            (
                "udp://agent:8125",
                r#"DD_AGENT_HOST="udp://agent:8125" is not usable: it holds a URL, and a host name or address alone is expected: set DD_DOGSTATSD_URL=udp://agent:8125 instead, or DD_AGENT_HOST to the host alone"#,
            ),
            (
                "agent/x",
                r#"DD_AGENT_HOST="agent/x" is not usable: expected a host name or IP address alone, e.g. DD_AGENT_HOST=datadog-agent"#,
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(message(parse_host(value)), expected);
        }
    }

    #[test]
    fn agent_hosts_alone_are_accepted_ipv6_included() {
        for (value, host) in [
            ("datadog-agent", "datadog-agent"),
            (" 10.0.0.7 ", "10.0.0.7"),
            ("::1", "::1"),
            ("fe80::1:8125", "fe80::1:8125"),
            ("[::1]", "::1"),
        ] {
            assert_eq!(parse_host(value).unwrap(), host);
        }
    }

    #[test]
    fn a_malformed_port_says_what_to_write() {
        assert_eq!(
            message(parse_port("eighty")),
            r#"DD_DOGSTATSD_PORT="eighty" is not usable: expected a port number from 1 to 65535, e.g. DD_DOGSTATSD_PORT=8125"#
        );
        assert_eq!(parse_port(" 9000 ").unwrap(), 9000);
        assert!(parse_port("0").is_err() && parse_port("70000").is_err());
    }
}
