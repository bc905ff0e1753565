//! Administrative units: province > (district, optional since 2025) > commune > village (thôn).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{Region, Slug};

/// A commune and its villages, as created by an administrator (`POST /api/v1/communes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commune {
    pub id: Slug,
    pub name: String,
    pub province: String,
    /// Vietnam abolished districts in 2025; older plans still name one.
    #[serde(default)]
    pub district: Option<String>,
    pub region: Region,
    pub villages: Vec<Village>,
    /// The official code of the administrative unit (mã đơn vị hành chính), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The first day the commune exists (a commune made by a merger exists from its date);
    /// `None`: since before anything the tool records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// The first day it no longer exists (the date of the merger it went into whole); `None`:
    /// it still exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

/// A village (thôn, bản, ấp) of a commune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Village {
    pub id: Slug,
    pub name: String,
}

impl Commune {
    pub fn village(&self, id: &Slug) -> Option<&Village> {
        self.villages.iter().find(|v| &v.id == id)
    }

    /// Whether the commune exists on `date` (its validity dates, when it has them).
    pub fn exists_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date)
            && self.valid_until.is_none_or(|until| date < until)
    }
}
