//! Sync: push (phone -> server), pull (server -> phone), status (recovery after reinstall).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use ntm_field::ids::PhotoId;
use ntm_field::protocol::{PullResponse, PushStatus, Role, StatusResponse, STATUS_PROBES};
use serde::Deserialize;

use crate::auth::{authorize, Access, DeviceAuth};
use crate::body::{decompress, negotiate, read_limited};
use crate::error::{ApiError, ApiResult};
use crate::openapi::schemas;
use crate::reply::{negotiated, prefers_minimal};
use crate::storage::PushOutcome;
use crate::sync::{config_etag, prepare_push_body};
use crate::{blocking, AppState};

/// `POST /api/v1/sync/push`: a batch of versions with dense device sequence numbers.
#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync", security(("bearer" = [])),
    request_body(content(
        (schemas::PushRequest = "application/json"),
        (schemas::PushRequest = "application/cbor")),
        description = "optionally gzip or zstd (Content-Encoding)"),
    params(("Prefer" = Option<String>, Header,
        description = "`return=minimal`: `results` lists only the rejected versions (every other one up to `acked_through_seq` was stored or was a duplicate); the answer then carries `Preference-Applied: return=minimal`")),
    responses(
        (status = 200, description = "sent after COMMIT; a replay gets the same answer (CBOR when `Accept` names application/cbor; zstd or gzip as `Accept-Encoding` allows)",
            content((schemas::PushResponse = "application/json"), (schemas::PushResponse = "application/cbor"))),
        (status = 400, description = "unreadable body or sequence numbers not dense"),
        (status = 403, description = "a viewer device, a user token, another device's id, or a version for another commune: nothing stored"),
        (status = 409, description = "first_seq skips sequence numbers (`sequence_gap`: `expected_seq` says where to resume), or reuses one already answered for another version (`sequence_reused`, a cloned or restored phone: enroll again and resend); nothing stored"),
        (status = 413, description = "too many versions, too large a body or decompressed body")))]
pub async fn push(
    State(state): State<Arc<AppState>>,
    DeviceAuth(p, device): DeviceAuth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    if device.role == Role::Viewer {
        return Err(ApiError::forbidden(
            "a viewer device cannot send records; enroll it as an enumerator or officer",
        ));
    }
    let (format, encoding) = negotiate(&headers)?;
    let config = authorize(&state, &p, &device.commune_id, Access::Collect).await?;
    let bytes = read_limited(&headers, body, state.limits.max_push_body).await?;
    let st = state.clone();
    let (first_seq, outcome) = blocking(move || {
        let plain = decompress(encoding, &bytes, st.limits.max_decompressed)?;
        let batch = prepare_push_body(
            &device,
            &config,
            format,
            &plain,
            st.limits.max_versions_per_push,
            Utc::now(),
        )?;
        drop(plain);
        Ok((batch.first_seq, st.storage.store_versions(&batch)?))
    })
    .await?;
    match outcome {
        // One result per version: for 500 versions as large as the push itself, so it comes
        // back in the format and coding the phone asks for. On 2G even that takes about a
        // second per batch, which a phone that only needs the rejections can skip.
        PushOutcome::Done(mut response) => {
            let minimal = prefers_minimal(&headers);
            if minimal {
                response
                    .results
                    .retain(|r| r.status == PushStatus::Rejected);
            }
            let mut reply = negotiated(&headers, &response);
            if minimal {
                reply.headers_mut().insert(
                    "preference-applied",
                    axum::http::HeaderValue::from_static("return=minimal"),
                );
            }
            Ok(reply)
        }
        PushOutcome::Gap { expected_seq } => {
            let mut e = ApiError::conflict(
                "sequence_gap",
                format!("the server expects device_seq {expected_seq} next; send from there (GET /api/v1/sync/status says what it has)"),
            )
            .with_field("first_seq");
            e.expected_seq = Some(expected_seq);
            Err(e)
        }
        PushOutcome::SequenceReused { seq } => Err(ApiError::conflict(
            "sequence_reused",
            format!(
                "device_seq {seq} of this device was already answered for another version: this phone's records were copied or restored from a backup; enroll it again (a new identity) and send them again. Nothing of this push was stored"
            ),
        )
        .with_field(format!("versions[{}].device_seq", seq - first_seq))),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PullQuery {
    /// The `next_cursor` of the previous page (0 to start).
    #[serde(default)]
    pub cursor: u64,
    /// Versions per page (1 to 1000; default 500).
    pub limit: Option<usize>,
    /// The `config_etag` the client has; the configuration is sent when it differs.
    pub config_etag: Option<String>,
    /// Leave out the versions this device pushed (it holds them already): on 2G they would be
    /// most of what a phone downloads. The page still advances `next_cursor` past them.
    #[serde(default)]
    pub skip_own: bool,
}

/// `GET /api/v1/sync/pull?cursor=N&limit=M&config_etag=E`: the commune's versions after `cursor`
/// in server order.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync", security(("bearer" = [])), params(PullQuery),
    responses((status = 200, description = "a page of versions in server order: CBOR when `Accept` names application/cbor, else JSON; zstd or gzip as `Accept-Encoding` allows",
                  content((schemas::PullResponse = "application/json"), (schemas::PullResponse = "application/cbor"))),
              (status = 400, description = "a bad cursor or limit"),
              (status = 403, description = "a user token: this call is for devices")))]
