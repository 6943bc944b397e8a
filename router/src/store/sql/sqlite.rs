//! SQLite's one connection, owned by one task that runs the statements sent to it in order
//! (the pattern of tokio's "channels" chapter).
//!
//! One connection: SQLite runs one writer at a time anyway, and several connections contending
//! for the write lock wait in its busy handler, which sleeps in steps of milliseconds
//! (docs/benchmarks.md: p99 of 100 ms under load); an in-memory database must be one
//! connection anyway. A job runs to its end even if the request that sent it is dropped, so a
//! transaction is never left open half-way.

use sqlx::AnyConnection;
use sqlx::Connection as _;
use tokio::sync::{mpsc, oneshot};

use super::super::StoreError;
use super::{BoxFuture, ACQUIRE_TIMEOUT};

/// Statements to run on the connection.
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, ()> + Send>;

enum Message {
    Run(Job),
    Close(oneshot::Sender<()>),
}

/// The handle of the task that owns the connection.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    messages: mpsc::Sender<Message>,
}

/// Jobs waiting beyond this make senders wait (back-pressure), up to [`ACQUIRE_TIMEOUT`].
const QUEUE: usize = 1024;

impl Writer {
    /// Starts the task that owns `conn`.
    pub(super) fn start(conn: AnyConnection) -> Writer {
        let (messages, mut inbox) = mpsc::channel::<Message>(QUEUE);
        tokio::spawn(async move {
            let mut conn = Some(conn);
            while let Some(message) = inbox.recv().await {
                match (message, conn.as_mut()) {
                    (Message::Run(job), Some(open)) => job(open).await,
                    // Closed: dropping the job drops its reply, which answers `Closed`.
                    (Message::Run(_), None) => {}
                    (Message::Close(done), _) => {
                        if let Some(open) = conn.take() {
                            if let Err(err) = open.close().await {
                                tracing::warn!(error = %err, "closing the database failed");
                            }
                        }
                        let _ = done.send(());
                    }
                }
            }
        });
        Writer { messages }
    }

    /// Runs `job` on the connection, after the jobs sent before it.
    pub(super) async fn run<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let _ = reply.send(job(conn).await);
            })
        });
        match tokio::time::timeout(ACQUIRE_TIMEOUT, self.messages.send(Message::Run(job))).await {
            Err(_) => return Err(StoreError::Busy),
            Ok(Err(_)) => return Err(StoreError::Closed),
            Ok(Ok(())) => {}
        }
        Ok(answer.await.map_err(|_| StoreError::Closed)??)
    }

    /// Lets the jobs sent before finish, then closes the connection.
    pub(super) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.messages.send(Message::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}
