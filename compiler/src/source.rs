//! A source file's path and text, shared (behind an `Arc`) by the loader, the lowering
//! and every diagnostic about the file, with an index that finds the line and column of
//! a byte offset in time independent of the file's size and of its lines' lengths.

/// About how many bytes lie between two checkpoints of the character count.
const CHAR_MARK_STRIDE: usize = 4096;

/// One source file: its path as shown in diagnostics and stack traces, and its text.
pub struct SourceText {
    pub path: String,
    pub text: String,
    /// Byte offsets where lines start.
    line_starts: Vec<u32>,
    /// Checkpoints `(byte offset, characters before it)`, on character boundaries, about
    /// every [`CHAR_MARK_STRIDE`] bytes; the first is `(0, 0)`.
    char_marks: Vec<(u32, u32)>,
}

/// The path and size, not the text.
impl std::fmt::Debug for SourceText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceText").field("path", &self.path).field("bytes", &self.text.len()).finish_non_exhaustive()
    }
}

impl SourceText {
    pub fn new(path: String, text: String) -> SourceText {
        // `match_indices` and `chars().count()` run the standard library's optimized
        // searching and counting, so indexing costs little even for a huge file.
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        let mut char_marks = vec![(0u32, 0u32)];
        let (mut at, mut chars) = (0usize, 0u32);
        while at + CHAR_MARK_STRIDE < text.len() {
            let mut next = at + CHAR_MARK_STRIDE;
            while !text.is_char_boundary(next) {
                next -= 1;
            }
            chars += text[at..next].chars().count() as u32;
            at = next;
            char_marks.push((at as u32, chars));
        }
        SourceText { path, text, line_starts, char_marks }
    }

    /// A file that could not be read: diagnostics about it show no source line.
    pub fn unreadable(path: String) -> SourceText {
        SourceText::new(path, String::new())
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let offset = (offset as usize).min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s as usize <= offset).max(1);
        let start = self.line_starts[line - 1] as usize;
        // Characters before `offset` on its line; a partial character is not counted.
        let mut end = offset;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = if end - start <= CHAR_MARK_STRIDE {
            self.text[start..end].chars().count() as u32
        } else {
            self.chars_before(end) - self.chars_before(start)
        } + 1;
        (line as u32, col)
    }

    /// The number of characters in `text[..offset]` (`offset` on a character boundary).
    fn chars_before(&self, offset: usize) -> u32 {
        let i = self.char_marks.partition_point(|&(at, _)| at as usize <= offset).max(1) - 1;
        let (at, chars) = self.char_marks[i];
        chars + self.text[at as usize..offset].chars().count() as u32
    }

    /// The byte offset where 1-based line `line` starts.
    pub fn line_start(&self, line: u32) -> usize {
        self.line_starts.get(line.saturating_sub(1) as usize).map_or(self.text.len(), |&s| s as usize)
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1) as usize) else {
            return "";
        };
        let end = self.line_starts.get(line as usize).map_or(self.text.len(), |&e| e as usize - 1);
        let text = self.text.get(start as usize..end).unwrap_or("");
        text.strip_suffix('\r').unwrap_or(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let s = SourceText::new("a.kite".into(), "ab\ncdé f\n\nxyz".into());
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(3), (2, 1));
        assert_eq!(s.line_col(7), (2, 4));
        assert_eq!(s.line_col(8), (2, 5));
        assert_eq!(s.line_col(6), (2, 3), "inside é: the partial character is not counted");
        assert_eq!(s.line_col(10), (3, 1));
        assert_eq!(s.line_col(11), (4, 1));
        assert_eq!(s.line_col(1000), (4, 4));
        assert_eq!(s.line_text(2), "cdé f");
        assert_eq!(s.line_text(3), "");
        assert_eq!(s.line_text(4), "xyz");
        assert_eq!(s.line_text(9), "");
    }

    #[test]
    fn long_lines_agree_with_counting() {
        let line: String = (0..9000).map(|i| if i % 7 == 0 { 'é' } else { 'x' }).collect();
        let text = format!("{line}\n{line}\n");
        let s = SourceText::new("a.kite".into(), text.clone());
        for (off, _) in text.char_indices().step_by(13) {
            let before = &text[..off];
            let line = before.matches('\n').count() as u32 + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let col = text[start..off].chars().count() as u32 + 1;
            assert_eq!(s.line_col(off as u32), (line, col), "offset {off}");
        }
    }
}
