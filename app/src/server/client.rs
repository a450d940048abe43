//! WHO IS CALLING, by network address. The sign-in throttle counts failures by it and the
//! audit log records it. It is the peer of the connection, unless that peer is one of the
//! operator's own proxies (`LASTMILE_TRUSTED_PROXIES`, HAProxy in front of several
//! instances): then it is the address the proxies say called them, read from
//! `X-Forwarded-For` right to left, past each trusted proxy, up to the first address that
//! is not one of them. Whatever a caller writes further left is not believed, so a
//! client cannot choose its address by sending the header itself.

use std::net::IpAddr;

use sqlx::types::ipnetwork::IpNetwork;

/// The client's address for this request, set by the server's middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// Of the request being served, or none outside one.
    pub fn current() -> Option<IpAddr> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| Self::of(&parts.extensions))
    }

    /// From a request's extensions: the address the middleware worked out, or else the
    /// connection's peer.
    pub fn of(extensions: &http::Extensions) -> Option<IpAddr> {
        extensions.get::<ClientAddress>().map(|a| a.0).or_else(|| {
            extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip().to_canonical())
        })
    }
}

/// The operator's proxies, whose `X-Forwarded-For` is believed. None by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNetwork>);

impl TrustedProxies {
    /// A comma-separated list of addresses and networks (`10.0.0.5, 192.168.0.0/24,
    /// fd00::/8`); empty for none.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNetwork>()
                    .map_err(|_| format!("{item:?} is not an address or a network like 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is one of the proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|network| network.contains(ip))
    }

    /// The client's address, given the connection's `peer` and the `X-Forwarded-For`
    /// header's values in the order they came. A hop that is not an address (`unknown`,
    /// or garbage) ends the walk: the last address believed is the client's.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .rev()
        {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = ip.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn proxies_are_addresses_and_networks_separated_by_commas() {
        let proxies = TrustedProxies::parse(" 10.0.0.5, 192.168.0.0/24,,fd00::/8 ").unwrap();
        assert!(proxies.trusts(ip("10.0.0.5")));
        assert!(!proxies.trusts(ip("10.0.0.6")));
        assert!(proxies.trusts(ip("192.168.0.200")));
        assert!(!proxies.trusts(ip("192.168.1.1")));
        assert!(proxies.trusts(ip("fd12::1")));
        // An IPv4 peer seen on a dual-stack listener.
        assert!(proxies.trusts(ip("::ffff:10.0.0.5")));
        assert_eq!(TrustedProxies::parse(""), Ok(TrustedProxies::default()));
        assert_eq!(
            TrustedProxies::parse("10.0.0.5, haproxy"),
            Err("\"haproxy\" is not an address or a network like 10.0.0.0/8".to_string())
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_a_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("198.51.100.9"), &["203.0.113.7"]),
            ip("198.51.100.9")
        );
        let proxies = TrustedProxies::parse("10.0.0.5").unwrap();
        assert_eq!(
            proxies.client(ip("198.51.100.9"), &["203.0.113.7"]),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn the_client_is_the_first_address_from_the_right_that_is_not_a_proxy() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // HAProxy appended the address that called it.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        // The caller wrote an address of its own in front: not believed.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["192.0.2.1, 203.0.113.7"]),
            ip("203.0.113.7")
        );
        // Two proxies of ours, the header sent twice.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["192.0.2.1, 203.0.113.7", "10.1.2.3"]),
            ip("203.0.113.7")
        );
        // A hop that is not an address ends the walk at the last address believed.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["203.0.113.7, unknown"]),
            ip("10.0.0.5")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["203.0.113.7:4711"]),
            ip("10.0.0.5")
        );
        // No header: the proxy itself.
        assert_eq!(proxies.client(ip("10.0.0.5"), &[]), ip("10.0.0.5"));
        // IPv6, and an IPv4 client written as IPv6.
        assert_eq!(
            proxies.client(ip("::ffff:10.0.0.5"), &["2001:db8::7"]),
            ip("2001:db8::7")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["::ffff:203.0.113.7"]),
            ip("203.0.113.7")
        );
    }
}
