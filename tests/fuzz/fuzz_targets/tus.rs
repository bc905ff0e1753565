//! The tus rules of photo uploads (`ntm_server::tus`): the `Upload-Length`, `Upload-Offset`,
//! `Upload-Metadata` and `Upload-Checksum` headers, raw or built as a client builds them, and
//! a sequence of PATCHes (at the server's offset or elsewhere, cut short, overflowing, with a
//! right or wrong checksum) run against the upload's recorded progress.
//!
//! A refusal is a 4xx; a header a client built right reads back as what it meant; the offset
//! only grows, never past `Upload-Length`, and the upload completes exactly at its last byte;
//! a client sent back with 409 learns the server's offset and resumes there.
#![no_main]

use base64::Engine;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use ntm_fuzz::assert_client_error;
use ntm_server::tus::{
    parse_checksum, parse_metadata, parse_upload_length, parse_upload_offset, start_patch,
    PatchStart, Progress, Settled, PHOTO_TYPES,
};
use sha2::Digest;

/// The server's default `Tus-Max-Size` (20 MiB).
const MAX_PHOTO: u64 = 20 << 20;

#[derive(Arbitrary, Debug)]
enum Number {
    Missing,
    Raw(String),
    /// A decimal number with spaces around it, as a header may carry.
    Value {
        value: u64,
        spaces: u8,
    },
}

