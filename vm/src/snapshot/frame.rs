//! Snapshots through a byte stream (a socket, a pipe): each one framed by its length, and
//! received straight into memory reserved for it (never zeroed first, never grown).

use std::io::{self, Read, Write};

/// Writes `bytes` (a snapshot, or any bytes) to `w` as one frame: its length (8 bytes,
/// little-endian), then the bytes. [`read_frame`] reads it.
pub fn write_frame(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    w.write_all(&(bytes.len() as u64).to_le_bytes())?;
    w.write_all(bytes)
}

/// Reads one frame written by [`write_frame`] from `r`. The length comes from the other
/// end, so it is not trusted: a frame longer than `max_len` is an error (`InvalidData`)
/// before anything is allocated (up to it, the announced length is reserved, not touched,
/// before the bytes arrive), and one that ends early is `UnexpectedEof`. (Receiving
/// into memory advised to use huge pages, as the writer's buffer is, measured slower.)
pub fn read_frame(r: &mut impl Read, max_len: usize) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 8];
    r.read_exact(&mut len)?;
    let len = u64::from_le_bytes(len);
    if len > max_len as u64 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes is longer than the {max_len} bytes allowed"),
        ));
    }
    let len = len as usize;
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e.to_string()))?;
    let got = r.take(len as u64).read_to_end(&mut buf)?;
    if got < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the frame ended after {got} of its {len} bytes"),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_comes_back_as_it_was_written() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let mut wire = Vec::new();
        write_frame(&mut wire, &bytes).unwrap();
        write_frame(&mut wire, b"").unwrap();
        let mut r = &wire[..];
        assert_eq!(read_frame(&mut r, 1 << 20).unwrap(), bytes);
        assert_eq!(read_frame(&mut r, 1 << 20).unwrap(), b"");
        assert!(r.is_empty());
    }

    #[test]
    fn a_frame_longer_than_allowed_is_refused_before_allocating() {
        let mut wire = u64::MAX.to_le_bytes().to_vec();
        wire.extend_from_slice(b"abc");
        let e = read_frame(&mut &wire[..], 1 << 30).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("18446744073709551615 bytes"), "{e}");
    }

    #[test]
    fn a_short_frame_is_unexpected_eof() {
        let mut wire = 10u64.to_le_bytes().to_vec();
        wire.extend_from_slice(b"abc");
        let e = read_frame(&mut &wire[..], 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(e.to_string().contains("after 3 of its 10 bytes"), "{e}");
        let e = read_frame(&mut &[1u8, 2][..], 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}
