//! Where webhooks may go. In live mode a tenant URL must not reach into our
//! own network: loopback, private, link-local (cloud metadata lives at
//! 169.254.169.254), carrier-grade NAT, multicast and unspecified addresses
//! are refused, after DNS resolution, at creation and again at each delivery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutboundError {
    #[error("the URL must be an absolute http(s) URL")]
    BadUrl,
    #[error("the host could not be resolved")]
    Unresolvable,
    #[error("the host resolves to a non-public address ({0})")]
    NonPublic(IpAddr),
}

fn v4_public(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || o[0] >= 240
        || (o[0] == 100 && (64..128).contains(&o[1]))
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19)))
}

fn v6_public(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_public(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    // Addresses that carry an IPv4 address inside: judge that address.
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return v4_public(embedded(s[6], s[7])); // IPv4-compatible ::a.b.c.d
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_public(embedded(s[6], s[7])); // NAT64
    }
    if s[0] == 0x2002 {
        return v4_public(embedded(s[1], s[2])); // 6to4
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0)
}

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_public(v4),
        IpAddr::V6(v6) => v6_public(v6),
    }
}

/// Checks `url`; with `allow_private` only its shape is checked.
pub async fn check_destination(url: &str, allow_private: bool) -> Result<(), OutboundError> {
    let u = url::Url::parse(url).map_err(|_| OutboundError::BadUrl)?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() || !u.username().is_empty() {
        return Err(OutboundError::BadUrl);
    }
    if allow_private {
        return Ok(());
    }
    let host = u.host_str().ok_or(OutboundError::BadUrl)?.trim_start_matches('[').trim_end_matches(']');
    let port = u.port_or_known_default().unwrap_or(443);
    let addrs: Vec<_> = tokio::net::lookup_host((host, port)).await.map_err(|_| OutboundError::Unresolvable)?.collect();
    if addrs.is_empty() {
        return Err(OutboundError::Unresolvable);
    }
    match addrs.iter().find(|a| !is_public(a.ip())) {
        Some(a) => Err(OutboundError::NonPublic(a.ip())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
        ] {
            assert!(!is_public(bad.parse().expect("ip")), "{bad}");
        }
        for good in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::"] {
            assert!(is_public(good.parse().expect("ip")), "{good}");
        }
    }

    #[tokio::test]
    async fn refuses_loopback_unless_allowed() {
        assert_eq!(
            check_destination("http://127.0.0.1:9/x", false).await,
            Err(OutboundError::NonPublic("127.0.0.1".parse().expect("ip")))
        );
        assert!(check_destination("http://localhost:9/x", false).await.is_err());
        assert_eq!(check_destination("http://127.0.0.1:9/x", true).await, Ok(()));
        assert_eq!(check_destination("ftp://example.com/", true).await, Err(OutboundError::BadUrl));
        assert_eq!(check_destination("http://user:pw@example.com/", true).await, Err(OutboundError::BadUrl));
    }
}
