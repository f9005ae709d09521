//! The catalogue holds up without building anything: every patch names a rule the design judges
//! that way, changes only the system under test, and still applies to the tree as it is; and every
//! rule of the catalogue has a bug of its own.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use super::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_patch_names_a_judged_rule_and_applies_to_the_tree_as_it_is() {
    let catalogue = catalogue(root()).expect("the catalogue reads");
    let mut problems = Vec::new();
    for mutant in &catalogue {
        let check = Command::new("git")
            .current_dir(root())
            .args(["apply", "--check"])
            .arg(&mutant.path)
            .output()
            .expect("git runs");
        if !check.status.success() {
            problems.push(format!(
                "{} no longer applies: {}",
                mutant.name,
                String::from_utf8_lossy(&check.stderr)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_of_the_catalogue_has_a_realistic_bug() {
    let catalogue = catalogue(root()).expect("the catalogue reads");
    assert!(catalogue.len() >= 40, "{} patches; the catalogue holds at least 40", catalogue.len());
    let broken: BTreeSet<&str> = catalogue.iter().map(|mutant| mutant.clause.rule).collect();
    let missing: Vec<&str> = rules::all().map(|rule| rule.id).filter(|id| !broken.contains(id)).collect();
    assert!(missing.is_empty(), "rules no patch breaks: {}", missing.join(", "));
}

#[test]
fn a_patch_needs_its_rule_and_must_stay_inside_the_system_under_test() {
    let dir = std::env::temp_dir().join(format!("gatesim-mutants-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Mutant::read(&path)
    };
    let diff = |file: &str| {
        format!("diff --git a/{file} b/{file}\n--- a/{file}\n+++ b/{file}\n@@ -1 +1 @@\n-a\n+b\n")
    };
    let good =
        write("good.patch", &format!("rule: limits.rate kept\nmeant: x\n\n{}", diff("src/ids.rs"))).unwrap();
    assert_eq!(
        (good.clause, good.files.as_slice()),
        (Clause::kept("limits.rate"), ["src/ids.rs".to_owned()].as_slice())
    );
    let errors = [
        write("no-rule.patch", &format!("meant: x\n\n{}", diff("src/ids.rs"))),
        write("unjudged.patch", &format!("rule: errors.internal kept\nmeant: x\n\n{}", diff("src/ids.rs"))),
        write(
            "harness.patch",
            &format!("rule: limits.rate kept\nmeant: x\n\n{}", diff("src/checkers/idle.rs")),
        ),
    ];
    let messages: Vec<String> = errors.into_iter().map(|e| format!("{:#}", e.unwrap_err())).collect();
    assert!(messages[0].contains("opens with `rule:"), "{messages:?}");
    assert!(messages[1].contains("not judged kept"), "{messages:?}");
    assert!(messages[2].contains("not the system under test"), "{messages:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
