//! Request bodies: read with a size bound, decompressed through a bounded reader (gzip always,
//! zstd when declared; no compression bombs), decoded as JSON (always) or CBOR
//! (`application/cbor`), every failure a 4xx JSON error.

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The declared format of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Cbor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

/// How a body is to be read, from `Content-Type` and `Content-Encoding`.
pub fn negotiate(headers: &HeaderMap) -> ApiResult<(Format, Encoding)> {
    let format = match headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?"))
    {
        None => Format::Json,
        Some(ct) => {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            match essence.as_str() {
                "application/json" => Format::Json,
                "application/cbor" => Format::Cbor,
                other => {
                    return Err(ApiError::unsupported_media(format!(
                        "Content-Type {other:?} is not accepted; send application/json or application/cbor"
                    )))
                }
            }
        }
    };
    let encoding = match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
    {
        None => Encoding::Identity,
        Some(e) if e.is_empty() || e == "identity" => Encoding::Identity,
        Some(e) if e == "gzip" || e == "x-gzip" => Encoding::Gzip,
        Some(e) if e == "zstd" => Encoding::Zstd,
        Some(other) => {
            return Err(ApiError::unsupported_media(format!(
                "Content-Encoding {other:?} is not accepted; send gzip, zstd or no encoding"
            )))
        }
    };
    Ok((format, encoding))
}

/// Reads a whole body, refusing more than `max` bytes (first by `Content-Length`, then while
/// streaming).
pub async fn read_limited(headers: &HeaderMap, body: Body, max: usize) -> ApiResult<Bytes> {
    let too_large = || {
        ApiError::too_large(format!(
            "the body is larger than {} KiB; send smaller batches",
            max / 1024
        ))
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max as u64 {
            return Err(too_large());
        }
    }
    axum::body::to_bytes(body, max).await.map_err(|e| {
        let text = e.to_string();
        if text.contains("length limit") {
            too_large()
        } else {
            ApiError::bad_request(
                "body_interrupted",
                format!("the body could not be read ({text}); send it again"),
            )
        }
    })
}

fn bounded(mut reader: impl Read, max: usize, what: &str) -> ApiResult<Vec<u8>> {
    let mut out = Vec::new();
    reader
        .by_ref()
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            ApiError::bad_request(
                "bad_encoding",
                format!("the {what} body could not be decompressed ({e}); check Content-Encoding"),
            )
        })?;
    if out.len() > max {
        return Err(ApiError::too_large(format!(
            "the body decompresses to more than {} MiB; send smaller batches",
            max >> 20
        )));
    }
    Ok(out)
}

/// Undoes the content encoding, never producing more than `max` bytes.
pub fn decompress(
    encoding: Encoding,
    bytes: &[u8],
    max: usize,
) -> ApiResult<std::borrow::Cow<'_, [u8]>> {
    Ok(match encoding {
        Encoding::Identity => {
            if bytes.len() > max {
                return Err(ApiError::too_large(
                    "the body is too large; send smaller batches",
                ));
            }
            std::borrow::Cow::Borrowed(bytes)
        }
        Encoding::Gzip => std::borrow::Cow::Owned(bounded(
            flate2::read::MultiGzDecoder::new(bytes),
            max,
            "gzip",
        )?),
        Encoding::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::new(bytes)
                .map_err(|e| ApiError::bad_request("bad_encoding", format!("zstd: {e}")))?;
            // A frame may not demand a window larger than 8 MiB of memory.
            decoder
                .window_log_max(23)
                .map_err(|e| ApiError::bad_request("bad_encoding", format!("zstd: {e}")))?;
            std::borrow::Cow::Owned(bounded(decoder, max, "zstd")?)
        }
    })
}

