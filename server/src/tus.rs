//! The tus 1.0 rules of photo uploads without the I/O, so that they can be unit tested and
//! fuzzed (`tests/fuzz`, target `tus`): reading the `Upload-Length`, `Upload-Offset`,
//! `Upload-Metadata` and `Upload-Checksum` headers, where a PATCH may write, and what becomes
//! of the bytes it carried. The handlers in [`crate::handlers::v1::blobs`] do the reading,
//! writing and recording around these.

use axum::http::StatusCode;
use base64::Engine;
use ntm_field::ids::PhotoId;
use sha2::Digest;

use crate::error::{ApiError, ApiResult};

/// Photo types served back as they were declared; anything else could be a page in disguise.
pub const PHOTO_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "image/heif",
];

/// tus's status for a checksum that does not match (460 Checksum Mismatch).
pub fn checksum_mismatch(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::from_u16(460).expect("460 is a valid status"),
        "checksum_mismatch",
        message,
    )
}

/// `Upload-Length` of a new upload: a size from 1 byte to `max`.
pub fn parse_upload_length(value: Option<&str>, max: u64) -> ApiResult<u64> {
    let length: u64 = value.and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
        ApiError::bad_request(
            "missing_length",
            "send Upload-Length: the photo's size in bytes",
        )
    })?;
    if length == 0 {
        return Err(ApiError::bad_request(
            "empty_upload",
            "a photo cannot be empty",
        ));
    }
    if length > max {
        return Err(ApiError::too_large(format!(
            "a photo may be at most {} MiB; resize it on the phone",
            max >> 20
        )));
    }
    Ok(length)
}

/// `Upload-Offset` of a PATCH: where the client's bytes start.
pub fn parse_upload_offset(value: Option<&str>) -> ApiResult<u64> {
    value.and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
        ApiError::bad_request(
            "missing_offset",
            "send Upload-Offset (HEAD the upload to learn it)",
        )
    })
}

/// `Upload-Metadata: sha256 <b64>,content_type <b64>` -> (photo id, content type in lower
/// case, one of [`PHOTO_TYPES`]; JPEG when not given). `filetype` (tus-js-client's name) is
/// read as `content_type`; other keys are ignored.
pub fn parse_metadata(value: Option<&str>) -> ApiResult<(PhotoId, String)> {
    let value = value.ok_or_else(|| {
        ApiError::bad_request(
            "missing_metadata",
            "send Upload-Metadata: sha256 <base64 of the hex SHA-256>,content_type <base64>",
        )
    })?;
    let mut sha = None;
    let mut content_type = None;
    for pair in value.split(',') {
        let mut it = pair.trim().splitn(2, ' ');
        let key = it.next().unwrap_or("");
        let decoded = match it.next() {
            Some(b64) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .map_err(|_| {
                        ApiError::bad_request(
                            "bad_metadata",
                            format!("the value of {key:?} in Upload-Metadata is not base64"),
                        )
                    })?;
                String::from_utf8(bytes).map_err(|_| {
                    ApiError::bad_request(
                        "bad_metadata",
                        format!("the value of {key:?} is not UTF-8 text"),
                    )
                })?
            }
            None => String::new(),
        };
        match key {
            "sha256" => sha = Some(decoded),
            "content_type" | "filetype" => content_type = Some(decoded),
            _ => {}
        }
    }
    let sha = sha.ok_or_else(|| {
        ApiError::bad_request(
            "missing_metadata",
            "Upload-Metadata must carry sha256 <base64 of the hex digest>",
        )
    })?;
    let id = PhotoId::parse(&sha).map_err(|e| {
        ApiError::bad_request("bad_photo_id", format!("sha256 {e}")).with_field("sha256")
    })?;
    let content_type = content_type
        .unwrap_or_else(|| "image/jpeg".to_owned())
        .to_ascii_lowercase();
    if !PHOTO_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::unsupported_media(format!(
            "photos are {}; got {content_type:?}",
            PHOTO_TYPES.join(", ")
        )));
    }
    Ok((id, content_type))
}

