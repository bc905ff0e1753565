//! Administrative units: province > (district, optional since 2025) > commune > village (thôn).

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
}
