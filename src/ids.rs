//! Identifiers of the wire contract (product.md Appendix A): slugs for communes and villages,
//! SHA-256 photo ids, and the seven regions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be 1 to 64 characters of a-z, 0-9 and '-' (got {0:?})")]
    BadSlug(String),
    #[error("must be a SHA-256 digest: 64 lowercase hexadecimal characters (got {0:?})")]
    BadSha256(String),
    #[error("unknown region {0:?}; expected one of TDMNPB, DBSH, BTB, DHNTB, TN, DNB, DBSCL")]
    BadRegion(String),
}

/// A commune or village id chosen at creation, e.g. `thien-ke`, `thien-ke-03`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    /// Checks `[a-z0-9-]{1,64}`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Slug(s.to_owned()))
        } else {
            Err(IdError::BadSlug(s.chars().take(80).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A photo's id: the SHA-256 of its bytes, as 64 lowercase hex characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhotoId([u8; 32]);

impl PhotoId {
    /// Accepts exactly 64 lowercase hex characters; anything else (upper case, a path, `..`) is refused,
    /// which also keeps photo ids from ever naming a file outside the photo store.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let lower_hex = s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let mut bytes = [0u8; 32];
        if lower_hex && hex::decode_to_slice(s, &mut bytes).is_ok() {
            Ok(PhotoId(bytes))
        } else {
            Err(IdError::BadSha256(s.chars().take(80).collect()))
        }
    }

    /// The id of some bytes.
    pub fn of_bytes(data: &[u8]) -> Self {
        use sha2::Digest;
        PhotoId(sha2::Sha256::digest(data).into())
    }

    pub fn from_digest(digest: [u8; 32]) -> Self {
        PhotoId(digest)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// The seven socio-economic regions whose thresholds 1980/QĐ-TTg sets column by column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// Trung du miền núi phía Bắc (Thiện Kế's region).
    Tdmnpb,
    /// Đồng bằng sông Hồng.
    Dbsh,
    /// Bắc Trung Bộ.
    Btb,
    /// Duyên hải Nam Trung Bộ.
    Dhntb,
    /// Tây Nguyên.
    Tn,
    /// Đông Nam Bộ.
    Dnb,
    /// Đồng bằng sông Cửu Long.
    Dbscl,
}

impl Region {
    pub const ALL: [Region; 7] = [
        Region::Tdmnpb,
        Region::Dbsh,
        Region::Btb,
        Region::Dhntb,
        Region::Tn,
        Region::Dnb,
        Region::Dbscl,
    ];

    /// The wire code, e.g. `TDMNPB`.
    pub fn code(self) -> &'static str {
        match self {
            Region::Tdmnpb => "TDMNPB",
            Region::Dbsh => "DBSH",
            Region::Btb => "BTB",
            Region::Dhntb => "DHNTB",
            Region::Tn => "TN",
            Region::Dnb => "DNB",
            Region::Dbscl => "DBSCL",
        }
    }

    /// The region's Vietnamese name.
    pub fn name_vi(self) -> &'static str {
        match self {
            Region::Tdmnpb => "Trung du miền núi phía Bắc",
            Region::Dbsh => "Đồng bằng sông Hồng",
            Region::Btb => "Bắc Trung Bộ",
            Region::Dhntb => "Duyên hải Nam Trung Bộ",
            Region::Tn => "Tây Nguyên",
            Region::Dnb => "Đông Nam Bộ",
            Region::Dbscl => "Đồng bằng sông Cửu Long",
        }
    }
}

impl FromStr for Region {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Region::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| IdError::BadRegion(s.chars().take(80).collect()))
    }
}

macro_rules! string_serde {
    ($ty:ty, $to:expr, $from:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                #[allow(clippy::redundant_closure_call)]
                s.serialize_str(&($to)(self))
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                #[allow(clippy::redundant_closure_call)]
                ($from)(&s).map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                #[allow(clippy::redundant_closure_call)]
                f.write_str(&($to)(self))
            }
        }
    };
}

string_serde!(Slug, |s: &Slug| s.0.clone(), Slug::parse);
string_serde!(PhotoId, PhotoId::to_hex, PhotoId::parse);
string_serde!(Region, |r: &Region| r.code().to_owned(), |s: &str| s
    .parse::<Region>());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_wire_rule() {
        assert!(Slug::parse("thien-ke-03").is_ok());
        for bad in [
            "",
            "Thien-Ke",
            "thien ke",
            "thiện-kế",
            "../x",
            &"a".repeat(65),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn photo_ids_are_64_lowercase_hex() {
        let id = PhotoId::of_bytes(b"photo");
        assert_eq!(PhotoId::parse(&id.to_hex()), Ok(id));
        assert!(PhotoId::parse(&id.to_hex().to_uppercase()).is_err());
        assert!(PhotoId::parse("../../etc/passwd").is_err());
        assert!(PhotoId::parse(&"0".repeat(63)).is_err());
    }

    #[test]
    fn regions_round_trip_through_json() {
        for r in Region::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Region>(&json).unwrap(), r);
        }
        assert!(serde_json::from_str::<Region>("\"ĐBSH\"").is_err());
    }
}
