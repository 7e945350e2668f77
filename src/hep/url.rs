//! `udp:HOST:PORT` and `tcp:HOST:PORT`, as `-H` and `-L` take them: parsed
//! and resolved once, at start, so a mistake is said before any capture.

use std::net::{SocketAddr, ToSocketAddrs};

/// How packets travel to or from the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    Udp,
    Tcp,
}

/// What the URL is for: the words of a mistake differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `-H`: the collector to send to.
    Send,
    /// `-L`: where to listen; the address must be written out.
    Listen,
}

/// A parsed and resolved URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub carrier: Carrier,
    pub addr: SocketAddr,
    /// As the user wrote it, for messages.
    pub url: String,
}

impl Target {
    /// Parses and resolves `url` for `role`.
    ///
    /// # Errors
    /// A message in words: the scheme, the port, a missing address, or a
    /// name that does not resolve.
    pub fn parse_for(url: &str, role: Role) -> Result<Self, String> {
        let (scheme, rest) = url
            .split_once(':')
            .ok_or_else(|| format!("{url}: write udp:HOST:PORT or tcp:HOST:PORT"))?;
        let carrier = match scheme.to_ascii_lowercase().as_str() {
            "udp" => Carrier::Udp,
            "tcp" => Carrier::Tcp,
            "tls" if role == Role::Send => {
                return Err(format!(
                    "{url}: HEP over TLS is not supported yet: use tcp: through a TLS tunnel (stunnel), or udp:"
                ));
            }
            _ => return Err(format!("{url}: the scheme is udp: or tcp:")),
        };
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| match role {
            Role::Send => format!("{url}: no port (udp:HOST:PORT)"),
            Role::Listen => format!("{url}: say where to listen: udp:127.0.0.1:9060"),
        })?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{url}: '{port}' is not a port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(match role {
                Role::Send => format!("{url}: no host"),
                Role::Listen => format!(
                    "{url}: say which address to listen on (udp:127.0.0.1:{port}; all of them only when written out: udp:0.0.0.0:{port})"
                ),
            });
        }
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("{url}: '{host}' does not resolve: {e}"))?
            .next()
            .ok_or_else(|| format!("{url}: '{host}' has no address"))?;
        Ok(Self {
            carrier,
            addr,
            url: url.to_owned(),
        })
    }

    /// Parses and resolves a collector's URL (`-H`).
    ///
    /// # Errors
    /// As [`Target::parse_for`].
    pub fn parse(url: &str) -> Result<Self, String> {
        Self::parse_for(url, Role::Send)
    }
}
