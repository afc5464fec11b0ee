//! The sandbox: what a program may reach outside the VM, and every check of it.
//!
//! A program touches the host only through the capability modules (`fs`, `env.get`,
//! `time`, `io`). Their host functions do nothing themselves: they call the methods of
//! [`Sandbox`], which check the call against the [`Capabilities`] the host granted and
//! only then do the work. No other code in the workspace opens files, reads the
//! environment or the clocks on behalf of a program.
//!
//! # Paths
//!
//! File access is confined with [`cap_std`]: each granted folder is opened once as a
//! directory handle, and every file operation is done relative to one of those handles,
//! so `..`, absolute paths and symbolic links cannot lead outside it. The rule for a
//! path a program gives:
//!
//! 1. A relative path is taken relative to the sandbox's working directory (the process's
//!    current directory when the sandbox is made, unless
//!    [`Capabilities::working_dir`] says otherwise), as a shell or Deno would: with
//!    `--allow-read=data`, `fs.read("data/x.txt")` reads `./data/x.txt`.
//! 2. The path is normalized lexically (`.` dropped, `..` removes the component before it).
//! 3. The first granted folder (in the order granted) that contains the normalized path
//!    serves it: the rest of the path is opened through that folder's handle. A symbolic
//!    link may point anywhere inside that folder, never out of it.
//! 4. A path inside no granted folder, or one that leads out of its folder through a link,
//!    traps with `capability denied`, naming the call, the path as the program wrote it
//!    and the flag that would grant it.
//!
//! A grant for a folder that does not exist (or cannot be opened) is kept, but nothing
//! can be found in it: reads give nil, writes give false.

#![warn(missing_docs)]

mod input;
mod limits;

pub use input::Stdin;
pub use limits::{Interrupt, Limits, DEFAULT_MAX_DEPTH};

use crate::runtime::trap::Trap;
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Which environment variables `env.get` may read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum EnvGrant {
    /// None (the default).
    #[default]
    None,
    /// Only these names.
    Names(Vec<String>),
    /// Every variable.
    All,
}

/// What a program is allowed to reach outside the VM. Nothing by default.
///
/// ```
/// use kite_vm::sandbox::Capabilities;
/// let caps = Capabilities::none().allow_read("data/").allow_env("HOME").allow_time();
/// assert!(caps.time_allowed());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    read: Vec<PathBuf>,
    write: Vec<PathBuf>,
    env: EnvGrant,
    time: bool,
    stdin: bool,
    working_dir: Option<PathBuf>,
}

impl Capabilities {
    /// No capabilities: `fs`, `env.get`, `time` and `io` all trap.
    pub fn none() -> Capabilities {
        Capabilities::default()
    }

    /// Lets `fs.read`, `fs.list` and `fs.exists` reach files inside `dir`.
    pub fn allow_read(mut self, dir: impl AsRef<Path>) -> Capabilities {
        self.read.push(dir.as_ref().to_path_buf());
        self
    }

    /// Lets `fs.write`, `fs.append` and `fs.remove` reach files inside `dir`. (Reading
    /// needs its own grant.)
    pub fn allow_write(mut self, dir: impl AsRef<Path>) -> Capabilities {
        self.write.push(dir.as_ref().to_path_buf());
        self
    }

    /// Lets `env.get` read the variable `name`.
    pub fn allow_env(mut self, name: impl Into<String>) -> Capabilities {
        match &mut self.env {
            EnvGrant::All => {}
            EnvGrant::Names(names) => names.push(name.into()),
            EnvGrant::None => self.env = EnvGrant::Names(vec![name.into()]),
        }
        self
    }

    /// Lets `env.get` read every environment variable.
    pub fn allow_env_all(mut self) -> Capabilities {
        self.env = EnvGrant::All;
        self
    }

    /// Lets `time.now` and `time.mono_ns` read the clocks.
    pub fn allow_time(mut self) -> Capabilities {
        self.time = true;
        self
    }

    /// Lets `io.read_line` and `io.read_all` read the store's standard input.
    pub fn allow_stdin(mut self) -> Capabilities {
        self.stdin = true;
        self
    }

