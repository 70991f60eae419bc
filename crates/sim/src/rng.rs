//! Deterministic pseudo-randomness: everything the organization holds is a pure function of
//! the seed and a position (account, region, kind, ordinal), so any part can be generated
//! lazily, in any order, and still be identical from run to run.

/// SplitMix64's finalizer: a cheap, well-mixed bijection on u64.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of a position: order-sensitive, so (a, b) and (b, a) differ.
pub(crate) fn hash(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x243F_6A88_85A3_08D3, |h, p| mix(h ^ mix(*p)))
}

#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`0` when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True `per_mille` times in a thousand.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8; 16] = b"0123456789abcdef";

/// `len` characters of AWS-style upper-case ids (key ids, unique ids) from `h`.
pub(crate) fn base32(mut h: u64, len: usize) -> String {
    let mut out = String::with_capacity(len);
    for i in 0..len {
        if i % 12 == 11 {
            h = mix(h);
        }
        out.push(BASE32[(h & 31) as usize] as char);
        h >>= 5;
    }
    out
}

/// `len` lower-case hex characters from `h` (resource ids such as `i-0123…`).
pub(crate) fn hex(mut h: u64, len: usize) -> String {
    let mut out = String::with_capacity(len);
    for i in 0..len {
        if i % 16 == 15 {
            h = mix(h);
        }
        out.push(HEX[(h & 15) as usize] as char);
        h >>= 4;
    }
    out
}

/// Lower-case alphanumerics (organization, root and OU ids).
pub(crate) fn alnum(mut h: u64, len: usize) -> String {
    const ALNUM: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    for i in 0..len {
        if i % 12 == 11 {
            h = mix(h);
        }
        out.push(ALNUM[(h % 36) as usize] as char);
        h /= 36;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_hash_apart_and_repeat() {
        assert_eq!(hash(&[1, 2, 3]), hash(&[1, 2, 3]));
        assert_ne!(hash(&[1, 2]), hash(&[2, 1]));
        assert_eq!(base32(7, 16).len(), 16);
        assert_eq!(hex(7, 17).len(), 17);
        let mut r = Rng::new(5);
        assert!((0..100).all(|_| r.range(3, 4) >= 3));
    }
}
