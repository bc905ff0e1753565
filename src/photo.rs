//! Photo intake on the phone: read the EXIF capture time and position (the evidence), turn the
//! picture upright, shrink it to the configured long edge, re-encode it as JPEG with the
//! evidence written back into its EXIF, and make a thumbnail. The stored JPEG's SHA-256 is the
//! photo's id ([`PhotoId`]), so the same photo is stored and uploaded once.

use std::io::Cursor;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use exif::{Field, In, Rational, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageReader, Limits};
use serde::{Deserialize, Serialize};

use crate::ids::PhotoId;

/// Default long edge of a stored photo, pixels (product.md §5).
pub const DEFAULT_LONG_EDGE: u32 = 1600;
/// Long edge of the thumbnail shown in lists, pixels.
pub const THUMBNAIL_LONG_EDGE: u32 = 256;
/// JPEG quality of stored photos: small on 2G, still legible as evidence.
pub const JPEG_QUALITY: u8 = 82;
const THUMBNAIL_QUALITY: u8 = 70;
/// Largest picture taken in (a 100-megapixel camera is 12,000 px wide); beyond that the input is
/// refused rather than decoded into gigabytes.
const MAX_DIMENSION: u32 = 16_000;
const MAX_DECODE_BYTES: u64 = 768 * 1024 * 1024;

/// When and where the camera says the photo was taken, kept as evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ExifEvidence {
    pub taken_at: Option<DateTime<FixedOffset>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub altitude_m: Option<f64>,
}

/// A photo ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedPhoto {
    pub id: PhotoId,
    /// The stored JPEG (with the evidence in its EXIF); `id` is its SHA-256.
    pub jpeg: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub evidence: ExifEvidence,
}

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("the picture cannot be read: {0}")]
    Decode(String),
    #[error("the picture cannot be saved: {0}")]
    Encode(String),
}

/// Reads the capture time and GPS position from a picture's EXIF, if it has them. A time
/// without an offset is taken as Vietnam time (+07:00), as the phones are set.
pub fn read_exif(bytes: &[u8]) -> ExifEvidence {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return ExifEvidence::default();
    };
    let ascii = |tag: Tag| match exif.get_field(tag, In::PRIMARY).map(|f| &f.value) {
        Some(Value::Ascii(v)) => v.first().cloned(),
        _ => None,
    };
    let taken_at = ascii(Tag::DateTimeOriginal)
        .or_else(|| ascii(Tag::DateTime))
        .and_then(|raw| {
            let mut dt = exif::DateTime::from_ascii(&raw).ok()?;
            if let Some(offset) = ascii(Tag::OffsetTimeOriginal) {
                let _ = dt.parse_offset(&offset);
            }
            let offset = FixedOffset::east_opt(i32::from(dt.offset.unwrap_or(7 * 60)) * 60)?;
            let naive = NaiveDate::from_ymd_opt(dt.year.into(), dt.month.into(), dt.day.into())?
                .and_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into())?;
            offset.from_local_datetime(&naive).single()
        });
    let degrees = |tag: Tag, ref_tag: Tag, negative: u8| -> Option<f64> {
        let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
            return None;
        };
        if parts.len() < 3 {
            return None;
        }
        let value = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
        let sign = match ascii(ref_tag) {
            Some(r) if r.first() == Some(&negative) => -1.0,
            _ => 1.0,
        };
        value.is_finite().then_some(sign * value)
    };
    let altitude_m = exif
        .get_field(Tag::GPSAltitude, In::PRIMARY)
        .and_then(|f| match &f.value {
            Value::Rational(v) => v.first().map(|r| {
                let below = exif
                    .get_field(Tag::GPSAltitudeRef, In::PRIMARY)
                    .and_then(|f| f.value.get_uint(0))
                    .is_some_and(|r| r == 1);
                if below {
                    -r.to_f64()
                } else {
                    r.to_f64()
                }
            }),
            _ => None,
        });
    ExifEvidence {
        taken_at,
        lat: degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S'),
        lon: degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W'),
        altitude_m: altitude_m.filter(|a| a.is_finite()),
    }
}

