//! Helpers of the cross-crate and end-to-end tests.

pub mod collect;
pub mod link;
pub mod phone;
pub mod proxy;
pub mod server;
pub mod server_records;
