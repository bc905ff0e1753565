//! The sync engine: moves the device store's outbox to the server, the commune's versions back,
//! and photos up by tus, with the rules of sync-designs.md §4:
//!
//! - records before photos; oldest first; batches of contiguous `device_seq`;
//! - outbox entries are removed only up to the `acked_through_seq` the server answered, never on
//!   an HTTP status alone; `409 expected_seq` resends from there (from the stored versions, so
//!   even what was acknowledged once can be sent again);
//! - rejected versions go to the "needs attention" list and the queue goes on;
//! - each pulled page is stored with its cursor in one transaction;
//! - a photo upload keeps its URL in the store and resumes from the server's offset (`HEAD`)
//!   after any failure or restart, with the chunk size following the link;
//! - failed rounds are retried with jittered exponential backoff capped at 10 minutes; a round
//!   starts on demand ([`SyncHandle::sync_now`]) and when connectivity returns
//!   ([`SyncHandle::connectivity_changed`]).

pub mod client;
pub mod pacing;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use client::{Client, ClientError, PushOutcome, WireFormat};
pub use pacing::{Backoff, Sizer};

use crate::protocol::{EnrollRequest, PushRequest};
use crate::store::{PhotoUpload, PushIdentity, Store, StoreError};

/// Tries of one enrollment request when its answer is lost on the way.
const ENROLL_TRIES: u32 = 3;
/// New identities one round may take (a copy found out) before it gives up.
const MAX_RESTARTS: u32 = 2;

/// Tunables of the engine; the defaults suit 2G.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub format: WireFormat,
    /// Versions per push ([`Sizer::push_batch`]); a push too large for the server (a batch of
    /// long road tracks) is also halved on its 413.
    pub batch: Sizer,
    /// Versions per pull page.
    pub pull_limit: u32,
    /// Bound on one HTTP request.
    pub request_timeout: Duration,
    pub backoff: Backoff,
    /// Start, minimum and maximum tus chunk.
    pub chunk: Sizer,
    /// While online and idle, how often a round runs by itself.
    pub idle_interval: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            format: WireFormat::CborZstd,
            batch: Sizer::push_batch(),
            pull_limit: 500,
            request_timeout: Duration::from_secs(120),
            backoff: Backoff::default(),
            chunk: Sizer::tus_chunk(),
            idle_interval: Duration::from_secs(15 * 60),
        }
    }
}

/// What a round is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    Idle,
    Pushing,
    Pulling,
    Photos,
    /// Waiting to retry after a failure.
    Waiting,
    Offline,
}

/// Progress for the UI ("12 of 40 records, 1 of 3 photos, 210 of 900 KB").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncProgress {
    pub phase: Phase,
    pub records_done: u64,
    pub records_total: u64,
    pub photos_done: u64,
    pub photos_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Versions pulled in this round.
    pub pulled: u64,
    /// The last round's failure, in words (for the technical detail), until a round succeeds.
    pub last_error: Option<String>,
    /// What that failure means for the person holding the phone; the app words it.
    pub last_failure: Option<FailureKind>,
    /// Completed rounds since the engine started.
    pub rounds: u64,
}

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this phone is not enrolled")]
    NotEnrolled,
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the server's answer does not fit: {0}")]
    Protocol(String),
    #[error("photo {0} on the phone does not match its id; it cannot be sent")]
    PhotoDamaged(String),
}

/// A failed round as the person holding the phone needs to hear it: whether to wait or to
/// act, and what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The phone has no enrollment: enroll it.
    NotEnrolled,
    /// No connection, or it dropped: the engine retries by itself.
    Offline,
    /// The server no longer accepts this phone (401/403): it needs a new enrollment code.
    Refused,
    /// The server turned the data down as a whole (another 4xx): the app may be too old.
    Rejected,
    /// The server had trouble or answered something unreadable: the engine retries by itself.
    ServerTrouble,
    /// The phone's own database failed.
    Storage,
    /// A photo file on the phone no longer matches its id.
    PhotoDamaged,
}

