//! DNS pinning for live-mode deliveries. `check_destination` vets a URL's
//! addresses before each POST, but the HTTP client resolves the name again
//! when it connects, and a rebinding DNS server can answer with a private
//! address the second time. The live-mode client resolves through this
//! resolver instead, which drops every non-public address, so a connection
//! can only go where the check would have allowed. (IP-literal URLs are not
//! resolved at all; `check_destination` has already judged the literal.)

use crate::outbound::is_public;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("the host could not be resolved")]
    Lookup(#[source] std::io::Error),
    #[error("the host resolves to no public address")]
    NoPublicAddress,
}

/// Resolves with the system resolver (through tokio) and keeps only public
/// addresses.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnlyResolver;

impl PublicOnlyResolver {
    /// The public addresses of `host` (port 0: the client fills it in).
    pub async fn lookup(host: &str) -> Result<Vec<SocketAddr>, ResolveError> {
        let addrs = tokio::net::lookup_host((host, 0)).await.map_err(ResolveError::Lookup)?;
        let public: Vec<SocketAddr> = addrs.filter(|a| is_public(a.ip())).collect();
        if public.is_empty() {
            return Err(ResolveError::NoPublicAddress);
        }
        Ok(public)
    }
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = Self::lookup(&host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The resolver's verdict if it is what failed `e`, for the delivery log.
pub(crate) fn refused_by_resolver(e: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<ResolveError>() {
            return Some(r.to_string());
        }
        cause = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn keeps_only_public_addresses() {
        assert!(matches!(PublicOnlyResolver::lookup("localhost").await, Err(ResolveError::NoPublicAddress)));
        assert!(matches!(PublicOnlyResolver::lookup("127.0.0.1").await, Err(ResolveError::NoPublicAddress)));
        assert!(matches!(PublicOnlyResolver::lookup("169.254.169.254").await, Err(ResolveError::NoPublicAddress)));
        assert!(matches!(PublicOnlyResolver::lookup("::1").await, Err(ResolveError::NoPublicAddress)));
        let got = PublicOnlyResolver::lookup("8.8.8.8").await.expect("a public literal passes");
        assert_eq!(got, vec!["8.8.8.8:0".parse::<SocketAddr>().expect("addr")]);
        assert!(matches!(PublicOnlyResolver::lookup("no-such-host.invalid").await, Err(ResolveError::Lookup(_))));
    }

    /// An HTTP server on loopback that answers 200 to anything.
    async fn loopback_server() -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = l.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn the_pinned_client_cannot_reach_a_name_that_resolves_privately() {
        let port = loopback_server().await;
        // "localhost" stands in for a rebinding name: whatever was checked
        // before, at connect time it resolves to loopback.
        let url = format!("http://localhost:{port}/hook");
        let cfg = crate::DispatcherConfig::default();
        let lenient = crate::dispatcher::http_client(&cfg, false).expect("client");
        assert_eq!(lenient.post(&url).send().await.expect("lenient client connects").status(), 200);
        let pinned = crate::dispatcher::http_client(&cfg, true).expect("client");
        let err = pinned.post(&url).send().await.expect_err("pinned client refuses");
        assert_eq!(refused_by_resolver(&err).as_deref(), Some("the host resolves to no public address"));
    }
}
