//! How much of a batch mutates the corpus. Mutants earn their places while they find features
//! that fresh draws do not; when they stop, fresh draws, which reach every kind of scenario the
//! generator makes, take the batch back. Each origin's yield is the share of its runs that
//! reached a feature no run had before, counted with the older batches weighing less, so the
//! share follows the campaign as it goes; it stays between a fifth and four fifths of a batch, so
//! that neither origin is ever given up.

/// Runs and finds of one origin, in thousandths, older batches decayed.
#[derive(Clone, Copy, Debug, Default)]
struct Yield {
    runs: u64,
    finds: u64,
}

impl Yield {
    /// Finds per run in thousandths, as if each origin had first found one run in two.
    fn rate(self) -> u64 {
        (self.finds + 500) * 1000 / (self.runs + 1000)
    }
}

#[derive(Debug, Default)]
pub struct Share {
    fresh: Yield,
    mutants: Yield,
}

impl Share {
    /// Counts a run, drawn fresh or not, that did or did not reach a new feature.
    pub fn ran(&mut self, drawn: bool, found: bool) {
        let origin = if drawn { &mut self.fresh } else { &mut self.mutants };
        origin.runs += 1000;
        origin.finds += if found { 1000 } else { 0 };
    }

    /// Ends a batch: what came before weighs three quarters as much from now on.
    pub fn decay(&mut self) {
        for origin in [&mut self.fresh, &mut self.mutants] {
            origin.runs = origin.runs * 3 / 4;
            origin.finds = origin.finds * 3 / 4;
        }
    }

    /// How many of a batch of `size` are mutants.
    pub fn mutants_of(&self, size: usize) -> usize {
        let (mutants, fresh) = (self.mutants.rate(), self.fresh.rate());
        let share = (mutants * 1000 / (mutants + fresh).max(1)).clamp(200, 800) as usize;
        (size * share + 500) / 1000
    }
}

/// Whether position `i` of a batch of `size` with `mutants` mutants is one: spread evenly, so
/// that every part of the batch mixes both origins (half and half: the odd positions).
pub fn is_mutant(i: usize, size: usize, mutants: usize) -> bool {
    (i + 1) * mutants / size > i * mutants / size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutants_get_more_of_a_batch_while_they_find_more_and_less_when_they_stop() {
        let mut share = Share::default();
        assert_eq!(share.mutants_of(50), 25, "half and half before anything ran");
        let positions: Vec<usize> = (0..6).filter(|&i| is_mutant(i, 6, 3)).collect();
        assert_eq!(positions, [1, 3, 5]);
        for _ in 0..25 {
            share.ran(true, false);
            share.ran(false, true);
        }
        assert!(share.mutants_of(50) >= 35, "{}", share.mutants_of(50));
        for _ in 0..6 {
            share.decay();
            for _ in 0..25 {
                share.ran(true, true);
                share.ran(false, false);
            }
        }
        assert_eq!(share.mutants_of(50), 10, "a fifth at the least");
        assert_eq!((0..50).filter(|&i| is_mutant(i, 50, 10)).count(), 10);
    }
}