    /// The directory relative paths are taken from, both the program's and the grants'
    /// (default: the process's current directory when the sandbox is made).
    pub fn working_dir(mut self, dir: impl AsRef<Path>) -> Capabilities {
        self.working_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The folders granted for reading, as given.
    pub fn read_dirs(&self) -> &[PathBuf] {
        &self.read
    }

    /// The folders granted for writing, as given.
    pub fn write_dirs(&self) -> &[PathBuf] {
        &self.write
    }

    /// Which environment variables may be read.
    pub fn env(&self) -> &EnvGrant {
        &self.env
    }

    /// Whether the clocks may be read.
    pub fn time_allowed(&self) -> bool {
        self.time
    }

    /// Whether standard input may be read.
    pub fn stdin_allowed(&self) -> bool {
        self.stdin
    }
}

/// One granted folder: its normalized absolute path and its handle.
struct Grant {
    root: PathBuf,
    dir: Option<Dir>,
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}{}", self.root, if self.dir.is_some() { "" } else { " (not found)" })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

impl Access {
    fn folders(self) -> &'static str {
        match self {
            Access::Read => "readable",
            Access::Write => "writable",
        }
    }
    fn flag(self) -> &'static str {
        match self {
            Access::Read => "--allow-read=DIR",
            Access::Write => "--allow-write=DIR",
        }
    }
}

/// The granted capabilities, opened: directory handles for the granted folders, the
/// clocks' origin and the input stream. Every capability check is a method here.
pub struct Sandbox {
    caps: Capabilities,
    cwd: PathBuf,
    read: Vec<Grant>,
    write: Vec<Grant>,
    started: Instant,
    stdin: input::Input,
    /// The store's interrupt flag: a read blocked on the input polls it.
    interrupt: Option<Arc<Interrupt>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("cwd", &self.cwd)
            .field("read", &self.read)
            .field("write", &self.write)
            .field("env", &self.caps.env)
            .field("time", &self.caps.time)
            .field("stdin", &self.caps.stdin)
            .finish()
    }
}

impl Default for Sandbox {
    fn default() -> Sandbox {
        Sandbox::new(Capabilities::none())
    }
}

/// `capability denied: CALL WHAT (grant with FLAG)`.
fn denied(call: &str, what: impl fmt::Display, flag: &str) -> Trap {
    Trap::new(format!("capability denied: {call} {what} (grant with {flag})"))
}

/// Opening never waits: a FIFO without a writer (or reader) would block `open` itself. The
/// file operations then work on regular files only, so nothing they do can block.
fn nonblocking(opts: &mut OpenOptions) -> &OpenOptions {
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    opts
}

/// cap-std reports a path that would leave its directory as `PermissionDenied` without
/// an OS error code (a real `EACCES` has one).
fn is_escape(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied && e.raw_os_error().is_none()
}

