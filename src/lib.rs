//! ntm-field core: everything the phone and the server share.
pub mod geo;
