//! Resource vectors: what a pod requests and what a node can give. Integer units only
//! (millicores, MiB, whole GPUs, pod slots) so sums and comparisons are exact.

use std::ops::{Add, AddAssign, Sub, SubAssign};

/// A quantity of every resource the scheduler filters on.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resources {
    /// CPU in millicores.
    pub cpu_m: u64,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// Whole GPUs.
    pub gpus: u32,
    /// Pod slots (each pod takes one; a node offers max-pods).
    pub pods: u32,
}

impl Resources {
    /// The request of one pod with the given CPU, memory and GPUs (one pod slot).
    pub fn pod(cpu_m: u64, memory_mib: u64, gpus: u32) -> Resources {
        Resources {
            cpu_m,
            memory_mib,
            gpus,
            pods: 1,
        }
    }

    /// True when `self` fits inside `other` in every dimension.
    pub fn fits_in(&self, other: &Resources) -> bool {
        self.cpu_m <= other.cpu_m
            && self.memory_mib <= other.memory_mib
            && self.gpus <= other.gpus
            && self.pods <= other.pods
    }

    /// `self - other`, floored at zero in each dimension.
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        Resources {
            cpu_m: self.cpu_m.saturating_sub(other.cpu_m),
            memory_mib: self.memory_mib.saturating_sub(other.memory_mib),
            gpus: self.gpus.saturating_sub(other.gpus),
            pods: self.pods.saturating_sub(other.pods),
        }
    }
}

impl Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources {
            cpu_m: self.cpu_m + o.cpu_m,
            memory_mib: self.memory_mib + o.memory_mib,
            gpus: self.gpus + o.gpus,
            pods: self.pods + o.pods,
        }
    }
}

impl AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl Sub for Resources {
    type Output = Resources;
    fn sub(self, o: Resources) -> Resources {
        self.saturating_sub(&o)
    }
}

impl SubAssign for Resources {
    fn sub_assign(&mut self, o: Resources) {
        *self = self.saturating_sub(&o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_needs_every_dimension() {
        let node = Resources {
            cpu_m: 2000,
            memory_mib: 4096,
            gpus: 0,
            pods: 2,
        };
        assert!(Resources::pod(2000, 4096, 0).fits_in(&node));
        assert!(!Resources::pod(2001, 1, 0).fits_in(&node));
        assert!(!Resources::pod(1, 4097, 0).fits_in(&node));
        assert!(!Resources::pod(1, 1, 1).fits_in(&node));
        let full = Resources { pods: 0, ..node };
        assert!(!Resources::pod(1, 1, 0).fits_in(&full));
    }

    #[test]
    fn arithmetic_round_trips() {
        let a = Resources::pod(500, 1024, 0);
        let b = Resources::pod(250, 512, 1);
        assert_eq!((a + b) - b, a);
        assert_eq!(
            b - a,
            Resources {
                cpu_m: 0,
                memory_mib: 0,
                gpus: 1,
                pods: 0
            }
        );
    }
}
