//! The CI example (`examples/ci/tcosim-ci.sh`), run as both workflows run it: in a temporary git
//! repository whose `main` holds a scenario and whose checked-out branch changes it, with the
//! built tcosim on the PATH and no token, so that the comment is written to a file instead of
//! posted. Skipped, with a note, where `git` is missing.

use crate::support::repo;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The example scenario the repositories start from; its name has a space, as paths may.
const SCENARIO: &str = "scenarios/start up.toml";

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A git repository in a temporary folder, with no configuration but its own.
struct Repo {
    dir: TempDir,
}

/// What one run of the CI script left.
struct CiRun {
    code: Option<i32>,
    /// The comment, if the script wrote one.
    comment: Option<String>,
    stderr: String,
    reports: PathBuf,
}

impl Repo {
    /// `main` with the start-up example at [`SCENARIO`], then a branch `change` checked out.
    fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().expect("a temporary folder"),
        };
        repo.git(&["init", "--quiet"]);
        repo.git(&["checkout", "--quiet", "-b", "main"]);
        repo.write(SCENARIO, &example());
        repo.commit("a scenario");
        repo.git(&["checkout", "--quiet", "-b", "change"]);
        repo
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A command in the repository with a clean environment: the PATH (with tcosim first),
    /// a home of its own, no system git configuration, a fixed author.
    fn command(&self, program: &str) -> Command {
        let bin = Path::new(env!("CARGO_BIN_EXE_tcosim"))
            .parent()
            .expect("the binary's folder")
            .to_path_buf();
        let mut paths = vec![bin];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let mut cmd = Command::new(program);
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::join_paths(paths).expect("a PATH"))
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Planner")
            .env("GIT_AUTHOR_EMAIL", "planner@example.com")
            .env("GIT_COMMITTER_NAME", "Planner")
            .env("GIT_COMMITTER_EMAIL", "planner@example.com");
        cmd
    }

    fn git(&self, args: &[&str]) -> String {
        let out = self.command("git").args(args).output().expect("git starts");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create folder");
        std::fs::write(path, text).expect("write");
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read")
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "-m", message]);
    }

    /// Runs the CI script against `main`, with `env` added.
    fn ci(&self, env: &[(&str, &str)]) -> CiRun {
        self.ci_with(env, None)
    }

    /// [`Repo::ci`], with the programs of folder `first` ahead of the PATH.
    fn ci_with(&self, env: &[(&str, &str)], first: Option<&Path>) -> CiRun {
        let comment = self.path("out/comment.md");
        let reports = self.path("out/reports");
        let mut cmd = self.command("bash");
        if let Some(first) = first {
            let mut paths = vec![first.to_path_buf()];
            paths.extend(std::env::split_paths(
                cmd.get_envs()
                    .find(|(k, _)| *k == "PATH")
                    .and_then(|(_, v)| v)
                    .unwrap_or_default(),
            ));
            cmd.env("PATH", std::env::join_paths(paths).expect("a PATH"));
        }
        let out = cmd
            .arg(repo().join("examples/ci/tcosim-ci.sh"))
            .env("TARGET_BRANCH", "main")
            .env("COMMENT_FILE", &comment)
            .env("REPORT_DIR", &reports)
            .envs(env.iter().copied())
            .output()
            .expect("bash starts");
        CiRun {
            code: out.status.code(),
            comment: std::fs::read_to_string(&comment).ok(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            reports,
        }
    }
}

/// The shipped start-up example.
fn example() -> String {
    std::fs::read_to_string(repo().join("scenarios/startup-finetune.toml")).expect("example")
}

/// The scenario with the hybrid's cloud storage raised from 10 to 40 TB: its PV rises.
fn more_storage(text: &str) -> String {
    crate::support::edit(text, "storage_tb = 10\n", "storage_tb = 40\n")
}

fn contains_all(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "`{needle}` is missing from:\n{text}");
    }
}

macro_rules! needs_git {
    () => {
        if !git_available() {
            eprintln!("skipped: git is not installed");
            return;
        }
    };
}

