//! The one declaration of the environment variables the service reads: name, default
//! and meaning of each.
//!
//! The parsers of this module read exactly these names (a unit test records what they
//! ask for), and `edge_service --print-env-spec` prints them, one name per line or, with
//! `=markdown`, as the README's Configuration table. Everything outside `src/` that
//! names them is derived from or checked against this list: `scripts/run.sh` passes
//! through the names in `variables.txt` (this list, checked in), the README's table is
//! the Markdown output, and the deployment tests refuse a variable in a Kubernetes
//! manifest, the compose file or a Dockerfile that is not declared here.
//! `bash scripts/env-spec.sh` rewrites both files after a change here.

use std::ffi::OsString;
use std::fmt::Write as _;

/// One environment variable of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// The name, as set in the environment (`--env NAME=VALUE` inside WasmEdge).
    pub name: &'static str,
    /// What the service uses when the variable is not set.
    pub default: DefaultValue,
    /// What it does, in one Markdown sentence for the README's table (no `|`).
    pub meaning: &'static str,
}

/// The value a variable has when it is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// This value, exactly as it would be written in the environment.
    Value(&'static str),
    /// No value: the feature it configures is off.
    Unset,
}

/// Every variable the service reads, in the order the README lists them.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "PORT",
        default: DefaultValue::Value("8080"),
        meaning: "TCP port to listen on (`0`: any free port, printed in the start line)",
    },
    Variable { name: "HOST", default: DefaultValue::Value("0.0.0.0"), meaning: "IP address to listen on (`::` for IPv6)" },
    Variable {
        name: "LOG_FORMAT",
        default: DefaultValue::Value("text"),
        meaning: "`text` or `json` (one object per line) on stderr",
    },
    Variable {
        name: "LOG_LEVEL",
        default: DefaultValue::Value("info"),
        meaning: "`error`, `warn`, `info` (one line per request), `debug`, `trace`",
    },
    Variable {
        name: "MAX_BODY_BYTES",
        default: DefaultValue::Value("1048576"),
        meaning: "largest request body (1 MiB by default, at most 64 MiB); larger ones get 413 without being read",
    },
    Variable {
        name: "MAX_BUFFERED_BODY_BYTES",
        default: DefaultValue::Value("33554432"),
        meaning: "memory all bodies being read share (32 MiB by default, or `MAX_BODY_BYTES` if larger; Wasm \
                  memory never shrinks); over it for 1 s → 503",
    },
    Variable {
        name: "MAX_CONNECTIONS",
        default: DefaultValue::Value("2048"),
        meaning: "connections served at once. New connections are accepted at once and wait for their first \
                  byte (and then a slot) in a waiting room of 4 × this, at about 2 KiB each; at the limit, idle \
                  keep-alive connections, then connections lingering after an error, then connections without \
                  a whole request head are closed to make room, oldest first; when all are busy, new ones wait. \
                  A served connection costs the module 12–20 KiB of memory, which never shrinks; allow the \
                  process more open files than 5 × this",
    },
    Variable {
        name: "FIRST_BYTE_TIMEOUT_SECS",
        default: DefaultValue::Value("10"),
        meaning: "a new connection that sends nothing for this long is closed (separate from the head and \
                  body timeouts)",
    },
    Variable {
        name: "READ_TIMEOUT_SECS",
        default: DefaultValue::Value("30"),
        meaning: "a request head, once started, then its body, must arrive within this",
    },
    Variable {
        name: "IDLE_TIMEOUT_SECS",
        default: DefaultValue::Value("60"),
        meaning: "idle keep-alive connections are closed after this",
    },
    Variable {
        name: "CORS_ALLOW_ORIGIN",
        default: DefaultValue::Unset,
        meaning: "unset: no CORS; `*`; or a comma-separated list of origins",
    },
    Variable {
        name: "DATABASE_URL",
        default: DefaultValue::Unset,
        meaning: "unset: in-memory store (lost on restart, one instance only); \
                  `sqlite:///data/edge-service.db`: a SQLite file in a directory the runtime grants \
                  (one instance); `mysql://user:pass@host:3306/db`; `postgres://user:pass@host:5432/db`",
    },
    Variable {
        name: "SQLITE_SYNC",
        default: DefaultValue::Value("full"),
        meaning: "SQLite only: `full`: every acknowledged write is fsync'd first and survives power loss; \
                  `normal`: survives a crash of the process, not always a power loss (faster)",
    },
    Variable {
        name: "REDIS_URL",
        default: DefaultValue::Unset,
        meaning: "`redis://host:6379/0`: read-through cache for `GET /api/users/{id}`",
    },
    Variable {
        name: "CACHE_TTL_SECS",
        default: DefaultValue::Value("60"),
        meaning: "how long a cached user may be served",
    },
    Variable {
        name: "CACHE_TIMEOUT_MS",
        default: DefaultValue::Value("100"),
        meaning: "how long a cache call may take before it is bypassed",
    },
    Variable {
        name: "DB_TIMEOUT_MS",
        default: DefaultValue::Value("5000"),
        meaning: "per-query budget, waiting for a pooled connection included (over it: 503)",
    },
    Variable { name: "DB_POOL_SIZE", default: DefaultValue::Value("8"), meaning: "most connections to the database" },
];

/// Whether the service reads `name`.
pub fn is_declared(name: &str) -> bool {
    VARIABLES.iter().any(|variable| variable.name == name)
}

