//! Where messages came from: the capture files behind source indices
//! (message bytes are read back from them) and the HEP agents behind
//! origin indices.

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;

use super::{Dialog, Message, Model, RawLoc};
use crate::sip::sdp::Sdp;
use crate::sip::{Origin, SipMessage};

impl Model {
    /// Names the file behind a source index, so bytes left there can be read.
    pub fn set_source(&mut self, source: u16, path: Option<PathBuf>) {
        let i = usize::from(source);
        while self.sources.len() <= i {
            self.sources.push(None);
        }
        if let Some(slot) = self.sources.get_mut(i) {
            *slot = path.map(|path| SourceFile {
                file: std::fs::File::open(&path).ok(),
                path,
            });
        }
    }

    /// The file behind a source index.
    #[must_use]
    pub fn source_path(&self, source: u16) -> Option<&std::path::Path> {
        self.sources
            .get(usize::from(source))?
            .as_ref()
            .map(|s| s.path.as_path())
    }

    /// Did any message come from a HEP agent?
    #[must_use]
    pub fn has_agents(&self) -> bool {
        !self.origins.is_empty()
    }

    /// The HEP agent behind an origin index (`None`: this capture).
    #[must_use]
    pub fn origin(&self, index: u16) -> Option<Origin> {
        self.origins
            .get(usize::from(index).checked_sub(1)?)
            .copied()
    }

    /// Where a dialog's messages were captured, in order of first sight.
    #[must_use]
    pub fn origins_of(&self, d: &Dialog) -> Vec<u16> {
        let mut out: Vec<u16> = Vec::new();
        for m in &d.messages {
            if !out.contains(&m.origin()) {
                out.push(m.origin());
            }
        }
        out
    }

    /// An origin in words: `here`, or the agent (`2001@10.0.0.5`).
    #[must_use]
    pub fn origin_name(&self, index: u16) -> String {
        self.origin(index)
            .map_or_else(|| "here".to_owned(), |o| o.to_string())
    }

    /// A message's bytes, from memory or read back from its capture file.
    ///
    /// # Errors
    /// When the bytes were left in a file that can no longer be read.
    pub fn raw<'a>(&self, m: &'a Message) -> io::Result<Cow<'a, [u8]>> {
        match m.raw_loc() {
            RawLoc::Inline(b) => Ok(Cow::Borrowed(b)),
            RawLoc::File {
                source,
                offset,
                len,
            } => {
                use std::os::unix::fs::FileExt;
                let f = self
                    .sources
                    .get(usize::from(source))
                    .and_then(Option::as_ref)
                    .and_then(|s| s.file.as_ref())
                    .ok_or_else(|| {
                        io::Error::other("the capture file of this message cannot be read")
                    })?;
                let mut buf = vec![0u8; len as usize];
                f.read_exact_at(&mut buf, offset)?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// A message's SDP, parsed from its bytes (read back from the file if need be).
    ///
    /// # Errors
    /// As [`Model::raw`].
    pub fn sdp(&self, m: &Message) -> io::Result<Option<Sdp>> {
        if !m.has_sdp() {
            return Ok(None);
        }
        let raw = self.raw(m)?;
        let parsed = SipMessage::parse_one(&raw);
        Ok(parsed
            .as_ref()
            .and_then(SipMessage::sdp_body)
            .map(crate::sip::sdp::parse))
    }
}

#[derive(Debug)]
pub(super) struct SourceFile {
    pub(super) path: PathBuf,
    pub(super) file: Option<std::fs::File>,
}
