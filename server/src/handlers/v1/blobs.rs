//! Photos by tus 1.0 (core, creation, checksum with sha1 and sha256, termination, expiration)
//! at `/api/v1/blobs`, and `GET /api/v1/blobs/{sha256}`. Upload resources live at
//! `/api/v1/blobs/uploads/{id}`. Bytes are written to the upload's partial file as they
//! arrive and fsynced before the offset is recorded, so an interrupted PATCH resumes from what
//! the server holds; the photo only exists once its whole-file SHA-256 matched the metadata.

use std::io::SeekFrom;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use ntm_field::ids::PhotoId;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use uuid::Uuid;

use super::ApiPath;
use crate::auth::{Access, AnyAuth, Principal};
use crate::error::{ApiError, ApiResult};
use crate::storage::Upload;
use crate::tus::{
    checksum_mismatch, parse_checksum, parse_metadata, parse_upload_length, parse_upload_offset,
    start_patch, ChunkChecksum, PatchStart, Progress, Settled,
};
use crate::{blocking, AppState};

pub const TUS_VERSION: &str = "1.0.0";
pub const TUS_EXTENSIONS: &str = "creation,checksum,termination,expiration";
pub const TUS_CHECKSUMS: &str = "sha1,sha256";
const UPLOADS_PATH: &str = "/api/v1/blobs/uploads";
fn tus(e: ApiError) -> ApiError {
    e.with_header("Tus-Resumable", TUS_VERSION)
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn check_tus_resumable(headers: &HeaderMap) -> ApiResult<()> {
    match header_str(headers, "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "tus_version",
            "send Tus-Resumable: 1.0.0 (this server speaks tus 1.0.0)",
        )
        .with_header("Tus-Version", TUS_VERSION)),
    }
}

fn tus_response(status: StatusCode, headers: &[(&'static str, String)]) -> Response {
    let mut r = status.into_response();
    let h = r.headers_mut();
    h.insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    r
}

/// `OPTIONS /api/v1/blobs`: what this tus server supports (no token needed, as tus clients and
/// browsers ask before they authenticate).
#[utoipa::path(options, path = "/api/v1/blobs", tag = "photos",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Checksum-Algorithm, Tus-Max-Size")))]
pub async fn options(State(state): State<Arc<AppState>>) -> Response {
    tus_response(
        StatusCode::NO_CONTENT,
        &[
            ("Tus-Version", TUS_VERSION.into()),
            ("Tus-Extension", TUS_EXTENSIONS.into()),
            ("Tus-Checksum-Algorithm", TUS_CHECKSUMS.into()),
            ("Tus-Max-Size", state.limits.max_photo_bytes.to_string()),
        ],
    )
}

fn may_upload(p: &Principal) -> ApiResult<()> {
    if p.role_allows(Access::Collect) {
        Ok(())
    } else {
        Err(ApiError::forbidden("a viewer cannot upload photos"))
    }
}

/// `POST /api/v1/blobs`: create an upload (tus creation).
#[utoipa::path(post, path = "/api/v1/blobs", tag = "photos", security(("bearer" = [])),
    params(("Upload-Length" = u64, Header, description = "the photo's size in bytes"),
           ("Upload-Metadata" = String, Header, description = "`sha256 <base64 of the hex SHA-256>,content_type <base64>`"),
           ("Tus-Resumable" = String, Header, description = "1.0.0", pattern = "^1\\.0\\.0$")),
    responses((status = 201, description = "Location of the upload; Upload-Offset equals Upload-Length when the photo already exists"),
              (status = 400, description = "missing or bad Upload-Length or metadata (e.g. sha256 not 64 hex)"),
              (status = 403, description = "a viewer cannot upload"),
              (status = 412, description = "no `Tus-Resumable: 1.0.0`"),
              (status = 413, description = "larger than Tus-Max-Size"),
              (status = 415, description = "content_type is not a photo type")))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let run = async {
        check_tus_resumable(&headers)?;
        may_upload(&p)?;
        if headers.contains_key("upload-defer-length") {
            return Err(ApiError::bad_request(
                "unsupported",
                "send Upload-Length; deferred lengths are not supported",
            ));
        }
        let length = parse_upload_length(
            header_str(&headers, "upload-length"),
            state.limits.max_photo_bytes,
        )?;
        let (sha256, content_type) = parse_metadata(header_str(&headers, "upload-metadata"))?;
        let now = Utc::now();
        let storage = state.storage.clone();
        let existing = blocking(move || Ok(storage.photo_exists(&sha256)?)).await?;
        let id = Uuid::now_v7();
        let expires_at = now + chrono::Duration::hours(state.limits.upload_expiry_hours);
        let upload = Upload {
            id,
            sha256,
            length,
            offset: if existing.is_some() { length } else { 0 },
            content_type,
            owner: p.owner_key(),
            expires_at,
            completed: existing.is_some(),
        };
        if existing.is_none() {
            state
                .photos
                .create_partial(id)
                .map_err(|e| ApiError::internal(format!("cannot create the upload file: {e}")))?;
        }
        let storage = state.storage.clone();
        let offset = upload.offset;
        blocking(move || Ok(storage.create_upload(&upload)?)).await?;
        tracing::debug!(upload = %id, photo = %sha256, length, existing = existing.is_some(), "upload created");
        let mut extra = vec![
            ("Location", format!("{UPLOADS_PATH}/{id}")),
            ("Upload-Offset", offset.to_string()),
        ];
        if existing.is_none() {
            extra.push(("Upload-Expires", http_date(expires_at)));
        }
        Ok(tus_response(StatusCode::CREATED, &extra))
    };
    run.await.map_err(tus)
}

