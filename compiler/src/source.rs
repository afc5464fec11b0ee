//! A source file's path and text, shared (behind an `Arc`) by the loader, the lowering
//! and every diagnostic about the file, with an index that finds the line and column of
//! a byte offset in time independent of the file's size and of its lines' lengths.

/// Bytes between two checkpoints of the character count.
const CHAR_MARK_STRIDE: usize = 64;

/// One source file: its path as shown in diagnostics and stack traces, and its text.
#[derive(Debug)]
pub struct SourceText {
    pub path: String,
    pub text: String,
    /// Byte offsets where lines start.
    line_starts: Vec<u32>,
    /// `char_marks[i]`: the number of characters in `text[..i * CHAR_MARK_STRIDE]`.
    char_marks: Vec<u32>,
}

impl SourceText {
    pub fn new(path: String, text: String) -> SourceText {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(memchr_all(b'\n', bytes).map(|i| i as u32 + 1));
        let mut char_marks = Vec::with_capacity(bytes.len() / CHAR_MARK_STRIDE + 1);
        let mut chars = 0u32;
        for chunk in bytes.chunks(CHAR_MARK_STRIDE) {
            char_marks.push(chars);
            chars += count_chars(chunk);
        }
        char_marks.push(chars);
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
        let col = self.chars_before(end) - self.chars_before(start) + 1;
        (line as u32, col)
    }

    /// The number of characters in `text[..offset]` (`offset` on a character boundary).
    fn chars_before(&self, offset: usize) -> u32 {
        let mark = offset / CHAR_MARK_STRIDE;
        let from = mark * CHAR_MARK_STRIDE;
        self.char_marks[mark] + count_chars(&self.text.as_bytes()[from..offset])
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

/// Characters in a run of UTF-8 bytes: the bytes that are not continuation bytes.
fn count_chars(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u32
}

fn memchr_all(needle: u8, bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes.iter().enumerate().filter(move |(_, &b)| b == needle).map(|(i, _)| i)
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
        let line: String = (0..500).map(|i| if i % 7 == 0 { 'é' } else { 'x' }).collect();
        let text = format!("{line}\n{line}\n");
        let s = SourceText::new("a.kite".into(), text.clone());
        for (off, _) in text.char_indices() {
            let before = &text[..off];
            let line = before.matches('\n').count() as u32 + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let col = text[start..off].chars().count() as u32 + 1;
            assert_eq!(s.line_col(off as u32), (line, col), "offset {off}");
        }
    }
}
