//! Hash maps for keys that come off the wire (Call-IDs, addresses, packet
//! bytes). `FxHash` is fast but unkeyed: an attacker who knows it can send
//! Call-IDs that all collide and turn every lookup into a scan. foldhash is
//! as fast and seeded at random per process.

/// A seeded hasher builder.
pub type Seeded = foldhash::fast::RandomState;

/// A `HashMap` with a seeded hasher.
pub type Map<K, V> = std::collections::HashMap<K, V, Seeded>;

/// A set keyed by wire data, seeded like [`Map`].
pub type Set<K> = std::collections::HashSet<K, Seeded>;
