//! The config file: `~/.config/sipscope/config.toml`, or `--config FILE`.
//! Every option is documented in docs/config.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A call-list column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Index,
    Start,
    Method,
    From,
    To,
    Src,
    Dst,
    Msgs,
    State,
    Duration,
    Pdd,
    Transport,
    CallId,
    UserAgent,
    /// Where the dialog was captured: here, or which HEP agents.
    Seen,
    /// The most severe diagnosis finding (its rule id), coloured by severity.
    Findings,
}

impl Column {
    pub const ALL: [Column; 16] = [
        Column::Index,
        Column::Start,
        Column::Method,
        Column::From,
        Column::To,
        Column::Src,
        Column::Dst,
        Column::Msgs,
        Column::State,
        Column::Duration,
        Column::Pdd,
        Column::Transport,
        Column::CallId,
        Column::UserAgent,
        Column::Seen,
        Column::Findings,
    ];

    /// The columns shown when the config names none (sngrep's, and more).
    pub const DEFAULT: [Column; 13] = [
        Column::Index,
        Column::Start,
        Column::Method,
        Column::From,
        Column::To,
        Column::Src,
        Column::Dst,
        Column::Msgs,
        Column::State,
        Column::Duration,
        Column::Pdd,
        Column::Transport,
        Column::Findings,
    ];

    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Index => "#",
            Self::Start => "Start",
            Self::Method => "Method",
            Self::From => "From",
            Self::To => "To",
            Self::Src => "Source",
            Self::Dst => "Destination",
            Self::Msgs => "Msgs",
            Self::State => "State",
            Self::Duration => "Duration",
            Self::Pdd => "PDD",
            Self::Transport => "Proto",
            Self::CallId => "Call-ID",
            Self::UserAgent => "User-Agent",
            Self::Seen => "Seen at",
            Self::Findings => "Findings",
        }
    }

    /// Preferred width in cells.
    #[must_use]
    pub fn width(self) -> u16 {
        match self {
            Self::Index => 5,
            Self::Start => 12,
            Self::Method => 9,
            Self::From | Self::To => 26,
            Self::Src | Self::Dst => 21,
            Self::Msgs => 4,
            Self::State => 13,
            Self::Duration => 8,
            Self::Pdd => 6,
            Self::Transport => 5,
            Self::CallId => 30,
            Self::UserAgent => 24,
            Self::Seen => 20,
            Self::Findings => 20,
        }
    }
}

/// What the config file may say. Unknown keys are an error, so a typo is
/// reported instead of silently ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Call-list columns, in order.
    pub columns: Option<Vec<Column>>,
    /// Names for addresses in the ladder: `"192.0.2.10" = "pbx"` or
    /// `"192.0.2.10:5060" = "pbx-udp"`.
    pub aliases: BTreeMap<String, String>,
    /// Action name → keys, replacing the defaults (see the help screen, F1).
    pub keys: BTreeMap<String, Vec<String>>,
    /// Start with autoscroll on (default: on live, off reading files).
    pub autoscroll: Option<bool>,
}

impl Config {
    /// Where the config is read from when `--config` is not given. As
    /// root, root's own (`HOME` may be the user's under `sudo -E`, and a
    /// parse error would show root lines of whatever file it links to).
    #[must_use]
    pub fn default_path() -> Option<PathBuf> {
        let base = match crate::safe_file::root_home() {
            Some(h) => h.join(".config"),
            None => std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?,
        };
        Some(base.join("sipscope").join("config.toml"))
    }

    /// Reads `path`; a missing default file is an empty config. A FIFO, a
    /// device or a file over 1 MiB is refused, not waited on or swallowed.
    ///
    /// # Errors
    /// When the file exists but cannot be read or parsed.
    pub fn load(path: &Path, must_exist: bool) -> anyhow::Result<Self> {
        let shown = crate::text::escape::text(&path.display().to_string()).into_owned();
        match crate::safe_file::read_small(path, crate::safe_file::MAX_CONFIG_BYTES) {
            Ok(text) => toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {shown}: {e}")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(Self::default())
            }
            Err(e) => Err(anyhow::anyhow!("config {shown}: {e}")),
        }
    }

    /// The configuration in force as TOML (`--dump-config`): the file's
    /// settings over the defaults, and every action's keys. Read back by
    /// `--config`, it gives the same configuration.
    #[must_use]
    pub fn active(&self) -> String {
        #[derive(Serialize)]
        struct Active<'a> {
            columns: Vec<Column>,
            #[serde(skip_serializing_if = "Option::is_none")]
            autoscroll: Option<bool>,
            aliases: &'a BTreeMap<String, String>,
            keys: BTreeMap<&'static str, Vec<String>>,
        }
        let (keymap, _) = crate::keymap::KeyMap::new(&self.keys);
        let keys = crate::keymap::Action::ALL
            .iter()
            .map(|a| {
                let names = keymap.bound(*a).map(ToString::to_string).collect();
                (a.name(), names)
            })
            .collect();
        let active = Active {
            columns: self.columns(),
            autoscroll: self.autoscroll,
            aliases: &self.aliases,
            keys,
        };
        let body = toml::to_string(&active).unwrap_or_else(|e| format!("# cannot write: {e}\n"));
        let autoscroll = if self.autoscroll.is_none() {
            "# autoscroll is not set: on for a live capture, off reading a file\n"
        } else {
            ""
        };
        format!("# sipscope: the configuration in force (docs/config.md)\n{autoscroll}{body}")
    }

    #[must_use]
    pub fn columns(&self) -> Vec<Column> {
        self.columns
            .clone()
            .unwrap_or_else(|| Column::DEFAULT.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_aliases_and_keys() {
        let c: Config = toml::from_str(
            r#"
            columns = ["index", "from", "state", "call_id"]
            autoscroll = false
            [aliases]
            "192.0.2.10" = "pbx"
            [keys]
            quit = ["x"]
            "#,
        )
        .unwrap();
        assert_eq!(
            c.columns(),
            [Column::Index, Column::From, Column::State, Column::CallId]
        );
        assert_eq!(c.aliases.get("192.0.2.10").map(String::as_str), Some("pbx"));
        assert_eq!(c.keys.get("quit").map(Vec::len), Some(1));
    }

    #[test]
    fn a_fifo_config_is_refused_not_waited_on() {
        let d = std::env::temp_dir().join(format!("sipscope-cfg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("config.toml");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&f)
                .status()
                .unwrap()
                .success()
        );
        assert!(Config::load(&f, false).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_typo_is_an_error() {
        assert!(toml::from_str::<Config>("colums = []").is_err());
    }
}
