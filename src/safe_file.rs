//! Opening paths given to a process that may run as root, without the
//! classic mistakes: following a planted symbolic link, writing through a
//! hard link to someone else's file, blocking on a FIFO, reading a huge file.
//! See docs/ARCHITECTURE.md, "Trust boundaries".

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "{}: {why}: refused",
            crate::text::escape::text(&path.display().to_string())
        ),
    )
}

/// Creates or truncates `path` for writing a capture (`-w`, rotation
/// files): the last component is never followed if it is a symbolic link,
/// and an existing regular file with other hard links is refused (it may be
/// someone else's file linked into a directory we write). A FIFO or a
/// device (`/dev/null`) is written as asked.
///
/// # Errors
/// When refused, or when the system refuses.
pub fn create(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC | nix::libc::O_NOCTTY)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(nix::libc::ELOOP) {
                refused(path, "a symbolic link")
            } else {
                e
            }
        })?;
    let meta = file.metadata()?;
    if meta.file_type().is_file() {
        if meta.nlink() != 1 {
            return Err(refused(path, "has other hard links"));
        }
        file.set_len(0)?;
    }
    Ok(file)
}

/// The most a config file may hold.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads a small regular file (the config) whole: a FIFO or a device is
/// refused rather than waited on, and so is anything over `max` bytes.
///
/// # Errors
/// When refused, missing or unreadable.
pub fn read_small(path: &Path, max: u64) -> io::Result<String> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC | nix::libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(refused(path, "not a regular file"));
    }
    if meta.len() > max {
        return Err(refused(path, &format!("larger than {max} bytes")));
    }
    let mut text = String::new();
    file.by_ref().take(max).read_to_string(&mut text)?;
    Ok(text)
}

/// The effective user's own home from the password database, when running
/// as root: there, `HOME` and the XDG variables may be the user's (`sudo
/// -E`), and root must not read or write where that user chooses.
#[must_use]
pub fn root_home() -> Option<PathBuf> {
    let euid = nix::unistd::geteuid();
    euid.is_root().then(|| {
        nix::unistd::User::from_uid(euid)
            .ok()
            .flatten()
            .map_or_else(|| PathBuf::from("/root"), |u| u.dir)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::DirBuilderExt;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sipscope-safe-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::DirBuilder::new().mode(0o700).create(&d).unwrap();
        d
    }

    #[test]
    fn create_does_not_follow_a_planted_symlink_nor_a_hard_link() {
        let d = scratch("create");
        std::fs::write(d.join("shadow"), b"secret").unwrap();
        std::os::unix::fs::symlink(d.join("shadow"), d.join("out.pcap")).unwrap();
        assert!(create(&d.join("out.pcap")).is_err());
        std::fs::hard_link(d.join("shadow"), d.join("hard.pcap")).unwrap();
        assert!(create(&d.join("hard.pcap")).is_err());
        assert_eq!(std::fs::read(d.join("shadow")).unwrap(), b"secret");
        // A file of its own is truncated and written.
        std::fs::write(d.join("mine.pcap"), b"old").unwrap();
        create(&d.join("mine.pcap")).unwrap();
        assert_eq!(std::fs::read(d.join("mine.pcap")).unwrap(), b"");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn read_small_refuses_a_fifo_and_a_big_file() {
        let d = scratch("read");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(d.join("f"))
                .status()
                .unwrap()
                .success()
        );
        // Returns at once: no writer is waited for.
        assert!(read_small(&d.join("f"), 100).is_err());
        std::fs::write(d.join("big"), vec![b'#'; 200]).unwrap();
        assert!(read_small(&d.join("big"), 100).is_err());
        assert_eq!(read_small(&d.join("big"), 200).unwrap().len(), 200);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
