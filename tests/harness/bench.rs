//! `chatroom bench --json` for the tests that run it: its report, and what a clean run is.

use std::time::Duration;

use serde_json::Value;

/// How long one bench run may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `chatroom bench --json ARGS`; its exit code and its report (which it prints on failure
/// too).
pub fn bench_report(args: &[&str]) -> (Option<i32>, Value) {
    let output = super::chatroom_cmd(TIMEOUT)
        .args(["bench", "--json"])
        .args(args)
        .output()
        .expect("chatroom bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("the report of bench {args:?} is not JSON ({e}):\n{stdout}\n{stderr}");
    });
    (output.status.code(), report)
}

/// The number `field` of a report.
pub fn number(report: &Value, field: &str) -> f64 {
    report[field]
        .as_f64()
        .unwrap_or_else(|| panic!("no number '{field}' in {report}"))
}

/// Every message arrived once, intact and in order, and the run was not cut short.
pub fn assert_clean(report: &Value) {
    assert_eq!(report["ended"], "complete", "{report}");
    for field in ["lost", "reordered", "duplicates", "corrupt", "disconnected"] {
        assert_eq!(number(report, field), 0.0, "{field} in {report}");
    }
    assert_eq!(number(report, "delivered"), number(report, "expected"));
}
