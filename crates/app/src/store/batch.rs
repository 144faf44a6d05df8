//! Group commit for inserts. Each `POST` is a transaction, and PostgreSQL flushes the WAL for
//! every commit, so under load inserts queue behind `fsync`. Concurrent inserts are therefore
//! handed to a few writer tasks that each take whatever is waiting (up to [`MAX_BATCH`]) and insert
//! it in one statement: one commit, one flush, for many requests. Nothing waits to fill a batch:
//! a lone insert goes at once. A request is answered only after its row is committed, and a failed
//! batch fails each of its requests; no request waits longer than twice the query timeout.
//!
//! Written by hand because no crate does this for tokio-postgres; it is a channel and a loop.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::StoreError;
use super::postgres::Core;
use crate::task::{NewTask, Task};

/// Most rows one statement inserts.
pub const MAX_BATCH: usize = 64;

type Reply = oneshot::Sender<Result<i32, StoreError>>;

/// The sending side; dropping it stops the writers once the queue is empty.
pub struct InsertQueue {
    tx: mpsc::Sender<(NewTask, Reply)>,
}

impl InsertQueue {
    /// Starts `writers` writer tasks on the current Tokio runtime.
    pub(crate) fn start(core: Arc<Core>, writers: usize) -> Result<InsertQueue, StoreError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| StoreError::Setup("the PostgreSQL store needs a Tokio runtime".into()))?;
        let (tx, rx) = mpsc::channel(1024);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..writers {
            runtime.spawn(write_loop(core.clone(), rx.clone()));
        }
        Ok(InsertQueue { tx })
    }

    /// Inserts `task` (possibly together with others) and returns it with its id.
    pub async fn insert(&self, task: NewTask, timeout: Duration) -> Result<Task, StoreError> {
        let (reply, answer) = oneshot::channel();
        let queued = NewTask {
            priority: task.priority,
            title: task.title.clone(),
            complete: task.complete,
        };
        let waited = tokio::time::timeout(timeout * 2, async {
            self.tx
                .send((queued, reply))
                .await
                .map_err(|_| StoreError::Internal("insert writers stopped".into()))?;
            answer
                .await
                .map_err(|_| StoreError::Internal("insert writer dropped a request".into()))?
        })
        .await;
        let id = match waited {
            Ok(result) => result?,
            Err(_) => {
                return Err(StoreError::Unavailable(format!(
                    "insert took longer than {:?}",
                    timeout * 2
                )));
            }
        };
        Ok(Task {
            id: id.into(),
            priority: task.priority,
            title: task.title,
            complete: task.complete,
        })
    }
}

type Queue = Arc<Mutex<mpsc::Receiver<(NewTask, Reply)>>>;

async fn write_loop(core: Arc<Core>, rx: Queue) {
    loop {
        let batch = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            batch
        };
        let (tasks, replies): (Vec<NewTask>, Vec<Reply>) = batch.into_iter().unzip();
        match core.insert_many(&tasks).await {
            Ok(ids) => {
                for (reply, id) in replies.into_iter().zip(ids) {
                    let _ = reply.send(Ok(id));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(match &e {
                        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
                        StoreError::Internal(m) => StoreError::Internal(m.clone()),
                        StoreError::Setup(m) => StoreError::Setup(m.clone()),
                    }));
                }
            }
        }
    }
}
