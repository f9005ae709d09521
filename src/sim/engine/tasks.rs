//! Which host every task belongs to, and how a crashed host's tasks all stop at once.
//!
//! Every host of a run shares one tokio runtime, so a task carries no host of its own. tokio's
//! task hooks give it one: a task spawned while a host's task is being polled belongs to that
//! host, and before each poll the hook tells turmoil-net which host's socket table the task's
//! syscalls reach. A crash must also stop a host's tasks *now*, in a fixed order, with the
//! host's sockets still reachable: aborting a tokio task only drops it whenever the runtime next
//! gets to it, outside any poll hook. So every task started through the seam keeps its future in
//! a [`Slot`] that the engine can empty synchronously; the tokio task left behind is an empty
//! shell that is aborted too.
//!
//! A task spawned on a host around the seam (`tokio::spawn` from a service) could not be
//! stopped that way; it is a harness error, reported with where it was spawned.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};

use tokio::runtime::TaskMeta;
use tokio::sync::Notify;
use tokio::task::{AbortHandle, Id, JoinHandle};

/// A host's place in the run: its index in the order hosts were added.
pub type HostIndex = usize;

/// What the runtime hooks and the seam share with the engine.
#[derive(Default)]
pub struct Tasks {
    state: Mutex<State>,
    /// Whether a task has been polled or stopped since the last egress: it may have queued a
    /// packet.
    unrouted: AtomicBool,
    /// Told when the runtime is about to idle after polling tasks.
    quiet: Arc<Notify>,
}

#[derive(Default)]
struct State {
    /// The host whose task is being polled, or for which a task is being spawned.
    current: Option<HostIndex>,
    /// Whether the spawn in progress comes through the seam.
    via_seam: bool,
    owners: BTreeMap<Id, HostIndex>,
    /// Each host's live tasks in the order they were spawned, which is the order a crash stops
    /// them in.
    slots: Vec<Vec<Stoppable>>,
    /// The turmoil-net host of each of ours.
    network_ids: Vec<turmoil_net::HostId>,
    names: Vec<String>,
    /// Harness errors found by the hooks: they end the run.
    problems: Vec<String>,
}

struct Stoppable {
    slot: Weak<dyn Stop>,
    shell: AbortHandle,
}

impl Tasks {
    pub fn add_host(&self, name: &str, network_id: turmoil_net::HostId) -> HostIndex {
        let mut state = self.lock();
        state.names.push(name.to_owned());
        state.network_ids.push(network_id);
        state.slots.push(Vec::new());
        state.names.len() - 1
    }

    /// Starts `task` on `host`, stoppable by [`Tasks::stop_host`].
    pub fn spawn<F>(self: &Arc<Self>, host: HostIndex, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let slot =
            Arc::new(Slot { future: Mutex::new(Some(Box::pin(task))), host, tasks: Arc::downgrade(self) });
        let previous = {
            let mut state = self.lock();
            state.via_seam = true;
            state.current.replace(host)
        };
        let handle = tokio::spawn(Shell(Arc::clone(&slot)));
        let mut state = self.lock();
        state.via_seam = false;
        state.current = previous;
        // The spawn hook has mapped the task already; this covers spawns from the engine, which
        // polls no task.
        state.owners.insert(handle.id(), host);
        let slots = &mut state.slots[host];
        // Finished tasks leave dead entries; sweep them once they are half the list.
        if slots.len() >= 64 && slots.len().is_power_of_two() {
            slots.retain(|s| s.slot.strong_count() > 0);
        }
        let slot: Arc<dyn Stop> = slot;
        slots.push(Stoppable { slot: Arc::downgrade(&slot), shell: handle.abort_handle() });
        handle
    }

    /// Drops every task of `host` now, in spawn order, with turmoil-net pointed at the host so
    /// that the sockets they own close in its socket table.
    pub fn stop_host(&self, host: HostIndex) {
        let (slots, network_id) = {
            let mut state = self.lock();
            (std::mem::take(&mut state.slots[host]), state.network_ids[host])
        };
        self.unrouted.store(true, Ordering::Relaxed);
        for stoppable in slots {
            turmoil_net::set_current(network_id);
            if let Some(slot) = stoppable.slot.upgrade() {
                slot.stop();
            }
            stoppable.shell.abort();
        }
    }

    /// The harness errors found so far, taken.
    pub fn take_problems(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().problems)
    }

    pub fn on_spawn(&self, meta: &TaskMeta<'_>) {
        let mut state = self.lock();
        let Some(host) = state.current else { return };
        state.owners.insert(meta.id(), host);
        if !state.via_seam {
            let problem = format!(
                "a task spawned at {} on host {} bypassed the `Net::spawn` seam, so a crash could not stop it",
                meta.spawned_at(),
                state.names[host]
            );
            state.problems.push(problem);
        }
    }

    pub fn before_poll(&self, meta: &TaskMeta<'_>) {
        let mut state = self.lock();
        let Some(&host) = state.owners.get(&meta.id()) else { return };
        state.current = Some(host);
        turmoil_net::set_current(state.network_ids[host]);
    }

    pub fn after_poll(&self) {
        self.lock().current = None;
        self.unrouted.store(true, Ordering::Relaxed);
    }

    /// Whether a task has run or been stopped since the last call: only then can a socket have
    /// something new to send, other than what a delivery makes it answer.
    pub fn take_unrouted(&self) -> bool {
        self.unrouted.swap(false, Ordering::Relaxed)
    }

    /// The runtime has run every task it can and would now let time pass: if any task was polled
    /// or stopped since the last egress, what it sent must go onto the wire first, stamped now.
    pub fn before_idle(&self) {
        if self.unrouted.load(Ordering::Relaxed) {
            self.quiet.notify_one();
        }
    }

    /// What the scheduler waits on for "tasks were polled and the runtime has gone quiet".
    pub fn quiet(&self) -> Arc<Notify> {
        Arc::clone(&self.quiet)
    }

    pub fn on_terminate(&self, meta: &TaskMeta<'_>) {
        self.lock().owners.remove(&meta.id());
    }

    /// Records a harness error on `host`; it ends the run.
    pub fn report(&self, host: HostIndex, problem: String) {
        let mut state = self.lock();
        let problem = format!("host {}: {problem}", state.names[host]);
        state.problems.push(problem);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A task's future, which the engine can take away and drop.
struct Slot<F: Future> {
    future: Mutex<Option<Pin<Box<F>>>>,
    host: HostIndex,
    tasks: Weak<Tasks>,
}

trait Stop: Send + Sync {
    fn stop(&self);
}

impl<F: Future + Send> Stop for Slot<F> {
    fn stop(&self) {
        let future = self.future.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(future);
    }
}

/// The tokio task around a [`Slot`]. Once its future has been stopped it never finishes; the
/// engine aborts it.
struct Shell<F: Future>(Arc<Slot<F>>);

impl<F: Future> Future for Shell<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let slot = &self.0;
        let mut future = slot.future.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(running) = future.as_mut() else { return Poll::Pending };
        // A panicking service is a failed run with the panic's message, not a lost runtime.
        match catch_unwind(AssertUnwindSafe(|| running.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => {
                *future = None;
                Poll::Ready(output)
            }
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => {
                *future = None;
                drop(future);
                if let Some(tasks) = slot.tasks.upgrade() {
                    tasks.report(slot.host, format!("a task panicked: {}", panic_message(&*panic)));
                }
                Poll::Pending
            }
        }
    }
}

/// The message of a caught panic.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
