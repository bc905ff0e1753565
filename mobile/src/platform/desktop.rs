//! The desktop platform, for development on a workstation: there is no GPS, so positions are
//! simulated, starting from a typed point and walking at a steady pace (so road recording
//! shows a growing length), and photos are read from a path the developer types.
//!
//! `NTM_DESKTOP_POSITION="lat,lon"` sets the start; the default is Thiện Kế's commune centre.

use std::path::PathBuf;
use std::time::Duration;

use ntm_field::record::LocationSource;
use tokio::sync::mpsc;

use super::*;

/// Thiện Kế, Sơn Dương, Tuyên Quang.
const DEFAULT_START: (f64, f64) = (21.7390, 105.3210);
/// A walking pace, metres per second, and the fix interval.
const WALK_M_PER_S: f64 = 1.4;
const FIX_INTERVAL: Duration = Duration::from_secs(1);
const SIMULATED_ACCURACY_M: f64 = 5.0;

/// Development platform: simulated GPS, photos from typed paths.
pub struct DesktopPlatform {
    dir: PathBuf,
    start: (f64, f64),
    /// A workstation has no lifecycle or network events worth reporting: listeners are kept
    /// (so their channels stay open) and never sent to.
    listeners: std::cell::RefCell<Vec<mpsc::UnboundedSender<PlatformEvent>>>,
}

impl DesktopPlatform {
    /// Files under `dir`; the start position from `NTM_DESKTOP_POSITION` when set.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let start = std::env::var("NTM_DESKTOP_POSITION")
            .ok()
            .and_then(|s| {
                let (lat, lon) = s.split_once(',')?;
                Some((lat.trim().parse().ok()?, lon.trim().parse().ok()?))
            })
            .unwrap_or(DEFAULT_START);
        DesktopPlatform {
            dir: dir.into(),
            start,
            listeners: Default::default(),
        }
    }

    fn fix_at(&self, step: u32) -> Fix {
        // East-north-east, about 1.4 m a step: 1 m of latitude is 1/111 320 degree.
        let metres = f64::from(step) * WALK_M_PER_S;
        let lat = self.start.0 + metres * 0.4 / 111_320.0;
        let lon = self.start.1 + metres * 0.9165 / (111_320.0 * self.start.0.to_radians().cos());
        Fix {
            lat,
            lon,
            accuracy_m: SIMULATED_ACCURACY_M,
            altitude_m: None,
            at: crate::fmt::now_local(),
            source: LocationSource::Gps,
        }
    }
}

impl Platform for DesktopPlatform {
    fn name(&self) -> &'static str {
        "desktop"
    }

    fn files_dir(&self) -> PathBuf {
        self.dir.clone()
    }

    fn current_position(
        &self,
        _options: PositionOptions,
    ) -> LocalBoxFuture<'static, Result<Fix, PlatformError>> {
        let fix = self.fix_at(0);
        Box::pin(async move { Ok(fix) })
    }

    fn watch_position(&self, _options: PositionOptions) -> PositionWatch {
        let (tx, rx) = mpsc::unbounded_channel();
        let fixes: Vec<Fix> = (0..20_000).map(|i| self.fix_at(i)).collect();
        let task = tokio::spawn(async move {
            for mut fix in fixes {
                fix.at = crate::fmt::now_local();
                if tx.send(Ok(fix)).is_err() {
                    break;
                }
                tokio::time::sleep(FIX_INTERVAL).await;
            }
        });
        PositionWatch::new(rx, Some(Box::new(AbortOnDrop(task))))
    }

    fn photo_input(&self) -> PhotoInput {
        PhotoInput::PathField
    }

    fn take_photo(
        &self,
        request: PhotoRequest,
    ) -> LocalBoxFuture<'static, Result<Option<PickedPhoto>, PlatformError>> {
        Box::pin(async move {
            let Some(path) = request.path.filter(|p| !p.trim().is_empty()) else {
                return Ok(None);
            };
            let path = PathBuf::from(path.trim());
            let bytes = std::fs::read(&path)
                .map_err(|e| PlatformError::PhotoUnreadable(format!("{}: {e}", path.display())))?;
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let content_type = if file_name.to_lowercase().ends_with(".png") {
                "image/png"
            } else {
                "image/jpeg"
            };
            Ok(Some(PickedPhoto {
                bytes,
                file_name,
                content_type: content_type.to_owned(),
            }))
        })
    }

    fn connectivity(&self) -> Connectivity {
        Connectivity::Unknown
    }

    fn events(&self) -> mpsc::UnboundedReceiver<PlatformEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.listeners.borrow_mut().push(tx);
        rx
    }
}

/// Stops a simulated watch when the app drops it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
