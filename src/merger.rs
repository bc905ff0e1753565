//! Communes that merge or split (issue 14, items 5 and 6): a [`Merger`] as data, checked against
//! the communes it names, and [`counting`], which says for a commune and a date whose records its
//! figures count. Villages move to the new commune with their records, households and history;
//! nothing is copied or rewritten: every version keeps the commune id it was recorded under, and
//! the new commune's figures read its parts' records through the merger.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::admin::Commune;
use crate::ids::Slug;

/// A merger of communes into a new one, or a split that moves some villages of an old commune
/// into it, from `date` on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merger {
    /// The first day the new commune exists; the old ones (or the villages moved) are theirs
    /// until the day before.
    pub date: NaiveDate,
    /// The act that decides it, e.g. "Nghị quyết 1683/NQ-UBTVQH15 ngày 16/6/2025".
    pub legal_basis: String,
    /// The new commune (already created, with every village it receives).
    pub commune: Slug,
    pub parts: Vec<MergerPart>,
}

/// An old commune's share of a merger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergerPart {
    pub commune: Slug,
    /// The villages it gives, for a split; absent when it goes in whole, with all its villages
    /// and the records that belong to no village.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub villages: Option<Vec<Slug>>,
}

impl MergerPart {
    /// Whether the old commune goes in whole (and so ends on the merger date).
    pub fn whole(&self) -> bool {
        self.villages.is_none()
    }
}

/// Why a merger cannot be recorded: each says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergerError {
    #[error("legal_basis: name the act that decides the merger (number and date)")]
    NoLegalBasis,
    #[error("parts: a merger needs at least one old commune")]
    NoParts,
    #[error("commune: {0} is not a known commune; create the new commune with its villages first")]
    UnknownCommune(Slug),
    #[error("parts[{index}].commune: {commune} is not a known commune")]
    UnknownPart { index: usize, commune: Slug },
    #[error("parts[{index}].commune: {commune} is the new commune itself")]
    PartIsNew { index: usize, commune: Slug },
    #[error("parts[{index}].commune: {commune} is named twice; list a commune once, with every village it gives")]
    PartTwice { index: usize, commune: Slug },
    #[error("parts[{index}].villages: list at least one village, or leave villages out when the commune goes in whole")]
    NoVillages { index: usize },
    #[error("parts[{index}].villages: {village} is not a village of {commune}")]
    UnknownVillage {
        index: usize,
        commune: Slug,
        village: Slug,
    },
    #[error("parts[{index}].villages: {village} is not a village of the new commune {new}; add it there first")]
    NotInNew {
        index: usize,
        village: Slug,
        new: Slug,
    },
    #[error("parts[{index}]: village {village} is also in another part; a village moves once")]
    VillageTwice { index: usize, village: Slug },
    #[error(
        "date: the new commune {commune} exists from {valid_from}, not from the merger date {date}"
    )]
    NewCommuneDate {
        commune: Slug,
        valid_from: NaiveDate,
        date: NaiveDate,
    },
    #[error("parts[{index}]: {commune} does not exist on {date} (valid from {valid_from:?} until {valid_until:?})")]
    PartNotExisting {
        index: usize,
        commune: Slug,
        date: NaiveDate,
        valid_from: Option<NaiveDate>,
        valid_until: Option<NaiveDate>,
    },
    #[error("parts[{index}]: {commune} already went whole into {into} on {date}")]
    AlreadyMerged {
        index: usize,
        commune: Slug,
        into: Slug,
        date: NaiveDate,
    },
    #[error("commune: a merger into {0} is already recorded")]
    AlreadyRecorded(Slug),
}

