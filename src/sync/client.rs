//! The HTTP client of the API v1 (product.md §4, Appendix A) for one identity: enroll, push,
//! pull, status, and the tus 1.0 calls for photos. Bodies go as CBOR + zstd by default (fewest
//! bytes on 2G) or JSON; answers are read in whatever format the server chose.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, LOCATION};
use reqwest::{Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::ids::PhotoId;
use crate::protocol::{
    EnrollRequest, EnrollResponse, ErrorBody, PullResponse, PushRequest, PushResponse,
    ReidentifyRequest, StatusResponse, API_V1,
};
use crate::record::Version;
use uuid::Uuid;

/// zstd level of push bodies: batches are small (tens of KB), so a high level costs the phone
/// milliseconds and saves the 2G link bytes.
pub const ZSTD_LEVEL: i32 = 19;
const TUS_VERSION: &str = "1.0.0";

/// How push bodies are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WireFormat {
    /// `application/cbor` with `Content-Encoding: zstd` (the default).
    #[default]
    CborZstd,
    /// `application/json`, uncompressed (for debugging and plain tools).
    Json,
}

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request may have left but did not complete (cut, timed out): try again later.
    #[error("network: {0}")]
    Network(String),
    /// No connection could be made, so the server never saw the request: try again later.
    #[error("cannot reach the server: {0}")]
    Unreachable(String),
    /// The server answered with an error.
    #[error("server answered {status}: {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
        expected_seq: Option<u64>,
    },
    /// The answer did not read.
    #[error("unreadable answer: {0}")]
    Protocol(String),
}

impl ClientError {
    /// Worth retrying later without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Network(_) | ClientError::Unreachable(_) => true,
            ClientError::Status { status, .. } => {
                *status >= 500 || *status == 408 || *status == 429
            }
            ClientError::Protocol(_) => true,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn network(e: reqwest::Error) -> ClientError {
    if e.is_connect() {
        ClientError::Unreachable(e.to_string())
    } else {
        ClientError::Network(e.to_string())
    }
}

/// The answer to a push.
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    Acked(PushResponse),
    /// `409`: the server expects this sequence number next.
    Gap {
        expected_seq: u64,
    },
}

/// Encodes a push body; returns the bytes, the content type and the content encoding.
pub fn encode_push(
    request: &PushRequest<Version>,
    format: WireFormat,
) -> (Vec<u8>, &'static str, Option<&'static str>) {
    match format {
        WireFormat::Json => (
            serde_json::to_vec(request).expect("a push serialises"),
            "application/json",
            None,
        ),
        WireFormat::CborZstd => {
            // The JSON document in CBOR (ids as text, as Appendix A shows them): one data model
            // for both encodings, so a server reads either the same way.
            let document = serde_json::to_value(request).expect("a push serialises");
            let mut cbor = Vec::new();
            ciborium::into_writer(&document, &mut cbor).expect("a push serialises to CBOR");
            let body = zstd::bulk::compress(&cbor, ZSTD_LEVEL).expect("zstd compresses in memory");
            (body, "application/cbor", Some("zstd"))
        }
    }
}

/// An HTTP client for one server (and, after enrollment, one device token).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