fn exif_orientation(bytes: &[u8]) -> Option<u8> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let o = exif
        .get_field(Tag::Orientation, In::PRIMARY)?
        .value
        .get_uint(0)?;
    u8::try_from(o).ok()
}

/// Takes in a picture from the camera: upright, at most `long_edge` pixels on its long side,
/// JPEG, with its evidence kept.
pub fn intake(original: &[u8], long_edge: u32) -> Result<ProcessedPhoto, PhotoError> {
    let evidence = read_exif(original);
    let mut reader = ImageReader::new(Cursor::new(original))
        .with_guessed_format()
        .map_err(|e| PhotoError::Decode(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut img = reader
        .decode()
        .map_err(|e| PhotoError::Decode(e.to_string()))?;
    if let Some(o) = exif_orientation(original).and_then(Orientation::from_exif) {
        img.apply_orientation(o);
    }
    let long_edge = long_edge.max(1);
    let resized = if img.width().max(img.height()) > long_edge {
        img.thumbnail(long_edge, long_edge)
    } else {
        img
    };
    let (width, height) = (resized.width(), resized.height());
    let encoded = encode_jpeg(&resized, JPEG_QUALITY)?;
    let jpeg = with_exif(&encoded, &evidence);
    let thumbnail = encode_jpeg(
        &resized.thumbnail(THUMBNAIL_LONG_EDGE, THUMBNAIL_LONG_EDGE),
        THUMBNAIL_QUALITY,
    )?;
    Ok(ProcessedPhoto {
        id: PhotoId::of_bytes(&jpeg),
        jpeg,
        thumbnail,
        width,
        height,
        evidence,
    })
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let rgb = img.to_rgb8();
    let mut out = Vec::with_capacity(256 * 1024);
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

/// `jpeg` with an EXIF segment carrying `evidence` (time, offset, GPS) right after its start
/// marker. Without evidence the JPEG is returned as it is.
pub fn with_exif(jpeg: &[u8], evidence: &ExifEvidence) -> Vec<u8> {
    let Some(tiff) = exif_tiff(evidence) else {
        return jpeg.to_vec();
    };
    if jpeg.len() < 2 || jpeg[..2] != [0xFF, 0xD8] || tiff.len() + 8 > usize::from(u16::MAX) {
        return jpeg.to_vec();
    }
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn exif_tiff(e: &ExifEvidence) -> Option<Vec<u8>> {
    let mut fields = Vec::new();
    let ascii = |tag, s: String| Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![s.into_bytes()]),
    };
    if let Some(t) = e.taken_at {
        fields.push(ascii(
            Tag::DateTimeOriginal,
            t.format("%Y:%m:%d %H:%M:%S").to_string(),
        ));
        fields.push(ascii(Tag::OffsetTimeOriginal, t.format("%:z").to_string()));
    }
    let dms = |v: f64| {
        let v = v.abs();
        let d = v.trunc();
        let m = ((v - d) * 60.0).trunc();
        let s = (v - d - m / 60.0) * 3600.0;
        Value::Rational(vec![
            Rational {
                num: d as u32,
                denom: 1,
            },
            Rational {
                num: m as u32,
                denom: 1,
            },
            Rational {
                num: (s * 10_000.0).round() as u32,
                denom: 10_000,
            },
        ])
    };
    if let (Some(lat), Some(lon)) = (e.lat, e.lon) {
        fields.push(ascii(
            Tag::GPSLatitudeRef,
            if lat < 0.0 { "S" } else { "N" }.to_owned(),
        ));
        fields.push(Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: dms(lat),
        });
        fields.push(ascii(
            Tag::GPSLongitudeRef,
            if lon < 0.0 { "W" } else { "E" }.to_owned(),
        ));
        fields.push(Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: dms(lon),
        });
    }
    if let Some(alt) = e.altitude_m {
        fields.push(Field {
            tag: Tag::GPSAltitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Byte(vec![u8::from(alt < 0.0)]),
        });
        fields.push(Field {
            tag: Tag::GPSAltitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![Rational {
                num: (alt.abs() * 100.0).round() as u32,
                denom: 100,
            }]),
        });
    }
    if fields.is_empty() {
        return None;
    }
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, false).ok()?;
    Some(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn camera_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            Rgb([
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x ^ y) & 0xff) as u8,
            ])
        });
        encode_jpeg(&DynamicImage::ImageRgb8(img), 90).unwrap()
    }

    fn evidence() -> ExifEvidence {
        ExifEvidence {
            taken_at: Some(DateTime::parse_from_rfc3339("2020-03-05T09:29:58+07:00").unwrap()),
            lat: Some(21.780_123),
            lon: Some(105.330_456),
            altitude_m: Some(35.5),
        }
    }

    #[test]
    fn exif_time_and_position_survive_intake_as_evidence() {
        let original = with_exif(&camera_jpeg(800, 600), &evidence());
        assert_eq!(read_exif(&original).taken_at, evidence().taken_at);
        let photo = intake(&original, DEFAULT_LONG_EDGE).unwrap();
        let e = photo.evidence;
        assert_eq!(e.taken_at, evidence().taken_at);
        assert!((e.lat.unwrap() - 21.780_123).abs() < 1e-6, "{e:?}");
        assert!((e.lon.unwrap() - 105.330_456).abs() < 1e-6, "{e:?}");
        assert_eq!(e.altitude_m, Some(35.5));
        // The stored JPEG carries the evidence too, for the server and anyone who opens it.
        assert_eq!(read_exif(&photo.jpeg), photo.evidence);
    }

    #[test]
    fn a_large_photo_is_shrunk_to_the_long_edge_and_hashed() {
        let photo = intake(&camera_jpeg(3000, 2000), 1600).unwrap();
        assert_eq!((photo.width, photo.height), (1600, 1067));
        assert_eq!(photo.id, PhotoId::of_bytes(&photo.jpeg));
        let thumb = image::load_from_memory(&photo.thumbnail).unwrap();
        assert_eq!(thumb.width().max(thumb.height()), THUMBNAIL_LONG_EDGE);
        let stored = image::load_from_memory(&photo.jpeg).unwrap();
        assert_eq!((stored.width(), stored.height()), (1600, 1067));
    }

    #[test]
    fn a_small_photo_keeps_its_size_and_a_photo_without_exif_has_no_evidence() {
        let photo = intake(&camera_jpeg(640, 480), 1600).unwrap();
        assert_eq!((photo.width, photo.height), (640, 480));
        assert_eq!(photo.evidence, ExifEvidence::default());
    }

    #[test]
    fn the_same_picture_gets_the_same_id() {
        let original = camera_jpeg(900, 700);
        assert_eq!(
            intake(&original, 800).unwrap().id,
            intake(&original, 800).unwrap().id
        );
    }

    #[test]
    fn a_png_is_taken_in_as_jpeg_and_garbage_is_refused() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(50, 40, Rgb([10, 200, 30])));
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let photo = intake(&png, 1600).unwrap();
        assert_eq!(&photo.jpeg[..2], &[0xFF, 0xD8]);
        assert!(matches!(
            intake(b"not a picture", 1600),
            Err(PhotoError::Decode(_))
        ));
    }

    #[test]
    fn exif_orientation_turns_the_picture_upright() {
        // Orientation 6: the camera was held sideways; the stored picture is portrait.
        let mut writer = exif::experimental::Writer::new();
        let f = Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        };
        writer.push_field(&f);
        let mut tiff = Cursor::new(Vec::new());
        writer.write(&mut tiff, false).unwrap();
        let tiff = tiff.into_inner();
        let jpeg = camera_jpeg(400, 300);
        let mut original = vec![0xFF, 0xD8, 0xFF, 0xE1];
        original.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
        original.extend_from_slice(b"Exif\0\0");
        original.extend_from_slice(&tiff);
        original.extend_from_slice(&jpeg[2..]);
        let photo = intake(&original, 1600).unwrap();
        assert_eq!((photo.width, photo.height), (300, 400));
    }
}
