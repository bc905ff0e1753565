//! ntm-mobile: the collector app. Village staff and commune officers check households, record
//! roads with GPS, place no-dumping signs and watch their commune's progress, offline for days,
//! in Vietnamese.
//!
//! The flow of a record (style.md): a screen's form ([`forms`]) -> the core's validation ->
//! the device store (`ntm_field::store`: version + outbox in one transaction) -> the sync
//! engine (`ntm_field::sync`) -> the server. Every rule (the 17.6 verdict, a road's length, a
//! sign's averaged position, what is valid) is a call into the core; the components only show.
//!
//! - [`app`]: the root component, the services it puts in context, navigation;
//! - [`screens`]: one module per screen; [`components`]: small shared pieces with typed props;
//! - [`forms`]: form state (kept as drafts while the user types) and its conversion to records;
//! - [`platform`]: GPS, camera, files, connectivity and lifecycle behind one trait;
//! - [`i18n`] and [`fmt`]: message catalogs and Vietnamese number and date formats.
#![forbid(unsafe_code)]

pub mod app;
pub mod components;
pub mod drafts;
pub mod fmt;
pub mod forms;
pub mod i18n;
pub mod platform;
pub mod recorder;
pub mod screens;
pub mod services;

pub use app::App;
pub use services::Services;
