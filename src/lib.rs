//! ntm-field core: everything the phone and the server share, so that the progress a phone
//! shows offline equals what the server reports for the same records.
//!
//! - [`catalog`]: the 19 NTM criteria as data, and threshold resolution;
//! - [`admin`], [`ids`]: communes, villages, identifiers of the wire contract;
//! - [`merger`]: communes that merge or split, and whose records a commune's figures count;
//! - [`record`]: versions of entities, their bodies, validation and per-record verdicts;
//! - [`heads`]: current heads and conflicts of each entity;
//! - [`geo`]: road length from GPS tracks, averaged positions;
//! - [`config`], [`scorecard`]: a commune's targets and quotas, and the scorecard;
//! - [`demo`]: the Thiện Kế demo commune;
//! - [`text`]: accent-insensitive search keys for Vietnamese names.
//! - with the `device` feature, what the phone runs: [`store`] (offline SQLite store and outbox),
//!   [`photo`] (photo intake), [`sync`] (sync engine and HTTP client).
#![forbid(unsafe_code)]

pub mod admin;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod geo;
pub mod heads;
pub mod ids;
pub mod merger;
pub mod protocol;
pub mod record;
pub mod scorecard;
pub mod text;
pub mod time;

#[cfg(feature = "device")]
pub mod photo;
#[cfg(feature = "device")]
pub mod store;
#[cfg(feature = "device")]
pub mod sync;
