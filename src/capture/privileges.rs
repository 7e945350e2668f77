//! Dropping root once the capture handle is open, as `tcpdump -Z` does.

use nix::unistd::{Gid, Uid, User, getuid, setgid, setgroups, setuid};

/// Whom to become: `--user NAME`, else the user who ran sudo, else `nobody`.
fn target(user: Option<&str>) -> anyhow::Result<(Uid, Gid, String)> {
    if let Some(name) = user {
        let u =
            User::from_name(name)?.ok_or_else(|| anyhow::anyhow!("--user {name}: no such user"))?;
        return Ok((u.uid, u.gid, u.name));
    }
    let sudo = |var: &str| std::env::var(var).ok().and_then(|v| v.parse::<u32>().ok());
    if let (Some(uid), Some(gid)) = (sudo("SUDO_UID"), sudo("SUDO_GID"))
        && uid != 0
    {
        let name = std::env::var("SUDO_USER").unwrap_or_else(|_| uid.to_string());
        return Ok((Uid::from_raw(uid), Gid::from_raw(gid), name));
    }
    let u =
        User::from_name("nobody")?.ok_or_else(|| anyhow::anyhow!("no user 'nobody' to drop to"))?;
    Ok((u.uid, u.gid, u.name))
}

/// Gives a file made as root to the user root will be dropped to, so that
/// user can go on with it (delete it when rotating). Nothing when not root.
/// By its descriptor: the name may have been replaced meanwhile.
///
/// # Errors
/// When the user is unknown or the file cannot be given away.
pub fn give_to_target(file: &std::fs::File, user: Option<&str>) -> anyhow::Result<()> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let (uid, gid, _) = target(user)?;
    std::os::unix::fs::fchown(file, Some(uid.as_raw()), Some(gid.as_raw()))?;
    Ok(())
}

/// Checks that the user sipscope will become can create files in `dir`,
/// by creating (and removing) one as that user: when root, with the
/// effective ids and groups switched for the probe and restored after, so
/// modes, ACLs and read-only mounts all count.
///
/// # Errors
/// When that user cannot, saying who and where.
pub fn check_can_create_in(dir: &std::path::Path, user: Option<&str>) -> anyhow::Result<()> {
    let probe = dir.join(format!(".sipscope-probe-{}", std::process::id()));
    let try_create = || {
        let r = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe);
        if r.is_ok() {
            let _ = std::fs::remove_file(&probe);
        }
        r.map(|_| ())
    };
    let shown = crate::text::escape::text(&dir.display().to_string()).into_owned();
    if !nix::unistd::geteuid().is_root() {
        return try_create().map_err(|e| anyhow::anyhow!("cannot create files in {shown}: {e}"));
    }
    let (uid, gid, name) = target(user)?;
    let groups = nix::unistd::getgroups().map_err(|e| anyhow::anyhow!("getgroups: {e}"))?;
    let root_gid = nix::unistd::getegid();
    setgroups(&[gid]).map_err(|e| anyhow::anyhow!("setgroups: {e}"))?;
    let switched = nix::unistd::setegid(gid).and_then(|()| nix::unistd::seteuid(uid));
    let result = switched.map_err(io_from).and_then(|()| try_create());
    // Back to root, whatever happened; failing that, stop here.
    nix::unistd::seteuid(Uid::from_raw(0)).map_err(|e| anyhow::anyhow!("seteuid: {e}"))?;
    nix::unistd::setegid(root_gid).map_err(|e| anyhow::anyhow!("setegid: {e}"))?;
    setgroups(&groups).map_err(|e| anyhow::anyhow!("setgroups: {e}"))?;
    result.map_err(|e| {
        anyhow::anyhow!(
            "{name} (whom sipscope becomes after opening the interface) cannot create files in {shown}: {e}; \
             rotation would stop at the second file: choose a directory {name} can write, or --user"
        )
    })
}

fn io_from(e: nix::errno::Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(e as i32)
}

/// Drops root if we have it. Returns the user we became, or `None` when we
/// were not root.
///
/// # Errors
/// When root could not be given up: the caller must not go on as root.
pub fn drop_root(user: Option<&str>) -> anyhow::Result<Option<String>> {
    if !getuid().is_root() && !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let (uid, gid, name) = target(user)?;
    setgroups(&[gid]).map_err(|e| anyhow::anyhow!("setgroups: {e}"))?;
    setgid(gid).map_err(|e| anyhow::anyhow!("setgid: {e}"))?;
    setuid(uid).map_err(|e| anyhow::anyhow!("setuid: {e}"))?;
    Ok(Some(name))
}