#[test]
fn ci_example_comments_on_a_changed_scenario() {
    needs_git!();
    let repo = Repo::new();
    repo.write(SCENARIO, &more_storage(&repo.read(SCENARIO)));
    repo.commit("more storage");
    let run = repo.ci(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let comment = run
        .comment
        .unwrap_or_else(|| panic!("no comment: {}", run.stderr));
    contains_all(
        &comment,
        &[
            "## tcosim: 1 scenario(s) against `main`",
            "No policy is broken.",
            "### `scenarios/start up.toml`",
            // The headline sentence of `tcosim diff`.
            "**own-1-burst-lambda stays cheapest; its PV rose 13.4% (+USD 175,409), 100.0% of it from `option[own-1-burst-lambda].cloud.storage_tb`.**",
            "`main:scenarios/start up.toml` → `scenarios/start up.toml`",
            "| Option | PV old [USD] | PV new [USD] |",
            "| own-1-burst-lambda | 1,304,827 | 1,480,236 | +175,409 |",
            "```mermaid\n",
            "\nxychart-beta\n",
            "Decision report: `",
        ],
    );
    assert!(
        run.stderr.contains("no token set"),
        "not posted: {}",
        run.stderr
    );
    // The report of the changed scenario, its charts inline.
    let md = std::fs::read_to_string(run.reports.join("scenarios-start-up/report.md"))
        .expect("the report");
    assert!(md.contains("```mermaid\n"), "{md}");
}

#[test]
fn ci_example_fails_on_a_broken_policy_and_still_writes_the_comment() {
    needs_git!();
    let repo = Repo::new();
    let text = more_storage(&repo.read(SCENARIO))
        + "\n[[policy]]\nname = \"hybrid budget\"\noption = \"own-1-burst-lambda\"\nmetric = \"pv_cost\"\nmax = 1_400_000\nmessage = \"approved in Q3\"\n";
    repo.write(SCENARIO, &text);
    repo.commit("more storage, and a budget");
    let run = repo.ci(&[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let comment = run
        .comment
        .unwrap_or_else(|| panic!("no comment: {}", run.stderr));
    contains_all(
        &comment,
        &[
            "**A policy is broken**",
            "### Policies of the new run",
            "| hybrid budget | pv_cost of `own-1-burst-lambda` at most 1400000 | 1480240 | BROKEN | approved in Q3 |",
            "```mermaid\n",
        ],
    );
}

#[test]
fn ci_example_rejects_an_invalid_scenario() {
    needs_git!();
    let repo = Repo::new();
    let text = crate::support::edit(
        &repo.read(SCENARIO),
        "server = \"hgx-h100-oem\"\nservers = 1",
        "server = \"hgx-h10\"\nservers = 1",
    );
    repo.write(SCENARIO, &text);
    repo.commit("a typo");
    let run = repo.ci(&[]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let comment = run
        .comment
        .unwrap_or_else(|| panic!("no comment: {}", run.stderr));
    contains_all(
        &comment,
        &[
            "**Invalid input:** `tcosim validate` rejects the change",
            "unknown server id `hgx-h10`",
            "````text\n",
        ],
    );
    assert!(!comment.contains("```mermaid"));
}

#[test]
fn ci_example_skips_a_change_without_scenarios_and_refuses_a_bad_setup() {
    needs_git!();
    let repo = Repo::new();
    repo.write("notes.md", "no scenario here\n");
    repo.commit("notes");
    let run = repo.ci(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.comment.is_none(), "{:?}", run.comment);
    assert!(run.stderr.contains("nothing to do"), "{}", run.stderr);
    // A setup that cannot work is bad input, not a broken policy.
    for (env, needle) in [
        (("TARGET_BRANCH", ""), "set TARGET_BRANCH"),
        (
            ("TARGET_REF", "no-such-branch"),
            "`no-such-branch` is unknown",
        ),
        (("TCOSIM", "no-such-tcosim"), "tcosim is not on the PATH"),
    ] {
        let run = repo.ci(&[env]);
        assert_eq!(run.code, Some(2), "{env:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{}", run.stderr);
        assert!(run.comment.is_none());
    }
}

#[test]
fn ci_example_calls_a_scenario_missing_on_the_target_new() {
    needs_git!();
    let repo = Repo::new();
    repo.write("scenarios/new one.toml", &example());
    repo.commit("another scenario");
    let run = repo.ci(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let comment = run
        .comment
        .unwrap_or_else(|| panic!("no comment: {}", run.stderr));
    contains_all(
        &comment,
        &[
            "### `scenarios/new one.toml`",
            "New scenario: `scenarios/new one.toml` does not exist on `main`",
            "# Start-up fine-tuning on 16 GPUs",
            "| PV cost [USD] |",
        ],
    );
    // Only the new file changed; the run's catalog-row list stays in the report.
    assert!(!comment.contains("scenarios/start up.toml"), "{comment}");
    assert!(!comment.contains("## Assumptions"), "{comment}");
}

/// Two paths that give one slug each keep their own report folder (the second report once
/// replaced the first), and a renamed scenario is compared with its old path, not called new.
#[test]
fn ci_example_keeps_one_report_per_path_and_follows_a_rename() {
    needs_git!();
    let repo = Repo::new();
    let named = |name: &str| {
        crate::support::edit(
            &example(),
            "name = \"Start-up fine-tuning on 16 GPUs\"",
            &format!("name = \"{name}\""),
        )
    };
    repo.write("scenarios/a b.toml", &named("Spaced"));
    repo.write("scenarios/a-b.toml", &named("Dashed"));
    repo.git(&["mv", SCENARIO, "scenarios/renamed.toml"]);
    repo.commit("two scenarios and a rename");
    let run = repo.ci(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let comment = run
        .comment
        .unwrap_or_else(|| panic!("no comment: {}", run.stderr));
    let manifest = |folder: &str| {
        std::fs::read_to_string(run.reports.join(folder).join(".tcosim-report.json"))
            .unwrap_or_else(|e| panic!("{folder}: {e}"))
    };
    // git lists `a b` before `a-b`.
    assert!(manifest("scenarios-a-b").contains("scenarios/a b.toml"));
    assert!(manifest("scenarios-a-b-2").contains("scenarios/a-b.toml"));
    contains_all(
        &comment,
        &[
            "Decision report: `",
            "scenarios-a-b/report.md`",
            "scenarios-a-b-2/report.md`",
            "### `scenarios/renamed.toml`",
            "Renamed from `scenarios/start up.toml`: compared with that file on `main`.",
            "`main:scenarios/start up.toml` → `scenarios/renamed.toml`",
        ],
    );
    assert!(
        !comment.contains("New scenario: `scenarios/renamed.toml`"),
        "{comment}"
    );
    assert!(!comment.contains("Removed scenarios"), "{comment}");
}

/// A comment over the limit is cut at 65,000 bytes, never inside a character: the server ids
/// in the messages are mostly three-byte characters, and the first of up to twelve paddings
/// that puts byte 65,000 of the whole comment inside one is used (the same one every time).
#[test]
fn ci_example_cuts_a_long_comment_between_characters() {
    needs_git!();
    const LIMIT: usize = 65_000;
    for pad in 0..12 {
        let repo = Repo::new();
        // Options whose servers are unknown: one message each, quoting the id.
        let mut text = example();
        for i in 0..90 {
            text.push_str(&format!(
                "\n[[option]]\nname = \"o{i}\"\nkind = \"onprem\"\nserver = \"{}{}{i}\"\nservers = 1\nsite = \"us-tx-colo\"\n",
                "x".repeat(pad),
                "日本語のサーバー".repeat(4)
            ));
        }
        for k in 0..3 {
            repo.write(&format!("scenarios/long {k}.toml"), &text);
        }
        repo.commit("invalid scenarios");
        let run = repo.ci(&[]);
        assert_eq!(run.code, Some(2), "{}", run.stderr);
        let full = run.stderr.as_str();
        let start = full
            .find("<!-- tcosim-ci -->")
            .expect("the whole comment in the log");
        let whole = &full[start..];
        assert!(whole.len() > LIMIT, "{}", whole.len());
        if whole.is_char_boundary(LIMIT) {
            continue;
        }
        // The file is UTF-8 (else the comment would not read) and stops before the character.
        let comment = run.comment.expect("a comment in UTF-8");
        let kept = comment
            .find("\n\n(Cut at 65000 bytes")
            .expect("the cut is said");
        assert!(kept < LIMIT && LIMIT - kept < 4, "{kept}");
        assert_eq!(&comment[..kept], &whole[..kept]);
        return;
    }
    panic!("no padding put byte 65,000 inside a character");
}

#[test]
fn ci_example_compares_a_catalog_change_with_the_targets_catalog() {
    needs_git!();
    let repo = Repo::new();
    repo.git(&["checkout", "--quiet", "main"]);
    let servers = std::fs::read_to_string(crate::support::repo().join("catalogs/servers.toml"))
        .expect("servers");
    repo.write("catalogs/servers.toml", &servers);
    repo.commit("our catalog");
    repo.git(&["checkout", "--quiet", "-B", "change"]);
    repo.write(
        "catalogs/servers.toml",
        &crate::support::edit(&servers, "price_usd = 296644.0", "price_usd = 396644.0"),
    );
    repo.commit("a dearer server");
    let run = repo.ci(&[("CATALOG_DIR", "catalogs")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let comment = run
        .comment
        .unwrap_or_else(|| panic!("no comment: {}", run.stderr));
    contains_all(
        &comment,
        &[
            "### `scenarios/start up.toml`",
            "The catalog changed: the old figures are the `main` scenario with the `main` catalog.",
            "| own-2-hgx | 727,017 | 884,533 | +157,516 |",
        ],
    );
    // The target's tree was checked out aside and removed again.
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
}

/// Both workflows run the same script, with the permission it needs to comment.
#[test]
fn ci_example_workflows_call_the_script() {
    for file in ["github-actions.yml", "gitlab-ci.yml"] {
        let text = std::fs::read_to_string(repo().join("examples/ci").join(file)).expect(file);
        assert!(text.contains("examples/ci/tcosim-ci.sh"), "{file}");
        assert!(text.contains("cargo install --locked --path ."), "{file}");
    }
    let github = std::fs::read_to_string(repo().join("examples/ci/github-actions.yml"))
        .expect("github-actions.yml");
    assert!(github.contains("pull-requests: write"));
}

/// Writes an executable shell script `name` into `dir` that records its arguments, one a line,
/// in `dir/name.args`, and copies the file after `--body-file` or in `body@FILE` to
/// `dir/name.body`.
#[cfg(unix)]
fn recorder(dir: &Path, name: &str) {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join(name);
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}.args'\nnext=\nfor a in \"$@\"; do\n  if [ \"$next\" = 1 ]; then cp \"$a\" '{log}.body'; fi\n  next=\n  case $a in --body-file) next=1 ;; body@*) cp \"${{a#body@}}\" '{log}.body' ;; esac\ndone\n",
        log = log.display()
    );
    let path = dir.join(name);
    std::fs::write(&path, script).expect("write the recorder");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// With a token, the comment is posted, by `gh pr comment` on GitHub and through the notes API
/// on GitLab (both replaced here by recorders, so nothing leaves the machine), also when a
/// broken policy fails the job.
#[cfg(unix)]
#[test]
fn ci_example_posts_the_comment_with_a_token() {
    needs_git!();
    let repo = Repo::new();
    let text = more_storage(&repo.read(SCENARIO))
        + "\n[[policy]]\nname = \"hybrid budget\"\noption = \"own-1-burst-lambda\"\nmetric = \"pv_cost\"\nmax = 1_400_000\n";
    repo.write(SCENARIO, &text);
    repo.commit("more storage, and a budget");
    let bin = tempfile::tempdir().expect("a folder");
    recorder(bin.path(), "gh");
    recorder(bin.path(), "curl");

    let run = repo.ci_with(
        &[("GH_TOKEN", "secret"), ("PR_NUMBER", "42")],
        Some(bin.path()),
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let args = std::fs::read_to_string(bin.path().join("gh.args")).expect("gh was called");
    let comment_file = repo.path("out/comment.md");
    assert_eq!(
        args,
        format!("pr\ncomment\n42\n--body-file\n{}\n", comment_file.display())
    );
    let posted = std::fs::read_to_string(bin.path().join("gh.body")).expect("the body");
    assert_eq!(Some(posted), run.comment);
    assert!(!bin.path().join("curl.args").exists());

    let run = repo.ci_with(
        &[
            ("TCOSIM_GITLAB_TOKEN", "secret"),
            ("CI_MERGE_REQUEST_IID", "7"),
            ("CI_API_V4_URL", "https://gitlab.example.com/api/v4"),
            ("CI_PROJECT_ID", "99"),
        ],
        Some(bin.path()),
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let args = std::fs::read_to_string(bin.path().join("curl.args")).expect("curl was called");
    contains_all(
        &args,
        &[
            "--request\nPOST\n",
            "--header\nPRIVATE-TOKEN: secret\n",
            &format!("--data-urlencode\nbody@{}\n", comment_file.display()),
            "https://gitlab.example.com/api/v4/projects/99/merge_requests/7/notes\n",
        ],
    );
    let posted = std::fs::read_to_string(bin.path().join("curl.body")).expect("the body");
    assert_eq!(Some(posted), run.comment);
}
