//! What every example does when no agent is configured: be its own agent on
//! a loopback UDP port, so a new user sees the datagrams with nothing
//! installed. Shared by the examples; not an example itself.

use std::io;
use std::net::UdpSocket;
use std::time::Duration;

use cadence::UdpMetricSink;
use collector_runtime::Client;

/// A loopback socket the global client sends to, when no `DD_*` variable
/// points at a real agent.
pub(crate) struct LocalAgent {
    listener: Option<UdpSocket>,
}

impl LocalAgent {
    /// With `DD_DOGSTATSD_URL`, `DD_AGENT_HOST` or `DD_DOGSTATSD_PORT` set,
    /// does nothing: the global client is built from them. Otherwise binds a
    /// loopback port and makes the global client send there.
    pub(crate) fn start() -> io::Result<LocalAgent> {
        let agent_configured = ["DD_DOGSTATSD_URL", "DD_AGENT_HOST", "DD_DOGSTATSD_PORT"]
            .iter()
            .any(|var| std::env::var_os(var).is_some());
        if agent_configured {
            return Ok(LocalAgent { listener: None });
        }
        let listener = UdpSocket::bind("127.0.0.1:0")?;
        let sink = UdpMetricSink::from(listener.local_addr()?, UdpSocket::bind("127.0.0.1:0")?)
            .map_err(io::Error::other)?;
        collector_runtime::set_global_client(Client::new(sink));
        Ok(LocalAgent {
            listener: Some(listener),
        })
    }

    /// Prints every datagram received until none has come for 300 ms.
    pub(crate) fn print_received(&self) -> io::Result<()> {
        let Some(listener) = &self.listener else {
            println!("sent to the agent configured by DD_* variables");
            return Ok(());
        };
        listener.set_read_timeout(Some(Duration::from_millis(300)))?;
        let mut buf = [0u8; 65_536];
        while let Ok(n) = listener.recv(&mut buf) {
            println!("received datagram:");
            for line in String::from_utf8_lossy(&buf[..n]).lines() {
                println!("  {line}");
            }
        }
        Ok(())
    }
}
