//! Who announced which media address: every SDP offer or answer names where
//! its side expects media, and the dialog that carried it owns the address
//! (with others: endpoints reuse ports, and a PBX that leaves the media
//! between the ends names the same addresses on both its legs).

use std::hash::BuildHasher;
use std::net::SocketAddr;

use smallvec::SmallVec;

use super::super::dialog::DialogId;
use super::super::message::Addr;
use crate::hash::Seeded;

/// Dialogs remembered per announced media address.
const OWNERS_PER_ADDRESS: usize = 4;
/// Expected media addresses kept at most.
const MAX_EXPECTED: usize = 100_000;

/// The dialogs a stream belongs to: the first is its owner (its frames count
/// against that dialog's budget), the others share it.
pub type Owners = SmallVec<[DialogId; 2]>;

/// One announced address and the dialogs that named it, the newest last.
#[derive(Debug)]
struct Entry {
    addr: Addr,
    owners: SmallVec<[DialogId; 2]>,
}

/// Slots of the index at most: a power of two, at least twice
/// [`MAX_EXPECTED`] (linear probing stays short below half full).
const MAX_INDEX: usize = (2 * MAX_EXPECTED).next_power_of_two();

/// The media addresses SDPs announced, oldest first, at most
/// [`MAX_EXPECTED`]: past it the oldest address is forgotten. Every SDP
/// message announces one or two, so this is on the model thread's path:
/// the addresses lie in a ring in the order they came (the oldest to
/// forget is the next slot, not a random one) and a small index finds
/// them (8 bytes a slot, no tombstones, never rebuilt once grown).
#[derive(Debug, Default)]
pub(super) struct Announced {
    /// The addresses in the order they were first announced; once
    /// [`MAX_EXPECTED`] are held, `head` is the oldest.
    ring: Vec<Entry>,
    head: usize,
    /// Open addressing with linear probing: 0 is an empty slot, else the
    /// address's hash in the high 32 bits (its home slot and a tag that
    /// spares most reads of the ring) and its ring position + 1 below.
    index: Vec<u64>,
    seed: Seeded,
    /// The newest dialog that announced each port (NAT rewrites addresses,
    /// rarely ports), by port: made at the first announcement.
    by_port: Vec<Option<DialogId>>,
}

impl Announced {
    /// Records that `dialog`'s SDP named `addr` (it becomes the newest
    /// owner); `true` when other dialogs named it too.
    pub(super) fn announce(&mut self, dialog: DialogId, addr: SocketAddr) -> bool {
        let port = addr.port();
        let addr = Addr::from(addr);
        let hash = self.hash(&addr);
        let shared = if let Some(at) = self.find(&addr, hash) {
            let owners = &mut self.ring[at].owners;
            owners.retain(|d| *d != dialog);
            owners.push(dialog);
            if owners.len() > OWNERS_PER_ADDRESS {
                owners.remove(0);
            }
            owners.len() > 1
        } else {
            self.insert(addr, hash, dialog);
            false
        };
        if self.by_port.is_empty() {
            self.by_port = vec![None; usize::from(u16::MAX) + 1];
        }
        if let Some(p) = self.by_port.get_mut(usize::from(port)) {
            *p = Some(dialog);
        }
        shared
    }

    /// The index tag of `addr`: the first step of reading ahead what
    /// announcing it will read (`Model::warm`, in passes: the tags, then
    /// [`Announced::home_slot`] and [`Announced::port_slot`], then
    /// [`Announced::touch_entry`] and [`Announced::touch_oldest`]).
    pub(super) fn tag_of(&self, addr: SocketAddr) -> u32 {
        self.hash(&Addr::from(addr))
    }

    /// The index slot a lookup of `tag` reads first (0 when none).
    pub(super) fn home_slot(&self, tag: u32) -> u64 {
        self.index
            .get(tag as usize & self.mask())
            .copied()
            .unwrap_or(0)
    }

    /// The port's slot (read only so that its line is on its way).
    pub(super) fn port_slot(&self, port: u16) -> u64 {
        self.by_port
            .get(usize::from(port))
            .map_or(0, |d| d.map_or(1, |d| d.0))
    }

    /// The ring entry that `slot`, read for `tag`, names; `None` when the
    /// slot is another address's or empty (the address is likely new).
    pub(super) fn touch_entry(&self, tag: u32, slot: u64) -> Option<u64> {
        if slot >> 32 != u64::from(tag) {
            return None;
        }
        Some(
            self.ring
                .get(position(slot))
                .map_or(0, |e| e.owners.len() as u64),
        )
    }

    /// The index slots of the `n` oldest addresses, which `n` new ones
    /// would forget (none until [`MAX_EXPECTED`] are held).
    pub(super) fn touch_oldest(&self, n: usize) -> u64 {
        if self.ring.len() < MAX_EXPECTED {
            return 0;
        }
        (0..n)
            .filter_map(|k| self.ring.get((self.head + k) % MAX_EXPECTED))
            .fold(0, |acc, e| acc ^ self.home_slot(self.hash(&e.addr)))
    }

