//! The exit codes are documented where users look for them, the README's "Exit codes" table and
//! chatroom(1)'s EXIT STATUS section, and both must say what `ExitStatus` says: the same codes,
//! in the order of `ExitStatus::ALL`, each with its `meaning()` word for word. The one
//! difference is typographic: the man page sets the meaning's Markdown code spans in bold, so a
//! `\fBjoin\fR` there reads back as `` `join` ``.

mod harness;

use chatroom::error::ExitStatus;

use harness::repo_file;

/// `(code, meaning)` for every status, as the docs must list them.
fn documented() -> Vec<(String, String)> {
    ExitStatus::ALL
        .iter()
        .map(|status| (status.code().to_string(), status.meaning().to_string()))
        .collect()
}

/// The rows of the table under the README's `## Exit codes` heading, header row left out.
fn readme_rows(readme: &str) -> Vec<(String, String)> {
    let section = readme
        .split_once("\n## Exit codes\n")
        .expect("the README has an `## Exit codes` section")
        .1;
    section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2) // `| code | meaning |` and `| --- | --- |`
        .map(|row| {
            let cells = row.trim().trim_start_matches('|').trim_end_matches('|');
            let (code, meaning) = cells
                .split_once('|')
                .unwrap_or_else(|| panic!("not a two-column row: {row:?}"));
            (code.trim().to_string(), meaning.trim().to_string())
        })
        .collect()
}

/// The `.TP` entries of a man page's EXIT STATUS section, roff turned back into the Markdown it
/// was written in.
fn man_entries(page: &str) -> Vec<(String, String)> {
    let mut lines = page
        .lines()
        .skip_while(|line| *line != ".SH \"EXIT STATUS\"")
        .skip(1)
        .take_while(|line| !line.starts_with(".SH "));
    let mut entries = Vec::new();
    while let Some(line) = lines.next() {
        assert_eq!(line, ".TP", "EXIT STATUS holds only tagged paragraphs");
        let code = lines.next().expect("a .TP has a tag");
        let meaning = lines.next().expect("a .TP has a paragraph");
        entries.push((unroff(code).replace('`', ""), unroff(meaning)));
    }
    entries
}

/// Undoes the escapes and fonts that roff rendering adds to plain text: bold becomes a code
/// span again, `\-` a hyphen, `\*(Aq` an apostrophe.
fn unroff(text: &str) -> String {
    text.replace("\\fB", "`")
        .replace("\\fR", "`")
        .replace("\\-", "-")
        .replace("\\*(Aq", "'")
        .replace("\\\\", "\\")
}

#[test]
fn the_readme_lists_every_exit_code_with_its_meaning() {
    assert_eq!(readme_rows(&repo_file("README.md")), documented());
}

#[test]
fn the_man_page_lists_every_exit_code_with_its_meaning() {
    assert_eq!(man_entries(&repo_file("man/chatroom.1")), documented());
}

#[test]
fn the_readers_find_rows_and_entries_as_they_are_written() {
    let readme = "# x\n\n## Exit codes\n\n| code | meaning |\n| --- | --- |\n| 0 | ok |\n\
                  | 130 | in `join` |\n\nAfter.\n| 9 | not in the table |\n";
    let rows = [("0", "ok"), ("130", "in `join`")].map(|(c, m)| (c.into(), m.into()));
    assert_eq!(readme_rows(readme), rows);
    let page =
        ".SH \"EXIT STATUS\"\n.TP\n\\fB130\\fR\nin \\fBjoin\\fR, mid\\-line\n.SH NEXT\n.TP\n";
    let entries = [("130".into(), "in `join`, mid-line".into())];
    assert_eq!(man_entries(page), entries);
}