impl Number {
    fn header(&self) -> Option<String> {
        match self {
            Number::Missing => None,
            Number::Raw(s) => Some(s.clone()),
            Number::Value { value, spaces } => {
                let pad = " ".repeat(usize::from(spaces % 3));
                Some(format!("{pad}{value}{pad}"))
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Key {
    Sha256,
    ContentType,
    Filetype,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Value {
    None,
    /// A photo id: the hex of 32 bytes, base64-encoded.
    Digest([u8; 32]),
    /// One of the photo types, maybe in upper case.
    PhotoType {
        index: u8,
        upper: bool,
    },
    Text(String),
    /// Not encoded at all.
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Metadata {
    Missing,
    Raw(String),
    Pairs(Vec<(Key, Value)>),
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Builds `Upload-Metadata` as a tus client does, and what it should read as when every pair
/// is well formed: the last `sha256` and the last content type (JPEG when none) win.
fn metadata(m: &Metadata) -> (Option<String>, Option<Option<(String, String)>>) {
    let pairs = match m {
        Metadata::Missing => return (None, None),
        Metadata::Raw(s) => return (Some(s.clone()), None),
        Metadata::Pairs(pairs) => pairs,
    };
    let mut well_formed = true;
    let (mut sha, mut content_type) = (None, "image/jpeg".to_owned());
    let mut text = Vec::new();
    for (key, value) in pairs {
        let key_text = match key {
            Key::Sha256 => "sha256".to_owned(),
            Key::ContentType => "content_type".to_owned(),
            Key::Filetype => "filetype".to_owned(),
            Key::Other(k) => {
                // tus keys have no spaces or commas; other keys are ignored by the server.
                well_formed &= !k.is_empty() && !k.contains([' ', ',']) && k.trim() == k;
                well_formed &= !["sha256", "content_type", "filetype"].contains(&k.as_str());
                k.clone()
            }
        };
        let (encoded, decoded) = match value {
            Value::None => (None, Some(String::new())),
            Value::Digest(bytes) => {
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                (Some(b64(&hex)), Some(hex))
            }
            Value::PhotoType { index, upper } => {
                let t = PHOTO_TYPES[usize::from(*index) % PHOTO_TYPES.len()];
                let sent = if *upper {
                    t.to_ascii_uppercase()
                } else {
                    t.to_owned()
                };
                (Some(b64(&sent)), Some(sent))
            }
            Value::Text(t) => (Some(b64(t)), Some(t.clone())),
            Value::Raw(r) => (Some(r.clone()), None),
        };
        match decoded {
            Some(d) => match key {
                Key::Sha256 => sha = Some(d),
                Key::ContentType | Key::Filetype => content_type = d.to_ascii_lowercase(),
                Key::Other(_) => {}
            },
            None => well_formed = false,
        }
        text.push(match encoded {
            Some(v) => format!("{key_text} {v}"),
            None => key_text,
        });
    }
    let expected = well_formed.then(|| {
        sha.filter(|s| {
            s.len() == 64
                && s.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        })
        .filter(|_| PHOTO_TYPES.contains(&content_type.as_str()))
        .map(|s| (s, content_type))
    });
    (Some(text.join(",")), expected)
}

#[derive(Arbitrary, Debug)]
enum Algorithm {
    Sha1,
    Sha256,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Checksum {
    Missing,
    Raw(String),
    /// A digest of `data`; `wrong` sends another one.
    Of {
        algorithm: Algorithm,
        data: Vec<u8>,
        wrong: bool,
    },
}

#[derive(Arbitrary, Debug)]
enum At {
    /// Where the server is (a client that kept up).
    Server,
    /// From the start (a client that lost its state).
    Zero,
    Delta(i16),
    Raw(u64),
}

#[derive(Arbitrary, Debug)]
enum Sum {
    None,
    Right,
    Wrong,
}

#[derive(Arbitrary, Debug)]
struct Patch {
    at: At,
    frames: Vec<u16>,
    interrupted: bool,
    sum: Sum,
}

#[derive(Arbitrary, Debug)]
struct Input {
    length: Number,
    offset: Number,
    metadata: Metadata,
    checksum: Checksum,
    /// The photo's size is 1 + this.
    photo_len: u16,
    patches: Vec<Patch>,
    /// Any recorded progress and frames, for the arithmetic's sake.
    wild: (u64, u64, bool, u64, Vec<usize>),
}

fn headers(input: &Input) {
    let length = input.length.header();
    match parse_upload_length(length.as_deref(), MAX_PHOTO) {
        Ok(n) => {
            assert!((1..=MAX_PHOTO).contains(&n));
            if let Number::Value { value, .. } = input.length {
                assert_eq!(n, value);
            }
        }
        Err(e) => {
            assert_client_error(&e, "Upload-Length");
            if let Number::Value { value, .. } = input.length {
                assert!(value == 0 || value > MAX_PHOTO, "{value} refused");
                assert_eq!(e.status.as_u16() == 413, value > MAX_PHOTO);
            }
        }
    }

    let offset = input.offset.header();
    match parse_upload_offset(offset.as_deref()) {
        Ok(n) => {
            if let Number::Value { value, .. } = input.offset {
                assert_eq!(n, value);
            }
        }
        Err(e) => {
            assert_client_error(&e, "Upload-Offset");
            assert!(!matches!(input.offset, Number::Value { .. }));
        }
    }

    let (text, expected) = metadata(&input.metadata);
    match parse_metadata(text.as_deref()) {
        Ok((id, content_type)) => {
            assert!(PHOTO_TYPES.contains(&content_type.as_str()));
            if let Some(expected) = expected {
                assert_eq!(Some((id.to_hex(), content_type)), expected, "{text:?}");
            }
        }
        Err(e) => {
            assert_client_error(&e, "Upload-Metadata");
            assert!(
                !matches!(expected, Some(Some(_))),
                "{text:?} refused: {}",
                e.message
            );
        }
    }

    let (header, expect_match) = match &input.checksum {
        Checksum::Missing => (None, None),
        Checksum::Raw(s) => (Some(s.clone()), None),
        Checksum::Of {
            algorithm,
            data,
            wrong,
        } => {
            let (name, mut digest) = match algorithm {
                Algorithm::Sha1 => ("sha1".to_owned(), sha1::Sha1::digest(data).to_vec()),
                Algorithm::Sha256 => ("sha256".to_owned(), sha2::Sha256::digest(data).to_vec()),
                Algorithm::Other(name) => (name.clone(), vec![0; 32]),
            };
            if *wrong {
                digest[0] ^= 1;
            }
            let known = matches!(algorithm, Algorithm::Sha1 | Algorithm::Sha256);
            (
                Some(format!("{name} {}", b64(&digest))),
                known.then_some((data, !wrong)),
            )
        }
    };
    match parse_checksum(header.as_deref()) {
        Ok(None) => assert!(header.is_none()),
        Ok(Some(mut sum)) => {
            if let Some((data, right)) = expect_match {
                let (a, b) = data.split_at(data.len() / 2);
                sum.update(a);
                sum.update(b);
                assert_eq!(sum.matches(), right);
            }
        }
        Err(e) => {
            assert_client_error(&e, "Upload-Checksum");
            assert!(expect_match.is_none(), "{header:?} refused: {}", e.message);
        }
    }
}

/// The bytes a client sends from `offset`: the photo is byte `i` = `i % 251`.
fn photo_bytes(offset: u64, len: u64) -> Vec<u8> {
    (offset..offset + len).map(|i| (i % 251) as u8).collect()
}

fn patches(input: &Input) {
    let length = u64::from(input.photo_len) + 1;
    let mut progress = Progress {
        offset: 0,
        length,
        completed: false,
    };
    for patch in &input.patches {
        let client_offset = match patch.at {
            At::Server => progress.offset,
            At::Zero => 0,
            At::Delta(d) => progress.offset.saturating_add_signed(i64::from(d)),
            At::Raw(v) => v,
        };
        let mut budget = match start_patch(progress, client_offset) {
            Err(e) => {
                assert_eq!(e.status.as_u16(), 409, "{}", e.message);
                assert_eq!(
                    e.headers,
                    vec![("Upload-Offset", progress.offset.to_string())]
                );
                assert!(progress.completed || client_offset != progress.offset);
                // The client resumes where it was told to.
                if !progress.completed {
                    assert!(matches!(
                        start_patch(progress, progress.offset),
                        Ok(PatchStart::Append(_))
                    ));
                }
                continue;
            }
            Ok(PatchStart::AlreadyComplete { length: l }) => {
                assert!(progress.completed && client_offset == length && l == length);
                continue;
            }
            Ok(PatchStart::Append(budget)) => budget,
        };
        assert!(!progress.completed && client_offset == progress.offset);
        let mut admitted = 0u64;
        let mut overflow = false;
        for &frame in &patch.frames {
            if budget.admit(usize::from(frame)) {
                admitted += u64::from(frame);
            } else {
                assert!(progress.offset + admitted + u64::from(frame) > length);
                overflow = true;
                break;
            }
        }
        let sent = photo_bytes(progress.offset, admitted);
        let sum = match patch.sum {
            Sum::None => None,
            Sum::Right => Some(sha2::Sha256::digest(&sent).to_vec()),
            Sum::Wrong => Some(sha2::Sha256::digest([&sent[..], b"!"].concat()).to_vec()),
        };
        let mut checksum = parse_checksum(
            sum.as_ref()
                .map(|d| format!("sha256 {}", b64(d)))
                .as_deref(),
        )
        .expect("a client's checksum header reads");
        if let Some(c) = checksum.as_mut() {
            c.update(&sent);
        }
        match budget.settle(overflow, patch.interrupted, checksum) {
            Settled::Discard(e) => {
                assert_client_error(&e, "PATCH");
                let expected = if overflow {
                    413
                } else if sum.is_some() && patch.interrupted {
                    400
                } else {
                    460
                };
                assert_eq!(e.status.as_u16(), expected, "{}", e.message);
                assert!(overflow || matches!(patch.sum, Sum::Wrong) || patch.interrupted);
            }
            Settled::Keep {
                new_offset,
                completes,
                cut_short,
            } => {
                assert!(!overflow && !matches!(patch.sum, Sum::Wrong));
                assert_eq!(new_offset, progress.offset + admitted);
                assert!(new_offset <= length);
                assert_eq!(completes, new_offset == length);
                assert_eq!(cut_short, patch.interrupted);
                progress.offset = new_offset;
                progress.completed = completes;
            }
        }
    }
}

fuzz_target!(|input: Input| {
    headers(&input);
    patches(&input);
    let (offset, length, completed, client_offset, frames) = &input.wild;
    let progress = Progress {
        offset: *offset,
        length: *length,
        completed: *completed,
    };
    match start_patch(progress, *client_offset) {
        Ok(PatchStart::Append(mut budget)) => {
            assert!(offset <= length && offset == client_offset);
            let mut admitted = 0u64;
            for &frame in frames {
                if budget.admit(frame) {
                    admitted += frame as u64;
                    assert!(admitted <= length - offset);
                }
            }
        }
        Ok(PatchStart::AlreadyComplete { .. }) => assert!(*completed && client_offset == length),
        Err(e) => assert_eq!(e.status.as_u16(), 409),
    }
});