impl Merger {
    /// Checks the merger against the communes it names and the mergers already recorded.
    pub fn validate(&self, communes: &[Commune], recorded: &[Merger]) -> Result<(), MergerError> {
        let find = |id: &Slug| communes.iter().find(|c| &c.id == id);
        if self.legal_basis.trim().is_empty() {
            return Err(MergerError::NoLegalBasis);
        }
        if self.parts.is_empty() {
            return Err(MergerError::NoParts);
        }
        let new =
            find(&self.commune).ok_or_else(|| MergerError::UnknownCommune(self.commune.clone()))?;
        if recorded.iter().any(|m| m.commune == self.commune) {
            return Err(MergerError::AlreadyRecorded(self.commune.clone()));
        }
        if let Some(valid_from) = new.valid_from.filter(|from| *from != self.date) {
            return Err(MergerError::NewCommuneDate {
                commune: new.id.clone(),
                valid_from,
                date: self.date,
            });
        }
        let mut seen_communes = BTreeSet::new();
        let mut seen_villages = BTreeSet::new();
        for (index, part) in self.parts.iter().enumerate() {
            let commune = part.commune.clone();
            if commune == self.commune {
                return Err(MergerError::PartIsNew { index, commune });
            }
            if !seen_communes.insert(commune.clone()) {
                return Err(MergerError::PartTwice { index, commune });
            }
            let old = find(&commune).ok_or_else(|| MergerError::UnknownPart {
                index,
                commune: commune.clone(),
            })?;
            // It must exist the day before the merger; one going in whole may already carry
            // the merger date as its end.
            let before = self.date.pred_opt().unwrap_or(self.date);
            let ends_right = old
                .valid_until
                .is_none_or(|until| until == self.date || (!part.whole() && until > self.date));
            if !old.exists_on(before) || !ends_right {
                return Err(MergerError::PartNotExisting {
                    index,
                    commune,
                    date: before,
                    valid_from: old.valid_from,
                    valid_until: old.valid_until,
                });
            }
            if let Some((into, date)) = recorded.iter().find_map(|m| {
                m.parts
                    .iter()
                    .any(|p| p.commune == commune && p.whole())
                    .then(|| (m.commune.clone(), m.date))
            }) {
                return Err(MergerError::AlreadyMerged {
                    index,
                    commune,
                    into,
                    date,
                });
            }
            let moved: Vec<Slug> = match &part.villages {
                None => old.villages.iter().map(|v| v.id.clone()).collect(),
                Some(list) if list.is_empty() => return Err(MergerError::NoVillages { index }),
                Some(list) => {
                    if let Some(v) = list.iter().find(|v| old.village(v).is_none()) {
                        return Err(MergerError::UnknownVillage {
                            index,
                            commune,
                            village: v.clone(),
                        });
                    }
                    list.clone()
                }
            };
            for village in moved {
                if new.village(&village).is_none() {
                    return Err(MergerError::NotInNew {
                        index,
                        village,
                        new: new.id.clone(),
                    });
                }
                if !seen_villages.insert(village.clone()) {
                    return Err(MergerError::VillageTwice { index, village });
                }
            }
        }
        Ok(())
    }
}

/// Which of a commune's records count: by the village they were recorded in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "villages", content = "list", rename_all = "snake_case")]
pub enum Villages {
    /// Every record, in a village or in none.
    All,
    /// Records of these villages only (what a split moves).
    Only(Vec<Slug>),
    /// Every record but those of these villages (what a split commune keeps).
    Except(Vec<Slug>),
}

impl Villages {
    /// Whether a record of `village` (`None`: of the commune as a whole) counts.
    pub fn contains(&self, village: Option<&Slug>) -> bool {
        match self {
            Villages::All => true,
            Villages::Only(list) => village.is_some_and(|v| list.contains(v)),
            Villages::Except(list) => village.is_none_or(|v| !list.contains(v)),
        }
    }
}

/// An old commune's records that a new commune's figures count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub commune: Slug,
    pub villages: Villages,
    /// The villages it brings to the new commune.
    pub brings: Vec<Slug>,
}

/// Villages a split commune gave to a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaveAway {
    pub to: Slug,
    pub date: NaiveDate,
    pub legal_basis: String,
    pub villages: Vec<Slug>,
}

/// Whose records a commune's figures count on a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "counting", rename_all = "snake_case")]
pub enum Counting {
    /// Its own records, without the villages it gave away by that date.
    Own { gave_away: Vec<GaveAway> },
    /// A commune made by a merger: its own records and its parts' in the villages they brought;
    /// before the merger date (`before_merger`), the sum of its parts as they were.
    Merged {
        merger: Merger,
        parts: Vec<Source>,
        before_merger: bool,
    },
    /// It went whole into another commune on `merger.date`: its figures end the day before.
    MergedInto { merger: Merger },
}

impl Counting {
    /// The date the figures are computed as of: the requested one, or the last day of a
    /// commune merged into another.
    pub fn figures_as_of(&self, as_of: NaiveDate) -> NaiveDate {
        match self {
            Counting::MergedInto { merger } => merger.date.pred_opt().unwrap_or(merger.date),
            _ => as_of,
        }
    }

    /// Every commune whose records are read, `commune` first.
    pub fn communes(&self, commune: &Slug) -> Vec<Slug> {
        let mut out = vec![commune.clone()];
        if let Counting::Merged { parts, .. } = self {
            out.extend(parts.iter().map(|p| p.commune.clone()));
        }
        out
    }
}