/// Lexical normalization: drops `.`, lets `..` remove the component before it (never
/// above the root).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl Sandbox {
    /// Opens the granted folders. A folder that cannot be opened stays granted but empty.
    pub fn new(caps: Capabilities) -> Sandbox {
        let needs_cwd = !caps.read.is_empty() || !caps.write.is_empty();
        let cwd = match &caps.working_dir {
            Some(d) if d.is_absolute() => d.clone(),
            Some(d) => std::env::current_dir().unwrap_or_default().join(d),
            None if needs_cwd => std::env::current_dir().unwrap_or_default(),
            None => PathBuf::new(),
        };
        let cwd = normalize(&cwd);
        let open = |dirs: &[PathBuf]| -> Vec<Grant> {
            dirs.iter()
                .map(|d| {
                    let root = normalize(&cwd.join(d));
                    let dir = Dir::open_ambient_dir(&root, ambient_authority()).ok();
                    Grant { root, dir }
                })
                .collect()
        };
        let read = open(&caps.read);
        let write = open(&caps.write);
        Sandbox { caps, cwd, read, write, started: Instant::now(), stdin: input::Input::default(), interrupt: None }
    }

    /// The capabilities this sandbox enforces.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Where `io` reads from (default: the process's standard input).
    pub fn set_stdin(&mut self, input: Stdin) {
        self.stdin.set(input);
    }

    /// Input received and not consumed yet (a snapshot keeps it).
    pub(crate) fn pending_input(&mut self) -> Vec<u8> {
        self.stdin.pending()
    }

    /// Input to read before the stream's (what a snapshot had not consumed).
    pub(crate) fn unread_input(&mut self, bytes: Vec<u8>) {
        self.stdin.unread(bytes);
    }

    /// The flag that stops a read waiting for input (`timeout`, `interrupted`).
    pub fn set_interrupt(&mut self, flag: Arc<Interrupt>) {
        self.interrupt = Some(flag);
    }

    /// The granted folder that serves `path`, and the path inside it.
    fn resolve(&self, call: &str, path: &str, access: Access) -> Result<(Option<&Dir>, PathBuf), Trap> {
        let grants = match access {
            Access::Read => &self.read,
            Access::Write => &self.write,
        };
        let outside =
            || denied(call, format_args!("{path:?} is outside the {} folders", access.folders()), access.flag());
        if grants.is_empty() {
            return Err(outside());
        }
        let p = Path::new(path);
        let full = normalize(&if p.is_absolute() { p.to_path_buf() } else { self.cwd.join(p) });
        for g in grants {
            if let Ok(rel) = full.strip_prefix(&g.root) {
                let rel = if rel.as_os_str().is_empty() { PathBuf::from(".") } else { rel.to_path_buf() };
                return Ok((g.dir.as_ref(), rel));
            }
        }
        Err(outside())
    }

    fn leads_outside(call: &str, path: &str, access: Access) -> Trap {
        denied(
            call,
            format_args!("{path:?} leads outside the {} folders through a symbolic link", access.folders()),
            access.flag(),
        )
    }

    /// `fs.read(path)`: the file's text, or `None` if it does not exist, is not a regular
    /// file (a folder, FIFO, device or socket: never waited on), is not UTF-8 or cannot be
    /// read. A file larger than `room` bytes traps with
    /// `out of memory` without being read.
    pub fn fs_read(&self, path: &str, room: usize) -> Result<Option<String>, Trap> {
        let (dir, rel) = self.resolve("fs.read", path, Access::Read)?;
        let Some(dir) = dir else { return Ok(None) };
        let mut opts = OpenOptions::new();
        opts.read(true);
        let mut file = match dir.open_with(&rel, nonblocking(&mut opts)) {
            Ok(f) => f,
            Err(e) if is_escape(&e) => return Err(Self::leads_outside("fs.read", path, Access::Read)),
            Err(_) => return Ok(None),
        };
        match file.metadata() {
            Ok(m) if m.is_file() => {
                if m.len() > room as u64 {
                    return Err(Trap::limit("out of memory"));
                }
            }
            _ => return Ok(None),
        }
        let mut bytes = Vec::new();
        // The file may grow while it is read: never read more than the room left.
        match (&mut file).take((room as u64).saturating_add(1)).read_to_end(&mut bytes) {
            Ok(n) if n > room => Err(Trap::limit("out of memory")),
            Ok(_) => Ok(String::from_utf8(bytes).ok()),
            Err(_) => Ok(None),
        }
    }

    /// `fs.write(path, data)` (or `fs.append` when `append`): true if the file was
    /// written. The folder it goes in must exist; only regular files are written (a FIFO,
    /// device or socket gives false, never a wait).
    pub fn fs_write(&self, path: &str, data: &str, append: bool) -> Result<bool, Trap> {
        let call = if append { "fs.append" } else { "fs.write" };
        let (dir, rel) = self.resolve(call, path, Access::Write)?;
        let Some(dir) = dir else { return Ok(false) };
        let mut opts = OpenOptions::new();
        opts.create(true);
        if append {
            opts.append(true);
        } else {
            opts.write(true).truncate(true);
        }
        match dir.open_with(&rel, nonblocking(&mut opts)) {
            // Only regular files: a FIFO, device or socket is refused, not waited on.
            Ok(mut f) => Ok(f.metadata().is_ok_and(|m| m.is_file()) && f.write_all(data.as_bytes()).is_ok()),
            Err(e) if is_escape(&e) => Err(Self::leads_outside(call, path, Access::Write)),
            Err(_) => Ok(false),
        }
    }

    /// `fs.list(dir)`: the names in a folder, sorted (so output does not depend on the
    /// file system's order), or `None` if it is not a readable folder.
    pub fn fs_list(&self, path: &str) -> Result<Option<Vec<String>>, Trap> {
        let (dir, rel) = self.resolve("fs.list", path, Access::Read)?;
        let Some(dir) = dir else { return Ok(None) };
        let entries = match dir.read_dir(&rel) {
            Ok(e) => e,
            Err(e) if is_escape(&e) => return Err(Self::leads_outside("fs.list", path, Access::Read)),
            Err(_) => return Ok(None),
        };
        let mut names = Vec::new();
        for e in entries {
            match e {
                Ok(e) => names.push(e.file_name().to_string_lossy().into_owned()),
                Err(_) => return Ok(None),
            }
        }
        names.sort();
        Ok(Some(names))
    }

    /// `fs.exists(path)`: whether a file or folder is there.
    pub fn fs_exists(&self, path: &str) -> Result<bool, Trap> {
        let (dir, rel) = self.resolve("fs.exists", path, Access::Read)?;
        let Some(dir) = dir else { return Ok(false) };
        match dir.metadata(&rel) {
            Ok(_) => Ok(true),
            Err(e) if is_escape(&e) => Err(Self::leads_outside("fs.exists", path, Access::Read)),
            Err(_) => Ok(false),
        }
    }

    /// `fs.remove(path)`: true if a file was removed (folders are not removed).
    pub fn fs_remove(&self, path: &str) -> Result<bool, Trap> {
        let (dir, rel) = self.resolve("fs.remove", path, Access::Write)?;
        let Some(dir) = dir else { return Ok(false) };
        match dir.remove_file(&rel) {
            Ok(()) => Ok(true),
            Err(e) if is_escape(&e) => Err(Self::leads_outside("fs.remove", path, Access::Write)),
            Err(_) => Ok(false),
        }
    }

    /// `env.get(name)`: the variable's value, or `None` if it is unset or not Unicode.
    pub fn env_get(&self, name: &str) -> Result<Option<String>, Trap> {
        let allowed = match &self.caps.env {
            EnvGrant::All => true,
            EnvGrant::Names(names) => names.iter().any(|n| n == name),
            EnvGrant::None => false,
        };
        if !allowed {
            let flag = if name.is_empty() || name.contains([',', '=', '\0']) {
                "--allow-env".to_string()
            } else {
                format!("--allow-env={name}")
            };
            return Err(denied("env.get", format_args!("{name:?} is not granted"), &flag));
        }
        if name.is_empty() || name.contains(['=', '\0']) {
            return Ok(None);
        }
        Ok(std::env::var(name).ok())
    }

    fn check_time(&self, call: &str) -> Result<(), Trap> {
        if self.caps.time {
            Ok(())
        } else {
            Err(denied(call, "is not granted", "--allow-time"))
        }
    }

    /// `time.now()`: seconds since the Unix epoch.
    pub fn time_now(&self) -> Result<f64, Trap> {
        self.check_time("time.now")?;
        Ok(match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        })
    }

    /// `time.mono_ns()`: nanoseconds on a monotonic clock, counted from when the sandbox
    /// was made.
    pub fn time_mono_ns(&self) -> Result<i64, Trap> {
        self.check_time("time.mono_ns")?;
        Ok(i64::try_from(self.started.elapsed().as_nanos()).unwrap_or(i64::MAX))
    }

    fn check_stdin(&self, call: &str) -> Result<(), Trap> {
        if self.caps.stdin {
            Ok(())
        } else {
            Err(Trap::new(format!("capability denied: {call}: standard input is not granted to this program")))
        }
    }

    /// `io.read_line()`: the next line without its `\n` (or `\r\n`), `None` at the end.
    /// A line longer than `room` bytes traps with `out of memory`. A wait for input ends
    /// with `timeout` or `interrupted` when the store's interrupt flag is set.
    pub fn read_line(&mut self, room: usize) -> Result<Option<String>, Trap> {
        self.check_stdin("io.read_line")?;
        let Some(mut bytes) = self.stdin.read_line(room, self.interrupt.as_ref())? else {
            return Ok(None);
        };
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        String::from_utf8(bytes).map(Some).map_err(|_| Trap::new("io.read_line: the input is not UTF-8"))
    }

    /// `io.read_all()`: the rest of the input. More than `room` bytes traps with
    /// `out of memory`; a wait for input stops as `read_line`'s does.
    pub fn read_all(&mut self, room: usize) -> Result<String, Trap> {
        self.check_stdin("io.read_all")?;
        let bytes = self.stdin.read_all(room, self.interrupt.as_ref())?;
        String::from_utf8(bytes).map_err(|_| Trap::new("io.read_all: the input is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kite-sandbox-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("data/sub")).unwrap();
        std::fs::write(d.join("secret.txt"), "secret").unwrap();
        std::fs::write(d.join("data/x.txt"), "x").unwrap();
        d
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
        assert_eq!(normalize(Path::new("/../..")), PathBuf::from("/"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("b"));
    }

    #[test]
    fn reads_are_confined_to_the_grants() {
        let d = tmp("read");
        let sb = Sandbox::new(Capabilities::none().allow_read("data").working_dir(&d));
        assert_eq!(sb.fs_read("data/x.txt", usize::MAX).unwrap().as_deref(), Some("x"));
        assert_eq!(sb.fs_read("data/sub/../x.txt", usize::MAX).unwrap().as_deref(), Some("x"));
        assert_eq!(sb.fs_read("data/missing.txt", usize::MAX).unwrap(), None);
        assert_eq!(sb.fs_read("data", usize::MAX).unwrap(), None);
        let abs = d.join("secret.txt");
        for p in ["secret.txt", "../secret.txt", "data/../secret.txt", abs.to_str().unwrap()] {
            let t = sb.fs_read(p, usize::MAX).unwrap_err();
            assert_eq!(
                t.message,
                format!(
                    "capability denied: fs.read {p:?} is outside the readable folders (grant with --allow-read=DIR)"
                )
            );
        }
        assert_eq!(sb.fs_read("data/x.txt", 0).unwrap_err().message, "out of memory");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_cannot_escape() {
        let d = tmp("link");
        std::os::unix::fs::symlink(d.join("secret.txt"), d.join("data/abs")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", d.join("data/rel")).unwrap();
        std::os::unix::fs::symlink("x.txt", d.join("data/inside")).unwrap();
        let sb = Sandbox::new(Capabilities::none().allow_read("data").allow_write("data").working_dir(&d));
        for p in ["data/abs", "data/rel"] {
            let t = sb.fs_read(p, usize::MAX).unwrap_err();
            assert!(t.message.contains("leads outside the readable folders"), "{}", t.message);
            assert!(sb.fs_write(p, "oops", false).is_err());
        }
        assert_eq!(sb.fs_read("data/inside", usize::MAX).unwrap().as_deref(), Some("x"));
        assert_eq!(std::fs::read_to_string(d.join("secret.txt")).unwrap(), "secret");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn writes_need_their_own_grant() {
        let d = tmp("write");
        let ro = Sandbox::new(Capabilities::none().allow_read("data").working_dir(&d));
        let t = ro.fs_write("data/y.txt", "y", false).unwrap_err();
        assert_eq!(
            t.message,
            "capability denied: fs.write \"data/y.txt\" is outside the writable folders (grant with --allow-write=DIR)"
        );
        let rw = Sandbox::new(Capabilities::none().allow_read("data").allow_write("data/").working_dir(&d));
        assert!(rw.fs_write("data/y.txt", "a", false).unwrap());
        assert!(rw.fs_write("data/y.txt", "b", true).unwrap());
        assert_eq!(rw.fs_read("data/y.txt", usize::MAX).unwrap().as_deref(), Some("ab"));
        assert_eq!(rw.fs_list("data").unwrap().unwrap(), vec!["sub", "x.txt", "y.txt"]);
        assert!(rw.fs_exists("data/y.txt").unwrap());
        assert!(rw.fs_remove("data/y.txt").unwrap());
        assert!(!rw.fs_remove("data/y.txt").unwrap());
        assert!(!rw.fs_write("data/nope/z.txt", "z", false).unwrap());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn env_time_and_stdin_are_checked() {
        let sb = Sandbox::new(Capabilities::none());
        assert_eq!(
            sb.env_get("HOME").unwrap_err().message,
            "capability denied: env.get \"HOME\" is not granted (grant with --allow-env=HOME)"
        );
        assert_eq!(
            sb.time_now().unwrap_err().message,
            "capability denied: time.now is not granted (grant with --allow-time)"
        );
        let mut sb = Sandbox::new(Capabilities::none().allow_env("KITE_SANDBOX_UNSET").allow_time().allow_stdin());
        assert_eq!(sb.env_get("KITE_SANDBOX_UNSET").unwrap(), None);
        assert!(sb.time_mono_ns().unwrap() >= 0);
        sb.set_stdin(Box::new(io::Cursor::new(b"one\r\ntwo".to_vec())));
        assert_eq!(sb.read_line(100).unwrap().as_deref(), Some("one"));
        assert_eq!(sb.read_line(100).unwrap().as_deref(), Some("two"));
        assert_eq!(sb.read_line(100).unwrap(), None);
        sb.set_stdin(Box::new(io::Cursor::new(b"abcdef".to_vec())));
        assert_eq!(sb.read_all(3).unwrap_err().message, "out of memory");
    }
}
