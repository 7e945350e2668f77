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
///
/// # Errors
/// When the user is unknown or the file cannot be given away.
pub fn give_to_target(path: &std::path::Path, user: Option<&str>) -> anyhow::Result<()> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let (uid, gid, _) = target(user)?;
    std::os::unix::fs::chown(path, Some(uid.as_raw()), Some(gid.as_raw()))?;
    Ok(())
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
