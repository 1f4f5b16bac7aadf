//! Where the newlines are in a block of received bytes.
//!
//! A blast delivers millions of short lines a second to one reader, and a search call per line
//! (set-up, dispatch, the first vector) costs more than the rest of the line's check. So the
//! reader finds the newlines of a block 64 bytes at a time instead, as one bit per byte (SSE2 on
//! x86_64, which every x86_64 CPU has; a plain loop elsewhere), and walks the bits.

/// The positions of every `\n` in `data`, in order.
pub fn newlines(data: &[u8]) -> Newlines<'_> {
    Newlines {
        data,
        next_block: 0,
        base: 0,
        mask: 0,
    }
}

pub struct Newlines<'a> {
    data: &'a [u8],
    /// Where the next 64-byte block starts.
    next_block: usize,
    /// Where the block `mask` describes starts.
    base: usize,
    /// One bit per newline of the current block not yet returned.
    mask: u64,
}

impl Iterator for Newlines<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            let rest = self.data.get(self.next_block..).filter(|r| !r.is_empty())?;
            self.base = self.next_block;
            self.mask = block_mask(rest);
            self.next_block += 64;
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// One bit per `\n` in the first 64 bytes of `bytes` (or all of them, when fewer).
fn block_mask(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<64>() {
        Some(block) => full_block_mask(block),
        None => {
            let mut block = [0u8; 64];
            block[..bytes.len()].copy_from_slice(bytes);
            full_block_mask(&block)
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn full_block_mask(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut mask = 0;
    // SAFETY: SSE2 is part of x86_64 itself, so every x86_64 CPU has these instructions; and
    // each load reads the 16 bytes of one `part` of `block`, with no alignment required.
    unsafe {
        let newline = _mm_set1_epi8(b'\n' as i8);
        for (k, part) in block.chunks_exact(16).enumerate() {
            let bytes = _mm_loadu_si128(part.as_ptr().cast::<__m128i>());
            let bits = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, newline)) as u16;
            mask |= u64::from(bits) << (16 * k);
        }
    }
    mask
}

#[cfg(not(target_arch = "x86_64"))]
fn full_block_mask(block: &[u8; 64]) -> u64 {
    portable_block_mask(block)
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn portable_block_mask(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .fold(0, |mask, (i, &b)| mask | u64::from(b == b'\n') << i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes from a small generator, about one in `one_in` of them a newline.
    fn sample(len: usize, one_in: u32, seed: u32) -> Vec<u8> {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                if state.is_multiple_of(one_in) {
                    b'\n'
                } else {
                    (state >> 8) as u8 | 0x80
                }
            })
            .collect()
    }

    #[test]
    fn finds_what_a_byte_search_finds() {
        for len in [0, 1, 15, 16, 63, 64, 65, 127, 128, 129, 1000, 4096] {
            for one_in in [1, 2, 7, 85, 10_000] {
                let data = sample(len, one_in, len as u32 + one_in);
                let expected: Vec<usize> = memchr::memchr_iter(b'\n', &data).collect();
                assert_eq!(
                    newlines(&data).collect::<Vec<_>>(),
                    expected,
                    "{len} {one_in}"
                );
            }
        }
    }

    #[test]
    fn a_newline_at_either_end_of_a_block_counts() {
        let mut data = vec![b'x'; 130];
        for at in [0, 63, 64, 127, 128, 129] {
            data[at] = b'\n';
        }
        assert_eq!(
            newlines(&data).collect::<Vec<_>>(),
            [0, 63, 64, 127, 128, 129]
        );
    }

    #[test]
    fn the_portable_mask_matches() {
        for seed in 0..50 {
            let data = sample(64, 5, seed);
            let block = data.first_chunk::<64>().unwrap();
            assert_eq!(full_block_mask(block), portable_block_mask(block));
        }
    }
}
