//! Network policy beyond WasmEdge: `--allow-connect` and `--allow-listen`.
//!
//! Without any rule everything is allowed, exactly like WasmEdge. Once any
//! rule is given, `sock_connect`, `sock_send_to` (to an explicit address) and
//! `sock_bind` are checked: an address matching no rule of its kind gets
//! `ACCES` and one line on stderr naming it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::str::FromStr;

use crate::errno::Errno;

/// A rule that is malformed (the command line refuses it) or names a host
/// that does not resolve (reported at start, exit status 1).
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("`{0}` is not HOST:PORT (use [IPv6]:PORT for IPv6, `*` for any port)")]
    Syntax(String),
    #[error("`{rule}`: bad port `{port}` (expected 0-65535 or `*`)")]
    Port { rule: String, port: String },
    #[error("`{rule}`: bad prefix length `{prefix}`")]
    Prefix { rule: String, prefix: String },
    #[error("`{rule}`: cannot resolve host `{host}`")]
    Resolve { rule: String, host: String, source: std::io::Error },
}

/// A rule as written, `HOST:PORT`, its syntax checked: HOST is `*`, an IP,
/// a CIDR (`10.0.0.0/8`, `[fd00::/8]`) or a host name, PORT a number or
/// `*`. Host names are looked up only by [`RuleSpec::resolve`], at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    text: String,
    host: RuleHost,
    /// `None` = any port.
    port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RuleHost {
    Any,
    Network { ip: IpAddr, prefix: u8 },
    Name(String),
}

impl FromStr for RuleSpec {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, RuleError> {
        let syntax = || RuleError::Syntax(text.to_string());
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(syntax)?;
            let port = after.strip_prefix(':').ok_or_else(syntax)?;
            (host, port)
        } else {
            text.rsplit_once(':').ok_or_else(syntax)?
        };
        if host.is_empty() {
            return Err(syntax());
        }
        let port = match port {
            "*" => None,
            p => Some(
                p.parse::<u16>()
                    .map_err(|_| RuleError::Port { rule: text.to_string(), port: p.to_string() })?,
            ),
        };
        let spec = |host| RuleSpec { text: text.to_string(), host, port };
        if host == "*" {
            return Ok(spec(RuleHost::Any));
        }
        let (addr_text, prefix_text) = match host.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (host, None),
        };
        if let Ok(ip) = addr_text.parse::<IpAddr>() {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix_text {
                None => max,
                Some(p) => match p.parse::<u8>() {
                    Ok(n) if n <= max => n,
                    _ => return Err(RuleError::Prefix { rule: text.to_string(), prefix: p.to_string() }),
                },
            };
            return Ok(spec(RuleHost::Network { ip, prefix }));
        }
        if prefix_text.is_some() {
            return Err(syntax());
        }
        Ok(spec(RuleHost::Name(host.to_string())))
    }
}

impl fmt::Display for RuleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl RuleSpec {
    /// The networks this rule allows: `*` is every IPv4 and IPv6 address, a
    /// host name one rule per address it resolves to now.
    pub fn resolve(&self) -> Result<Vec<AddrRule>, RuleError> {
        let port = self.port;
        let name = match &self.host {
            RuleHost::Any => {
                return Ok(vec![
                    AddrRule::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0, port),
                    AddrRule::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0, port),
                ])
            }
            RuleHost::Network { ip, prefix } => return Ok(vec![AddrRule::new(*ip, *prefix, port)]),
            RuleHost::Name(name) => name,
        };
        let resolved = (name.as_str(), port.unwrap_or(0))
            .to_socket_addrs()
            .map_err(|source| RuleError::Resolve { rule: self.text.clone(), host: name.clone(), source })?;
        let mut rules: Vec<AddrRule> = Vec::new();
        for addr in resolved {
            let ip = canonical(addr.ip());
            let rule = AddrRule::new(ip, if ip.is_ipv4() { 32 } else { 128 }, port);
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        Ok(rules)
    }
}

/// One allowed network (address + prefix length) and port (`None` = any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrRule {
    network: IpAddr,
    prefix: u8,
    port: Option<u16>,
}

impl AddrRule {
    fn new(network: IpAddr, prefix: u8, port: Option<u16>) -> Self {
        AddrRule { network: canonical(network), prefix, port }
    }