impl SyncError {
    pub fn kind(&self) -> FailureKind {
        match self {
            SyncError::NotEnrolled => FailureKind::NotEnrolled,
            SyncError::Client(ClientError::Network(_) | ClientError::Unreachable(_)) => {
                FailureKind::Offline
            }
            SyncError::Client(ClientError::Status {
                status: 401 | 403, ..
            }) => FailureKind::Refused,
            SyncError::Client(e) if e.is_transient() => FailureKind::ServerTrouble,
            SyncError::Client(_) => FailureKind::Rejected,
            SyncError::Protocol(_) => FailureKind::ServerTrouble,
            SyncError::Store(_) => FailureKind::Storage,
            SyncError::PhotoDamaged(_) => FailureKind::PhotoDamaged,
        }
    }

    /// The server found a sequence number of this identity used for another version
    /// (`409 sequence_reused`): another copy of this database writes under it.
    pub fn is_sequence_reused(&self) -> bool {
        matches!(self, SyncError::Client(ClientError::Status { status: 409, code, .. }) if code == "sequence_reused")
    }

    /// Worth retrying by itself (network trouble, a server error).
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Client(e) => e.is_transient(),
            SyncError::Protocol(_) => true,
            _ => false,
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    pub pushed: u64,
    pub rejected: u64,
    pub pulled: u64,
    pub photos_uploaded: u64,
    /// Photos that failed for a reason of their own (the others went on).
    pub photo_errors: Vec<String>,
    /// Why an earlier identity's records could not be sent this round (they wait on the
    /// phone; the current identity went on).
    pub waiting_errors: Vec<String>,
}

/// The engine over one store. Share it in an [`Arc`]; [`SyncEngine::spawn`] runs it in the
/// background.
pub struct SyncEngine {
    store: Arc<Store>,
    options: SyncOptions,
    progress: watch::Sender<SyncProgress>,
    chunk: Mutex<Sizer>,
    batch: Mutex<Sizer>,
    /// One round at a time.
    round: tokio::sync::Mutex<()>,
}

