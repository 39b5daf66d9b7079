//! The typed configuration of one `run`: what the command line (and the
//! `EDGE_HOST_*` variables) ask for, already checked. Each value type parses
//! itself (`FromStr`), so clap refuses a malformed `--env`, `--dir` or
//! sandbox rule before anything starts; what only the environment can refuse
//! (a directory that does not open, a host name that does not resolve) is
//! reported by the runner at start. [`guest_environment`] builds the
//! guest's environment from `--env` and, with `--inherit-env`, edge-host's.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::sandbox::RuleSpec;

/// Everything `run` needs, already parsed.
#[derive(Debug, Default, Clone)]
pub struct RunConfig {
    pub module: PathBuf,
    /// The guest's arguments after argv[0] (which is derived from `module`).
    pub args: Vec<Vec<u8>>,
    /// The guest's whole environment, in order.
    pub env: Vec<EnvVar>,
    /// `--dir`: the guest's preopened directories, in order.
    pub dirs: Vec<DirMapping>,
    pub allow_connect: Vec<RuleSpec>,
    pub allow_listen: Vec<RuleSpec>,
    pub max_memory_mib: Option<u64>,
    /// `--shutdown-timeout`: with a value, SIGTERM/SIGINT shut the guest's
    /// listeners down and cut it after this long ([`crate::shutdown`]); `None`
    /// keeps the signals' default actions.
    pub shutdown_timeout: Option<Duration>,
    /// Overrides the cache location (tests); `None` = [`crate::cache::default_dir`].
    pub cache_dir: Option<PathBuf>,
}

/// A value the command line refuses (clap reports it, exit status 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ValueError {
    #[error("the variable has no name (expected NAME=VALUE)")]
    EmptyEnvName,
    #[error("the host directory is empty (expected GUEST:HOST[:readonly] or PATH)")]
    EmptyHostDir,
}

/// One guest environment variable, `NAME=VALUE`. A bare `NAME` (no `=`) is
/// handed to the guest as written, as `wasmedge --env` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub key: String,
    pub value: Option<String>,
}

impl FromStr for EnvVar {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Self, ValueError> {
        let (key, value) = match text.split_once('=') {
            Some((key, value)) => (key, Some(value.to_string())),
            None => (text, None),
        };
        if key.is_empty() {
            return Err(ValueError::EmptyEnvName);
        }
        Ok(EnvVar { key: key.to_string(), value })
    }
}

impl fmt::Display for EnvVar {
    /// The entry as the guest sees it in `environ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}={value}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

/// `--dir GUEST:HOST[:readonly]`, or `--dir PATH` for both: a host directory
/// the guest sees under `guest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirMapping {
    /// The name the guest asked for, before WasmEdge's canonicalisation.
    pub guest: String,
    pub host: PathBuf,
    /// `:readonly`: WasmEdge's read-only preopen rights.
    pub readonly: bool,
}

impl FromStr for DirMapping {
    type Err = ValueError;

    fn from_str(spec: &str) -> Result<Self, ValueError> {
        let (guest, rest) = spec.split_once(':').unwrap_or((spec, spec));
        let (host, readonly) = match rest.rsplit_once(':') {
            Some((host, "readonly")) => (host, true),
            _ => (rest, false),
        };
        if host.is_empty() {
            return Err(ValueError::EmptyHostDir);
        }
        Ok(DirMapping { guest: guest.to_string(), host: PathBuf::from(host), readonly })
    }
}

impl fmt::Display for DirMapping {
    /// The `--dir` value (`PATH` when guest and host are the same).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.as_os_str() == self.guest.as_str() {
            write!(f, "{}", self.guest)?;
        } else {
            write!(f, "{}:{}", self.guest, self.host.display())?;
        }
        if self.readonly {
            f.write_str(":readonly")?;
        }
        Ok(())
    }
}

/// Prefix of edge-host's own settings, never passed on by `--inherit-env`.
const OWN_SETTINGS_PREFIX: &str = "EDGE_HOST_";