    /// Whether `addr` lies in this rule's network and port.
    pub fn matches(&self, addr: &SocketAddr) -> bool {
        if self.port.is_some_and(|p| p != addr.port()) {
            return false;
        }
        match (self.network, canonical(addr.ip())) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_matches(&net.octets(), &ip.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_matches(&net.octets(), &ip.octets(), self.prefix),
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses are treated as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

fn prefix_matches(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    if net[..full] != ip[..full] {
        return false;
    }
    let rest = prefix % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xFFu8 << (8 - rest);
    net[full] & mask == ip[full] & mask
}

/// What a denied call was trying to do (for the log line).
#[derive(Clone, Copy, Debug)]
pub enum Action {
    Connect,
    Listen,
}

/// Denials logged one by one before the log goes quiet.
pub const MAX_DENIAL_LOGS: u64 = 100;

/// The policy for one run.
#[derive(Default, Debug)]
pub struct SandboxPolicy {
    /// Whether any rule was given (no rules: allow everything, like WasmEdge).
    enabled: bool,
    connect: Vec<AddrRule>,
    listen: Vec<AddrRule>,
    /// Denials so far, to cap the log.
    denials: u64,
}

impl SandboxPolicy {
    /// Builds the policy from the `--allow-connect` / `--allow-listen`
    /// rules, resolving host names now.
    pub fn from_rules(connect: &[RuleSpec], listen: &[RuleSpec]) -> Result<Self, RuleError> {
        let mut policy =
            SandboxPolicy { enabled: !connect.is_empty() || !listen.is_empty(), ..SandboxPolicy::default() };
        for rule in connect {
            policy.connect.extend(rule.resolve()?);
        }
        for rule in listen {
            policy.listen.extend(rule.resolve()?);
        }
        Ok(policy)
    }

    /// `Ok` if allowed; otherwise logs one line and returns `ACCES`. `None`
    /// is an address that is not IP (AF_UNIX), which no rule allows. A guest
    /// retrying in a loop cannot flood stderr: after [`MAX_DENIAL_LOGS`]
    /// lines, one more says that further denials are not logged.
    pub fn check(&mut self, action: Action, addr: Option<SocketAddr>) -> Result<(), Errno> {
        if !self.enabled {
            return Ok(());
        }
        let (rules, verb, flag) = match action {
            Action::Connect => (&self.connect, "connect to", "--allow-connect"),
            Action::Listen => (&self.listen, "bind to", "--allow-listen"),
        };
        if let Some(addr) = addr {
            if rules.iter().any(|r| r.matches(&addr)) {
                return Ok(());
            }
        }
        self.denials += 1;
        if self.denials <= MAX_DENIAL_LOGS {
            match addr {
                Some(addr) => eprintln!("edge-host: denied {verb} {addr}: not allowed by {flag}"),
                None => eprintln!("edge-host: denied {verb} a non-IP address: not allowed by {flag}"),
            }
        } else if self.denials == MAX_DENIAL_LOGS + 1 {
            eprintln!("edge-host: more denied network calls; not logging them any further");
        }
        Err(Errno::ACCES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn parse(s: &str) -> Result<Vec<AddrRule>, RuleError> {
        s.parse::<RuleSpec>()?.resolve()
    }

    fn rule(s: &str) -> AddrRule {
        let mut rules = parse(s).unwrap();
        assert_eq!(rules.len(), 1, "{s}");
        rules.remove(0)
    }

    #[test]
    fn exact_address_and_port() {
        let r = rule("127.0.0.1:5432");
        assert!(r.matches(&addr("127.0.0.1:5432")));
        assert!(!r.matches(&addr("127.0.0.1:5433")));
        assert!(!r.matches(&addr("127.0.0.2:5432")));
    }

    #[test]
    fn cidr_and_wildcard_port() {
        let r = rule("10.0.0.0/8:*");
        assert!(r.matches(&addr("10.200.1.2:1")));
        assert!(!r.matches(&addr("11.0.0.1:1")));
        let r = rule("192.168.1.128/25:80");
        assert!(r.matches(&addr("192.168.1.200:80")));
        assert!(!r.matches(&addr("192.168.1.100:80")));
    }

    #[test]
    fn ipv6_in_brackets_with_and_without_prefix() {
        let r = rule("[::1]:8080");
        assert!(r.matches(&addr("[::1]:8080")));
        assert!(!r.matches(&addr("127.0.0.1:8080")));
        let r = rule("[fd00::/8]:*");
        assert!(r.matches(&addr("[fd12::3]:9")));
        assert!(!r.matches(&addr("[fe80::1]:9")));
    }

    #[test]
    fn v4_mapped_v6_matches_v4_rules() {
        let r = rule("127.0.0.0/8:80");
        assert!(r.matches(&addr("[::ffff:127.0.0.5]:80")));
    }

    #[test]
    fn star_host_allows_every_address() {
        let rules = parse("*:443").unwrap();
        assert!(rules.iter().any(|r| r.matches(&addr("8.8.8.8:443"))));
        assert!(rules.iter().any(|r| r.matches(&addr("[2001:db8::1]:443"))));
        assert!(!rules.iter().any(|r| r.matches(&addr("8.8.8.8:80"))));
    }

    #[test]
    fn host_names_resolve_when_the_policy_is_built() {
        let spec: RuleSpec = "localhost:6379".parse().unwrap();
        assert_eq!(spec.to_string(), "localhost:6379");
        let rules = spec.resolve().unwrap();
        assert!(rules.iter().any(|r| r.matches(&addr("127.0.0.1:6379"))));
    }

    #[test]
    fn malformed_rules_are_rejected() {
        for bad in ["127.0.0.1", "127.0.0.1:99999", "10.0.0.0/33:1", "[::1:80", ":80", "host/8:1"] {
            assert!(bad.parse::<RuleSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn no_rules_allows_everything_and_any_rule_enables_checks() {
        let mut open = SandboxPolicy::from_rules(&[], &[]).unwrap();
        assert!(open.check(Action::Connect, Some(addr("1.2.3.4:5"))).is_ok());
        assert!(open.check(Action::Listen, None).is_ok());

        let mut policy = SandboxPolicy::from_rules(&[], &["0.0.0.0:8080".parse().unwrap()]).unwrap();
        assert!(policy.check(Action::Listen, Some(addr("0.0.0.0:8080"))).is_ok());
        assert_eq!(policy.check(Action::Listen, Some(addr("0.0.0.0:8081"))), Err(Errno::ACCES));
        assert_eq!(policy.check(Action::Connect, Some(addr("127.0.0.1:80"))), Err(Errno::ACCES));
    }
}
