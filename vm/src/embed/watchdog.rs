//! The watchdog: one thread per engine that sets a store's interrupt flag when a call's
//! deadline passes. Calls register a deadline when they start and drop it when they end,
//! so a deadline never fires into a later call.

use crate::sandbox::Interrupt;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

#[derive(Default)]
struct State {
    /// Deadlines, earliest first, with the id of their entry.
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Armed deadlines by id; a disarmed one is removed here and skipped in `queue`.
    armed: HashMap<u64, Arc<Interrupt>>,
    next_id: u64,
    running: bool,
    shutdown: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent if a holder panicked: every change is one step.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) struct Watchdog {
    shared: Arc<Shared>,
}

/// An armed deadline; dropping it disarms it.
pub(crate) struct Ticket {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.shared.lock().armed.remove(&self.id);
    }
}

impl Watchdog {
    pub(crate) fn new() -> Watchdog {
        Watchdog { shared: Arc::new(Shared::default()) }
    }

    /// Calls `flag.time_out()` at `deadline` unless the ticket is dropped first.
    pub(crate) fn arm(&self, deadline: Instant, flag: Arc<Interrupt>) -> Ticket {
        let mut st = self.shared.lock();
        let id = st.next_id;
        st.next_id += 1;
        st.armed.insert(id, flag);
        st.queue.push(Reverse((deadline, id)));
        if !st.running {
            st.running = true;
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new().name("kite-watchdog".into()).spawn(move || run(&shared));
            if spawned.is_err() {
                // No thread: time out at once rather than never.
                st.running = false;
                if let Some(f) = st.armed.remove(&id) {
                    f.time_out();
                }
            }
        }
        drop(st);
        self.shared.wake.notify_one();
        Ticket { shared: Arc::clone(&self.shared), id }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_one();
    }
}

fn run(shared: &Shared) {
    let mut st = shared.lock();
    loop {
        if st.shutdown {
            return;
        }
        let Some(&Reverse((deadline, id))) = st.queue.peek() else {
            st = shared.wake.wait(st).unwrap_or_else(|e| e.into_inner());
            continue;
        };
        if !st.armed.contains_key(&id) {
            st.queue.pop();
            continue;
        }
        let now = Instant::now();
        if deadline <= now {
            st.queue.pop();
            if let Some(flag) = st.armed.remove(&id) {
                flag.time_out();
            }
            continue;
        }
        st = shared.wake.wait_timeout(st, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
    }
}
