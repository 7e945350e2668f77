//! Command-line options.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Everything, for scripts (docs/report.md).
    Json,
    /// One JSON object per dialog per line, written as each dialog ends,
    /// then the dialogs still open, then a line of totals (docs/report.md).
    Ndjson,
    /// A table, one row per dialog, then the totals.
    Text,
    /// Only the totals line: what was read, and what was lost.
    Stats,
}

/// `--fail-on`: the least severe finding that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

impl FailOn {
    #[must_use]
    pub fn severity(self) -> crate::model::findings::Severity {
        match self {
            Self::Error => crate::model::findings::Severity::Error,
            Self::Warning => crate::model::findings::Severity::Warning,
        }
    }
}

/// A terminal SIP sniffer: calls, ladders, SDP and RTP, live or from a capture.
#[derive(Debug, Parser)]
#[command(
    group = clap::ArgGroup::new("rotation").multiple(true),
    name = "sipscope",
    version,
    after_help = "Examples:\n  \
sipscope -r capture.pcap --no-ui --report json\n  \
sudo sipscope -i eth0 port 5060 or portrange 10000-20000\n  \
sudo sipscope -i any --no-ui --duration 60 --report text\n  \
sipscope -r capture.pcap --no-ui -w call.pcap --call-id 'a84b4c76e66710' --with-rtp\n  \
sudo sipscope -i eth0 --no-ui -w sip.pcap --rotate-seconds 3600 --rotate-keep 48"
)]
pub struct Cli {
    /// Read a capture file (pcap or pcapng; `-` for standard input). Repeat to
    /// merge several by time. sngrep's `-I FILE` works too.
    #[arg(short = 'r', long = "read", value_name = "FILE", short_alias = 'I')]
    pub read: Vec<String>,

