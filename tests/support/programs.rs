//! Finding the Kite programs of the test suite.

use std::path::{Path, PathBuf};

/// Adds every `.kite` file below `dir` to `out`, except the `_*.kite` modules that other
/// programs import.
pub fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "kite")
            && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('_'))
        {
            out.push(p);
        }
    }
}