impl Client {
    /// A client for `server_url` (e.g. `https://ntm.example.vn`); `timeout` bounds each request.
    pub fn new(
        server_url: &str,
        token: Option<String>,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let base = Url::parse(&format!("{}/", server_url.trim_end_matches('/')))
            .map_err(|e| ClientError::Protocol(format!("server address {server_url:?}: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(30)))
            .timeout(timeout)
            .user_agent(concat!("ntm-field/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(network)?;
        Ok(Client { http, base, token })
    }

    fn url(&self, path: &str) -> Url {
        self.base
            .join(path.trim_start_matches('/'))
            .expect("API paths are valid")
    }

    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// `POST /api/v1/devices/enroll`.
    pub async fn enroll(&self, request: &EnrollRequest) -> Result<EnrollResponse, ClientError> {
        let resp = self
            .http
            .post(self.url(&format!("{API_V1}/devices/enroll")))
            .json(request)
            .send()
            .await
            .map_err(network)?;
        read(resp).await
    }

    /// `POST /api/v1/devices/reidentify` with this client's device token: a new identity for a
    /// phone whose database turned out to be a copy.
    pub async fn reidentify(
        &self,
        request: &ReidentifyRequest,
    ) -> Result<EnrollResponse, ClientError> {
        let resp = self
            .auth(
                self.http
                    .post(self.url(&format!("{API_V1}/devices/reidentify"))),
            )
            .json(request)
            .send()
            .await
            .map_err(network)?;
        read(resp).await
    }

    /// `POST /api/v1/sync/push`.
    pub async fn push(
        &self,
        request: &PushRequest<Version>,
        format: WireFormat,
    ) -> Result<PushOutcome, ClientError> {
        let (body, content_type, encoding) = encode_push(request, format);
        self.push_raw(body, content_type, encoding).await
    }

    /// Sends an already encoded push body.
    pub async fn push_raw(
        &self,
        body: Vec<u8>,
        content_type: &str,
        encoding: Option<&str>,
    ) -> Result<PushOutcome, ClientError> {
        let mut rb = self
            .auth(self.http.post(self.url(&format!("{API_V1}/sync/push"))))
            .header(CONTENT_TYPE, content_type)
            .header("Accept", "application/cbor, application/json;q=0.9")
            .header("Accept-Encoding", "zstd, gzip")
            // Only the rejections: the acknowledgement covers the rest, and a result for every
            // version costs about a second per batch on 2G.
            .header("Prefer", "return=minimal");
        if let Some(e) = encoding {
            rb = rb.header(CONTENT_ENCODING, e);
        }
        let resp = rb.body(body).send().await.map_err(network)?;
        match read::<PushResponse>(resp).await {
            Ok(r) => Ok(PushOutcome::Acked(r)),
            Err(ClientError::Status {
                status: 409,
                expected_seq: Some(e),
                ..
            }) => Ok(PushOutcome::Gap { expected_seq: e }),
            Err(e) => Err(e),
        }
    }

    /// `GET /api/v1/sync/pull`. A phone skips its own versions (`skip_own`): it holds them, and
    /// on 2G the server's copies would be most of what it downloads.
    pub async fn pull(
        &self,
        cursor: u64,
        limit: u32,
        config_etag: Option<&str>,
        skip_own: bool,
    ) -> Result<PullResponse, ClientError> {
        let mut url = self.url(&format!("{API_V1}/sync/pull"));
        url.query_pairs_mut()
            .append_pair("cursor", &cursor.to_string())
            .append_pair("limit", &limit.to_string())
            .append_pair("skip_own", if skip_own { "true" } else { "false" });
        if let Some(etag) = config_etag {
            url.query_pairs_mut().append_pair("config_etag", etag);
        }
        let resp = self
            .auth(self.http.get(url))
            .header("Accept", "application/cbor, application/json;q=0.9")
            // Pages are the bulk of what a phone downloads; `decode` reads both codings.
            .header("Accept-Encoding", "zstd, gzip")
            .send()
            .await
            .map_err(network)?;
        read(resp).await
    }

    /// `GET /api/v1/sync/status`, asking whether the server holds the `probe` versions and
    /// the photo `photo_probe`.
    pub async fn status(
        &self,
        probe: &[Uuid],
        photo_probe: Option<&PhotoId>,
    ) -> Result<StatusResponse, ClientError> {
        let mut url = self.url(&format!("{API_V1}/sync/status"));
        if !probe.is_empty() {
            let list: Vec<String> = probe.iter().map(Uuid::to_string).collect();
            url.query_pairs_mut().append_pair("probe", &list.join(","));
        }
        if let Some(photo) = photo_probe {
            url.query_pairs_mut()
                .append_pair("photo_probe", &photo.to_hex());
        }
        let resp = self
            .auth(self.http.get(url))
            .send()
            .await
            .map_err(network)?;
        read(resp).await
    }

    /// tus creation: `POST /api/v1/blobs`. Returns the upload URL and, when the server already
    /// has the photo or part of it, its offset.
    pub async fn tus_create(
        &self,
        length: u64,
        id: &PhotoId,
    ) -> Result<(Url, Option<u64>), ClientError> {
        let metadata = format!(
            "sha256 {},content_type {}",
            B64.encode(id.to_hex()),
            B64.encode("image/jpeg")
        );
        let resp = self
            .auth(self.http.post(self.url(&format!("{API_V1}/blobs"))))
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .map_err(network)?;
        let resp = check(resp).await?;
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ClientError::Protocol("tus creation without Location".into()))?;
        let url = resp
            .url()
            .join(location)
            .map_err(|e| ClientError::Protocol(format!("Location {location:?}: {e}")))?;
        Ok((url, upload_offset(resp.headers())))
    }

    /// tus `HEAD`: the server's offset, or `None` when the upload is gone (404, 410: expired).
    pub async fn tus_offset(&self, url: &str) -> Result<Option<u64>, ClientError> {
        let url = self
            .base
            .join(url)
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let resp = self
            .auth(self.http.head(url))
            .header("Tus-Resumable", TUS_VERSION)
            .send()
            .await
            .map_err(network)?;
        if matches!(resp.status(), StatusCode::NOT_FOUND | StatusCode::GONE) {
            return Ok(None);
        }
        let resp = check(resp).await?;
        upload_offset(resp.headers())
            .map(Some)
            .ok_or_else(|| ClientError::Protocol("tus HEAD without Upload-Offset".into()))
    }

    /// tus `PATCH` of one chunk at `offset`, with its SHA-256 checksum. Returns the new offset.
    pub async fn tus_patch(
        &self,
        url: &str,
        offset: u64,
        chunk: &[u8],
    ) -> Result<u64, ClientError> {
        let url = self
            .base
            .join(url)
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let checksum = format!("sha256 {}", B64.encode(Sha256::digest(chunk)));
        let resp = self
            .auth(self.http.patch(url))
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Offset", offset.to_string())
            .header("Upload-Checksum", checksum)
            .header(CONTENT_TYPE, "application/offset+octet-stream")
            .body(chunk.to_vec())
            .send()
            .await
            .map_err(network)?;
        let resp = check(resp).await?;
        upload_offset(resp.headers())
            .ok_or_else(|| ClientError::Protocol("tus PATCH without Upload-Offset".into()))
    }
}

fn upload_offset(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("Upload-Offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
}

/// Turns an error status into [`ClientError::Status`] with the server's error body.
async fn check(resp: Response) -> Result<Response, ClientError> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.map_err(network)?;
    let body: Option<ErrorBody> = decode(&headers, &bytes).ok();
    Err(match body {
        Some(b) => ClientError::Status {
            status,
            code: b.error.code,
            message: b.error.message,
            expected_seq: b.expected_seq,
        },
        None => ClientError::Status {
            status,
            code: String::new(),
            message: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            expected_seq: None,
        },
    })
}

async fn read<T: DeserializeOwned>(resp: Response) -> Result<T, ClientError> {
    let resp = check(resp).await?;
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.map_err(network)?;
    decode(&headers, &bytes)
}

/// Reads a body in the format its headers name (JSON or CBOR, plain, zstd or gzip).
fn decode<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, ClientError> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let encoding = header(CONTENT_ENCODING);
    let plain: std::borrow::Cow<[u8]> = match encoding.as_str() {
        "" | "identity" => bytes.into(),
        "zstd" => zstd::stream::decode_all(bytes)
            .map_err(|e| ClientError::Protocol(format!("zstd: {e}")))?
            .into(),
        "gzip" => {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .map_err(|e| ClientError::Protocol(format!("gzip: {e}")))?;
            out.into()
        }
        other => {
            return Err(ClientError::Protocol(format!(
                "unknown Content-Encoding {other}"
            )))
        }
    };
    if header(CONTENT_TYPE).contains("cbor") {
        // Through a JSON value, as the server reads pushes: serde types that read themselves
        // otherwise from binary formats (a UUID expects 16 bytes) then read the text the
        // server wrote.
        let value: serde_json::Value = ciborium::from_reader(&plain[..])
            .map_err(|e| ClientError::Protocol(format!("CBOR: {e}")))?;
        serde_json::from_value(value).map_err(|e| ClientError::Protocol(format!("CBOR: {e}")))
    } else {
        serde_json::from_slice(&plain).map_err(|e| ClientError::Protocol(format!("JSON: {e}")))
    }
}