/// Decodes a (decompressed) body of `format`.
pub fn decode<T: DeserializeOwned>(format: Format, bytes: &[u8]) -> ApiResult<T> {
    match format {
        Format::Json => {
            // The fast path; only a body that fails is read again to name the field at fault.
            serde_json::from_slice(bytes).map_err(|_| {
                let mut de = serde_json::Deserializer::from_slice(bytes);
                match serde_path_to_error::deserialize::<_, T>(&mut de) {
                    Err(e) => body_error(e.path().to_string(), e.inner().to_string(), "JSON"),
                    Ok(_) => match de.end() {
                        Err(e) => body_error(String::new(), e.to_string(), "JSON"),
                        Ok(()) => body_error(String::new(), "unreadable".into(), "JSON"),
                    },
                }
            })
        }
        Format::Cbor => {
            // Through a JSON value, so errors carry the same field paths as JSON ones.
            let value: serde_json::Value = ciborium::de::from_reader(bytes)
                .map_err(|e| body_error(String::new(), e.to_string(), "CBOR"))?;
            serde_path_to_error::deserialize(value)
                .map_err(|e| body_error(e.path().to_string(), e.inner().to_string(), "CBOR"))
        }
    }
}

fn body_error(path: String, reason: String, format: &str) -> ApiError {
    let path = if path == "." { String::new() } else { path };
    let err = ApiError::invalid_body(if path.is_empty() {
        format!("the body is not valid {format} of the expected shape: {reason}")
    } else {
        format!("{path}: {reason}")
    });
    if path.is_empty() {
        err
    } else {
        err.with_field(path)
    }
}

/// Reads, decompresses and decodes a body in one go (on a blocking thread).
pub async fn decode_request<T: DeserializeOwned + Send + 'static>(
    headers: &HeaderMap,
    body: Body,
    max_body: usize,
    max_decompressed: usize,
) -> ApiResult<T> {
    let (format, encoding) = negotiate(headers)?;
    let bytes = read_limited(headers, body, max_body).await?;
    crate::blocking(move || {
        let plain = decompress(encoding, &bytes, max_decompressed)?;
        decode(format, &plain)
    })
    .await
}

/// A JSON (or CBOR) request body of at most `Limits::max_json_body` bytes.
pub struct ApiBody<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromRequest<Arc<AppState>> for ApiBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &Arc<AppState>) -> ApiResult<Self> {
        let (parts, body) = req.into_parts();
        let limits = &state.limits;
        decode_request(
            &parts.headers,
            body,
            limits.max_json_body,
            limits.max_decompressed,
        )
        .await
        .map(ApiBody)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_gzip_bomb_stops_at_the_bound() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            enc.write_all(&zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 200_000);
        let err = decompress(Encoding::Gzip, &bomb, 8 << 20).unwrap_err();
        assert_eq!(err.status.as_u16(), 413);
    }

    #[test]
    fn a_zstd_bomb_stops_at_the_bound() {
        let bomb = zstd::encode_all(&vec![0u8; 64 << 20][..], 19).unwrap();
        let err = decompress(Encoding::Zstd, &bomb, 8 << 20).unwrap_err();
        assert_eq!(err.status.as_u16(), 413);
        let ok = zstd::encode_all(&b"{\"a\":1}"[..], 3).unwrap();
        assert_eq!(
            &*decompress(Encoding::Zstd, &ok, 1024).unwrap(),
            b"{\"a\":1}"
        );
    }

    #[test]
    fn decode_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        struct S {
            #[allow(dead_code)]
            first_seq: u64,
        }
        let e = decode::<S>(Format::Json, br#"{"first_seq": "one"}"#).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.field.as_deref()),
            (400, Some("first_seq"))
        );
        let e = decode::<S>(Format::Json, b"{not json").unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = decode::<S>(Format::Cbor, &[0xff, 0x00]).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let mut cbor = Vec::new();
        ciborium::into_writer(&serde_json::json!({"first_seq": 3}), &mut cbor).unwrap();
        assert!(decode::<S>(Format::Cbor, &cbor).is_ok());
    }
}