/// The command-line flag that prints the declaration instead of starting the service.
pub const PRINT_FLAG: &str = "--print-env-spec";

/// How `--print-env-spec` prints the declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFormat {
    /// `--print-env-spec` or `--print-env-spec=names`: one name per line.
    Names,
    /// `--print-env-spec=markdown`: the README's table.
    Markdown,
}

/// An argument of the `--print-env-spec=…` form with a format the program does not know.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{argument:?}: expected {PRINT_FLAG}, {PRINT_FLAG}=names or {PRINT_FLAG}=markdown")]
pub struct UnknownSpecFormat {
    /// The argument as given.
    pub argument: String,
}

impl SpecFormat {
    /// The format the program's arguments (without the program name) ask for, or `None`
    /// when none of them is `--print-env-spec[=FORMAT]`: then the service starts as usual
    /// and other arguments are ignored, as they always were.
    pub fn requested<I>(args: I) -> Result<Option<Self>, UnknownSpecFormat>
    where
        I: IntoIterator<Item = OsString>,
    {
        for arg in args {
            let arg = arg.to_string_lossy();
            let Some(rest) = arg.strip_prefix(PRINT_FLAG) else { continue };
            return match rest {
                "" | "=names" => Ok(Some(Self::Names)),
                "=markdown" => Ok(Some(Self::Markdown)),
                _ => Err(UnknownSpecFormat { argument: arg.into_owned() }),
            };
        }
        Ok(None)
    }

    /// The declaration in this format, ending with a newline.
    pub fn render(self) -> String {
        let mut out = String::new();
        match self {
            Self::Names => {
                for variable in VARIABLES {
                    out.push_str(variable.name);
                    out.push('\n');
                }
            }
            Self::Markdown => {
                out.push_str("| variable | default | meaning |\n|---|---|---|\n");
                for variable in VARIABLES {
                    let default = match variable.default {
                        DefaultValue::Value(value) => format!("`{value}`"),
                        DefaultValue::Unset => "unset".to_owned(),
                    };
                    // Writing to a String cannot fail.
                    let _ = writeln!(out, "| `{}` | {default} | {} |", variable.name, variable.meaning);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use super::*;
    use crate::config::Config;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_parsers_read_exactly_the_declared_variables() {
        let asked = RefCell::new(BTreeSet::new());
        Config::from_lookup(|name| {
            asked.borrow_mut().insert(name.to_owned());
            None
        })
        .expect("an empty environment is valid");
        let declared: BTreeSet<String> = VARIABLES.iter().map(|v| v.name.to_owned()).collect();
        assert_eq!(asked.into_inner(), declared);
    }

    #[test]
    fn names_are_unique_and_meanings_fit_in_a_table_cell() {
        let names: BTreeSet<&str> = VARIABLES.iter().map(|v| v.name).collect();
        assert_eq!(names.len(), VARIABLES.len());
        for variable in VARIABLES {
            assert!(variable.name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{}", variable.name);
            assert!(!variable.meaning.contains('|') && !variable.meaning.contains('\n'), "{}", variable.name);
        }
    }

    #[test]
    fn every_declared_default_is_what_the_parser_uses_when_unset() {
        for variable in VARIABLES {
            let value = match variable.default {
                DefaultValue::Value(value) => value,
                DefaultValue::Unset => "",
            };
            let config = Config::from_env([(OsString::from(variable.name), OsString::from(value))])
                .unwrap_or_else(|error| panic!("{}={value:?} is refused: {error}", variable.name));
            assert_eq!(config, Config::default(), "{}={value:?} is not the default", variable.name);
        }
    }

    #[test]
    fn print_flag_selects_the_format_and_other_arguments_are_ignored() {
        assert_eq!(SpecFormat::requested(args(&[])), Ok(None));
        assert_eq!(SpecFormat::requested(args(&["serve", "--verbose"])), Ok(None));
        assert_eq!(SpecFormat::requested(args(&["--print-env-spec"])), Ok(Some(SpecFormat::Names)));
        assert_eq!(
            SpecFormat::requested(args(&["x", "--print-env-spec=names"])),
            Ok(Some(SpecFormat::Names))
        );
        assert_eq!(
            SpecFormat::requested(args(&["--print-env-spec=markdown"])),
            Ok(Some(SpecFormat::Markdown))
        );
        let error = SpecFormat::requested(args(&["--print-env-spec=yaml"])).expect_err("unknown format");
        assert!(error.to_string().contains("--print-env-spec=markdown"), "{error}");
    }

    #[test]
    fn names_format_is_the_checked_in_list_scripts_read() {
        assert_eq!(
            SpecFormat::Names.render(),
            include_str!("variables.txt"),
            "src/config/variables.txt is out of date: run `bash scripts/env-spec.sh`"
        );
    }

    #[test]
    fn markdown_format_is_the_readme_configuration_table() {
        const BEGIN: &str = "<!-- edge_service --print-env-spec=markdown -->\n";
        const END: &str = "<!-- end of edge_service --print-env-spec=markdown -->";
        let readme = include_str!("../../README.md");
        let start = readme.find(BEGIN).map(|at| at + BEGIN.len()).expect("README.md marks the table");
        let length = readme[start..].find(END).expect("README.md marks the table's end");
        assert_eq!(
            &readme[start..start + length],
            SpecFormat::Markdown.render(),
            "README.md's Configuration table is out of date: run `bash scripts/env-spec.sh`"
        );
    }
}
