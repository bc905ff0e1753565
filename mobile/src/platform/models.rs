//! Values the platform hands to the app.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use ntm_field::geo::{PositionFix, TrackPoint};
use ntm_field::record::{Location, LocationSource};
use serde::{Deserialize, Serialize};

/// One position fix as the OS reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub lat: f64,
    pub lon: f64,
    /// Horizontal accuracy, 68 % radius in metres (Android's and the browser's meaning).
    pub accuracy_m: f64,
    pub altitude_m: Option<f64>,
    pub at: DateTime<FixedOffset>,
    pub source: LocationSource,
}

impl Fix {
    /// A fix at `millis` since the epoch (as browsers and Android report time), in Vietnam time.
    pub fn at_millis(
        lat: f64,
        lon: f64,
        accuracy_m: f64,
        altitude_m: Option<f64>,
        millis: i64,
    ) -> Fix {
        let at = Utc
            .timestamp_millis_opt(millis)
            .single()
            .unwrap_or_else(Utc::now);
        Fix {
            lat,
            lon,
            accuracy_m,
            altitude_m,
            at: at.with_timezone(&Ho_Chi_Minh).fixed_offset(),
            source: LocationSource::Gps,
        }
    }

    /// The point of a road track.
    pub fn track_point(&self) -> TrackPoint {
        TrackPoint {
            lat: self.lat,
            lon: self.lon,
            accuracy_m: self.accuracy_m,
            t: self.at,
        }
    }

    /// A fix to average for a point feature.
    pub fn position_fix(&self) -> PositionFix {
        PositionFix {
            lat: self.lat,
            lon: self.lon,
            accuracy_m: self.accuracy_m,
        }
    }

    /// The record's `location`.
    pub fn location(&self) -> Location {
        Location {
            lat: self.lat,
            lon: self.lon,
            accuracy_m: self.accuracy_m,
            altitude_m: self.altitude_m,
            fix_at: self.at,
            source: self.source,
        }
    }
}

/// How hard to try for a fix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionOptions {
    /// Ask for GPS rather than network positions.
    pub high_accuracy: bool,
    /// Give up after this long.
    pub timeout: Duration,
}

impl Default for PositionOptions {
    fn default() -> Self {
        PositionOptions {
            high_accuracy: true,
            timeout: Duration::from_secs(30),
        }
    }
}

/// A photo as the platform delivers it, before the store resizes and hashes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PickedPhoto {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub content_type: String,
}

/// How a screen asks for a photo on this platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoInput {
    /// An `<input type=file accept=image/* capture=environment>` the user taps (browser); the
    /// platform reads the chosen file when it changes.
    FileInput,
    /// A text field with a path on disk (desktop development).
    PathField,
    /// A plain button; the platform opens the camera itself (native plugins, tests).
    Button,
}

/// Which photo control is asking, and what the user typed into it (desktop path field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRequest {
    /// The DOM id of the control's file input (browser).
    pub input_id: String,
    /// The path typed into a [`PhotoInput::PathField`].
    pub path: Option<String>,
}

/// What the OS says about the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Connectivity {
    Online,
    Offline,
    Unknown,
}

/// The app went to the background or came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LifecycleEvent {
    Paused,
    Resumed,
}