pub async fn pull(
    State(state): State<Arc<AppState>>,
    DeviceAuth(p, device): DeviceAuth,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    super::cursor(q.cursor)?;
    let limit = q.limit.unwrap_or(500);
    if limit == 0 || limit > state.limits.max_pull_limit {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be 1 to {}", state.limits.max_pull_limit),
        )
        .with_field("limit"));
    }
    let config = authorize(&state, &p, &device.commune_id, Access::Read).await?;
    let storage = state.storage.clone();
    let communes = log_of(&config);
    let page = blocking(move || Ok(storage.versions_after(&communes, q.cursor, limit)?)).await?;
    let etag = config_etag(&config);
    let send_config = q.config_etag.as_deref() != Some(etag.as_str());
    let mut versions = page.versions;
    // Of the communes a merger made this one from, the records of its villages: commune-wide
    // ones (assessments) are not carried over (a new assessment is needed).
    versions.retain(|v| {
        v.commune_id == config.commune.id
            || v.village_id
                .as_ref()
                .is_some_and(|id| config.commune.village(id).is_some())
    });
    if q.skip_own {
        versions.retain(|v| v.device_id != device.device_id);
    }
    let page = PullResponse {
        versions,
        next_cursor: page.next_cursor,
        up_to_date: page.up_to_date,
        config: send_config.then_some(config),
        config_etag: etag,
    };
    Ok(negotiated(&headers, &page))
}

/// The communes whose log a device of `config`'s commune pulls: its own, and those a merger
/// made it from.
fn log_of(config: &ntm_field::config::CommuneConfig) -> Vec<ntm_field::ids::Slug> {
    std::iter::once(config.commune.id.clone())
        .chain(config.merged_from.iter().cloned())
        .collect()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatusQuery {
    /// Up to 32 version ids, comma-separated, that the phone knows the server stored (the last
    /// one each of its identities sent): those the server lacks come back in `missing`.
    pub probe: Option<String>,
    /// The SHA-256 (64 hex characters) of the last photo the phone uploaded: `photo_missing`
    /// says whether the server lacks it.
    pub photo_probe: Option<String>,
}

/// `GET /api/v1/sync/status`: what the server has from this device.
#[utoipa::path(get, path = "/api/v1/sync/status", tag = "sync", security(("bearer" = [])), params(StatusQuery),
    responses((status = 200, description = "what the server holds from this device", body = schemas::StatusResponse),
              (status = 400, description = "a probe that is not a version id, or too many, or a photo_probe that is not a SHA-256"),
              (status = 403, description = "a user token: this call is for devices")))]
pub async fn status(
    State(state): State<Arc<AppState>>,
    DeviceAuth(p, device): DeviceAuth,
    query: Result<Query<StatusQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<StatusResponse>> {
    let Query(q) = query?;
    let probes = probes(q.probe.as_deref())?;
    let photo = q
        .photo_probe
        .as_deref()
        .map(PhotoId::parse)
        .transpose()
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_query",
                "photo_probe is a SHA-256 in 64 hex characters",
            )
        })?;
    let config = authorize(&state, &p, &device.commune_id, Access::Read).await?;
    let communes = log_of(&config);
    let storage = state.storage.clone();
    let id = device.device_id;
    let (status, missing, photo_missing) = blocking(move || {
        // The head of the log the device pulls: the latest of its communes.
        let mut status = storage.device_status(id)?;
        let mut held = std::collections::BTreeSet::new();
        for (i, c) in communes.iter().enumerate() {
            held.extend(storage.versions_held(c, &probes)?);
            if let (Some((_, head)), true) = (status.as_mut(), i > 0) {
                *head = (*head).max(storage.server_head(c)?);
            }
        }
        let photo_missing = match photo {
            Some(p) => storage.photo_exists(&p)?.is_none(),
            None => false,
        };
        let missing = probes.into_iter().filter(|p| !held.contains(p)).collect();
        Ok((status, missing, photo_missing))
    })
    .await?;
    let (acked, head) = status.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this device is not enrolled",
        )
    })?;
    Ok(Json(StatusResponse {
        device_id: device.device_id,
        commune_id: device.commune_id,
        acked_through_seq: acked,
        server_head: head,
        missing,
        photo_missing,
    }))
}

fn probes(probe: Option<&str>) -> ApiResult<Vec<uuid::Uuid>> {
    let Some(list) = probe.filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    let ids = list
        .split(',')
        .map(|s| s.trim().parse::<uuid::Uuid>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_query",
                "probe lists version ids separated by commas",
            )
        })?;
    if ids.len() > STATUS_PROBES {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("at most {STATUS_PROBES} probes"),
        ));
    }
    Ok(ids)
}
