//! Group commit: writes of one key (a commune) that arrive while another of that key is being
//! written wait in a queue, and the next writer to take the turn (the leader) writes all of them
//! in one transaction. Each caller gets its own answer only once the leader's transaction has
//! committed, so nothing is acknowledged before it is durable; what was one COMMIT (one fsync)
//! per request becomes one per group. Writes of one commune already run one after the other
//! (they lock the commune's counter row), so grouping them costs no parallelism.
//!
//! The queue knows nothing of the database: the leader calls the `run` closure with the group's
//! requests, in arrival order, and `run` answers each (see `postgres::group_commit`).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::{StoreError, StoreResult};

/// Queues of concurrent writes per key; the leader of a key writes at most `max_group` at once.
pub struct GroupCommit<K, Req, T> {
    queues: Mutex<HashMap<K, Arc<Queue<Req, T>>>>,
    max_group: usize,
}

/// One key's queue: requests not yet taken by a leader, answers not yet collected by their
/// callers, and whether a leader is writing.
struct Queue<Req, T> {
    state: Mutex<QueueState<Req, T>>,
    turn: Condvar,
}

struct QueueState<Req, T> {
    next_ticket: u64,
    waiting: VecDeque<(u64, Req)>,
    answers: HashMap<u64, StoreResult<T>>,
    leading: bool,
}

fn lock<S>(m: &Mutex<S>) -> MutexGuard<'_, S> {
    // A panic while holding it leaves consistent state: each update is a single step.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<K: Eq + Hash + Clone, Req, T> GroupCommit<K, Req, T> {
    pub fn new(max_group: usize) -> Self {
        GroupCommit {
            queues: Mutex::new(HashMap::new()),
            max_group: max_group.max(1),
        }
    }

    /// Writes `request` with those of `key` that are waiting at the same moment, and answers it
    /// after their common transaction. `run` gets one group (at most `max_group` requests, in
    /// arrival order) and must answer each, in order; it runs on the calling thread of whichever
    /// caller is the leader, so every caller of one key passes an equivalent `run`.
    pub fn submit(
        &self,
        key: &K,
        request: Req,
        mut run: impl FnMut(Vec<Req>) -> Vec<StoreResult<T>>,
    ) -> StoreResult<T> {
        let queue = Arc::clone(lock(&self.queues).entry(key.clone()).or_insert_with(|| {
            Arc::new(Queue {
                state: Mutex::new(QueueState {
                    next_ticket: 0,
                    waiting: VecDeque::new(),
                    answers: HashMap::new(),
                    leading: false,
                }),
                turn: Condvar::new(),
            })
        }));
        let mut state = lock(&queue.state);
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiting.push_back((ticket, request));
        loop {
            if let Some(answer) = state.answers.remove(&ticket) {
                return answer;
            }
            if state.leading {
                state = queue.turn.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // This caller's turn: write what is waiting, then hand the turn on (a caller whose
            // request did not fit in this group leads the next one).
            state.leading = true;
            let take = state.waiting.len().min(self.max_group);
            let (tickets, requests): (Vec<u64>, Vec<Req>) = state.waiting.drain(..take).unzip();
            drop(state);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(requests)));
            state = lock(&queue.state);
            state.leading = false;
            let panicked = match outcome {
                Ok(answers) if answers.len() == tickets.len() => {
                    state.answers.extend(tickets.into_iter().zip(answers));
                    None
                }
                Ok(answers) => {
                    let why = format!(
                        "a group of {} writes was answered {} times",
                        tickets.len(),
                        answers.len()
                    );
                    for t in tickets {
                        state
                            .answers
                            .insert(t, Err(StoreError::Backend(why.clone())));
                    }
                    None
                }
                Err(panic) => {
                    for t in tickets {
                        state.answers.insert(
                            t,
                            Err(StoreError::Backend(
                                "the group's transaction panicked".into(),
                            )),
                        );
                    }
                    Some(panic)
                }
            };
            queue.turn.notify_all();
            if let Some(panic) = panicked {
                drop(state);
                std::panic::resume_unwind(panic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// One write of "thien-ke" held inside its transaction while five more arrive; returns the
    /// groups `run` was given and the answers of the five.
    fn five_behind_one_transaction(max_group: usize) -> (Vec<Vec<u32>>, Vec<u32>) {
        let group: Arc<GroupCommit<&str, u32, u32>> = Arc::new(GroupCommit::new(max_group));
        let groups = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
        let (entered, first_is_writing) = mpsc::channel();
        let (release, may_commit) = mpsc::channel::<()>();
        let run = {
            let groups = Arc::clone(&groups);
            let (entered, may_commit) = (Mutex::new(entered), Mutex::new(may_commit));
            Arc::new(move |requests: Vec<u32>| {
                let first = lock(&groups).is_empty();
                lock(&groups).push(requests.clone());
                if first {
                    lock(&entered).send(()).unwrap();
                    lock(&may_commit).recv().unwrap();
                }
                requests.into_iter().map(|r| Ok(r * 10)).collect()
            })
        };
        let spawn = |n: u32| {
            let (group, run) = (Arc::clone(&group), Arc::clone(&run));
            std::thread::spawn(move || group.submit(&"thien-ke", n, |r| run(r)))
        };
        let first = spawn(0);
        first_is_writing.recv().unwrap();
        let others: Vec<_> = (1..=5).map(spawn).collect();
        let queued = || lock(&lock(&group.queues)["thien-ke"].state).waiting.len();
        while queued() < 5 {
            std::thread::sleep(Duration::from_millis(1));
        }
        release.send(()).unwrap();
        assert_eq!(first.join().unwrap().unwrap(), 0);
        let mut answers: Vec<u32> = others
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect();
        answers.sort_unstable();
        let groups = lock(&groups).clone();
        (groups, answers)
    }

    #[test]
    fn writes_arriving_during_a_transaction_are_written_together_by_the_next_leader() {
        let (groups, answers) = five_behind_one_transaction(64);
        assert_eq!(answers, vec![10, 20, 30, 40, 50]);
        assert_eq!(groups.len(), 2, "{groups:?}");
        let mut second = groups[1].clone();
        second.sort_unstable();
        assert_eq!((groups[0].clone(), second), (vec![0], vec![1, 2, 3, 4, 5]));
    }

    #[test]
    fn a_group_larger_than_the_limit_is_written_in_several_transactions() {
        let (groups, answers) = five_behind_one_transaction(2);
        assert_eq!(answers, vec![10, 20, 30, 40, 50]);
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![1, 2, 2, 1], "{groups:?}");
    }

    #[test]
    fn a_caller_alone_is_its_own_group_and_a_group_left_unanswered_is_an_error() {
        let group: GroupCommit<&str, u32, u32> = GroupCommit::new(8);
        let answer = group.submit(&"thien-ke", 7, |r| {
            assert_eq!(r, vec![7]);
            vec![Ok(70)]
        });
        assert_eq!(answer.unwrap(), 70);
        let short = group.submit(&"thien-ke", 8, |_| Vec::new());
        assert!(matches!(short, Err(StoreError::Backend(_))), "{short:?}");
    }
}
