//! Road recording: the GPS track being walked or ridden, kept at the app's root so that leaving
//! the screen (to answer a call, to look at the list) does not stop it. Start, pause, resume,
//! stop; the live length is the core's `track_length`, the same function the server uses.
//!
//! The track is written to the drafts folder as it grows, so a killed app reopens with the
//! recording paused where it was. Each recording has an id, which the details draft of the road
//! it becomes takes: the recording and its details are one draft of one road.

use dioxus::core::{current_scope_id, Runtime, ScopeId, Task};
use dioxus::prelude::*;
use ntm_field::geo::{track_length, TrackFilter, TrackLength, TrackPoint};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::drafts::Drafts;
use crate::platform::{Fix, PlatformService, PositionOptions};

/// Drafts key of the recording in progress.
pub const DRAFT_KEY: &str = "road-recording";
/// Write the track to disk every this many new points (and on every state change).
const SAVE_EVERY_POINTS: usize = 5;

/// Where a recording is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RecState {
    #[default]
    Idle,
    Recording,
    Paused,
    /// Stopped: the details form is next.
    Stopped,
}

/// A track being recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// The id of the road's draft (a recording from before ids gets a new one).
    #[serde(default = "Uuid::now_v7")]
    pub id: Uuid,
    pub state: RecState,
    pub points: Vec<TrackPoint>,
    /// Accuracy of the latest fix, metres (whether or not it was kept).
    pub last_accuracy_m: Option<f64>,
    /// The latest GPS problem, as a catalog message id.
    pub last_error: Option<String>,
}

impl Recording {
    /// The core's measure of the track so far.
    pub fn length(&self) -> TrackLength {
        track_length(&self.points, &TrackFilter::default())
    }

    /// Takes a fix: kept in the track while recording; its accuracy is shown either way.
    pub fn take(&mut self, fix: &Fix) -> bool {
        self.last_accuracy_m = Some(fix.accuracy_m);
        self.last_error = None;
        if self.state == RecState::Recording {
            self.points.push(fix.track_point());
            true
        } else {
            false
        }
    }
}

/// Controls of the recording, shared through context. All fields are signals (`Copy`).
#[derive(Clone, Copy)]
pub struct Recorder {
    pub recording: Signal<Recording>,
    task: Signal<Option<Task>>,
    /// The app's root component, which owns the signals and the GPS task.
    scope: ScopeId,
}

impl Recorder {
    /// A recorder restored from a draft: a recording that was running when the app died comes
    /// back paused (the GPS watch did not survive).
    pub fn restore(drafts: &Drafts) -> Recording {
        let mut r: Recording = drafts.load(DRAFT_KEY).unwrap_or_default();
        if r.state == RecState::Recording {
            r.state = RecState::Paused;
        }
        r
    }

    /// Must be called by the app's root component (it owns the recording).
    pub fn new(recording: Signal<Recording>, task: Signal<Option<Task>>) -> Self {
        Recorder {
            recording,
            task,
            scope: current_scope_id(),
        }
    }

    fn watch(mut self, platform: PlatformService, drafts: Drafts) {
        let mut recording = self.recording;
        // In the app's root component, so the watch lives as long as the app, not the screen.
        let task = Runtime::current().spawn(self.scope, async move {
            let mut watch = platform.watch_position(PositionOptions::default());
            let mut unsaved = 0;
            while let Some(fix) = watch.next().await {
                match fix {
                    Ok(fix) => {
                        if recording.write().take(&fix) {
                            unsaved += 1;
                            if unsaved >= SAVE_EVERY_POINTS {
                                drafts.save(DRAFT_KEY, &*recording.peek());
                                unsaved = 0;
                            }
                        }
                    }
                    Err(e) => recording.write().last_error = Some(e.msg_id().to_owned()),
                }
            }
        });
        if let Some(old) = self.task.replace(Some(task)) {
            old.cancel();
        }
    }

    fn unwatch(mut self) {
        if let Some(task) = self.task.take() {
            task.cancel();
        }
    }

    fn set_state(mut self, state: RecState, drafts: &Drafts) {
        self.recording.write().state = state;
        drafts.save(DRAFT_KEY, &*self.recording.peek());
    }

    /// Starts a new track (forgetting any stopped one), the draft of a new road.
    pub fn start(mut self, platform: PlatformService, drafts: Drafts) {
        self.recording.set(Recording {
            id: Uuid::now_v7(),
            state: RecState::Recording,
            ..Recording::default()
        });
        drafts.save(DRAFT_KEY, &*self.recording.peek());
        self.watch(platform, drafts);
    }

    /// Pauses: fixes are no longer added and the GPS is released.
    pub fn pause(self, drafts: &Drafts) {
        self.unwatch();
        self.set_state(RecState::Paused, drafts);
    }

    /// Resumes a paused track.
    pub fn resume(self, platform: PlatformService, drafts: Drafts) {
        self.set_state(RecState::Recording, &drafts);
        self.watch(platform, drafts);
    }

    /// Stops: the track is complete and the details form comes next.
    pub fn stop(self, drafts: &Drafts) {
        self.unwatch();
        self.set_state(RecState::Stopped, drafts);
    }

    /// Forgets the track (after it was saved as a record, or discarded; the caller handles the
    /// details draft).
    pub fn discard(mut self, drafts: &Drafts) {
        self.unwatch();
        self.recording.set(Recording::default());
        drafts.clear(DRAFT_KEY);
    }
}

/// The recorder of the current app.
pub fn use_recorder() -> Recorder {
    use_context::<Recorder>()
}
