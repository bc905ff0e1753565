//! What can go wrong with the device's hardware; each variant maps to a message that says what
//! to do next (`msg_id`), shown in the user's language.

/// A platform service failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlatformError {
    /// The user (or the OS) refused location access.
    #[error("location permission denied")]
    LocationDenied,
    /// No fix arrived in time (indoors, under a roof, GPS off).
    #[error("no position fix in time")]
    NoFix,
    /// Camera or file access refused.
    #[error("camera or file access denied")]
    PhotoDenied,
    /// The photo could not be read (a path that does not exist, an unreadable file).
    #[error("could not read the photo: {0}")]
    PhotoUnreadable(String),
    /// This platform cannot do it (yet).
    #[error("not supported on this device")]
    Unsupported,
    /// Anything else the platform reported.
    #[error("{0}")]
    Other(String),
}

impl PlatformError {
    /// The catalog message that tells the user what to do.
    pub fn msg_id(&self) -> &'static str {
        match self {
            PlatformError::LocationDenied => "err-location-denied",
            PlatformError::NoFix => "err-no-fix",
            PlatformError::PhotoDenied => "err-photo-denied",
            PlatformError::PhotoUnreadable(_) => "err-photo-unreadable",
            PlatformError::Unsupported => "err-unsupported",
            PlatformError::Other(_) => "err-platform-other",
        }
    }
}