    /// The dialogs whose SDP named `addr`, the newest last.
    pub(super) fn owners(&self, addr: SocketAddr) -> &[DialogId] {
        self.get(addr).map_or(&[], |e| e.owners.as_slice())
    }

    /// Whether `dialog`'s SDP named `addr`.
    pub(super) fn named(&self, dialog: DialogId, addr: SocketAddr) -> bool {
        self.get(addr).is_some_and(|e| e.owners.contains(&dialog))
    }

    /// What it holds, whatever its seed: the ring in order (each address
    /// and its owners), the oldest's place, the port array.
    #[cfg(test)]
    #[allow(clippy::type_complexity)]
    pub(super) fn contents(&self) -> (Vec<(Addr, Vec<DialogId>)>, usize, Vec<Option<DialogId>>) {
        (
            self.ring
                .iter()
                .map(|e| (e.addr, e.owners.to_vec()))
                .collect(),
            self.head,
            self.by_port.clone(),
        )
    }

    /// Addresses held (at most [`MAX_EXPECTED`]).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ring.len()
    }

    fn get(&self, addr: SocketAddr) -> Option<&Entry> {
        let addr = Addr::from(addr);
        self.ring.get(self.find(&addr, self.hash(&addr))?)
    }

    /// The index's tag of an address: the high half of its seeded hash.
    fn hash(&self, addr: &Addr) -> u32 {
        let h = self.seed.hash_one(addr);
        u32::try_from(h >> 32).unwrap_or(u32::MAX)
    }

    fn mask(&self) -> usize {
        self.index.len().wrapping_sub(1)
    }

    /// The ring position of `addr`, whose tag is `hash`.
    fn find(&self, addr: &Addr, hash: u32) -> Option<usize> {
        if self.index.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let slot = *self.index.get(i)?;
            if slot == 0 {
                return None;
            }
            if (slot >> 32) as u32 == hash {
                let at = position(slot);
                if self.ring.get(at).is_some_and(|e| e.addr == *addr) {
                    return Some(at);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds an address no dialog announced yet, forgetting the oldest when
    /// [`MAX_EXPECTED`] are held.
    fn insert(&mut self, addr: Addr, hash: u32, dialog: DialogId) {
        let entry = Entry {
            addr,
            owners: SmallVec::from_slice(&[dialog]),
        };
        let at = if self.ring.len() < MAX_EXPECTED {
            if self.ring.len() == self.ring.capacity() {
                // Grown in doubling steps, but never past the bound.
                let more = self.ring.len().max(64).min(MAX_EXPECTED - self.ring.len());
                self.ring.reserve_exact(more);
            }
            self.ring.push(entry);
            self.ring.len() - 1
        } else {
            let at = self.head;
            self.forget(at);
            if let Some(e) = self.ring.get_mut(at) {
                *e = entry;
            }
            self.head = (at + 1) % MAX_EXPECTED;
            at
        };
        if self.index.len() < (2 * self.ring.len()).min(MAX_INDEX) {
            self.grow();
        }
        self.place(hash, at);
    }

    /// Files ring position `at` under `hash` in the index.
    fn place(&mut self, hash: u32, at: usize) {
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.index.get(i).is_some_and(|s| *s != 0) {
            i = (i + 1) & mask;
        }
        if let Some(s) = self.index.get_mut(i) {
            *s = (u64::from(hash) << 32) | (at as u64 + 1);
        }
    }

    /// Doubles the index (its slots hold their hashes: the ring is not read).
    #[cold]
    fn grow(&mut self) {
        let len = (self.index.len() * 2).clamp(64, MAX_INDEX);
        let old = std::mem::replace(&mut self.index, vec![0; len]);
        for slot in old.into_iter().filter(|s| *s != 0) {
            self.place((slot >> 32) as u32, position(slot));
        }
    }

    /// Takes ring position `at` out of the index, moving back the slots
    /// after it that probed past it (no tombstones).
    fn forget(&mut self, at: usize) {
        let mask = self.mask();
        let Some(mut hole) = self
            .ring
            .get(at)
            .map(|e| self.hash(&e.addr) as usize & mask)
        else {
            return;
        };
        // The slot that holds `at`.
        loop {
            match self.index.get(hole) {
                Some(0) | None => return,
                Some(s) if position(*s) == at => break,
                Some(_) => hole = (hole + 1) & mask,
            }
        }
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let slot = self.index.get(i).copied().unwrap_or(0);
            if slot == 0 {
                break;
            }
            let start = (slot >> 32) as usize & mask;
            // Moves back unless its home slot lies cyclically in (hole, i].
            let stays = if hole <= i {
                hole < start && start <= i
            } else {
                hole < start || start <= i
            };
            if !stays {
                if let Some(h) = self.index.get_mut(hole) {
                    *h = slot;
                }
                hole = i;
            }
        }
        if let Some(h) = self.index.get_mut(hole) {
            *h = 0;
        }
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
        let to = self.get(dst).map(|e| &e.owners);
        let from = self.get(src).map(|e| &e.owners);
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
                .or_else(|| self.by_port.get(usize::from(dst.port()))?.as_ref())
        {
            out.push(*d);
        }
        out
    }
}

/// The ring position an index slot holds.
fn position(slot: u64) -> usize {
    usize::try_from(slot & u64::from(u32::MAX)).map_or(usize::MAX, |p| p.wrapping_sub(1))
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, VecDeque};
    use std::net::SocketAddr;

    use super::{Announced, DialogId, MAX_EXPECTED, OWNERS_PER_ADDRESS};

    /// The table as it was kept before the ring: a map and the order of
    /// first announcement, the oldest removed past the bound.
    #[derive(Default)]
    struct Plain {
        by_addr: HashMap<SocketAddr, Vec<DialogId>>,
        order: VecDeque<SocketAddr>,
    }

    impl Plain {
        fn announce(&mut self, dialog: DialogId, addr: SocketAddr) -> bool {
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
                    let old = self.order.pop_front().unwrap();
                    self.by_addr.remove(&old);
                }
            }
            shared
        }
    }

    /// A small generator of our own (no dependency): xorshift.
    fn next(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    fn addr(n: u64) -> SocketAddr {
        let ip = u32::try_from(n >> 16).unwrap();
        let port = u16::try_from(n & 0xffff).unwrap();
        if n.is_multiple_of(7) {
            SocketAddr::from((
                [
                    0x2001,
                    0xdb8,
                    0,
                    0,
                    0,
                    0,
                    0,
                    u16::try_from(ip & 0xffff).unwrap(),
                ],
                port,
            ))
        } else {
            SocketAddr::from((ip.to_be_bytes(), port))
        }
    }

    /// Past the bound the oldest address goes first, re-announcing moves
    /// nothing, owners keep their order: the same answers as a map and a
    /// queue, through three times the bound of churn (every slot of the
    /// ring reused, the index's slots moved back many times).
    #[test]
    fn the_ring_forgets_as_a_queue_would() {
        let mut ring = Announced::default();
        let mut plain = Plain::default();
        let mut state = 0x9e37_79b9_7f4a_7c15;
        let pool = 3 * MAX_EXPECTED as u64 / 2;
        let mut fresh = pool;
        for i in 0..3 * MAX_EXPECTED as u64 {
            let r = next(&mut state);
            // Half old addresses (some long forgotten), half new ones.
            let n = if r.is_multiple_of(2) {
                (r >> 8) % fresh
            } else {
                fresh += 1;
                fresh
            };
            let a = addr(n.wrapping_mul(0x1_0001) % (1 << 40));
            let d = DialogId((r >> 20) % 50_000);
            assert_eq!(ring.announce(d, a), plain.announce(d, a), "step {i}");
            if i % 997 == 0 {
                let probe = addr(((r >> 3) % fresh).wrapping_mul(0x1_0001) % (1 << 40));
                let want = plain.by_addr.get(&probe).map_or(&[][..], Vec::as_slice);
                assert_eq!(ring.owners(probe), want, "step {i}");
            }
        }
        assert_eq!(ring.len(), MAX_EXPECTED);
        assert_eq!(plain.by_addr.len(), MAX_EXPECTED);
        for (a, owners) in &plain.by_addr {
            assert_eq!(ring.owners(*a), owners.as_slice());
            assert!(ring.named(*owners.last().unwrap(), *a));
        }
        // What was forgotten is not found.
        for a in plain.order.iter().take(10) {
            assert!(!ring.owners(*a).is_empty());
        }
        let forgotten = (0..pool)
            .map(|n| addr(n.wrapping_mul(0x1_0001) % (1 << 40)))
            .filter(|a| !plain.by_addr.contains_key(a))
            .take(1000)
            .collect::<Vec<_>>();
        assert!(!forgotten.is_empty());
        for a in forgotten {
            assert!(ring.owners(a).is_empty());
        }
    }

    /// The port map answers for a port an SDP named, whatever the address.
    #[test]
    fn a_port_alone_names_its_newest_dialog() {
        let mut ring = Announced::default();
        ring.announce(DialogId(1), SocketAddr::from(([192, 0, 2, 1], 4000)));
        ring.announce(DialogId(2), SocketAddr::from(([192, 0, 2, 2], 4000)));
        let owners = ring.lookup(
            SocketAddr::from(([198, 51, 100, 9], 5000)),
            SocketAddr::from(([203, 0, 113, 7], 4000)),
            |_| true,
        );
        assert_eq!(owners.as_slice(), &[DialogId(2)]);
        let none = ring.lookup(
            SocketAddr::from(([198, 51, 100, 9], 5000)),
            SocketAddr::from(([203, 0, 113, 7], 4001)),
            |_| true,
        );
        assert!(none.is_empty());
    }
}
