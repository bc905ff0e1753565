//! Response bodies in the format and encoding the client asks for. A phone on 2G pulls pages of
//! versions that are mostly repeated keys and UUID text: CBOR with zstd is several times smaller
//! than plain JSON, and the link, not the server's CPU, is what the phone waits for.
//! JSON stays the default (a browser, curl or an `Accept: */*` client gets JSON), and an
//! unencoded body is sent to a client that names no encoding it can read.

use axum::http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::io::Write;

use crate::error::ApiError;

/// Below this many bytes compression saves less than the header costs.
const COMPRESS_FROM: usize = 512;

/// zstd's default level: most of the gain for little CPU.
const ZSTD_LEVEL: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity,
    Zstd,
    Gzip,
}

/// Whether a comma-separated header lists `token` with a non-zero quality.
fn lists(headers: &HeaderMap, name: axum::http::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let listed = parts.next().is_some_and(|t| t.eq_ignore_ascii_case(token));
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            listed && !refused
        })
}

/// Whether the request asks for the short answer (`Prefer: return=minimal`, RFC 7240).
pub fn prefers_minimal(headers: &HeaderMap) -> bool {
    lists(
        headers,
        axum::http::HeaderName::from_static("prefer"),
        "return=minimal",
    )
}

fn coding(headers: &HeaderMap) -> Coding {
    if lists(headers, ACCEPT_ENCODING, "zstd") {
        Coding::Zstd
    } else if lists(headers, ACCEPT_ENCODING, "gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// `value` as CBOR when the request's `Accept` names `application/cbor`, else JSON; compressed
/// with zstd or gzip when `Accept-Encoding` allows it.
pub fn negotiated<T: Serialize>(request: &HeaderMap, value: &T) -> Response {
    let cbor = lists(request, ACCEPT, "application/cbor");
    let (body, content_type) = if cbor {
        // Through a JSON value, as the phone writes its pushes: types that write themselves
        // otherwise to binary formats (a UUID as 16 bytes) would not read back through the
        // core's JSON-shaped version bodies.
        let mut out = Vec::new();
        let written = serde_json::to_value(value)
            .map_err(|e| e.to_string())
            .and_then(|v| ciborium::into_writer(&v, &mut out).map_err(|e| e.to_string()));
        if let Err(e) = written {
            return ApiError::internal(format!("CBOR encoding failed: {e}")).into_response();
        }
        (out, "application/cbor")
    } else {
        match serde_json::to_vec(value) {
            Ok(out) => (out, "application/json"),
            Err(e) => {
                return ApiError::internal(format!("JSON encoding failed: {e}")).into_response()
            }
        }
    };
    let coding = if body.len() < COMPRESS_FROM {
        Coding::Identity
    } else {
        coding(request)
    };
    let encoded = match coding {
        Coding::Identity => Ok(body),
        Coding::Zstd => zstd::encode_all(&body[..], ZSTD_LEVEL),
        Coding::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&body).and_then(|_| enc.finish())
        }
    };
    let body = match encoded {
        Ok(body) => body,
        Err(e) => return ApiError::internal(format!("compression failed: {e}")).into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(VARY, HeaderValue::from_static("accept, accept-encoding"));
    match coding {
        Coding::Identity => {}
        Coding::Zstd => {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("zstd"));
        }
        Coding::Gzip => {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[derive(Serialize)]
    struct Page {
        versions: Vec<uuid::Uuid>,
    }

    const ID: &str = "0190a1b2-0000-7000-8000-000000000001";

    fn page() -> Page {
        Page {
            versions: vec![ID.parse().unwrap(); 100],
        }
    }

    /// What the phone reads: UUIDs as text, whatever the format.
    fn read_back() -> serde_json::Value {
        serde_json::json!({ "versions": vec![ID; 100] })
    }

    #[test]
    fn minimal_is_asked_for_by_name_among_other_preferences() {
        assert!(prefers_minimal(&headers(&[("prefer", "return=minimal")])));
        assert!(prefers_minimal(&headers(&[(
            "prefer",
            "respond-async, RETURN=MINIMAL"
        )])));
        assert!(!prefers_minimal(&headers(&[(
            "prefer",
            "return=representation"
        )])));
        assert!(!prefers_minimal(&headers(&[])));
    }

    async fn body(r: Response) -> Vec<u8> {
        axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn a_phone_gets_cbor_with_zstd_and_it_reads_back_the_same() {
        let r = negotiated(
            &headers(&[
                ("accept", "application/cbor, application/json;q=0.9"),
                ("accept-encoding", "zstd, gzip"),
            ]),
            &page(),
        );
        assert_eq!(r.headers()[CONTENT_TYPE], "application/cbor");
        assert_eq!(r.headers()[CONTENT_ENCODING], "zstd");
        let plain = zstd::decode_all(&body(r).await[..]).unwrap();
        let back: serde_json::Value = ciborium::from_reader(&plain[..]).unwrap();
        assert_eq!(back, read_back());
    }

    #[tokio::test]
    async fn json_is_the_default_and_gzip_or_nothing_follows_accept_encoding() {
        let r = negotiated(
            &headers(&[("accept", "*/*"), ("accept-encoding", "gzip, deflate")]),
            &page(),
        );
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()[CONTENT_ENCODING], "gzip");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body(r).await[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&plain).unwrap(),
            read_back()
        );

        let r = negotiated(&headers(&[("accept-encoding", "zstd;q=0")]), &page());
        assert!(r.headers().get(CONTENT_ENCODING).is_none());
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body(r).await).unwrap(),
            read_back()
        );
    }
}
