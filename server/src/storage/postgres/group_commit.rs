//! OpenRosa submissions of one commune written together on PostgreSQL (`storage::group_commit`):
//! the leader runs each submission of its group with `receive_submission_in`, the path a single
//! submission takes, inside one transaction, each in a savepoint of its own, and commits once.
//! A submission that fails rolls back to its savepoint only: the others stay in the group, and it
//! runs again alone (in its own transaction, with the usual retries), whose outcome is its
//! answer. If the group's COMMIT itself fails, every submission of the group runs again alone:
//! a submission is idempotent by its instanceID, so one whose group did commit before the answer
//! was lost is found stored and answered with its recorded results.
//!
//! Locks keep the push path's order: the group first locks the rows of all its devices in id
//! order, then each submission takes the commune's counter row as it stores its versions.

use ::postgres::Transaction;
use uuid::Uuid;

use super::super::odk::{SubmissionOutcome, SubmissionPost};
use super::{Fail, Fallible, PostgresStorage, StoreResult};

/// Submissions written at most in one transaction: large enough for every server thread's
/// submission of one commune, small enough to keep a transaction (and its locks) short.
pub(super) const MAX_GROUP: usize = 64;

impl PostgresStorage {
    /// The answers of a group of submissions of one commune, in order, each given after the
    /// COMMIT that made it durable.
    pub(super) fn receive_submissions_together(
        &self,
        posts: Vec<SubmissionPost>,
    ) -> Vec<StoreResult<SubmissionOutcome>> {
        let alone =
            |post: &SubmissionPost| self.write_here(|tx| self.receive_submission_in(tx, post));
        if posts.len() == 1 {
            return posts.iter().map(alone).collect();
        }
        let together = self
            .connection()
            .map_err(Fail::Store)
            .and_then(|mut conn| -> Fallible<_> {
                let mut tx = conn.transaction()?;
                let outcomes = self.receive_in_savepoints(&mut tx, &posts)?;
                tx.commit()?;
                Ok(outcomes)
            });
        match together {
            Ok(outcomes) => posts
                .iter()
                .zip(outcomes)
                .map(|(post, outcome)| match outcome {
                    Some(answer) => answer,
                    None => alone(post),
                })
                .collect(),
            Err(e) => {
                tracing::debug!(error = ?e, n = posts.len(), "a group of submissions failed; running each alone");
                posts.iter().map(alone).collect()
            }
        }
    }

    /// Each submission in a savepoint: its outcome, its storage error, or `None` when it failed
    /// in the database (to run again alone).
    fn receive_in_savepoints(
        &self,
        tx: &mut Transaction<'_>,
        posts: &[SubmissionPost],
    ) -> Fallible<Vec<Option<StoreResult<SubmissionOutcome>>>> {
        let mut devices: Vec<Uuid> = posts.iter().map(|p| p.device_id).collect();
        devices.sort_unstable();
        devices.dedup();
        tx.query(
            "SELECT device_id FROM devices WHERE device_id = ANY($1) ORDER BY device_id FOR UPDATE",
            &[&devices],
        )?;
        let mut outcomes = Vec::with_capacity(posts.len());
        for post in posts {
            let mut savepoint = tx.transaction()?;
            match self.receive_submission_in(&mut savepoint, post) {
                Ok(outcome) => {
                    savepoint.commit()?;
                    outcomes.push(Some(Ok(outcome)));
                }
                Err(Fail::Store(e)) => {
                    savepoint.rollback()?;
                    outcomes.push(Some(Err(e)));
                }
                Err(Fail::Db(e)) => {
                    tracing::debug!(error = %e, "a submission failed in its group");
                    savepoint.rollback()?;
                    outcomes.push(None);
                }
                Err(Fail::Retry(why)) => {
                    tracing::debug!(why, "a submission of a group is to run again");
                    savepoint.rollback()?;
                    outcomes.push(None);
                }
            }
        }
        Ok(outcomes)
    }
}
