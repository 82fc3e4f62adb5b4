//! The load rules (`load.interpreter`, `load.library`, `load.version`,
//! `load.symbol`) and `node.cpu`: each fails on the simulation's problems
//! of its kind (`facts::LoadFacts::problems`), is unknown when the
//! simulation could not decide it, and passes otherwise.

use super::{Outcome, RuleId};
use crate::facts::{LoadFacts, Report};

/// The findings of one rule: one per problem, or one pass/unknown.
pub(crate) fn check(rule: RuleId, report: &Report) -> Vec<(Option<String>, Outcome)> {
    let Some(load) = &report.load else {
        return vec![(
            None,
            Outcome::Unknown(format!(
                "the load simulation did not run for {}",
                report.path
            )),
        )];
    };
    let id = rule.as_str();
    let failed: Vec<(Option<String>, Outcome)> = load
        .problems
        .iter()
        .filter(|p| p.rule == id)
        .map(|p| (Some(p.subject.clone()), Outcome::Fail(p.message.clone())))
        .collect();
    if !failed.is_empty() {
        return failed;
    }
    if let Some(u) = load.unchecked.iter().find(|u| u.rule == id) {
        return vec![(
            None,
            Outcome::Unknown(format!("{}: {}", report.path, u.reason)),
        )];
    }
    vec![(None, Outcome::Pass(pass_message(rule, report, load)))]
}

fn pass_message(rule: RuleId, report: &Report, load: &LoadFacts) -> String {
    let found = load.objects.iter().filter(|o| o.path.is_some()).count();
    match rule {
        RuleId::LoadInterpreter => match &load.interpreter {
            Some(i) => format!(
                "{} loader {} is in the image at {}",
                load.loader,
                i.path,
                i.found.as_deref().unwrap_or(&i.path)
            ),
            None if load.loader == "static" => {
                format!("{} is static: no interpreter needed", report.path)
            }
            None => format!("{} names no interpreter", report.path),
        },
        RuleId::LoadLibrary => format!("all {found} objects of the closure were found"),
        RuleId::LoadVersion => format!("every version needed is defined ({} loader)", load.loader),
        RuleId::LoadSymbol => "every strong undefined symbol is defined".to_string(),
        _ => format!("runs on {}", load.cpu),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{LoadProblem, LoadUnchecked};

    fn report(load: Option<LoadFacts>) -> Report {
        Report {
            path: "/app/server".into(),
            load,
            ..Report::default()
        }
    }

    #[test]
    fn problems_fail_their_rule_only() {
        let load = LoadFacts {
            loader: "glibc".into(),
            problems: vec![LoadProblem {
                kind: "version_missing".into(),
                rule: "load.version".into(),
                object: "/lib/libc.so.6".into(),
                subject: "GLIBC_2.34".into(),
                message: "/app/server: /lib/libc.so.6: version `GLIBC_2.34' not found".into(),
            }],
            unchecked: vec![LoadUnchecked {
                rule: "load.symbol".into(),
                reason: "libx.so.1 could not be loaded".into(),
            }],
            ..LoadFacts::default()
        };
        let r = report(Some(load));
        let v = check(RuleId::LoadVersion, &r);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0.as_deref(), Some("GLIBC_2.34"));
        assert!(matches!(&v[0].1, Outcome::Fail(m) if m.contains("GLIBC_2.34")));
        assert!(matches!(
            check(RuleId::LoadLibrary, &r)[0].1,
            Outcome::Pass(_)
        ));
        assert!(matches!(
            check(RuleId::LoadSymbol, &r)[0].1,
            Outcome::Unknown(_)
        ));
        assert!(matches!(
            check(RuleId::NodeCpu, &report(None))[0].1,
            Outcome::Unknown(_)
        ));
    }
}
