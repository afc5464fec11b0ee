//! Where choices come from: an [`arbitrary::Unstructured`] byte string, read so that an
//! exhausted input always gives the first (simplest) option, and a small deterministic
//! PRNG that fills such a byte string from a seed.

use arbitrary::Unstructured;

/// SplitMix64 (Steele, Lea and Flood): a tiny, fast generator with good statistical
/// quality for filling a byte buffer from a 64-bit seed.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator whose stream depends only on `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `len` pseudo-random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// The generator's view of its input: every choice is total (an exhausted or malformed
/// input gives option 0, which is always the simplest one).
pub(crate) struct Src<'a, 'b> {
    u: &'a mut Unstructured<'b>,
}

impl<'a, 'b> Src<'a, 'b> {
    pub fn new(u: &'a mut Unstructured<'b>) -> Self {
        Src { u }
    }

    /// A number in `0..n` (0 when `n <= 1` or the input is used up).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.u.int_in_range(0..=n - 1).unwrap_or(0)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        self.u.int_in_range(lo..=hi).unwrap_or(lo)
    }

    /// True with probability 1/n; always false on an exhausted input.
    pub fn one_in(&mut self, n: usize) -> bool {
        n > 0 && self.below(n) == n - 1
    }

    /// True with probability k/n; always false on an exhausted input.
    pub fn chance(&mut self, k: usize, n: usize) -> bool {
        self.below(n) >= n.saturating_sub(k)
    }

    /// An index chosen by weight (0 on an exhausted input, or if every weight is 0).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| w as u64).sum();
        if total == 0 {
            return 0;
        }
        let mut x = self.below(total as usize) as u64;
        for (i, &w) in weights.iter().enumerate() {
            if x < w as u64 {
                return i;
            }
            x -= w as u64;
        }
        0
    }

    /// An element of `xs` (`None` when it is empty).
    pub fn pick<'x, T>(&mut self, xs: &'x [T]) -> Option<&'x T> {
        if xs.is_empty() {
            return None;
        }
        let i = self.below(xs.len());
        xs.get(i)
    }

    /// 64 raw bits (0 on an exhausted input).
    pub fn bits(&mut self) -> u64 {
        self.u.arbitrary::<u64>().unwrap_or(0)
    }
}
