//! Wildcard patterns as AWS evaluates them in IAM actions and load balancer path patterns: `*`
//! matches any run of characters (none included), `?` exactly one. The rules need two
//! questions answered: does a pattern match a name, and does a pattern match everything another
//! pattern matches.

/// Stands for a `*` of the covered pattern in [`covers`]: only a `*` of the covering pattern
/// may match it.
const ANY_RUN: char = '\u{0}';
/// Stands for a `?` of the covered pattern in [`covers`]: a `?` or `*` may match it.
const ANY_ONE: char = '\u{1}';

/// Whether `pattern` matches the name `text`, ignoring ASCII case (as IAM compares actions).
pub(super) fn matches_ignoring_case(pattern: &str, text: &str) -> bool {
    glob(pattern, text, |p, t| p == '?' || p.eq_ignore_ascii_case(&t))
}

/// Whether `pattern` matches every text that `covered` matches (case-sensitive, as load balancer
/// path patterns are). Sound, not complete: `true` is always right; a `false` may be a cover
/// this simple test does not see, which the rules then report for a person to look at.
pub(super) fn covers(pattern: &str, covered: &str) -> bool {
    let text: String = covered
        .chars()
        .map(|c| match c {
            '*' => ANY_RUN,
            '?' => ANY_ONE,
            c => c,
        })
        .collect();
    glob(pattern, &text, |p, t| {
        (p == '?' && t != ANY_RUN) || (p == t && t != ANY_RUN && t != ANY_ONE)
    })
}

/// Greedy matching with backtracking to the last `*`; `one` says whether a pattern character
/// other than `*` matches one text character.
fn glob(pattern: &str, text: &str, one: impl Fn(char, char) -> bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if p.get(i) == Some(&'*') {
            star = Some((i, j));
            i += 1;
        } else if p.get(i).is_some_and(|&c| one(c, t[j])) {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::{covers, matches_ignoring_case};

    #[test]
    fn names_match_iam_style() {
        assert!(matches_ignoring_case(
            "ssm:GetParameter*",
            "ssm:GetParametersByPath"
        ));
        assert!(matches_ignoring_case(
            "SSM:getparameter",
            "ssm:GetParameter"
        ));
        assert!(matches_ignoring_case("*", "ssm:GetParameter"));
        assert!(matches_ignoring_case(
            "ssm:Get?arameter",
            "ssm:GetParameter"
        ));
        assert!(!matches_ignoring_case(
            "ssm:GetParameters",
            "ssm:GetParameter"
        ));
        assert!(!matches_ignoring_case("ssmmessages:*", "ssm:GetParameter"));
    }

    #[test]
    fn patterns_cover_patterns() {
        assert!(covers("/debug/*", "/debug/*"));
        assert!(covers("/debug*", "/debug/*"));
        assert!(covers("/debug*", "/debug"));
        assert!(covers("*", "/metrics/*"));
        assert!(!covers("/debug/?", "/debug/*"));
        assert!(!covers("/debug", "/debug/*"));
        assert!(!covers("/Debug", "/debug"));
    }
}
