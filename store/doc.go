// Package store keeps the Schedule Manager configuration document as a
// sequence of immutable, numbered versions.
//
// The [Store] interface is the contract the rest of the service programs
// against: read the latest version, write a new one with compare-and-swap on
// the version number (a stale writer gets an error matching [ErrConflict] that
// carries the current version), list and fetch past versions for rollback, and
// watch for new versions.
//
// [JetStream] implements [Store] on NATS JetStream so that any number of
// service replicas share one store without home-made replication:
//
//   - a KV bucket "<prefix>_config" whose key "config" is the head; the
//     version of a document is the KV revision of the head that points to it,
//     so versions only grow, and writes are KV compare-and-swap operations;
//   - a KV bucket "<prefix>_history" with one record per version, keyed
//     "v.<20-digit version>", so any past version stays reachable beyond the
//     64 revisions a KV key can keep;
//   - an Object Store "<prefix>_docs" holding document bodies too large to be
//     kept inline in a KV value, named by the SHA-256 of their content, with
//     ".zst" when zstd-compressed (see [Compression]: once every live
//     replica reads compressed documents).
//
// The document bytes are stored and returned byte for byte; the store never
// parses or validates them.
//
// [Presence] lets each replica announce the version it serves into a KV bucket
// "<prefix>_replicas" whose entries expire unless refreshed, which is what
// "is this version deployed everywhere" is computed from.
package store