enum ChunkHasher {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

/// The `Upload-Checksum` of one PATCH: its algorithm hashing the body as it arrives, and the
/// digest the client sent.
pub struct ChunkChecksum {
    hasher: ChunkHasher,
    expected: Vec<u8>,
}

impl ChunkChecksum {
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.hasher {
            ChunkHasher::Sha1(h) => h.update(data),
            ChunkHasher::Sha256(h) => h.update(data),
        }
    }

    /// Whether the bytes hashed so far have the digest the client sent.
    pub fn matches(self) -> bool {
        let actual = match self.hasher {
            ChunkHasher::Sha1(h) => h.finalize().to_vec(),
            ChunkHasher::Sha256(h) => h.finalize().to_vec(),
        };
        actual == self.expected
    }
}

/// `Upload-Checksum: <sha1|sha256> <base64 digest>`, when sent.
pub fn parse_checksum(value: Option<&str>) -> ApiResult<Option<ChunkChecksum>> {
    let Some(value) = value.map(str::trim) else {
        return Ok(None);
    };
    let (algo, b64) = value.split_once(' ').ok_or_else(|| {
        ApiError::bad_request(
            "bad_checksum",
            "Upload-Checksum is `<sha1|sha256> <base64 digest>`",
        )
    })?;
    let expected = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| {
            ApiError::bad_request("bad_checksum", "the Upload-Checksum digest is not base64")
        })?;
    let hasher = match algo {
        "sha1" => ChunkHasher::Sha1(sha1::Sha1::new()),
        "sha256" => ChunkHasher::Sha256(sha2::Sha256::new()),
        other => {
            return Err(ApiError::bad_request(
                "bad_checksum",
                format!("checksum algorithm {other:?} is not supported; use sha1 or sha256"),
            ))
        }
    };
    Ok(Some(ChunkChecksum { hasher, expected }))
}

/// An upload's progress as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes held (written, flushed and recorded).
    pub offset: u64,
    /// `Upload-Length`.
    pub length: u64,
    /// The photo was stored (or existed already).
    pub completed: bool,
}

/// What a PATCH may do.
#[derive(Debug, PartialEq, Eq)]
pub enum PatchStart {
    /// The upload is complete and the client sent its last PATCH again: answer with the
    /// length as the offset and write nothing.
    AlreadyComplete { length: u64 },
    /// Append the body at the server's offset.
    Append(ChunkBudget),
}

/// Checks a PATCH's `Upload-Offset` against the upload's progress: bytes are only ever
/// appended where the server's offset is, so a client that lost track is sent back there
/// (409 with the server's `Upload-Offset`) instead of overwriting or leaving a hole.
pub fn start_patch(progress: Progress, client_offset: u64) -> ApiResult<PatchStart> {
    if !progress.completed && client_offset == progress.offset {
        if let Some(remaining) = progress.length.checked_sub(progress.offset) {
            return Ok(PatchStart::Append(ChunkBudget {
                offset: progress.offset,
                length: progress.length,
                remaining,
                received: 0,
            }));
        }
    }
    if progress.completed && client_offset == progress.length {
        return Ok(PatchStart::AlreadyComplete {
            length: progress.length,
        });
    }
    let mut e = ApiError::conflict(
        "offset_mismatch",
        format!(
            "the server holds {} bytes of this upload; resume from Upload-Offset {}",
            progress.offset, progress.offset
        ),
    );
    e.headers
        .push(("Upload-Offset", progress.offset.to_string()));
    Err(e)
}

/// The bytes one PATCH may still add: what is left of `Upload-Length` after the offset it
/// started at.
#[derive(Debug, PartialEq, Eq)]
pub struct ChunkBudget {
    offset: u64,
    length: u64,
    remaining: u64,
    received: u64,
}

