//! Dependency order of stacks: a topological sort over `depends_on`, counting only the stacks in
//! the set being worked on (a dependency outside it is assumed to be deployed already).

use std::collections::{BTreeSet, HashMap};

use crate::error::Error;
use crate::names::StackName;
use crate::spec::StackSpec;

/// The indices of `specs` in an order where every stack comes after the stacks it depends on;
/// ties keep the caller's order, so the result is deterministic.
pub(crate) fn dependency_order(specs: &[StackSpec]) -> Result<Vec<usize>, Error> {
    let index: HashMap<&StackName, usize> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.name, i))
        .collect();
    let mut placed = vec![false; specs.len()];
    let mut order = Vec::with_capacity(specs.len());
    while order.len() < specs.len() {
        let ready = (0..specs.len()).find(|&i| {
            !placed[i]
                && specs[i]
                    .depends_on
                    .iter()
                    .all(|d| index.get(d).is_none_or(|&j| placed[j] || j == i))
        });
        match ready {
            Some(i) => {
                placed[i] = true;
                order.push(i);
            }
            None => {
                let stacks: BTreeSet<StackName> = (0..specs.len())
                    .filter(|&i| !placed[i])
                    .map(|i| specs[i].name.clone())
                    .collect();
                return Err(Error::DependencyCycle {
                    stacks: stacks.into_iter().collect(),
                });
            }
        }
    }
    Ok(order)
}

/// The in-set dependencies of `spec` (indices into `specs`).
pub(crate) fn in_set_dependencies(specs: &[StackSpec], spec: &StackSpec) -> Vec<usize> {
    spec.depends_on
        .iter()
        .filter_map(|d| specs.iter().position(|s| &s.name == d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, deps: &[&str]) -> StackSpec {
        let mut s = StackSpec::new(StackName::new(name).expect("valid"), "{}");
        for d in deps {
            s = s.depends_on(StackName::new(*d).expect("valid"));
        }
        s
    }

    #[test]
    fn orders_dependencies_first_and_keeps_ties_stable() {
        let specs = vec![
            spec("app", &["db", "net"]),
            spec("db", &["net"]),
            spec("net", &[]),
            spec("other", &[]),
        ];
        let order = dependency_order(&specs).expect("no cycle");
        let names: Vec<_> = order.iter().map(|&i| specs[i].name.as_str()).collect();
        assert_eq!(names, ["net", "db", "app", "other"]);
    }

    #[test]
    fn refuses_cycles() {
        let specs = vec![spec("a", &["b"]), spec("b", &["a"])];
        assert!(matches!(
            dependency_order(&specs),
            Err(Error::DependencyCycle { .. })
        ));
    }

    #[test]
    fn ignores_dependencies_outside_the_set() {
        let specs = vec![spec("db", &["net"])];
        assert_eq!(dependency_order(&specs).expect("ok"), [0]);
    }
}
