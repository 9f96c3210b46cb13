//! Who the client is when the cloud stands behind a proxy: `X-Forwarded-For`, believed only from
//! the proxies an operator names (`--trusted-proxy`).
//!
//! A TLS-terminating proxy (HAProxy's `option forwardfor`) appends the address it accepted the
//! connection from to the request's `X-Forwarded-For`. Everything to the left of that entry came
//! from the client and may be made up, so the rule is: start from the TCP peer; while the address
//! in hand is a trusted proxy, step one entry left in `X-Forwarded-For` (the entry that proxy
//! appended). The first address that is not a trusted proxy is the client. A peer that is not a
//! trusted proxy is the client whatever it sends, so a direct client cannot forge its address,
//! and through one proxy only the right-most entry counts.
//!
//! `X-Forwarded-For` rather than the PROXY protocol: it travels with each request, so the proxy
//! may keep a pool of connections to each instance shared by all clients (the PROXY header names
//! one client per connection, which ends connection reuse), the cloud's port keeps speaking plain
//! HTTP to health checks and operators' `curl`, and the rule above is the whole parser.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client's address as the cloud believes it, put in each request's extensions by the server
/// (read by [`crate::extract::ClientAddr`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The proxies whose `X-Forwarded-For` is believed. Empty (the default): none, every client is
/// its TCP peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `--trusted-proxy` entry that is neither an address nor a CIDR block.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or a CIDR block such as 10.0.0.0/8 or fd00::/8")]
pub struct BadProxy(pub String);

/// One `--trusted-proxy` entry: `10.1.2.3`, `10.0.0.0/8`, `fd00::/8`.
pub fn parse_proxy(text: &str) -> Result<IpNet, BadProxy> {
    let text = text.trim();
    IpNet::from_str(text)
        .map(|net| net.trunc())
        .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
        .map_err(|_| BadProxy(text.to_owned()))
}

impl TrustedProxies {
    pub fn new(proxies: impl IntoIterator<Item = IpNet>) -> Self {
        TrustedProxies(proxies.into_iter().collect())
    }

    /// Parses a comma-separated list, as `HC_CLOUD_TRUSTED_PROXY` holds it.
    pub fn parse(list: &str) -> Result<Self, BadProxy> {
        list.split(',')
            .filter(|entry| !entry.trim().is_empty())
            .map(parse_proxy)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn blocks(&self) -> &[IpNet] {
        &self.0
    }

    pub fn trusts(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// The client of a request that arrived from `peer` with `headers` (see the module's rule).
    /// An entry that does not parse ends the walk at the proxy that passed it on: a trusted
    /// proxy writes well-formed entries, so anything else is not to be believed.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let lines = headers.get_all("x-forwarded-for").iter().rev();
        for line in lines {
            let Ok(line) = line.to_str() else {
                return client;
            };
            for entry in line.rsplit(',') {
                match parse_entry(entry) {
                    Some(hop) => {
                        client = hop;
                        if !self.trusts(hop) {
                            return client;
                        }
                    }
                    None => return client,
                }
            }
        }
        client
    }
}

/// `203.0.113.7`, `2001:db8::1`, and the forms with a port some proxies write (`203.0.113.7:4711`,
/// `[2001:db8::1]:4711`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(addr) = IpAddr::from_str(entry) {
        return Some(addr.to_canonical());
    }
    std::net::SocketAddr::from_str(entry)
        .ok()
        .map(|addr| addr.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append("x-forwarded-for", HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    fn haproxy() -> TrustedProxies {
        TrustedProxies::parse("127.0.0.9, 10.0.0.0/8").unwrap()
    }

    #[test]
    fn a_direct_client_is_its_socket_address_whatever_it_claims() {
        let claims = forwarded(&["198.51.100.1", "203.0.113.5"]);
        assert_eq!(
            haproxy().client_ip(ip("192.0.2.44"), &claims),
            ip("192.0.2.44")
        );
        // Without any trusted proxy nobody's header counts, not even a proxy's.
        assert_eq!(
            TrustedProxies::default().client_ip(ip("127.0.0.9"), &claims),
            ip("127.0.0.9")
        );
    }

    #[test]
    fn through_the_proxy_only_the_entry_it_appended_counts() {
        // The client forged two entries; HAProxy appended the real one on a line of its own.
        let headers = forwarded(&["198.51.100.1, 198.51.100.2", "192.0.2.44"]);
        assert_eq!(
            haproxy().client_ip(ip("127.0.0.9"), &headers),
            ip("192.0.2.44")
        );
        // The same in one comma-joined line.
        let headers = forwarded(&["198.51.100.1, 198.51.100.2, 192.0.2.44"]);
        assert_eq!(
            haproxy().client_ip(ip("127.0.0.9"), &headers),
            ip("192.0.2.44")
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop() {
        let headers = forwarded(&["198.51.100.1, 192.0.2.44, 10.1.2.3"]);
        assert_eq!(
            haproxy().client_ip(ip("127.0.0.9"), &headers),
            ip("192.0.2.44")
        );
    }

    #[test]
    fn a_proxy_without_a_usable_entry_is_the_client() {
        assert_eq!(
            haproxy().client_ip(ip("127.0.0.9"), &HeaderMap::new()),
            ip("127.0.0.9")
        );
        let garbage = forwarded(&["192.0.2.44, not-an-address"]);
        assert_eq!(
            haproxy().client_ip(ip("127.0.0.9"), &garbage),
            ip("127.0.0.9")
        );
    }

    #[test]
    fn ports_and_mapped_addresses_are_understood() {
        let headers = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(
            haproxy().client_ip(ip("::ffff:127.0.0.9"), &headers),
            ip("2001:db8::7")
        );
        let headers = forwarded(&["::ffff:192.0.2.44:80"]);
        assert_eq!(
            haproxy().client_ip(ip("127.0.0.9"), &headers),
            ip("127.0.0.9"),
            "an IPv6 address with a bare port is ambiguous: not believed"
        );
        let headers = forwarded(&["192.0.2.44:80"]);
        assert_eq!(
            haproxy().client_ip(ip("127.0.0.9"), &headers),
            ip("192.0.2.44")
        );
    }

    #[test]
    fn proxies_are_addresses_or_cidr_blocks() {
        let proxies = TrustedProxies::parse("127.0.0.1,10.0.0.0/8 , fd00::/8").unwrap();
        assert_eq!(proxies.blocks().len(), 3);
        assert!(proxies.trusts(ip("10.200.0.1")));
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(!proxies.trusts(ip("11.0.0.1")));
        assert_eq!(parse_proxy("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/33"),
            Err(BadProxy("10.0.0.0/33".into()))
        );
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }
}
