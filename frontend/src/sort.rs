//! Sorting for the short lists a page sorts: regions, vault names (1,000 at
//! most), a resource's timeline (150 jobs at most). `slice::sort` and
//! `sort_unstable` are compiled anew for every item type and cost about 2 KB of
//! the gzipped wasm each; this insertion sort costs a few hundred bytes, is
//! stable like `slice::sort`, and quadratic, which lists this short allow.

use std::cmp::Ordering;

/// Sorts `items` in ascending order.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// Sorts `items` by `order`, keeping equal items in their order.
pub fn sort_by<T>(items: &mut [T], order: impl Fn(&T, &T) -> Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && order(&items[j - 1], &items[j]) == Ordering::Greater {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_library() {
        let mut words = vec!["eu-west-1", "ap-southeast-2", "us-east-1", "ap-southeast-2", "", "eu-central-1"];
        let mut expected = words.clone();
        expected.sort();
        sort(&mut words);
        assert_eq!(words, expected);

        // Stable: equal keys keep their order, as with `sort_by`.
        let mut pairs = vec![(2, 'a'), (1, 'b'), (2, 'c'), (0, 'd'), (1, 'e')];
        let mut expected = pairs.clone();
        expected.sort_by_key(|p| std::cmp::Reverse(p.0));
        sort_by(&mut pairs, |a, b| b.0.cmp(&a.0));
        assert_eq!(pairs, expected);

        let mut empty: Vec<i64> = Vec::new();
        sort(&mut empty);
        assert!(empty.is_empty());
    }
}