fn upload_id(s: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(s)
        .map_err(|_| ApiError::not_found("no such upload; create one with POST /api/v1/blobs"))
}

/// Loads an upload the caller owns that has not expired.
async fn owned_upload(state: &Arc<AppState>, id: Uuid, owner: &str) -> ApiResult<Upload> {
    let storage = state.storage.clone();
    let upload = blocking(move || Ok(storage.upload(id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("no such upload; create one with POST /api/v1/blobs"))?;
    if upload.owner != owner {
        return Err(ApiError::forbidden(
            "this upload was started by someone else",
        ));
    }
    if !upload.completed && upload.expires_at < Utc::now() {
        let storage = state.storage.clone();
        blocking(move || Ok(storage.delete_upload(id)?)).await?;
        state.photos.remove_partial(id);
        return Err(ApiError::new(
            StatusCode::GONE,
            "upload_expired",
            "this upload expired; start it again with POST /api/v1/blobs",
        ));
    }
    Ok(upload)
}

/// The offset to report: the whole length only once the photo is stored and recorded (a
/// client takes a full offset as "uploaded"), else at most one byte short of it.
fn held(u: &Upload) -> u64 {
    if u.completed {
        u.length
    } else {
        u.offset.min(u.length.saturating_sub(1))
    }
}

/// Finishes an upload whose verified photo reached the store before a crash cut the recording
/// short (a retried HEAD or PATCH then completes it rather than starting over).
async fn finish_if_stored(state: &Arc<AppState>, upload: Upload) -> ApiResult<Upload> {
    if upload.completed {
        return Ok(upload);
    }
    let st = state.clone();
    let id = upload.id;
    let sha = upload.sha256;
    let stored = blocking(move || {
        if !st
            .photos
            .contains(&sha)
            .map_err(|e| ApiError::internal(format!("cannot read the photo store: {e}")))?
        {
            return Ok(false);
        }
        st.storage.complete_upload(id, Utc::now())?;
        st.photos.remove_partial(id);
        Ok(true)
    })
    .await?;
    Ok(Upload {
        completed: stored,
        offset: if stored { upload.length } else { upload.offset },
        ..upload
    })
}

/// `HEAD /api/v1/blobs/uploads/{id}`: how much the server holds.
#[utoipa::path(head, path = "/api/v1/blobs/uploads/{id}", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "upload id from Location", pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
           ("Tus-Resumable" = String, Header, description = "1.0.0", pattern = "^1\\.0\\.0$")),
    responses((status = 200, description = "Upload-Offset and Upload-Length"),
              (status = 403, description = "another caller's upload"),
              (status = 404, description = "unknown"),
              (status = 410, description = "expired"),
              (status = 412, description = "no `Tus-Resumable: 1.0.0`")))]
pub async fn head(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let run = async {
        check_tus_resumable(&headers)?;
        let id = upload_id(&id)?;
        // Waits for a PATCH in progress, so the offset is what it left on disk.
        let lock = state.upload_lock(id);
        let _guard = lock.lock().await;
        let u = owned_upload(&state, id, &p.owner_key()).await?;
        let u = finish_if_stored(&state, u).await?;
        let mut extra = vec![
            ("Upload-Offset", held(&u).to_string()),
            ("Upload-Length", u.length.to_string()),
            ("Cache-Control", "no-store".to_owned()),
        ];
        if !u.completed {
            extra.push(("Upload-Expires", http_date(u.expires_at)));
        }
        Ok(tus_response(StatusCode::OK, &extra))
    };
    run.await.map_err(tus)
}