impl ChunkBudget {
    /// Counts `len` more bytes of the body; false, counting nothing, when they would pass
    /// `Upload-Length` (the whole PATCH is then discarded).
    pub fn admit(&mut self, len: usize) -> bool {
        match self.received.checked_add(len as u64) {
            Some(total) if total <= self.remaining => {
                self.received = total;
                true
            }
            _ => false,
        }
    }

    /// Once the body has ended (`overflow`: a frame was refused by [`ChunkBudget::admit`];
    /// `interrupted`: the client went silent or the connection broke), what becomes of the
    /// bytes written: a chunk with a checksum is kept only whole and matching; a chunk without
    /// one keeps whatever arrived, so an interrupted upload resumes from there.
    pub fn settle(
        self,
        overflow: bool,
        interrupted: bool,
        checksum: Option<ChunkChecksum>,
    ) -> Settled {
        if overflow {
            return Settled::Discard(ApiError::too_large(format!(
                "this PATCH carries more than the {} bytes left of Upload-Length; nothing of it was kept",
                self.remaining
            )));
        }
        if let Some(sum) = checksum {
            if interrupted {
                return Settled::Discard(ApiError::bad_request(
                    "body_interrupted",
                    "the chunk was cut short, so its checksum cannot be checked; send it again",
                ));
            }
            if !sum.matches() {
                return Settled::Discard(checksum_mismatch(
                    "this chunk does not match Upload-Checksum and was discarded; send it again",
                ));
            }
        }
        let new_offset = self.offset + self.received;
        Settled::Keep {
            new_offset,
            completes: new_offset == self.length,
            cut_short: interrupted,
        }
    }
}

/// The fate of a PATCH's bytes.
#[derive(Debug)]
pub enum Settled {
    /// Cut the file back to the PATCH's offset and answer with this error.
    Discard(ApiError),
    /// Record `new_offset`; when it `completes` the upload, check the whole file and store
    /// the photo; when the body was `cut_short`, answer 400 so the client resumes.
    Keep {
        new_offset: u64,
        completes: bool,
        cut_short: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: impl AsRef<[u8]>) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn started(offset: u64, length: u64) -> ChunkBudget {
        match start_patch(
            Progress {
                offset,
                length,
                completed: false,
            },
            offset,
        ) {
            Ok(PatchStart::Append(budget)) => budget,
            other => panic!("a PATCH at the server's offset is refused: {other:?}"),
        }
    }

    #[test]
    fn upload_length_is_one_byte_to_the_limit() {
        assert_eq!(parse_upload_length(Some(" 1000 "), 1000).unwrap(), 1000);
        for (value, status) in [
            (None, 400),
            (Some(""), 400),
            (Some("-1"), 400),
            (Some("1e3"), 400),
            (Some("0"), 400),
            (Some("1001"), 413),
            (Some("18446744073709551616"), 400),
        ] {
            let e = parse_upload_length(value, 1000).unwrap_err();
            assert_eq!(e.status.as_u16(), status, "{value:?}");
        }
    }

    #[test]
    fn metadata_carries_the_photo_id_and_a_photo_type() {
        let hex = "ab".repeat(32);
        let (id, ct) = parse_metadata(Some(&format!(
            "sha256 {},content_type {}",
            b64(&hex),
            b64("IMAGE/PNG")
        )))
        .unwrap();
        assert_eq!((id.to_hex(), ct.as_str()), (hex.clone(), "image/png"));
        let (_, ct) = parse_metadata(Some(&format!(
            "filename {},sha256 {}",
            b64("a.jpg"),
            b64(&hex)
        )))
        .unwrap();
        assert_eq!(ct, "image/jpeg");
        for (value, status) in [
            (None, 400),
            (Some(format!("content_type {}", b64("image/png"))), 400),
            (Some(format!("sha256 {}", b64("../../etc/passwd"))), 400),
            (Some("sha256 not-base64!".to_owned()), 400),
            (Some(format!("sha256 {}", b64([0xff, 0xfe]))), 400),
            (
                Some(format!(
                    "sha256 {},content_type {}",
                    b64(&hex),
                    b64("text/html")
                )),
                415,
            ),
        ] {
            let e = parse_metadata(value.as_deref()).unwrap_err();
            assert_eq!(e.status.as_u16(), status, "{value:?}");
        }
    }

