//! Command-line options.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Everything, for scripts (docs/report.md).
    Json,
    /// A table, one row per dialog, then the totals.
    Text,
    /// Only the totals line: what was read, and what was lost.
    Stats,
}

/// A terminal SIP sniffer: calls, ladders, SDP and RTP, live or from a capture.
#[derive(Debug, Parser)]
#[command(
    name = "sipscope",
    version,
    after_help = "Examples:\n  \
sipscope -r capture.pcap --no-ui --report json\n  \
sudo sipscope -i eth0 port 5060 or portrange 10000-20000\n  \
sudo sipscope -i any --no-ui --duration 60 --report text"
)]
pub struct Cli {
    /// Read a capture file (pcap or pcapng; `-` for standard input). Repeat to
    /// merge several by time.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Vec<String>,

    /// Capture live on an interface (`any` for all).
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "read"
    )]
    pub interface: Option<String>,

    /// Snap length for a live capture, in bytes.
    #[arg(short = 's', long, default_value_t = 65535)]
    pub snaplen: i32,

    /// Kernel capture buffer, in MiB.
    #[arg(short = 'B', long = "buffer", value_name = "MB", default_value_t = 64)]
    pub buffer_mb: i32,

    /// After opening the capture, drop root to this user (default: the user
    /// who ran sudo, else nobody).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Keep at most N dialogs; the oldest finished ones make room.
    #[arg(
        short = 'l',
        long = "limit",
        value_name = "N",
        default_value_t = 20_000
    )]
    pub limit: usize,

    /// Memory budget for message bytes and frames kept, in MiB.
    #[arg(long = "mem", value_name = "MB", default_value_t = 512)]
    pub mem_mb: usize,

    /// Keep message bytes in memory even when they can be read back from the file.
    #[arg(long)]
    pub keep_raw: bool,

    /// No terminal UI: read or capture, then print a report.
    #[arg(short = 'N', long)]
    pub no_ui: bool,

    /// Report format for --no-ui.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub report: ReportFormat,

    /// Live, --no-ui: stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,

    /// Live, --no-ui: stop after this many SIP messages.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,

    /// Config file (default: ~/.config/sipscope/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Write logs here (default: sipscope.log in the cache directory).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// Capture filter (BPF, as for tcpdump), for a live capture.
    #[arg(trailing_var_arg = true, value_name = "FILTER")]
    pub filter: Vec<String>,
}

impl Cli {
    /// The BPF filter, when one was given.
    #[must_use]
    pub fn bpf(&self) -> Option<String> {
        (!self.filter.is_empty()).then(|| self.filter.join(" "))
    }
}