/// `PATCH /api/v1/blobs/uploads/{id}`: bytes at `Upload-Offset`.
#[utoipa::path(patch, path = "/api/v1/blobs/uploads/{id}", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "upload id from Location", pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
           ("Tus-Resumable" = String, Header, description = "1.0.0", pattern = "^1\\.0\\.0$"),
           ("Upload-Offset" = u64, Header, description = "must equal the server's offset"),
           ("Upload-Checksum" = Option<String>, Header, description = "`sha1|sha256 <base64>` of this PATCH's body")),
    request_body(content = String, content_type = "application/offset+octet-stream", description = "the bytes from Upload-Offset on"),
    responses((status = 204, description = "new Upload-Offset"),
              (status = 400, description = "no Upload-Offset, a malformed Upload-Checksum, or a body cut short"),
              (status = 403, description = "another caller's upload"),
              (status = 404, description = "unknown"),
              (status = 409, description = "offset mismatch: HEAD and resume"),
              (status = 410, description = "expired"),
              (status = 412, description = "no `Tus-Resumable: 1.0.0`"),
              (status = 413, description = "more bytes than Upload-Length leaves"),
              (status = 415, description = "not application/offset+octet-stream"),
              (status = 460, description = "the chunk's checksum, or the whole file's SHA-256, did not match")))]
pub async fn patch(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let prepared = (|| {
        check_tus_resumable(&headers)?;
        let id = upload_id(&id)?;
        let ct = header_str(&headers, "content-type").unwrap_or("");
        if !ct.eq_ignore_ascii_case("application/offset+octet-stream") {
            return Err(ApiError::unsupported_media(
                "send Content-Type: application/offset+octet-stream",
            ));
        }
        let offset = parse_upload_offset(header_str(&headers, "upload-offset"))?;
        let checksum = parse_checksum(header_str(&headers, "upload-checksum"))?;
        Ok((id, offset, checksum))
    })();
    let (id, offset, checksum) = prepared.map_err(tus)?;
    // In its own task: when the client disconnects, hyper drops this handler, but the bytes
    // that arrived are still made durable and recorded.
    let task = tokio::spawn(patch_upload(
        state,
        p.owner_key(),
        id,
        offset,
        checksum,
        body,
    ));
    task.await
        .map_err(|e| ApiError::internal(format!("the upload task failed: {e}")))?
        .map_err(tus)
}

async fn patch_upload(
    state: Arc<AppState>,
    owner: String,
    id: Uuid,
    offset: u64,
    mut checksum: Option<ChunkChecksum>,
    mut body: Body,
) -> ApiResult<Response> {
    let lock = state.upload_lock(id);
    let _guard = lock.lock().await;
    let upload = owned_upload(&state, id, &owner).await?;
    let upload = finish_if_stored(&state, upload).await?;
    let progress = Progress {
        offset: held(&upload),
        length: upload.length,
        completed: upload.completed,
    };
    let mut budget = match start_patch(progress, offset)? {
        PatchStart::AlreadyComplete { length } => {
            return Ok(tus_response(
                StatusCode::NO_CONTENT,
                &[("Upload-Offset", length.to_string())],
            ))
        }
        PatchStart::Append(budget) => budget,
    };
    let io = |e: std::io::Error| ApiError::internal(format!("cannot write the upload: {e}"));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(state.photos.upload_path(id))
        .await
        .map_err(io)?;
    file.set_len(offset).await.map_err(io)?;
    file.seek(SeekFrom::Start(offset)).await.map_err(io)?;
    let mut interrupted = false;
    let mut overflow = false;
    loop {
        match tokio::time::timeout(state.limits.upload_idle_timeout, body.frame()).await {
            Err(_) | Ok(Some(Err(_))) => {
                interrupted = true;
                break;
            }
            Ok(None) => break,
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if !budget.admit(data.len()) {
                        overflow = true;
                        break;
                    }
                    file.write_all(&data).await.map_err(io)?;
                    if let Some(sum) = checksum.as_mut() {
                        sum.update(&data);
                    }
                }
            }
        }
    }
    file.flush().await.map_err(io)?;
    let settled = budget.settle(overflow, interrupted, checksum);
    if let Settled::Discard(_) = settled {
        file.set_len(offset).await.map_err(io)?;
    }
    file.sync_all().await.map_err(io)?;
    drop(file);
    let (new_offset, completes, cut_short) = match settled {
        Settled::Discard(e) => return Err(e),
        Settled::Keep {
            new_offset,
            completes,
            cut_short,
        } => (new_offset, completes, cut_short),
    };
    let expires_at = Utc::now() + chrono::Duration::hours(state.limits.upload_expiry_hours);
    if !completes {
        let storage = state.storage.clone();
        blocking(move || Ok(storage.set_upload_offset(id, new_offset, expires_at)?)).await?;
    } else {
        // The last bytes are on disk (synced) but not recorded: until the photo is in the store
        // and recorded with the upload in one transaction, the recorded offset stays where it
        // was, so a crash at any step leaves a HEAD that resends the tail or, once the photo is
        // in the store, finishes it (`finish_if_stored`).
        let st = state.clone();
        let sha = upload.sha256;
        let length = upload.length;
        let finished = blocking(move || {
            match st
                .photos
                .finish(id, &sha)
                .map_err(|e| ApiError::internal(format!("cannot store the photo: {e}")))?
            {
                Ok(()) => {
                    crate::failpoint::hit("photo-in-store");
                    st.storage.complete_upload(id, Utc::now())?;
                    crate::failpoint::hit("photo-recorded");
                    Ok(Ok(()))
                }
                Err(actual) => {
                    st.storage.delete_upload(id)?;
                    Ok(Err(actual))
                }
            }
        })
        .await?;
        if let Err(actual) = finished {
            tracing::warn!(upload = %id, expected = %upload.sha256, %actual, "photo hash mismatch; upload discarded");
            return Err(checksum_mismatch(format!(
                "the file's SHA-256 is {actual}, not the {} of Upload-Metadata; the upload was discarded: start it again",
                upload.sha256
            )));
        }
        tracing::info!(photo = %upload.sha256, length, "photo stored");
    }
    if cut_short {
        return Err(ApiError::bad_request(
            "body_interrupted",
            format!("the body was cut short; {new_offset} bytes are kept, resume from there"),
        ));
    }
    let mut extra = vec![("Upload-Offset", new_offset.to_string())];
    if !completes {
        extra.push(("Upload-Expires", http_date(expires_at)));
    }
    Ok(tus_response(StatusCode::NO_CONTENT, &extra))
}