    /// Capture live on an interface (`any` for all). sngrep's `-d DEV` works
    /// too.
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "read",
        short_alias = 'd'
    )]
    pub interface: Option<String>,

    /// Snap length for a live capture, in bytes.
    #[arg(short = 's', long, default_value_t = 65535)]
    pub snaplen: i32,

    /// Kernel capture buffer, in MiB (the kernel's memory, taken when the
    /// capture starts; on `lo` half of it holds the sent copies libpcap
    /// throws away).
    #[arg(short = 'B', long = "buffer", value_name = "MB", default_value_t = 128)]
    pub buffer_mb: i32,

    /// After opening the capture, drop root to this user (default: the user
    /// who ran sudo, else nobody).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Keep at most N dialogs; the oldest finished ones make room, with a
    /// warning (default: no count, --mem bounds them).
    #[arg(short = 'l', long = "limit", value_name = "N")]
    pub limit: Option<usize>,

    /// Memory budget for everything the model holds (dialogs, messages,
    /// kept frames, streams and their series), in MiB, by an estimate
    /// (docs/ARCHITECTURE.md, "Memory"); the oldest finished dialogs make
    /// room, counted.
    #[arg(long = "mem", value_name = "MB", default_value_t = 512)]
    pub mem_mb: usize,

    /// Keep message bytes in memory even when they can be read back from the file.
    #[arg(long)]
    pub keep_raw: bool,

    /// No terminal UI: read or capture, then print a report.
    #[arg(short = 'N', long)]
    pub no_ui: bool,

    /// Report format for --no-ui (default: text; none when writing with -w
    /// or with -q).
    #[arg(long, value_enum)]
    pub report: Option<ReportFormat>,

    /// With --no-ui: print no report unless --report asks for one (warnings
    /// and errors still go to stderr), as sngrep's -q.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Write the chosen calls (all, or --call-id / --filter) to FILE; the
    /// format follows the extension (.pcap, .pcapng, .txt, .flow.txt, .json)
    /// or --format. From a file (-r) with --no-ui; live (-i), packets are
    /// written as they arrive, with the UI or without. sngrep's `-O FILE`
    /// works too.
    #[arg(short = 'w', long = "write", value_name = "FILE", short_alias = 'O')]
    pub write: Option<PathBuf>,

    /// With -w: the format, whatever the file's extension.
    #[arg(long, value_enum, requires = "write")]
    pub format: Option<crate::export::Format>,

    /// With -w: export this Call-ID (repeat for several).
    #[arg(long = "call-id", value_name = "ID", requires = "write")]
    pub call_ids: Vec<String>,

    /// With -w: export the calls whose call-list row matches this regex
    /// (case-insensitive; as `/` in the UI: methods, From, To, addresses,
    /// state, Call-ID, status codes, the rule ids of its findings).
    #[arg(long = "filter", value_name = "REGEX", requires = "write")]
    pub call_filter: Option<String>,

    /// With -w: include the calls' RTP and RTCP (pcap and pcapng).
    #[arg(long, requires = "write")]
    pub with_rtp: bool,

    /// Live -w: start a new file after this many MB.
    #[arg(long, value_name = "MB", requires = "write", group = "rotation",
          value_parser = positive)]
    pub rotate_size: Option<u64>,

    /// Live -w: start a new file after this many seconds.
    #[arg(long, value_name = "SECS", requires = "write", group = "rotation",
          value_parser = positive)]
    pub rotate_seconds: Option<u64>,

    /// Live -w with rotation: keep only the newest N files.
    #[arg(long, value_name = "N", requires = "rotation",
          value_parser = positive)]
    pub rotate_keep: Option<u64>,

    /// RTP frames kept per call for export, newest first: MB, or `all`
    /// (--mem still bounds the whole).
    #[arg(long, value_name = "MB|all", default_value = "16", value_parser = parse_keep)]
    pub rtp_keep: RtpKeep,

    /// Send every SIP message as HEP v3 to a collector (HOMER,
    /// heplify-server, sngrep -L): udp:HOST:PORT or tcp:HOST:PORT. Live, or
    /// from files (-r) to replay a capture into HOMER.
    #[arg(short = 'H', long = "hep-send", value_name = "URL")]
    pub hep_send: Option<String>,

    /// Collect HEP v3 from agents (heplify, sngrep -H, Kamailio, another
    /// sipscope -H): udp:ADDRESS:PORT or tcp:ADDRESS:PORT. The address is
    /// required (udp:0.0.0.0:9060 to listen everywhere). Alone or beside -i/-r.
    #[arg(short = 'L', long = "hep-listen", value_name = "URL")]
    pub hep_listen: Option<String>,

    /// HEP inside a capture (UDP to this port) is decoded as the SIP it
    /// carries (9060; 0: never).
    #[arg(long = "hep-port", value_name = "PORT", default_value_t = 9060)]
    pub hep_port: u16,

    /// HEP: the capture agent id sent with each packet (chunk 12).
    #[arg(long = "hep-id", value_name = "N")]
    pub hep_id: Option<u32>,

    /// HEP: the collector's password: sent with each packet (-H, chunk 14);
    /// with -L, packets without it are refused (and counted).
    #[arg(long = "hep-password", value_name = "PASSWORD")]
    pub hep_password: Option<String>,

    /// Live, --no-ui: stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,

    /// --no-ui: exit 3 when any call has a finding this severe or worse
    /// (docs/diagnosis.md), for scripts and monitoring.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Live, --no-ui: stop after this many SIP messages (tcpdump's -c; not
    /// sngrep's -c, which is `c` in the call list: only INVITE dialogs).
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,

    /// Config file (default: ~/.config/sipscope/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the configuration in force (the config file over the defaults,
    /// every key binding) as TOML, and exit; as sngrep's -D.
    #[arg(short = 'D', long)]
    pub dump_config: bool,

    /// Print the man page (`man`) or a shell completion script (`bash`,
    /// `zsh`, `fish`) to standard output, and exit.
    #[arg(long, value_name = "WHAT", value_enum, hide = true)]
    pub generate: Option<Generate>,

    /// Write logs here (default: sipscope.log in the cache directory).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// Capture filter (BPF, as for tcpdump), for a live capture.
    #[arg(trailing_var_arg = true, value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// The man page (roff), from these options.
    Man,
    Bash,
    Zsh,
    Fish,
}

/// Writes what `--generate` asks for.
///
/// # Errors
/// When `out` cannot be written.
pub fn generate(what: Generate, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    match what {
        Generate::Man => clap_mangen::Man::new(cmd).render(out),
        Generate::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "sipscope", out);
            Ok(())
        }
        Generate::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "sipscope", out);
            Ok(())
        }
        Generate::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "sipscope", out);
            Ok(())
        }
    }
}

/// `--rtp-keep`: a budget per call in MB, or everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtpKeep {
    Mb(usize),
    All,
}

impl RtpKeep {
    /// The budget in bytes (`None`: keep all).
    #[must_use]
    pub fn bytes(self) -> Option<usize> {
        match self {
            Self::Mb(mb) => Some(mb.saturating_mul(1 << 20)),
            Self::All => None,
        }
    }
}

/// A whole number of at least 1.
fn positive(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}`: a whole number, at least 1")),
    }
}

fn parse_keep(s: &str) -> Result<RtpKeep, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(RtpKeep::All);
    }
    s.parse()
        .map(RtpKeep::Mb)
        .map_err(|_| format!("`{s}`: a number of MB, or `all`"))
}

impl Cli {
    /// Is the capture live (an interface, or agents over HEP)?
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.interface.is_some() || self.hep_listen.is_some()
    }

    /// The BPF filter, when one was given.
    #[must_use]
    pub fn bpf(&self) -> Option<String> {
        (!self.filter.is_empty()).then(|| self.filter.join(" "))
    }
}
