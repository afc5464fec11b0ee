//! The program's standard input, read so that a run blocked on it can still be stopped.
//!
//! The stream is read by a thread of its own (started at the first read) that hands over
//! chunks of at most [`CHUNK`] bytes, one at a time; a read waits for the next chunk while
//! polling the store's interrupt flag, so `--timeout` and an `InterruptHandle` end a
//! program blocked in `io.read_line` on a silent input. (The thread itself stays blocked in
//! the host's read until the stream yields or the process ends.)

use super::Interrupt;
use crate::runtime::trap::{Trap, TrapCode};
use std::io::{self, BufRead};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

/// The standard input a store's program reads through `io`.
pub type Stdin = Box<dyn BufRead + Send>;

/// The most bytes the reading thread hands over at once.
const CHUNK: usize = 64 << 10;
/// How often a waiting read polls the interrupt flag.
const POLL: Duration = Duration::from_millis(10);

/// The input as the program sees it: bytes received but not consumed yet, and the thread
/// that receives more.
#[derive(Default)]
pub(crate) struct Input {
    /// The stream, until the reading thread takes it (`None`: the process's standard input).
    source: Option<Stdin>,
    chunks: Option<Receiver<io::Result<Vec<u8>>>>,
    buf: Vec<u8>,
    eof: bool,
}

impl Input {
    /// Reads from `s` instead of the process's standard input (before the first read).
    pub(crate) fn set(&mut self, s: Stdin) {
        *self = Input { source: Some(s), ..Input::default() };
    }

    /// The bytes received and not consumed yet, including any chunk the reading thread
    /// has ready (kept, too: the program still reads them next).
    pub(crate) fn pending(&mut self) -> Vec<u8> {
        if let Some(rx) = &self.chunks {
            while let Ok(Ok(c)) = rx.try_recv() {
                if c.is_empty() {
                    self.eof = true;
                    break;
                }
                self.buf.extend_from_slice(&c);
            }
        }
        self.buf.clone()
    }

    /// Puts `bytes` before what is left to read (the input a snapshot had not consumed).
    pub(crate) fn unread(&mut self, mut bytes: Vec<u8>) {
        bytes.extend_from_slice(&self.buf);
        self.buf = bytes;
    }

    /// Waits for the next chunk; false at the end of the input.
    fn fill(&mut self, interrupt: Option<&Arc<Interrupt>>, call: &str) -> Result<bool, Trap> {
        if self.eof {
            return Ok(false);
        }
        let rx = self.chunks.get_or_insert_with(|| spawn_reader(self.source.take()));
        let chunk = loop {
            match interrupt {
                Some(flag) => match rx.recv_timeout(POLL) {
                    Ok(c) => break c,
                    Err(RecvTimeoutError::Timeout) => {
                        if let Some(why) = flag.take() {
                            return Err(why.into());
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => break Ok(Vec::new()),
                },
                None => break rx.recv().unwrap_or_else(|_| Ok(Vec::new())),
            }
        };
        match chunk {
            Ok(c) if c.is_empty() => {
                self.eof = true;
                Ok(false)
            }
            Ok(c) => {
                self.buf.extend_from_slice(&c);
                Ok(true)
            }
            Err(e) => Err(Trap::new(format!("{call}: {e}"))),
        }
    }

    /// The next line, with its `\n` if it has one; `None` at the end. More than `room`
    /// bytes without a newline is `out of memory`.
    pub(crate) fn read_line(
        &mut self,
        room: usize,
        interrupt: Option<&Arc<Interrupt>>,
    ) -> Result<Option<Vec<u8>>, Trap> {
        let mut searched = 0;
        loop {
            if let Some(i) = self.buf[searched..].iter().position(|&b| b == b'\n') {
                let end = searched + i + 1;
                if end > room.saturating_add(1) {
                    return Err(TrapCode::OutOfMemory.into());
                }
                let rest = self.buf.split_off(end);
                return Ok(Some(std::mem::replace(&mut self.buf, rest)));
            }
            searched = self.buf.len();
            if self.buf.len() > room {
                return Err(TrapCode::OutOfMemory.into());
            }
            if !self.fill(interrupt, "io.read_line")? {
                return Ok((!self.buf.is_empty()).then(|| std::mem::take(&mut self.buf)));
            }
        }
    }

    /// The rest of the input. More than `room` bytes is `out of memory`.
    pub(crate) fn read_all(&mut self, room: usize, interrupt: Option<&Arc<Interrupt>>) -> Result<Vec<u8>, Trap> {
        loop {
            if self.buf.len() > room {
                return Err(TrapCode::OutOfMemory.into());
            }
            if !self.fill(interrupt, "io.read_all")? {
                return Ok(std::mem::take(&mut self.buf));
            }
        }
    }
}

/// Starts the thread that reads `source` (or the process's standard input) in chunks.
fn spawn_reader(source: Option<Stdin>) -> Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = sync_channel(1);
    let run = move || {
        let mut source: Stdin = source.unwrap_or_else(|| Box::new(io::BufReader::new(io::stdin())));
        loop {
            let chunk = match source.fill_buf() {
                Ok(b) => {
                    let c = b[..b.len().min(CHUNK)].to_vec();
                    source.consume(c.len());
                    Ok(c)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let end = !matches!(&chunk, Ok(c) if !c.is_empty());
            if tx.send(chunk).is_err() || end {
                return;
            }
        }
    };
    if std::thread::Builder::new().name("kite-stdin".into()).spawn(run).is_err() {
        let (tx, rx) = sync_channel(1);
        let _ = tx.send(Err(io::Error::other("cannot start the input thread")));
        return rx;
    }
    rx
}
