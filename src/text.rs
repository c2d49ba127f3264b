//! Text equality for the hot paths that compare short strings (trace columns, node labels,
//! taints) millions of times.
//!
//! On this project's machines (AMD EPYC Zen 4), glibc picks an AVX-512 `memcmp` that is slow
//! when called for a few bytes at a time: it took a third of a trace parse and a tenth of a
//! 5,000-node replay with nodeSelectors (results/sweep-scaling/README.md). Texts of up to
//! 32 bytes are compared here as 16-byte words instead, without the call.

/// `a == b`, without calling `memcmp` for texts of up to 32 bytes: two loads of each text
/// that overlap in the middle cover every byte.
#[inline]
pub fn same_text(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => {
            let w = |t: &[u8], at| u32::from_ne_bytes(load(t, at));
            w(a, 0) == w(b, 0) && w(a, n - 4) == w(b, n - 4)
        }
        8..=16 => {
            let w = |t: &[u8], at| u64::from_ne_bytes(load(t, at));
            w(a, 0) == w(b, 0) && w(a, n - 8) == w(b, n - 8)
        }
        17..=32 => {
            let w = |t: &[u8], at| u128::from_ne_bytes(load(t, at));
            w(a, 0) == w(b, 0) && w(a, n - 16) == w(b, n - 16)
        }
        _ => a == b,
    }
}

/// `a == b` for strings, as [`same_text`].
#[inline]
pub fn same_str(a: &str, b: &str) -> bool {
    same_text(a.as_bytes(), b.as_bytes())
}

/// The `N` bytes of `t` from `at` (one unaligned load).
#[inline(always)]
fn load<const N: usize>(t: &[u8], at: usize) -> [u8; N] {
    t[at..at + N].try_into().expect("N bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Texts of every length up to past the 32-byte fast path, often equal or one byte
        /// apart (in the first, a middle or the last byte), compare as `==` does.
        #[test]
        fn same_text_is_byte_equality(
            a in proptest::collection::vec(0u8..4, 0..70),
            flip in proptest::option::of(0usize..70),
            extra in proptest::option::of(0u8..4),
        ) {
            let mut b = a.clone();
            if let Some(i) = flip && !b.is_empty() {
                let i = i % b.len();
                b[i] = b[i].wrapping_add(1);
            }
            if let Some(x) = extra {
                b.push(x);
            }
            proptest::prop_assert_eq!(same_text(&a, &b), a == b);
            proptest::prop_assert_eq!(same_text(&b, &a), a == b);
            proptest::prop_assert!(same_text(&a, &a));
        }
    }
}