    #[test]
    fn a_chunk_checksum_is_checked_with_its_algorithm() {
        let mut sum = parse_checksum(Some(&format!("sha1 {}", b64(sha1::Sha1::digest(b"chunk")))))
            .unwrap()
            .unwrap();
        sum.update(b"chu");
        sum.update(b"nk");
        assert!(sum.matches());
        let mut sum = parse_checksum(Some(&format!("sha256 {}", b64(sha2::Sha256::digest(b"x")))))
            .unwrap()
            .unwrap();
        sum.update(b"y");
        assert!(!sum.matches());
        assert!(parse_checksum(None).unwrap().is_none());
        for bad in ["sha256", "md5 AAAA", "sha256 ***"] {
            assert_eq!(
                parse_checksum(Some(bad)).err().map(|e| e.status.as_u16()),
                Some(400),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_patch_elsewhere_than_the_servers_offset_is_sent_back_there() {
        let progress = Progress {
            offset: 300,
            length: 1000,
            completed: false,
        };
        for client in [0, 299, 301, 1000] {
            let e = start_patch(progress, client).unwrap_err();
            assert_eq!(e.status.as_u16(), 409);
            assert_eq!(e.headers, vec![("Upload-Offset", "300".to_owned())]);
        }
        let done = Progress {
            offset: 1000,
            length: 1000,
            completed: true,
        };
        assert_eq!(
            start_patch(done, 1000).unwrap(),
            PatchStart::AlreadyComplete { length: 1000 }
        );
        assert_eq!(start_patch(done, 0).unwrap_err().status.as_u16(), 409);
    }

    #[test]
    fn bytes_past_upload_length_discard_the_whole_patch() {
        let mut budget = started(300, 1000);
        assert!(budget.admit(600));
        assert!(!budget.admit(101));
        assert!(budget.admit(100));
        match budget.settle(true, false, None) {
            Settled::Discard(e) => assert_eq!(e.status.as_u16(), 413),
            kept => panic!("{kept:?}"),
        }
    }

    #[test]
    fn an_interrupted_patch_keeps_what_arrived_unless_it_has_a_checksum() {
        let mut budget = started(300, 1000);
        assert!(budget.admit(200));
        match budget.settle(false, true, None) {
            Settled::Keep {
                new_offset,
                completes,
                cut_short,
            } => assert_eq!((new_offset, completes, cut_short), (500, false, true)),
            discarded => panic!("{discarded:?}"),
        }
        let mut budget = started(300, 1000);
        assert!(budget.admit(200));
        let sum = parse_checksum(Some(&format!("sha256 {}", b64([0u8; 32])))).unwrap();
        match budget.settle(false, true, sum) {
            Settled::Discard(e) => assert_eq!(e.code, "body_interrupted"),
            kept => panic!("{kept:?}"),
        }
    }

    #[test]
    fn the_last_byte_completes_the_upload() {
        let mut budget = started(300, 1000);
        assert!(budget.admit(700));
        let mut sum = parse_checksum(Some(&format!(
            "sha256 {}",
            b64(sha2::Sha256::digest([7u8; 700]))
        )))
        .unwrap();
        if let Some(s) = sum.as_mut() {
            s.update(&[7u8; 700]);
        }
        match budget.settle(false, false, sum) {
            Settled::Keep {
                new_offset,
                completes,
                cut_short,
            } => assert_eq!((new_offset, completes, cut_short), (1000, true, false)),
            discarded => panic!("{discarded:?}"),
        }
    }
}