/// Says, for `commune` on `date`, whose records its figures count, from the recorded mergers and
/// the communes (for the villages of a part that goes in whole). A commune made by a merger
/// counts its parts' records whatever the date; an old commune is as it was before the merger
/// date, and from it is merged into the new one (whole) or continues without the villages it
/// gave (split).
pub fn counting(
    commune: &Slug,
    date: NaiveDate,
    mergers: &[Merger],
    communes: &[Commune],
) -> Counting {
    if let Some(m) = mergers.iter().find(|m| &m.commune == commune) {
        let parts = m
            .parts
            .iter()
            .map(|p| {
                let brings = match &p.villages {
                    Some(list) => list.clone(),
                    None => communes
                        .iter()
                        .find(|c| c.id == p.commune)
                        .map(|c| c.villages.iter().map(|v| v.id.clone()).collect())
                        .unwrap_or_default(),
                };
                Source {
                    commune: p.commune.clone(),
                    villages: match &p.villages {
                        Some(list) => Villages::Only(list.clone()),
                        None => Villages::All,
                    },
                    brings,
                }
            })
            .collect();
        return Counting::Merged {
            merger: m.clone(),
            parts,
            before_merger: date < m.date,
        };
    }
    let mut gave_away = Vec::new();
    for m in mergers.iter().filter(|m| m.date <= date) {
        for p in m.parts.iter().filter(|p| &p.commune == commune) {
            match &p.villages {
                None => return Counting::MergedInto { merger: m.clone() },
                Some(list) => gave_away.push(GaveAway {
                    to: m.commune.clone(),
                    date: m.date,
                    legal_basis: m.legal_basis.clone(),
                    villages: list.clone(),
                }),
            }
        }
    }
    Counting::Own { gave_away }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Slug {
        Slug::parse(s).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn commune(id: &str, villages: &[&str]) -> Commune {
        crate::record::fixtures::commune_with(id, villages)
    }

    fn setting() -> Vec<Commune> {
        let mut new = commune("son-thuy", &["a-1", "a-2", "b-1", "c-2"]);
        new.valid_from = Some(d(2025, 7, 1));
        vec![
            commune("a", &["a-1", "a-2"]),
            commune("b", &["b-1"]),
            commune("c", &["c-1", "c-2"]),
            new,
        ]
    }

    fn merger() -> Merger {
        Merger {
            date: d(2025, 7, 1),
            legal_basis: "Nghị quyết 1683/NQ-UBTVQH15".to_owned(),
            commune: slug("son-thuy"),
            parts: vec![
                MergerPart {
                    commune: slug("a"),
                    villages: None,
                },
                MergerPart {
                    commune: slug("b"),
                    villages: None,
                },
                MergerPart {
                    commune: slug("c"),
                    villages: Some(vec![slug("c-2")]),
                },
            ],
        }
    }

    #[test]
    fn a_merger_of_two_whole_communes_and_a_split_village_is_valid() {
        assert_eq!(merger().validate(&setting(), &[]), Ok(()));
    }

    #[test]
    fn a_merger_reads_from_json_with_whole_parts_and_a_split() {
        let json = r#"{"date":"2025-07-01","legal_basis":"NQ 1683","commune":"son-thuy",
            "parts":[{"commune":"a"},{"commune":"c","villages":["c-2"]}]}"#;
        let m: Merger = serde_json::from_str(json).unwrap();
        assert!(m.parts[0].whole());
        assert_eq!(m.parts[1].villages, Some(vec![slug("c-2")]));
    }

    #[test]
    fn a_village_in_two_parts_is_refused() {
        let mut communes = setting();
        // b also has a village called a-1: both would move into the same village of son-thuy.
        communes[1] = commune("b", &["b-1", "a-1"]);
        assert_eq!(
            merger().validate(&communes, &[]),
            Err(MergerError::VillageTwice {
                index: 1,
                village: slug("a-1")
            })
        );
    }

    #[test]
    fn parts_must_exist_and_villages_belong_to_them() {
        let mut m = merger();
        m.parts[1].commune = slug("nowhere");
        assert!(matches!(
            m.validate(&setting(), &[]),
            Err(MergerError::UnknownPart { index: 1, .. })
        ));
        let mut m = merger();
        m.parts[2].villages = Some(vec![slug("a-1")]);
        assert!(matches!(
            m.validate(&setting(), &[]),
            Err(MergerError::UnknownVillage { index: 2, .. })
        ));
        let mut m = merger();
        m.parts[2].villages = Some(vec![slug("c-1")]);
        assert!(matches!(
            m.validate(&setting(), &[]),
            Err(MergerError::NotInNew { index: 2, .. })
        ));
        let mut m = merger();
        m.parts[2].villages = Some(vec![]);
        assert_eq!(
            m.validate(&setting(), &[]),
            Err(MergerError::NoVillages { index: 2 })
        );
        let mut m = merger();
        m.parts[2].commune = slug("a");
        assert!(matches!(
            m.validate(&setting(), &[]),
            Err(MergerError::PartTwice { index: 2, .. })
        ));
        let mut m = merger();
        m.legal_basis = " ".to_owned();
        assert_eq!(m.validate(&setting(), &[]), Err(MergerError::NoLegalBasis));
    }

    #[test]
    fn dates_must_agree_with_the_communes_validity() {
        let mut m = merger();
        m.date = d(2025, 6, 1);
        assert!(matches!(
            m.validate(&setting(), &[]),
            Err(MergerError::NewCommuneDate { .. })
        ));
        let mut communes = setting();
        communes[0].valid_until = Some(d(2024, 1, 1));
        assert!(matches!(
            merger().validate(&communes, &[]),
            Err(MergerError::PartNotExisting { index: 0, .. })
        ));
        let mut communes = setting();
        communes[0].valid_until = Some(d(2025, 7, 1));
        assert_eq!(merger().validate(&communes, &[]), Ok(()));
        let mut communes = setting();
        communes[1].valid_from = Some(d(2025, 7, 1));
        assert!(matches!(
            merger().validate(&communes, &[]),
            Err(MergerError::PartNotExisting { index: 1, .. })
        ));
    }

    #[test]
    fn a_commune_goes_whole_into_one_merger_only() {
        let mut communes = setting();
        communes.push(commune("later", &["a-1", "a-2"]));
        let mut second = merger();
        second.commune = slug("later");
        second.parts = vec![MergerPart {
            commune: slug("a"),
            villages: None,
        }];
        assert!(matches!(
            second.validate(&communes, &[merger()]),
            Err(MergerError::AlreadyMerged { index: 0, .. })
        ));
        assert_eq!(
            merger().validate(&communes, &[merger()]),
            Err(MergerError::AlreadyRecorded(slug("son-thuy")))
        );
    }

    #[test]
    fn old_communes_are_as_they_were_before_the_merger_date_and_merged_from_it() {
        let (m, communes) = (vec![merger()], setting());
        let before = d(2025, 6, 30);
        assert_eq!(
            counting(&slug("a"), before, &m, &communes),
            Counting::Own { gave_away: vec![] }
        );
        assert_eq!(
            counting(&slug("c"), before, &m, &communes),
            Counting::Own { gave_away: vec![] }
        );
        let on = d(2025, 7, 1);
        let merged = counting(&slug("a"), on, &m, &communes);
        assert_eq!(merged, Counting::MergedInto { merger: merger() });
        assert_eq!(merged.figures_as_of(d(2025, 12, 31)), before);
        match counting(&slug("c"), on, &m, &communes) {
            Counting::Own { gave_away } => {
                assert_eq!(gave_away.len(), 1);
                assert_eq!(gave_away[0].villages, vec![slug("c-2")]);
                assert_eq!(gave_away[0].to, slug("son-thuy"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_new_commune_counts_its_parts_villages_before_and_after_the_merger() {
        let (m, communes) = (vec![merger()], setting());
        for (date, before) in [(d(2024, 12, 31), true), (d(2025, 7, 1), false)] {
            let Counting::Merged {
                parts,
                before_merger,
                ..
            } = counting(&slug("son-thuy"), date, &m, &communes)
            else {
                panic!("not merged");
            };
            assert_eq!(before_merger, before);
            assert_eq!(parts[0].villages, Villages::All);
            assert_eq!(parts[0].brings, vec![slug("a-1"), slug("a-2")]);
            assert_eq!(parts[2].villages, Villages::Only(vec![slug("c-2")]));
        }
    }

    #[test]
    fn a_split_moves_the_records_of_its_villages_only() {
        let moved = Villages::Only(vec![slug("c-2")]);
        let kept = Villages::Except(vec![slug("c-2")]);
        assert!(moved.contains(Some(&slug("c-2"))));
        assert!(!moved.contains(Some(&slug("c-1"))));
        assert!(!moved.contains(None));
        assert!(!kept.contains(Some(&slug("c-2"))));
        assert!(kept.contains(Some(&slug("c-1"))));
        assert!(kept.contains(None));
        assert!(Villages::All.contains(None));
    }
}
