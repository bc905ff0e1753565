//! The three OpenRosa forms (XForms made by pyxform from the XLSForms in `assets/odk/*.md`,
//! committed beside them and served byte for byte) and their per-commune media files: the form
//! is the same for every commune, only `villages.csv` and `households.csv` (from the commune's
//! registry) differ, so a registry change is a new media hash, never a new form version.

use std::sync::LazyLock;

use md5::{Digest, Md5};
use ntm_field::admin::Commune;
use ntm_field::heads::entity_heads;
use ntm_field::record::{Body, Kind, Version};

/// One form Collect can download.
#[derive(Debug, PartialEq, Eq)]
pub struct Form {
    /// `formID` (the XForm's root `id`), also its path segment.
    pub id: &'static str,
    /// The name Collect lists.
    pub name: &'static str,
    /// The XForm's `version` attribute (the XLSForm's settings).
    pub version: &'static str,
    /// What its submissions become.
    pub kind: Kind,
    pub xml: &'static [u8],
    /// Whether it reads the households list (the sign form picks the responsible household).
    pub uses_households: bool,
}

impl Form {
    /// `md5:` hash of the exact bytes served.
    pub fn md5_hex(&self) -> &'static str {
        static HASHES: LazyLock<Vec<String>> =
            LazyLock::new(|| FORMS.iter().map(|f| md5_hex(f.xml)).collect());
        let i = FORMS
            .iter()
            .position(|f| f.id == self.id)
            .expect("a form of FORMS");
        &HASHES[i]
    }

    /// The media files it reads.
    pub fn media(&self) -> &'static [&'static str] {
        if self.uses_households {
            &[VILLAGES_CSV, HOUSEHOLDS_CSV]
        } else {
            &[VILLAGES_CSV]
        }
    }
}

pub const VILLAGES_CSV: &str = "villages.csv";
pub const HOUSEHOLDS_CSV: &str = "households.csv";
/// Version of the household check and sign forms (the XLSForms' `settings` sheet; a test
/// checks it is the one in each XForm).
pub const FORMS_VERSION: &str = "2026120101";
/// Version of the road form: its own since it asked for the 1 s geotrace interval.
pub const ROAD_FORM_VERSION: &str = "2026120301";

pub static FORMS: [Form; 3] = [
    Form {
        id: "household_check",
        name: "Kiểm tra hộ (NTM 17.6, 17.7)",
        version: FORMS_VERSION,
        kind: Kind::HouseholdCheck,
        xml: include_bytes!("../../../assets/odk/household_check.xml"),
        uses_households: true,
    },
    Form {
        id: "road_segment",
        name: "Đoạn đường (NTM 2.1–2.4)",
        version: ROAD_FORM_VERSION,
        kind: Kind::RoadSegment,
        xml: include_bytes!("../../../assets/odk/road_segment.xml"),
        uses_households: false,
    },
    Form {
        id: "trash_sign",
        name: "Biển cấm đổ rác (NTM 17)",
        version: FORMS_VERSION,
        kind: Kind::TrashSign,
        xml: include_bytes!("../../../assets/odk/trash_sign.xml"),
        uses_households: true,
    },
];

pub fn form(id: &str) -> Option<&'static Form> {
    FORMS.iter().find(|f| f.id == id)
}

pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// The media files of one commune, made from its villages and its registry of households.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub villages_csv: Vec<u8>,
    pub households_csv: Vec<u8>,
}

impl Media {
    /// `villages.csv` (`name` = village id, `label`) and `households.csv` (`name` = the
    /// household's entity id, `label` = "code – head", `village`, `code`, `head_name`,
    /// `members`): every household whose head version is live, by village and code.
    pub fn of(commune: &Commune, versions: &[Version]) -> Media {
        let mut villages = csv::Writer::from_writer(Vec::new());
        let _ = villages.write_record(["name", "label"]);
        for v in &commune.villages {
            let _ = villages.write_record([v.id.as_str(), v.name.as_str()]);
        }
        // The commune's own, and (a merger) those of its old communes in its villages.
        let heads = entity_heads(versions.iter().filter(|v| {
            v.kind() == Kind::Household
                && (v.commune_id == commune.id
                    || v.village_id
                        .as_ref()
                        .is_some_and(|id| commune.village(id).is_some()))
        }));
        let mut rows: Vec<(String, String, String, String, u32)> = heads
            .iter()
            .filter(|(_, h)| h.is_live())
            .filter_map(|(id, h)| match &h.head.body {
                Body::Household(b) => Some((
                    h.head
                        .village_id
                        .as_ref()
                        .map(|v| v.as_str().to_owned())
                        .unwrap_or_default(),
                    b.code.clone(),
                    id.to_string(),
                    b.head_name.clone(),
                    b.members,
                )),
                _ => None,
            })
            .collect();
        rows.sort();
        let mut households = csv::Writer::from_writer(Vec::new());
        let _ =
            households.write_record(["name", "label", "village", "code", "head_name", "members"]);
        for (village, code, id, head, members) in rows {
            let label = format!("{code} – {head}");
            let _ = households.write_record([
                id.as_str(),
                label.as_str(),
                village.as_str(),
                code.as_str(),
                head.as_str(),
                members.to_string().as_str(),
            ]);
        }
        Media {
            villages_csv: villages.into_inner().unwrap_or_default(),
            households_csv: households.into_inner().unwrap_or_default(),
        }
    }

    pub fn file(&self, name: &str) -> Option<&[u8]> {
        match name {
            VILLAGES_CSV => Some(&self.villages_csv),
            HOUSEHOLDS_CSV => Some(&self.households_csv),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_served_form_is_the_committed_xform_with_its_id_and_version() {
        for f in &FORMS {
            let text = std::str::from_utf8(f.xml).unwrap();
            assert!(
                text.contains(&format!("<data id=\"{}\" version=\"{}\">", f.id, f.version)),
                "{}",
                f.id
            );
            assert_eq!(f.md5_hex(), md5_hex(f.xml));
            for file in f.media() {
                assert!(
                    text.contains(&format!("jr://file-csv/{file}")),
                    "{} {file}",
                    f.id
                );
            }
        }
    }

    #[test]
    fn the_media_files_list_the_communes_villages_and_live_households() {
        let demo = ntm_field::demo::thien_ke().unwrap();
        let media = Media::of(&demo.config.commune, &demo.versions);
        let villages = String::from_utf8(media.villages_csv.clone()).unwrap();
        assert_eq!(
            villages.lines().count(),
            1 + demo.config.commune.villages.len()
        );
        let households = String::from_utf8(media.households_csv.clone()).unwrap();
        let registered = demo
            .versions
            .iter()
            .filter(|v| v.kind() == Kind::Household)
            .count();
        assert!(registered > 0);
        assert_eq!(households.lines().count(), 1 + registered);
        assert!(households.starts_with("name,label,village,code,head_name,members\n"));
        assert_eq!(
            media,
            Media::of(&demo.config.commune, &demo.versions),
            "stable"
        );
    }
}
