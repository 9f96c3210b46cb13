//! HAProxy in front of several `hc-cloud` instances, as in production (`docs/operations.md`):
//! it terminates TLS with the test CA's certificate, balances round-robin over the instances'
//! plain-HTTP ports, takes an instance out of rotation while its `/readyz` fails, and appends the
//! client's address to `X-Forwarded-For`. It connects to the instances from its own loopback
//! address ([`PROXY_SOURCE`]), the one address the instances trust (`--trusted-proxy`), so the
//! clients (127.0.0.1 and others) and the proxy are told apart.
//!
//! Debian's `haproxy` package (`scripts/install-test-deps.sh` installs it). Without it the tests
//! that need it are skipped with a note, unless `CI` is set: then they fail.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TestCa;

/// The address HAProxy connects to the instances from.
pub const PROXY_SOURCE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9));

/// The `haproxy` binary, or `None` (after printing why) when it is not installed and `CI` is not
/// set; with `CI` set a missing HAProxy is a failure, never a silent skip.
pub fn binary() -> Option<PathBuf> {
    let found = std::env::var_os("HC_TEST_HAPROXY")
        .map(PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH").unwrap_or_default();
            std::env::split_paths(&path)
                .chain([PathBuf::from("/usr/sbin")])
                .map(|dir| dir.join("haproxy"))
                .find(|candidate| candidate.is_file())
        });
    match found {
        Some(path) => Some(path),
        None if std::env::var_os("CI").is_some() => {
            panic!("HAProxy is required when CI is set (apt-get install haproxy)")
        }
        None => {
            eprintln!("SKIPPED: HAProxy tests (no haproxy binary; apt-get install haproxy)");
            None
        }
    }
}

/// A running HAProxy; stopped when dropped.
pub struct HaProxy {
    child: Child,
    url: String,
}

/// The error answers HAProxy writes itself, in the API's JSON error format, so a phone reads
/// them like the cloud's own: no instance reachable (503, nothing was done: try again), an
/// instance that broke off (502) or did not answer in time (504).
const ERROR_PAGES: [(u16, &str, &str); 3] = [
    (502, "Bad Gateway", "an instance broke off; try again"),
    (
        503,
        "Service Unavailable",
        "no instance available; try again",
    ),
    (
        504,
        "Gateway Timeout",
        "an instance did not answer in time; try again",
    ),
];

impl HaProxy {
    /// Starts HAProxy on a free port of 127.0.0.1 in front of `instances`, its files in `dir`, and
    /// waits until it answers `/readyz` through at least one instance.
    pub async fn start(
        binary: &Path,
        dir: &Path,
        ca: &TestCa,
        instances: &[SocketAddr],
    ) -> HaProxy {
        let pem = dir.join("haproxy.pem");
        let cert = std::fs::read_to_string(&ca.cert_path).unwrap();
        let key = std::fs::read_to_string(&ca.key_path).unwrap();
        std::fs::write(&pem, cert + &key).unwrap();
        let mut error_files = String::new();
        for (status, reason, message) in ERROR_PAGES {
            let body =
                format!(r#"{{"error":{{"code":"unavailable","message":"{message}"}}}}"#) + "\n";
            let page = dir.join(format!("{status}.http"));
            std::fs::write(
                &page,
                format!(
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
                     Retry-After: 1\r\nCache-Control: no-cache\r\nConnection: close\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                ),
            )
            .unwrap();
            error_files += &format!("    errorfile {status} {}\n", page.display());
        }
        let port = free_port();
        let servers: String = instances
            .iter()
            .enumerate()
            .map(|(i, addr)| format!("    server cloud{} {addr}\n", i + 1))
            .collect();
        let config = format!(
            "global\n\
             \x20   maxconn 2000\n\
             defaults\n\
             \x20   mode http\n\
             \x20   timeout connect 1s\n\
             \x20   timeout client 30s\n\
             \x20   timeout server 30s\n\
             \x20   timeout http-request 10s\n\
             \x20   option forwardfor\n\
             \x20   retries 3\n\
             \x20   option redispatch 1\n\
             \x20   retry-on conn-failure empty-response response-timeout\n\
             {error_files}\
             frontend public\n\
             \x20   bind 127.0.0.1:{port} ssl crt {pem} alpn h2,http/1.1\n\
             \x20   default_backend cloud\n\
             backend cloud\n\
             \x20   balance roundrobin\n\
             \x20   option httpchk GET /readyz\n\
             \x20   http-check expect status 200\n\
             \x20   default-server check inter 200ms fall 1 rise 1 source {source}\n\
             {servers}",
            pem = pem.display(),
            source = PROXY_SOURCE,
        );
        let config_path = dir.join("haproxy.cfg");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.join("haproxy.log")).unwrap();
        let child = Command::new(binary)
            .arg("-db")
            .arg("-f")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        let proxy = HaProxy {
            child,
            url: format!("https://127.0.0.1:{port}"),
        };
        proxy.wait_until_serving(dir, ca).await;
        proxy
    }

    /// `https://127.0.0.1:PORT`, the public address phones and NVRs use.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn wait_until_serving(&self, dir: &Path, ca: &TestCa) {
        let client = client(ca, None);
        let deadline = Instant::now() + Duration::from_secs(15);
        let url = format!("{}/readyz", self.url);
        loop {
            let answered = client.get(&url).send().await;
            if answered.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join("haproxy.log")).unwrap_or_default();
                panic!("HAProxy did not serve {url} in time; its log:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client of the proxy that trusts the test CA, from `local` (another loopback address is
/// another client).
pub fn client(ca: &TestCa, local: Option<IpAddr>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.ca_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(30));
    if let Some(local) = local {
        builder = builder.local_address(local);
    }
    builder.build().unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
