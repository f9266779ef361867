//! The server under test, pinned to a loopback address.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use anyhow::{bail, Context, Result};
use hyper::header::HeaderValue;
use url::{Host, Url};

#[derive(Debug)]
pub struct Target {
    /// The base URL as given, for the report.
    pub base: String,
    pub addr: SocketAddr,
    /// Sent verbatim: hyper's bare connection API does not add `Host`.
    pub host_header: HeaderValue,
    /// Path of the base URL without a trailing slash ("" for the root).
    pub path_prefix: String,
}

impl Target {
    /// Parses `base` and resolves it, refusing anything that is not this machine.
    pub fn resolve(base: &str) -> Result<Self> {
        let url = Url::parse(base).with_context(|| format!("invalid --base URL '{base}'"))?;
        if url.scheme() != "http" {
            bail!("--base must use http:// (got '{}://'); TLS is not supported against loopback", url.scheme());
        }
        if !url.username().is_empty() || url.password().is_some() {
            bail!("--base must not carry credentials; use --key");
        }
        if url.query().is_some() || url.fragment().is_some() {
            bail!("--base must not have a query or fragment");
        }
        let host = url.host().context("--base has no host")?;
        if !is_loopback_host(&host) {
            bail!("refusing --base host '{host}': load tests may only target loopback (127.0.0.0/8, ::1, localhost)");
        }
        let port = url.port_or_known_default().context("--base has no port")?;
        let addr = match host {
            Host::Ipv4(ip) => SocketAddr::new(IpAddr::V4(ip), port),
            Host::Ipv6(ip) => SocketAddr::new(IpAddr::V6(ip), port),
            Host::Domain(name) => resolve_loopback_name(name, port)?,
        };

        let host_str = url.host_str().context("--base has no host")?;
        let host_header = match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_owned(),
        };
        let host_header = HeaderValue::from_str(&host_header)
            .with_context(|| format!("cannot send '{host_header}' as a Host header"))?;

        Ok(Self { base: base.to_owned(), addr, host_header, path_prefix: url.path().trim_end_matches('/').to_owned() })
    }
}

/// True for 127.0.0.0/8, ::1 (also IPv4-mapped) and the name `localhost`.
/// Other names are refused even if they resolve to loopback, because what a
/// name resolves to can change between this check and the connection.
pub fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Host::Domain(name) => name.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// `localhost` normally maps to loopback, but /etc/hosts is editable, so every
/// answer is checked rather than trusting the name.
fn resolve_loopback_name(name: &str, port: u16) -> Result<SocketAddr> {
    // /etc/hosts lists "localhost", not the fully qualified "localhost.".
    let name = name.trim_end_matches('.');
    let addrs: Vec<SocketAddr> =
        (name, port).to_socket_addrs().with_context(|| format!("cannot resolve '{name}'"))?.collect();
    if let Some(bad) = addrs.iter().find(|a| !a.ip().is_loopback()) {
        bail!("refusing '{name}': it resolves to non-loopback address {}", bad.ip());
    }
    // Servers commonly bind 127.0.0.1 only, so IPv4 is the likelier listener.
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .with_context(|| format!("'{name}' resolved to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(base: &str) -> bool {
        Target::resolve(base).is_ok()
    }

    #[test]
    fn loopback_only() {
        assert!(allowed("http://127.0.0.1:8080"));
        assert!(allowed("http://127.8.9.10:8080/"));
        assert!(allowed("http://[::1]:8080"));
        assert!(allowed("http://[::ffff:127.0.0.1]:8080"));
        assert!(allowed("http://localhost:8080"));
        assert!(allowed("http://LOCALHOST.:8080"));

        assert!(!allowed("http://10.0.0.1:8080"));
        assert!(!allowed("http://192.168.1.5:8080"));
        assert!(!allowed("http://128.0.0.1:8080"));
        assert!(!allowed("http://0.0.0.0:8080"));
        assert!(!allowed("http://[::2]:8080"));
        assert!(!allowed("http://example.com:8080"));
        assert!(!allowed("http://localhost.example.com:8080"));
        assert!(!allowed("http://127.0.0.1.nip.io:8080"));
        assert!(!allowed("https://127.0.0.1:8443"));
        assert!(!allowed("http://user:pw@127.0.0.1:8080"));
        assert!(!allowed("not a url"));
    }

    #[test]
    fn host_header_and_prefix() -> Result<()> {
        let t = Target::resolve("http://127.0.0.1:8080/api/")?;
        assert_eq!(t.addr, "127.0.0.1:8080".parse::<SocketAddr>()?);
        assert_eq!(t.host_header, "127.0.0.1:8080");
        assert_eq!(t.path_prefix, "/api");

        let t = Target::resolve("http://[::1]")?;
        assert_eq!(t.addr.port(), 80);
        assert_eq!(t.host_header, "[::1]");
        assert_eq!(t.path_prefix, "");
        Ok(())
    }
}