/// The guest's environment: the `inherited` variables that are not edge-host
/// settings and not named by an `explicit` `--env`, in their order, then the
/// `explicit` ones. A variable that is not UTF-8 is left out with a warning.
pub fn guest_environment(
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    explicit: Vec<EnvVar>,
) -> Vec<EnvVar> {
    let mut environment = Vec::new();
    for (name, value) in inherited {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            eprintln!("edge-host: not passing {} to the guest: it is not UTF-8", name.to_string_lossy());
            continue;
        };
        if name.starts_with(OWN_SETTINGS_PREFIX) || explicit.iter().any(|e| e.key == name) {
            continue;
        }
        environment.push(EnvVar { key: name.to_string(), value: Some(value.to_string()) });
    }
    environment.extend(explicit);
    environment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(items: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        items.iter().map(|(n, v)| (OsString::from(n), OsString::from(v))).collect()
    }

    fn env(items: &[&str]) -> Vec<EnvVar> {
        items.iter().map(|e| e.parse().unwrap()).collect()
    }

    fn texts(items: &[EnvVar]) -> Vec<String> {
        items.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn env_vars_split_at_the_first_equals_sign() {
        let var: EnvVar = "EXTRA=a=b".parse().unwrap();
        assert_eq!(var, EnvVar { key: "EXTRA".into(), value: Some("a=b".into()) });
        assert_eq!(var.to_string(), "EXTRA=a=b");
        let empty: EnvVar = "EMPTY=".parse().unwrap();
        assert_eq!(empty.to_string(), "EMPTY=");
        let bare: EnvVar = "HOST".parse().unwrap();
        assert_eq!((bare.to_string(), bare.value), ("HOST".to_string(), None));
    }

    #[test]
    fn an_env_var_needs_a_name() {
        assert_eq!("=1".parse::<EnvVar>(), Err(ValueError::EmptyEnvName));
        assert_eq!("".parse::<EnvVar>(), Err(ValueError::EmptyEnvName));
    }

    #[test]
    fn dir_mappings_have_three_forms() {
        let both: DirMapping = "/srv".parse().unwrap();
        assert_eq!(both, DirMapping { guest: "/srv".into(), host: "/srv".into(), readonly: false });
        assert_eq!(both.to_string(), "/srv");
        let mapped: DirMapping = "/data:/var/lib/x".parse().unwrap();
        assert_eq!(mapped, DirMapping { guest: "/data".into(), host: "/var/lib/x".into(), readonly: false });
        let readonly: DirMapping = "/ro:/etc:readonly".parse().unwrap();
        assert_eq!(readonly, DirMapping { guest: "/ro".into(), host: "/etc".into(), readonly: true });
        assert_eq!(readonly.to_string(), "/ro:/etc:readonly");
        // Only the last component can be the flag; a host path with colons stays whole.
        let colons: DirMapping = "/g:/a:b".parse().unwrap();
        assert_eq!((colons.host, colons.readonly), (PathBuf::from("/a:b"), false));
    }

    #[test]
    fn a_dir_mapping_needs_a_host_directory() {
        assert_eq!("/g:".parse::<DirMapping>(), Err(ValueError::EmptyHostDir));
        assert_eq!("".parse::<DirMapping>(), Err(ValueError::EmptyHostDir));
        assert_eq!("/g::readonly".parse::<DirMapping>(), Err(ValueError::EmptyHostDir));
    }

    #[test]
    fn inherited_environment_keeps_order_and_leaves_out_edge_host_settings() {
        let inherited = vars(&[
            ("PORT", "8080"),
            ("EDGE_HOST_MAX_MEMORY", "64"),
            ("LOG_FORMAT", "json"),
            ("EDGE_HOST_CACHE_DIR", "/c"),
            ("HOST", "0.0.0.0"),
        ]);
        assert_eq!(
            texts(&guest_environment(inherited, Vec::new())),
            ["PORT=8080", "LOG_FORMAT=json", "HOST=0.0.0.0"]
        );
    }

    #[test]
    fn explicit_env_wins_over_an_inherited_variable_of_the_same_name() {
        let inherited = vars(&[("PORT", "8080"), ("HOST", "0.0.0.0"), ("EMPTY", "")]);
        let explicit = env(&["PORT=9000", "EXTRA=a=b", "HOST"]);
        assert_eq!(
            texts(&guest_environment(inherited, explicit)),
            ["EMPTY=", "PORT=9000", "EXTRA=a=b", "HOST"]
        );
    }

    #[test]
    fn explicit_env_alone_when_nothing_is_inherited() {
        let explicit = env(&["A=1", "EDGE_HOST_X=kept"]);
        assert_eq!(texts(&guest_environment(Vec::new(), explicit)), ["A=1", "EDGE_HOST_X=kept"]);
    }

    #[test]
    fn a_variable_that_is_not_utf8_is_left_out() {
        use std::os::unix::ffi::OsStrExt;
        let inherited = vec![
            (OsString::from("BAD"), std::ffi::OsStr::from_bytes(b"\xff\xfe").to_os_string()),
            (std::ffi::OsStr::from_bytes(b"N\xff").to_os_string(), OsString::from("v")),
            (OsString::from("GOOD"), OsString::from("yes")),
        ];
        assert_eq!(texts(&guest_environment(inherited, Vec::new())), ["GOOD=yes"]);
    }
}