/// `DELETE /api/v1/blobs/uploads/{id}`: abandon an upload (tus termination).
#[utoipa::path(delete, path = "/api/v1/blobs/uploads/{id}", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "upload id", pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
           ("Tus-Resumable" = String, Header, description = "1.0.0", pattern = "^1\\.0\\.0$")),
    responses((status = 204, description = "terminated"),
              (status = 403, description = "another caller's upload"),
              (status = 404, description = "unknown"),
              (status = 410, description = "expired"),
              (status = 412, description = "no `Tus-Resumable: 1.0.0`")))]
pub async fn terminate(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let run = async {
        check_tus_resumable(&headers)?;
        let id = upload_id(&id)?;
        let lock = state.upload_lock(id);
        let _guard = lock.lock().await;
        let upload = owned_upload(&state, id, &p.owner_key()).await?;
        let storage = state.storage.clone();
        blocking(move || Ok(storage.delete_upload(id)?)).await?;
        if !upload.completed {
            state.photos.remove_partial(id);
        }
        Ok(tus_response(StatusCode::NO_CONTENT, &[]))
    };
    run.await.map_err(tus)
}

/// `GET /api/v1/blobs/{sha256}`: a stored photo, to users and devices of a commune whose
/// records reference it.
#[utoipa::path(get, path = "/api/v1/blobs/{sha256}", tag = "photos", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "64 lowercase hex characters", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "the photo, with the type it was uploaded as", content(
                  ("image/jpeg"), ("image/png"), ("image/webp"), ("image/heic"), ("image/heif"))),
              (status = 400, description = "not a SHA-256"),
              (status = 403, description = "no record of the caller's commune references it"),
              (status = 404, description = "not stored")))]
pub async fn get_photo(
    State(state): State<Arc<AppState>>,
    AnyAuth(p): AnyAuth,
    ApiPath(sha): ApiPath<String>,
) -> ApiResult<Response> {
    let id = PhotoId::parse(&sha).map_err(|e| {
        ApiError::bad_request("bad_photo_id", format!("the photo id {e}")).with_field("sha256")
    })?;
    let storage = state.storage.clone();
    let (stored, visible) = blocking(move || {
        let Some(stored) = storage.photo_exists(&id)? else {
            return Ok((None, false));
        };
        let mut visible = p.is_admin();
        for commune in storage.photo_communes(&id)? {
            if visible {
                break;
            }
            if let Some(cfg) = storage.commune_config(&commune)? {
                visible = p.covers(&cfg.commune);
            }
        }
        Ok((Some(stored), visible))
    })
    .await?;
    let Some((length, content_type)) = stored else {
        return Err(ApiError::not_found(format!(
            "photo {id} is not stored (yet); the phone uploads it after its record"
        )));
    };
    if !visible {
        return Err(ApiError::forbidden(
            "no record of your commune uses this photo",
        ));
    }
    let st = state.clone();
    let data = blocking(move || {
        st.photos
            .read(&id)
            .map_err(|e| ApiError::internal(format!("cannot read the photo: {e}")))
    })
    .await?;
    let mut r = Body::from(data).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{id}\"")).expect("hex is a valid header"),
    );
    h.insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(r)
}