impl SyncEngine {
    pub fn new(store: Arc<Store>, options: SyncOptions) -> Self {
        SyncEngine {
            store,
            chunk: Mutex::new(options.chunk.clone()),
            batch: Mutex::new(options.batch.clone()),
            options,
            progress: watch::channel(SyncProgress::default()).0,
            round: tokio::sync::Mutex::new(()),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Progress updates for the UI.
    pub fn progress(&self) -> watch::Receiver<SyncProgress> {
        self.progress.subscribe()
    }

    /// The current tus chunk size.
    pub fn chunk_size(&self) -> usize {
        self.chunk.lock().unwrap_or_else(|p| p.into_inner()).size()
    }

    /// The current number of versions per push.
    pub fn batch_size(&self) -> usize {
        self.batch.lock().unwrap_or_else(|p| p.into_inner()).size()
    }

    /// Enrolls the phone with a one-time code and records the new identity in the store. The
    /// request carries an attempt id kept in the store for this code, so that a retry after a
    /// lost answer (here, or when the person taps again) gets the same device back instead of
    /// "code already used".
    pub async fn enroll(
        store: &Store,
        server_url: &str,
        code: &str,
        device_name: &str,
        platform: &str,
    ) -> Result<crate::protocol::EnrollResponse, SyncError> {
        let client = Client::new(server_url, None, Duration::from_secs(60))?;
        let request = EnrollRequest {
            code: code.to_owned(),
            device_name: device_name.to_owned(),
            platform: platform.to_owned(),
            attempt_id: Some(store.enroll_attempt(server_url, code)?),
        };
        let mut tries = 0;
        let response = loop {
            tries += 1;
            match client.enroll(&request).await {
                Ok(r) => break r,
                // Only an answer lost on the way: a server that was never reached has no device
                // for this attempt, and the person should hear so at once.
                Err(e @ ClientError::Network(_)) if tries < ENROLL_TRIES => {
                    tracing::info!("enrollment answer lost ({e}); asking again");
                    tokio::time::sleep(Duration::from_millis(500 * tries as u64)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        store.enroll(server_url, &response)?;
        Ok(response)
    }

    /// Whether the round in course (or just ended) delivered or received anything.
    fn round_moved(&self) -> bool {
        let p = self.progress.borrow();
        p.records_done > 0 || p.pulled > 0 || p.bytes_done > 0
    }

    fn update(&self, f: impl FnOnce(&mut SyncProgress)) {
        self.progress.send_modify(f);
    }

    /// One complete round: push every outbox, pull to the end, upload photos.
    pub async fn sync_once(&self) -> Result<SyncReport, SyncError> {
        let _round = self.round.lock().await;
        let result = self.round_inner().await;
        self.update(|p| {
            p.phase = Phase::Idle;
            match &result {
                Ok(_) => {
                    p.last_error = None;
                    p.last_failure = None;
                    p.rounds += 1;
                }
                Err(e) => {
                    p.last_error = Some(e.to_string());
                    p.last_failure = Some(e.kind());
                }
            }
        });
        result
    }

    async fn round_inner(&self) -> Result<SyncReport, SyncError> {
        // A copy of a database whose identity was retired at open takes a new one by itself.
        if let Some(old) = self.store.sync_identity_to_replace()? {
            self.reidentify(&old, "restored").await?;
        }
        if self.store.sync_identities()?.is_empty() {
            return Err(SyncError::NotEnrolled);
        }
        let mut report = SyncReport::default();
        // A new identity taken in the round (a copy found out) starts the round over, once.
        let mut restarts = 0;
        'round: loop {
            let identities = self.store.sync_identities()?;
            let current = identities.iter().find(|i| !i.retired).cloned();
            let counts = self.store.sync_counts()?;
            self.update(|p| {
                *p = SyncProgress {
                    phase: Phase::Pushing,
                    records_total: counts.pending_records,
                    photos_total: counts.pending_photos,
                    bytes_total: counts.pending_photo_bytes,
                    rounds: p.rounds,
                    last_error: p.last_error.clone(),
                    last_failure: p.last_failure,
                    ..SyncProgress::default()
                }
            });
            // One HTTP client (and so one kept-alive connection) per identity for the whole
            // round: on 2G each new connection costs a round trip of 600 ms, more when its SYN
            // is lost.
            let current_client = match &current {
                Some(identity) => {
                    let client = self.client(identity)?;
                    // The server's view of this identity, checked before the first push of every
                    // round and trusted for the rest of it (store module documentation).
                    let probe = self.store.sync_status_probes(identity.device_id)?;
                    let photo_probe = self.store.sync_status_photo_probe()?;
                    let status = client.status(&probe, photo_probe.as_ref()).await?;
                    let check = self.store.sync_apply_status(
                        identity.device_id,
                        status.acked_through_seq,
                        status.server_head,
                        &status.missing,
                        status.photo_missing,
                    )?;
                    if !check.identity_retired
                        && self
                            .store
                            .sync_moved(identity.device_id, &status.commune_id)?
                    {
                        tracing::info!(commune = %status.commune_id, "moved into the commune a merger made");
                    }
                    if check.identity_retired {
                        if restarts < MAX_RESTARTS && self.reidentify(identity, "restored").await? {
                            restarts += 1;
                            continue 'round;
                        }
                        None
                    } else {
                        if check.server_behind || check.photos_requeued > 0 {
                            tracing::warn!(
                                requeued = check.requeued,
                                photos = check.photos_requeued,
                                "the server holds less than it acknowledged; sending again"
                            );
                        }
                        Some((identity.clone(), client))
                    }
                }
                None => None,
            };
            // What earlier identities still hold (another commune's records, or records of an
            // identity that waits for a new enrollment) never blocks the current identity: their
            // failure is reported only when there is no current identity to go on with.
            for identity in identities.iter().filter(|i| i.retired) {
                let client = self.client(identity)?;
                match self.push_identity(identity, &client, &mut report).await {
                    Ok(()) => {}
                    Err(e @ SyncError::Store(_)) => return Err(e),
                    Err(e) if current_client.is_none() => return Err(e),
                    Err(e) => {
                        tracing::info!(device = %identity.device_id, "an earlier identity's records wait: {e}");
                        report.waiting_errors.push(e.to_string());
                    }
                }
            }
            let Some((identity, client)) = current_client else {
                break 'round;
            };
            match self.push_identity(&identity, &client, &mut report).await {
                Err(e) if e.is_sequence_reused() => {
                    // Another copy of this database sent other versions under the same sequence
                    // numbers: take a new identity and send them again under it.
                    self.store.sync_sequence_reused(identity.device_id)?;
                    if restarts < MAX_RESTARTS
                        && self.reidentify(&identity, "sequence_reused").await?
                    {
                        restarts += 1;
                        continue 'round;
                    }
                    return Err(e);
                }
                r => r?,
            }
            self.update(|p| p.phase = Phase::Pulling);
            self.pull_all(&client, &mut report).await?;
            self.update(|p| p.phase = Phase::Photos);
            self.upload_photos(&client, identity.device_id, &mut report)
                .await?;
            break 'round;
        }
        self.store.sync_finished()?;
        Ok(report)
    }

    /// Asks the server for a new identity in place of `old` (a copy of this database writes
    /// under it) and takes it. `false` when the server refuses (the old identity was revoked):
    /// the phone then needs a new enrollment code.
    async fn reidentify(&self, old: &PushIdentity, reason: &str) -> Result<bool, SyncError> {
        let client = self.client(old)?;
        let request = crate::protocol::ReidentifyRequest {
            reason: Some(reason.to_owned()),
        };
        match client.reidentify(&request).await {
            Ok(response) => {
                tracing::info!(old = %old.device_id, new = %response.device_id, "took a new identity");
                self.store.reidentified(&old.server_url, &response)?;
                Ok(true)
            }
            Err(ClientError::Status {
                status: 401 | 403 | 404,
                ..
            }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn client(&self, identity: &PushIdentity) -> Result<Client, SyncError> {
        Ok(Client::new(
            &identity.server_url,
            Some(identity.token.clone()),
            self.options.request_timeout,
        )?)
    }

    async fn push_identity(
        &self,
        identity: &PushIdentity,
        client: &Client,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let device_id = identity.device_id;
        // What the server takes in one push: its 413 halves this for the rest of the round.
        let mut server_limit = usize::MAX;
        let Some(mut from) = self.store.sync_outbox_start(device_id)? else {
            return Ok(());
        };
        let mut gaps = 0;
        loop {
            let batch_size = self.batch_size().min(server_limit).max(1);
            let batch = self.store.sync_batch(device_id, from, batch_size)?;
            if batch.is_empty() {
                return Err(SyncError::Protocol(format!(
                    "nothing to send from sequence {from}"
                )));
            }
            let last = batch.last().map(|e| e.device_seq).unwrap_or(from);
            let request = PushRequest {
                device_id,
                first_seq: from,
                versions: batch.into_iter().map(|e| e.version).collect(),
            };
            match client.push(&request, self.options.format).await {
                Ok(PushOutcome::Acked(response)) => {
                    if response.acked_through_seq < from {
                        return Err(SyncError::Protocol(format!(
                            "acknowledged through {} after a push from {from}",
                            response.acked_through_seq
                        )));
                    }
                    self.batch
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .success();
                    let ack = self.store.sync_apply_push(device_id, &response)?;
                    report.pushed += ack.removed as u64;
                    report.rejected += ack.rejected as u64;
                    self.update(|p| p.records_done += ack.removed as u64);
                    gaps = 0;
                }
                Ok(PushOutcome::Gap { expected_seq }) => {
                    gaps += 1;
                    if gaps > 3 || expected_seq == from {
                        return Err(SyncError::Protocol(format!(
                            "the server expects sequence {expected_seq} after a push from {from} (through {last})"
                        )));
                    }
                    if expected_seq < from {
                        // The server lacks what it acknowledged before (restored from a
                        // backup): send it again from the stored versions.
                        from = expected_seq;
                        continue;
                    }
                    // The server already holds everything before `expected_seq`.
                    let held = crate::protocol::PushResponse {
                        acked_through_seq: expected_seq - 1,
                        results: Vec::new(),
                        server_head: 0,
                    };
                    let ack = self.store.sync_apply_push(device_id, &held)?;
                    report.pushed += ack.removed as u64;
                    self.update(|p| p.records_done += ack.removed as u64);
                }
                Err(ClientError::Status { status: 413, .. }) if batch_size > 1 => {
                    server_limit = batch_size / 2;
                    continue;
                }
                Err(e) => {
                    // Cut off or timed out on the way: the next push is smaller.
                    if matches!(e, ClientError::Network(_)) {
                        self.batch
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .failure();
                    }
                    return Err(e.into());
                }
            }
            match self.store.sync_outbox_start(device_id)? {
                Some(next) => from = next,
                None => return Ok(()),
            }
        }
    }

    async fn pull_all(&self, client: &Client, report: &mut SyncReport) -> Result<(), SyncError> {
        loop {
            let (cursor, etag) = self.store.sync_pull_state()?;
            let page = client
                .pull(cursor, self.options.pull_limit, etag.as_deref(), true)
                .await?;
            let new = self.store.sync_apply_pull(&page)?;
            report.pulled += new as u64;
            self.update(|p| p.pulled += new as u64);
            if page.up_to_date {
                return Ok(());
            }
            if page.next_cursor <= cursor {
                return Err(SyncError::Protocol(format!(
                    "pull cursor did not advance from {cursor}"
                )));
            }
        }
    }

    async fn upload_photos(
        &self,
        client: &Client,
        device_id: Uuid,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        for photo in self.store.sync_photos_pending()? {
            match self.upload_photo(client, device_id, &photo).await {
                Ok(()) => {
                    report.photos_uploaded += 1;
                    self.update(|p| p.photos_done += 1);
                }
                Err(e) if e.is_transient() => return Err(e),
                Err(e) => report.photo_errors.push(format!("{}: {e}", photo.photo_id)),
            }
        }
        Ok(())
    }

    /// Uploads one photo by tus, resuming from the server's offset. It counts as uploaded only
    /// once the server answers the full length (it then holds the photo).
    async fn upload_photo(
        &self,
        client: &Client,
        device_id: Uuid,
        photo: &PhotoUpload,
    ) -> Result<(), SyncError> {
        let data = std::fs::read(&photo.path).map_err(StoreError::from_io)?;
        if <[u8; 32]>::from(Sha256::digest(&data)) != *photo.photo_id.as_bytes() {
            return Err(SyncError::PhotoDamaged(photo.photo_id.to_hex()));
        }
        let length = data.len() as u64;
        let mut already = photo.uploaded_bytes;
        // An upload belongs to the identity that created it: one begun under an earlier
        // identity starts over under this one (the server would answer 403 for ever).
        let resumable = photo
            .upload_url
            .as_ref()
            .filter(|_| photo.upload_device == Some(device_id));
        let resumed = match resumable {
            Some(url) => match client.tus_offset(url).await {
                Ok(Some(offset)) => Some((url.clone(), offset)),
                // Expired or unknown, or not this identity's: start a new upload.
                Ok(None) | Err(ClientError::Status { status: 403, .. }) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let (url, mut offset) = match resumed {
            Some(r) => r,
            None => {
                if photo.upload_url.is_some() {
                    self.store.sync_set_upload_url(&photo.photo_id, None)?;
                    already = 0;
                }
                self.create_upload(client, device_id, photo, length).await?
            }
        };
        self.update(|p| p.bytes_done += offset.saturating_sub(already));
        let mut mismatches = 0;
        while offset < length {
            let size = self.chunk_size();
            let end = (offset as usize + size).min(data.len());
            match client
                .tus_patch(&url, offset, &data[offset as usize..end])
                .await
            {
                Ok(new_offset) => {
                    self.chunk
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .success();
                    if new_offset <= offset || new_offset > length {
                        return Err(SyncError::Protocol(format!(
                            "tus offset went from {offset} to {new_offset}"
                        )));
                    }
                    self.store
                        .sync_set_uploaded_bytes(&photo.photo_id, new_offset)?;
                    self.update(|p| p.bytes_done += new_offset - offset);
                    offset = new_offset;
                }
                Err(ClientError::Status { status: 409, .. }) if mismatches < 3 => {
                    // Our offset is stale (a chunk landed but its answer was lost): ask again.
                    mismatches += 1;
                    match client.tus_offset(&url).await? {
                        Some(o) => offset = o,
                        None => {
                            self.store.sync_set_upload_url(&photo.photo_id, None)?;
                            return Err(SyncError::Protocol("the upload expired".into()));
                        }
                    }
                }
                Err(e) => {
                    self.chunk
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .failure();
                    if matches!(e.status(), Some(404 | 410)) {
                        self.store.sync_set_upload_url(&photo.photo_id, None)?;
                    }
                    return Err(e.into());
                }
            }
        }
        self.store.sync_photo_done(&photo.photo_id)?;
        Ok(())
    }

    async fn create_upload(
        &self,
        client: &Client,
        device_id: Uuid,
        photo: &PhotoUpload,
        length: u64,
    ) -> Result<(String, u64), SyncError> {
        let (url, offset) = client.tus_create(length, &photo.photo_id).await?;
        self.store
            .sync_set_upload_url(&photo.photo_id, Some((url.as_str(), device_id)))?;
        Ok((url.to_string(), offset.unwrap_or(0)))
    }

    /// Runs the engine in the background on the current tokio runtime.
    pub fn spawn(self: Arc<Self>) -> SyncHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        let progress = self.progress();
        let task = tokio::spawn(background(self, rx));
        SyncHandle {
            commands: tx,
            task,
            progress,
        }
    }
}

enum Command {
    SyncNow,
    Connectivity(bool),
    Shutdown,
}

/// Controls a background engine.
pub struct SyncHandle {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
    progress: watch::Receiver<SyncProgress>,
}

impl SyncHandle {
    /// Asks for a round now (after a save, or the user's "sync" button).
    pub fn sync_now(&self) {
        let _ = self.commands.send(Command::SyncNow);
    }

    /// Tells the engine the network came or went; coming back starts a round at once.
    pub fn connectivity_changed(&self, online: bool) {
        let _ = self.commands.send(Command::Connectivity(online));
    }

    pub fn progress(&self) -> watch::Receiver<SyncProgress> {
        self.progress.clone()
    }

    /// Stops the engine after the current request.
    pub async fn shutdown(self) {
        let _ = self.commands.send(Command::Shutdown);
        let _ = self.task.await;
    }
}

/// The backoff step after a failed round. A round cut short after it moved something forward
/// (a link that drops every minute) retries after the first step again: backing off towards 10
/// minutes would leave a 2G phone idle while it has signal.
fn next_attempt(attempt: u32, moved: bool) -> u32 {
    if moved {
        1
    } else {
        attempt.saturating_add(1)
    }
}

async fn background(engine: Arc<SyncEngine>, mut commands: mpsc::UnboundedReceiver<Command>) {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut online = true;
    let mut wanted = true;
    let mut attempt: u32 = 0;
    loop {
        let wait = if !online {
            engine.update(|p| p.phase = Phase::Offline);
            None
        } else if wanted {
            match engine.sync_once().await {
                Ok(_) => {
                    attempt = 0;
                    wanted = false;
                    Some(engine.options.idle_interval)
                }
                Err(e) if e.is_transient() => {
                    attempt = next_attempt(attempt, engine.round_moved());
                    engine.update(|p| p.phase = Phase::Waiting);
                    Some(engine.options.backoff.delay(attempt, &mut rng))
                }
                Err(e) => {
                    // Needs a person (enroll again, a damaged photo): wait to be asked.
                    tracing::warn!("sync stopped: {e}");
                    wanted = false;
                    attempt = 0;
                    None
                }
            }
        } else {
            Some(engine.options.idle_interval)
        };
        let command = match wait {
            Some(d) => match tokio::time::timeout(d, commands.recv()).await {
                Ok(c) => c,
                Err(_) => {
                    wanted = true;
                    continue;
                }
            },
            None => commands.recv().await,
        };
        match command {
            None | Some(Command::Shutdown) => return,
            Some(Command::SyncNow) => {
                wanted = true;
                attempt = 0;
            }
            Some(Command::Connectivity(now_online)) => {
                if now_online && !online {
                    wanted = true;
                    attempt = 0;
                }
                online = now_online;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> SyncError {
        SyncError::Client(ClientError::Status {
            status,
            code: "x".into(),
            message: "x".into(),
            expected_seq: None,
        })
    }

    #[test]
    fn a_round_that_moved_forward_retries_soon_and_a_dead_link_backs_off() {
        let mut attempt = 0;
        for _ in 0..6 {
            attempt = next_attempt(attempt, false);
        }
        assert_eq!(attempt, 6);
        assert_eq!(next_attempt(attempt, true), 1);
        assert_eq!(next_attempt(u32::MAX, false), u32::MAX);
    }

    #[test]
    fn a_failure_says_whether_to_wait_or_to_act() {
        let network = SyncError::Client(ClientError::Network("reset".into()));
        assert_eq!(network.kind(), FailureKind::Offline);
        assert_eq!(status(401).kind(), FailureKind::Refused);
        assert_eq!(status(403).kind(), FailureKind::Refused);
        assert_eq!(status(413).kind(), FailureKind::Rejected);
        assert_eq!(status(503).kind(), FailureKind::ServerTrouble);
        assert_eq!(status(429).kind(), FailureKind::ServerTrouble);
        assert_eq!(SyncError::NotEnrolled.kind(), FailureKind::NotEnrolled);
        assert_eq!(
            SyncError::PhotoDamaged("ab".into()).kind(),
            FailureKind::PhotoDamaged
        );
    }
}
