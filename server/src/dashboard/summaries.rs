//! Each commune's standing on the overview, cached per server: a page of thousands of communes
//! computes again only the scorecards whose records or settings changed since it was last shown
//! (quality bar P8: a province's overview p95 ≤ 100 ms, the nation's ≤ 500 ms on PostgreSQL).
//!
//! A cached standing is kept under the stamps it was computed at ([`FiguresStamps`]: the
//! server head and facts generation of every commune it counts, and the configuration
//! generation). All of them live in the database, so a push or a setting saved through any
//! server makes the next overview on every server compute that commune again.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use ntm_field::admin::Commune;
use ntm_field::catalog::edition::{Applied, EditionError, Editions};
use ntm_field::catalog::TargetOverride;
use ntm_field::config::CommuneConfig;
use ntm_field::ids::Slug;
use ntm_field::merger::Counting;
use ntm_field::scorecard::{choose, scorecard_counted, scorecard_under, Scorecard};

use crate::lineage::{self, Lineage};
use crate::storage::{Storage, StoreResult};

/// A commune's scorecard under the edition that applies, and in a transition year its standing
/// under the other edition from the same records.
pub struct Standing {
    pub card: Scorecard,
    pub beside: Vec<Scorecard>,
}

/// A standing, or why the commune has none on that date (what to set).
pub type Summary = Result<Standing, EditionError>;

/// One commune of the overview.
pub struct Row {
    pub commune: Commune,
    pub summary: Arc<Summary>,
}

/// The communes in scope, and the thresholds their provinces set.
pub struct Overview {
    pub rows: Vec<Row>,
    pub province_targets: BTreeMap<String, BTreeMap<String, TargetOverride>>,
}

struct Cached {
    config: i64,
    facts: Vec<(u64, u64)>,
    summary: Arc<Summary>,
    province_targets: Arc<BTreeMap<String, TargetOverride>>,
}

/// More standings than any country has communes × a few dates asked for: then start afresh.
const MAX_CACHED: usize = 20_000;

/// The standings computed so far, by commune and date.
#[derive(Default)]
pub struct Summaries {
    cache: Mutex<HashMap<(Slug, NaiveDate), Cached>>,
}

impl Summaries {
    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<(Slug, NaiveDate), Cached>> {
        // A panic elsewhere leaves nothing half-written here: entries are inserted whole.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every commune `covers` admits, with its standing as of `as_of`.
    pub fn overview(
        &self,
        storage: &dyn Storage,
        covers: impl Fn(&Commune) -> bool,
        as_of: NaiveDate,
    ) -> StoreResult<Overview> {
        // The stamps first: whatever is computed below is at least as new as they are, so a
        // standing is never kept under a stamp newer than its facts.
        let stamps = storage.figures_stamps()?;
        let communes = storage.list_communes()?;
        let lineage = Lineage::from_parts(storage.mergers()?, communes.clone());
        let mut rows = Vec::new();
        let mut province_targets: BTreeMap<String, BTreeMap<String, TargetOverride>> =
            BTreeMap::new();
        for commune in communes {
            if !covers(&commune) {
                continue;
            }
            let counting = lineage.counting(&commune.id, as_of);
            let facts = stamps.of(&counting.communes(&commune.id));
            let key = (commune.id.clone(), as_of);
            let hit = self
                .cache()
                .get(&key)
                .filter(|c| c.config == stamps.config && c.facts == facts)
                .map(|c| (c.summary.clone(), c.province_targets.clone()));
            let (summary, targets) = match hit {
                Some(hit) => hit,
                None => {
                    let Some(config) = storage.commune_config(&commune.id)? else {
                        continue;
                    };
                    let summary = Arc::new(standing(storage, &config, &counting, as_of)?);
                    let targets = Arc::new(config.province_targets);
                    let mut cache = self.cache();
                    if cache.len() >= MAX_CACHED {
                        cache.clear();
                    }
                    cache.insert(
                        key,
                        Cached {
                            config: stamps.config,
                            facts,
                            summary: summary.clone(),
                            province_targets: targets.clone(),
                        },
                    );
                    (summary, targets)
                }
            };
            province_targets
                .entry(commune.province.clone())
                .or_insert_with(|| (*targets).clone());
            rows.push(Row { commune, summary });
        }
        Ok(Overview {
            rows,
            province_targets,
        })
    }
}

/// Computes one commune's standing as of `as_of`.
fn standing(
    storage: &dyn Storage,
    config: &CommuneConfig,
    counting: &Counting,
    as_of: NaiveDate,
) -> StoreResult<Summary> {
    let editions = Editions::builtin();
    let id = &config.commune.id;
    let beside_of = |applied: &Applied, on: NaiveDate, score: &dyn Fn(&Applied) -> Scorecard| {
        editions
            .side_by_side(on)
            .into_iter()
            .filter(|e| e.key != applied.catalog.key)
            .filter_map(|e| Applied::given(e, id, config.commune.region, &config.editions, on).ok())
            .map(|other| score(&other))
            .collect::<Vec<_>>()
    };
    if lineage::is_plain(counting) {
        let applied = match choose(editions, config, as_of) {
            Ok(applied) => applied,
            Err(e) => return Ok(Err(e)),
        };
        // The incremental facts are exact from the latest capture on; earlier dates recompute.
        let snapshot = storage.commune_facts(id)?;
        let facts = if snapshot.latest_capture.is_none_or(|latest| as_of >= latest) {
            snapshot.facts
        } else {
            crate::storage::heads::facts_as_of(storage, id, &[as_of])?
                .pop()
                .unwrap_or_default()
        };
        let score = |a: &Applied| scorecard_under(a, config, &facts, as_of);
        let card = score(&applied);
        let beside = beside_of(&applied, as_of, &score);
        return Ok(Ok(Standing { card, beside }));
    }
    // A merger or a split concerns it: its figures read its parts' facts.
    let on = counting.figures_as_of(as_of);
    let applied = match choose(editions, config, on) {
        Ok(applied) => applied,
        Err(e) => return Ok(Err(e)),
    };
    let (facts, _) = lineage::facts(storage, id, counting, on)?;
    let score = |a: &Applied| scorecard_counted(a, config, counting, &facts, on);
    let card = score(&applied);
    let beside = beside_of(&applied, on, &score);
    Ok(Ok(Standing { card, beside }))
}

/// The communes with a standing, and those refused with why.
pub type Split<'a> = (
    Vec<(&'a Commune, &'a Standing)>,
    Vec<(&'a Commune, &'a EditionError)>,
);

/// The rows of `overview` a page shows: those with a standing, and those refused with why.
pub fn split(rows: &[Row]) -> Split<'_> {
    let mut shown = Vec::new();
    let mut refused = Vec::new();
    for row in rows {
        match &*row.summary {
            Ok(s) => shown.push((&row.commune, s)),
            Err(e) => refused.push((&row.commune, e)),
        }
    }
    (shown, refused)
}
