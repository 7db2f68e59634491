//! Shared helpers for the cross-crate tests: a small DogStatsD datagram
//! parser written independently of the crates under test.
