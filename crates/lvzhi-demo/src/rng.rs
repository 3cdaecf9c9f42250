//! A tiny self-contained PRNG (SplitMix64), so that the demo county never
//! changes with the version of a random-number crate: same seed, same county.

/// SplitMix64 (Steele, Lea, Flood 2014): 64 bits of state, passes BigCrush,
/// and is trivially reproducible.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for `seed`, split by `stream` so that adding records to one
    /// ledger does not shift the random numbers of another.
    pub fn new(seed: u64, stream: &str) -> Rng {
        // FNV-1a of the stream name, mixed into the seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in stream.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let mut r = Rng {
            state: seed ^ h.rotate_left(17),
        };
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift; the tiny bias is irrelevant here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `per_mille`/1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// One element of a non-empty slice (the first when empty would panic, so
    /// callers only pass constant, non-empty lists).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len() as u64) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// An index chosen with the given weights.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// Splits `total` into `n` parts of at least `min` each, with random
    /// weights between `lo` and `hi` (relative); the parts add up exactly.
    pub fn split(&mut self, total: i64, n: usize, min: i64, lo: u64, hi: u64) -> Vec<i64> {
        let weights: Vec<u64> = (0..n).map(|_| lo + self.below(hi - lo + 1)).collect();
        split_by(total, &weights, min)
    }
}

/// Splits `total` into parts proportional to `weights`, each at least `min`;
/// the parts add up to `total` exactly (the remainder goes to the largest weights).
pub fn split_by(total: i64, weights: &[u64], min: i64) -> Vec<i64> {
    let n = weights.len() as i64;
    if n == 0 {
        return vec![];
    }
    let rest = (total - min * n).max(0);
    let wsum: u128 = weights.iter().map(|w| u128::from(*w)).sum::<u128>().max(1);
    let mut parts: Vec<i64> = weights
        .iter()
        .map(|w| min + ((rest as u128 * u128::from(*w)) / wsum) as i64)
        .collect();
    let left = total - parts.iter().sum::<i64>();
    // Hand out what integer division left over (fewer than n), largest weights first.
    if left > 0 {
        let mut order: Vec<usize> = (0..weights.len()).collect();
        order.sort_by(|a, b| weights[*b].cmp(&weights[*a]).then(a.cmp(b)));
        for k in order.into_iter().take(left as usize) {
            parts[k] += 1;
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_streams_differ() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(1, "x");
                move |_| r.next_u64()
            })
            .collect();
        let mut r = Rng::new(1, "x");
        let b: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        let mut r = Rng::new(1, "y");
        assert_ne!(a[0], r.next_u64());
    }

    #[test]
    fn splits_add_up() {
        let mut r = Rng::new(3, "split");
        for (total, n, min) in [(4496, 560, 0), (4331, 560, 1), (7090, 11, 300), (5, 3, 0)] {
            let p = r.split(total, n, min, 1, 100);
            assert_eq!(p.len(), n);
            assert_eq!(p.iter().sum::<i64>(), total);
            assert!(p.iter().all(|x| *x >= min));
        }
        assert_eq!(split_by(10, &[1, 1, 1], 0).iter().sum::<i64>(), 10);
    }
}
