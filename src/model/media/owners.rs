//! Who announced which media address: every SDP offer or answer names where
//! its side expects media, and the dialog that carried it owns the address
//! (with others: endpoints reuse ports, and a PBX that leaves the media
//! between the ends names the same addresses on both its legs).

use std::collections::VecDeque;
use std::net::SocketAddr;

use smallvec::SmallVec;

use super::super::dialog::DialogId;
use super::super::message::Addr;
use crate::hash::Map;

/// Dialogs remembered per announced media address.
const OWNERS_PER_ADDRESS: usize = 4;
/// Expected media addresses kept at most.
const MAX_EXPECTED: usize = 100_000;

/// The dialogs a stream belongs to: the first is its owner (its frames count
/// against that dialog's budget), the others share it.
pub type Owners = SmallVec<[DialogId; 2]>;

#[derive(Debug, Default)]
pub(super) struct Announced {
    /// Media addresses SDP announced, and whose they are (the newest last).
    /// Keyed by the 20-byte [`Addr`], not a 32-byte `SocketAddr`: up to
    /// [`MAX_EXPECTED`] of them, twice (here and in `order`).
    by_addr: Map<Addr, SmallVec<[DialogId; 2]>>,
    /// Insertion order of `by_addr`, to forget the oldest when full.
    order: VecDeque<Addr>,
    /// The newest dialog that announced each port (NAT rewrites addresses,
    /// rarely ports).
    by_port: Map<u16, DialogId>,
}

impl Announced {
    /// Records that `dialog`'s SDP named `addr` (it becomes the newest
    /// owner); `true` when other dialogs named it too.
    pub(super) fn announce(&mut self, dialog: DialogId, addr: SocketAddr) -> bool {
        let port = addr.port();
        let addr = Addr::from(addr);
        let owners = self.by_addr.entry(addr).or_default();
        let new = owners.is_empty();
        owners.retain(|d| *d != dialog);
        owners.push(dialog);
        if owners.len() > OWNERS_PER_ADDRESS {
            owners.remove(0);
        }
        let shared = owners.len() > 1;
        if new {
            self.order.push_back(addr);
            while self.order.len() > MAX_EXPECTED {
                if let Some(old) = self.order.pop_front() {
                    self.by_addr.remove(&old);
                }
            }
        }
        self.by_port.insert(port, dialog);
        shared
    }

    /// The dialogs whose SDP named `addr`, the newest last.
    pub(super) fn owners(&self, addr: SocketAddr) -> &[DialogId] {
        self.by_addr
            .get(&Addr::from(addr))
            .map_or(&[], |v| v.as_slice())
    }

    /// Whether `dialog`'s SDP named `addr`.
    pub(super) fn named(&self, dialog: DialogId, addr: SocketAddr) -> bool {
        self.by_addr
            .get(&Addr::from(addr))
            .is_some_and(|v| v.contains(&dialog))
    }

    /// Whose stream `src -> dst` is. The dialogs whose SDPs named both ends,
    /// the newest first, and of the others those still `open` (the two legs
    /// of a call through a PBX that leaves media to the ends; a call that
    /// ended before another reused its ports keeps none of the new one's
    /// streams). Failing that, the newest that named the destination, or
    /// the source (symmetric RTP); else the destination port (NAT).
    pub(super) fn lookup(
        &self,
        src: SocketAddr,
        dst: SocketAddr,
        open: impl Fn(DialogId) -> bool,
    ) -> Owners {
        let to = self.by_addr.get(&Addr::from(dst));
        let from = self.by_addr.get(&Addr::from(src));
        let mut out = Owners::new();
        if let (Some(to), Some(from)) = (to, from) {
            for d in to.iter().rev().filter(|d| from.contains(d)) {
                if out.is_empty() || open(*d) {
                    out.push(*d);
                }
            }
        }
        if out.is_empty()
            && let Some(d) = to
                .and_then(|v| v.last())
                .or_else(|| from.and_then(|v| v.last()))
                .or_else(|| self.by_port.get(&dst.port()))
        {
            out.push(*d);
        }
        out
    }
}
