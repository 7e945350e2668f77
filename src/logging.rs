//! Logs go to a file through `tracing`, never to the terminal the UI draws on.
//!
//! sipscope often runs as root on a path someone else may control (`sudo -E`
//! keeps the user's `HOME`), and logs text that came from outside (file and
//! interface names, wire data). So:
//! - as root the default directory comes from root's own passwd entry, never
//!   from `HOME` or `XDG_CACHE_HOME`;
//! - the directory must be a real directory (not a symlink) owned by the
//!   effective user or root, and writable by nobody else unless sticky
//!   (`/tmp`; a user's own group may write when not root); the file is opened beside it with `O_NOFOLLOW`, must be a
//!   regular file of ours with one link, and is created `0600`;
//! - every log record is one line: control characters in it (a newline in a
//!   file name) are escaped as the terminal escapes them (`text::escape`).

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{OFlag, openat};
use nix::sys::stat::Mode;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Where logs go when `--log-file` is not given.
#[must_use]
pub fn default_path() -> PathBuf {
    default_path_from(
        crate::safe_file::root_home(),
        std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

/// The default log path: under `root_home` when running as root (the
/// environment may be the user's: `sudo -E`), else the XDG cache directory.
fn default_path_from(
    root_home: Option<PathBuf>,
    xdg_cache: Option<PathBuf>,
    home: Option<PathBuf>,
) -> PathBuf {
    let base = match root_home {
        Some(h) => h.join(".cache"),
        None => xdg_cache
            .filter(|p| p.is_absolute())
            .or_else(|| home.map(|h| h.join(".cache")))
            .unwrap_or_else(std::env::temp_dir),
    };
    base.join("sipscope").join("sipscope.log")
}

fn refuse(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "{}: {why}: refused",
            crate::text::escape::text(&path.display().to_string())
        ),
    )
}

/// Opens (creating) the log file at `path` for appending, safely as root:
/// see the module's doc for what is refused.
///
/// # Errors
/// When the directory or the file is refused or cannot be opened.
pub fn open_log(path: &Path) -> io::Result<File> {
    let name = path
        .file_name()
        .ok_or_else(|| refuse(path, "not a file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
    }
    let dir_file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_DIRECTORY | nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(&dir)
        .map_err(|e| {
            if e.raw_os_error() == Some(nix::libc::ELOOP)
                || e.raw_os_error() == Some(nix::libc::ENOTDIR)
            {
                refuse(&dir, "not a directory (a symbolic link?)")
            } else {
                e
            }
        })?;
    let euid = nix::unistd::geteuid().as_raw();
    let meta = dir_file.metadata()?;
    if meta.uid() != euid && meta.uid() != 0 {
        return Err(refuse(&dir, "directory owned by another user"));
    }
    let sticky = meta.mode() & 0o1000 != 0;
    // As root, no one else may write there; as a user, a group-writable
    // directory is common (umask 002, a group of one) and only others count.
    let foreign_write = if euid == 0 { 0o022 } else { 0o002 };
    if meta.mode() & foreign_write != 0 && !sticky {
        return Err(refuse(&dir, "directory writable by group or others"));
    }
    let fd = openat(
        &dir_file,
        name,
        OFlag::O_WRONLY
            | OFlag::O_APPEND
            | OFlag::O_CREAT
            | OFlag::O_NOFOLLOW
            | OFlag::O_CLOEXEC
            | OFlag::O_NOCTTY
            | OFlag::O_NONBLOCK,
        Mode::from_bits_truncate(0o600),
    )
    .map_err(|e| {
        if e == nix::errno::Errno::ELOOP {
            refuse(path, "a symbolic link")
        } else {
            io::Error::from(e)
        }
    })?;
    let file = File::from(fd);
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(refuse(path, "not a regular file"));
    }
    if meta.uid() != euid {
        return Err(refuse(path, "owned by another user"));
    }
    if meta.nlink() != 1 {
        return Err(refuse(path, "has other hard links"));
    }
    Ok(file)
}

/// A writer that keeps each record on one line: everything but the record's
/// final newline goes through `text::escape`. tracing's formatter writes a
/// whole event in one `write_all`, and the non-blocking writer hands it on
/// as one buffer, so one call here is one event.
pub struct OneLine<W>(pub W);

impl<W: Write> Write for OneLine<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let body = buf.strip_suffix(b"\n").unwrap_or(buf);
        let mut line = crate::text::escape::bytes(body);
        line.push('\n');
        self.0.write_all(line.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Starts logging to `path` (filter from `SIPSCOPE_LOG`, default `info`).
/// Keep the guard alive until exit so the last lines are written.
///
/// # Errors
/// When the log file is refused or cannot be created.
pub fn init(path: &Path) -> anyhow::Result<WorkerGuard> {
    let file = open_log(path).map_err(|e| {
        anyhow::anyhow!(
            "log file {}: {e}",
            crate::text::escape::text(&path.display().to_string())
        )
    })?;
    let (writer, guard) = tracing_appender::non_blocking(OneLine(file));
    let filter = EnvFilter::try_from_env("SIPSCOPE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("logging: {e}"))?;
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sipscope-log-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::DirBuilder::new().mode(0o700).create(&d).unwrap();
        d
    }

    #[test]
    fn root_default_path_ignores_the_users_environment() {
        let p = default_path_from(
            Some(PathBuf::from("/root")),
            Some(PathBuf::from("/home/u/.cache")),
            Some(PathBuf::from("/home/u")),
        );
        assert_eq!(p, PathBuf::from("/root/.cache/sipscope/sipscope.log"));
        let p = default_path_from(None, None, Some(PathBuf::from("/home/u")));
        assert_eq!(p, PathBuf::from("/home/u/.cache/sipscope/sipscope.log"));
    }

    #[test]
    fn log_file_that_is_a_symlink_is_refused() {
        let d = scratch("symlink");
        let target = d.join("crontab");
        std::os::unix::fs::symlink(&target, d.join("sipscope.log")).unwrap();
        let e = open_log(&d.join("sipscope.log")).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!target.exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn log_directory_that_is_a_symlink_is_refused() {
        let d = scratch("dirlink");
        let real = d.join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, d.join("link")).unwrap();
        assert!(open_log(&d.join("link").join("x.log")).is_err());
        assert!(!real.join("x.log").exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn log_directory_writable_by_others_is_refused() {
        let d = scratch("perm");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = open_log(&d.join("x.log")).unwrap_err();
        assert!(e.to_string().contains("writable"), "{e}");
        // Sticky, as /tmp: others cannot replace our file, so it is allowed.
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(open_log(&d.join("x.log")).is_ok());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn log_file_with_another_hard_link_is_refused() {
        let d = scratch("hardlink");
        std::fs::write(d.join("victim"), b"").unwrap();
        std::fs::hard_link(d.join("victim"), d.join("x.log")).unwrap();
        assert!(open_log(&d.join("x.log")).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn log_file_is_created_private_in_a_new_private_directory() {
        let d = scratch("fresh");
        let path = d.join("a").join("b").join("x.log");
        open_log(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(d.join("a")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_record_with_newlines_stays_one_line() {
        let mut w = OneLine(Vec::new());
        w.write_all(b"INFO reading x\n* * * * * root echo pwned\n.pcap\n")
            .unwrap();
        w.write_all(b"next\x1b[2J\n").unwrap();
        let s = String::from_utf8(w.0).unwrap();
        assert_eq!(
            s,
            "INFO reading x\\n* * * * * root echo pwned\\n.pcap\nnext\\e[2J\n"
        );
    }
}
