#!/usr/bin/env bash
# tcosim in CI: for a pull or merge request, validate the scenarios it changes, write a decision
# report of each, compare each with its version on the target branch, and post one comment.
#
# Both examples/ci/github-actions.yml and examples/ci/gitlab-ci.yml call this script, and the
# tests run it as it is. Run it from the repository root, with the change checked out and the
# target branch fetched.
#
# Environment:
#   TARGET_BRANCH   the branch the change merges into (required), e.g. `main`
#   TARGET_REF      the git revision of that branch [default: origin/TARGET_BRANCH if it
#                   exists, else TARGET_BRANCH]
#   SCENARIO_DIR    folder of the scenario files [default: scenarios]
#   CATALOG_DIR     a catalog folder to layer with `--catalog` [default: none]; a change in it
#                   makes every scenario count as changed
#   TCOSIM          the tcosim binary [default: tcosim on the PATH]
#   COMMENT_FILE    where the comment's Markdown is written [default: tcosim-comment.md]
#   REPORT_DIR      where the report folders go [default: tcosim-reports]
#   Posting, when the variables are set (otherwise the comment is only written):
#   GH_TOKEN and PR_NUMBER          GitHub: `gh pr comment` (the token needs
#                                   `pull-requests: write`)
#   TCOSIM_GITLAB_TOKEN and CI_MERGE_REQUEST_IID, CI_API_V4_URL, CI_PROJECT_ID
#                                   GitLab: the merge request notes API (a project or personal
#                                   access token with the `api` scope, role Reporter or above)
#
# Exit codes: 0 no policy is broken (or no scenario changed), 1 a policy is broken, 2 invalid
# input (a scenario or catalog that does not validate, a command that failed) or setup (no
# TARGET_BRANCH, an unknown target revision, no tcosim). The comment is written, and posted,
# whenever a scenario was checked.

set -u

say() { printf 'tcosim-ci: %s\n' "$*" >&2; }

TARGET_BRANCH=${TARGET_BRANCH:-}
if [ -z "$TARGET_BRANCH" ]; then
    say "set TARGET_BRANCH to the branch the change merges into"
    exit 2
fi
SCENARIO_DIR=${SCENARIO_DIR:-scenarios}
CATALOG_DIR=${CATALOG_DIR:-}
TCOSIM=${TCOSIM:-tcosim}
COMMENT_FILE=${COMMENT_FILE:-tcosim-comment.md}
REPORT_DIR=${REPORT_DIR:-tcosim-reports}
if [ -z "${TARGET_REF:-}" ]; then
    if git rev-parse --verify --quiet "origin/$TARGET_BRANCH^{commit}" >/dev/null; then
        TARGET_REF=origin/$TARGET_BRANCH
    else
        TARGET_REF=$TARGET_BRANCH
    fi
fi

if ! git rev-parse --verify --quiet "$TARGET_REF^{commit}" >/dev/null; then
    say "the target revision \`$TARGET_REF\` is unknown: fetch the target branch first"
    exit 2
fi
if ! TCOSIM=$(command -v "$TCOSIM"); then
    say "tcosim is not on the PATH (set TCOSIM to the binary)"
    exit 2
fi
# Absolute, as the old side of a catalog change runs in another folder.
case $TCOSIM in /*) ;; *) TCOSIM=$PWD/$TCOSIM ;; esac

catalog_args=()
if [ -n "$CATALOG_DIR" ]; then
    catalog_args=(--catalog "$CATALOG_DIR")
fi

# The scenario files the change adds or modifies (NUL-separated, so any file name works); all of
# them when the catalog folder changed, since every figure may move.
scenarios=()
catalog_changed=no
if [ -n "$CATALOG_DIR" ] && ! git diff --quiet "$TARGET_REF...HEAD" -- "$CATALOG_DIR"; then
    catalog_changed=yes
    while IFS= read -r -d '' f; do
        scenarios+=("$f")
    done < <(git ls-files -z -- "$SCENARIO_DIR/*.toml")
else
    while IFS= read -r -d '' f; do
        scenarios+=("$f")
    done < <(git diff --name-only -z --diff-filter=d "$TARGET_REF...HEAD" -- "$SCENARIO_DIR/*.toml")
fi
removed=()
while IFS= read -r -d '' f; do
    removed+=("$f")
done < <(git diff --name-only -z --diff-filter=D "$TARGET_REF...HEAD" -- "$SCENARIO_DIR/*.toml")
# Scenarios the change renamed (git's rename detection): each is compared with its old path.
declare -A renamed_from=()
while IFS= read -r -d '' status && IFS= read -r -d '' from && IFS= read -r -d '' to; do
    renamed_from[$to]=$from
done < <(git diff --name-status -z --find-renames --diff-filter=R "$TARGET_REF...HEAD" \
    -- "$SCENARIO_DIR/*.toml")

if [ ${#scenarios[@]} -eq 0 ] && [ ${#removed[@]} -eq 0 ]; then
    say "no scenario changed against $TARGET_REF: nothing to do"
    exit 0
fi

tmp=$(mktemp -d)
worktree=
cleanup() {
    if [ -n "$worktree" ]; then
        git worktree remove --force "$worktree" >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

status=0
# Raises the exit code to $1 if it is higher: 2 (invalid input) outranks 1 (broken policy).
worst() {
    if [ "$1" -gt "$status" ]; then status=$1; fi
}

body=$tmp/body.md
: >"$body"

# A command's messages in a fence that no message can close.
fenced() {
    printf '\n````text\n'
    cat "$1"
    printf '````\n'
}

# The scenarios as tcosim sees them; a failure stops here, as nothing else can be trusted.
validate_targets=("${scenarios[@]+"${scenarios[@]}"}")
if [ -n "$CATALOG_DIR" ] && [ -d "$CATALOG_DIR" ]; then
    validate_targets+=("$CATALOG_DIR")
fi
if [ ${#validate_targets[@]} -gt 0 ] &&
    ! "$TCOSIM" validate "${catalog_args[@]+"${catalog_args[@]}"}" "${validate_targets[@]}" \
        >"$tmp/validate.txt" 2>&1; then
    worst 2
    {
        printf '**Invalid input:** `tcosim validate` rejects the change, so nothing was compared.\n'
        fenced "$tmp/validate.txt"
    } >>"$body"
else
    # The target's tree, checked out once, for the old figures when the catalog changed.
    if [ "$catalog_changed" = yes ]; then
        worktree=$tmp/target
        git worktree add --quiet --detach "$worktree" "$TARGET_REF" >/dev/null 2>&1 || worktree=
    fi
    # Report folders by path, made unique: `a b.toml` and `a-b.toml` give one slug, so the
    # second takes `-2` (paths come in git's order, so the same change gives the same names).
    declare -A slugs=()
    for f in "${scenarios[@]+"${scenarios[@]}"}"; do
        slug=$(printf '%s' "${f%.toml}" | tr -c 'A-Za-z0-9._-' '-')
        base=$slug
        n=2
        while [ -n "${slugs[$slug]+x}" ]; do
            slug=$base-$n
            n=$((n + 1))
        done
        slugs[$slug]=1
        printf '\n### `%s`\n\n' "$f" >>"$body"
        # The decision report, with its charts inline for reading on the forge.
        "$TCOSIM" report "$f" --out "$REPORT_DIR/$slug" --markdown-charts mermaid --quiet \
            "${catalog_args[@]+"${catalog_args[@]}"}" >"$tmp/report.txt" 2>&1
        rc=$?
        worst "$rc"
        if [ "$rc" -eq 2 ]; then
            printf '**The report failed.**\n' >>"$body"
            fenced "$tmp/report.txt" >>"$body"
            continue
        fi
        # What the change does: against the target's version of the file (of its old path when
        # the change renamed it), read through git.
        src=${renamed_from[$f]:-$f}
        old="$TARGET_REF:$src"
        note=
        if [ "$src" != "$f" ]; then
            note="Renamed from \`$src\`: compared with that file on \`$TARGET_BRANCH\`."
        fi
        if [ "$catalog_changed" = yes ] && [ -n "$worktree" ] && [ -f "$worktree/$src" ]; then
            # The old figures with the old catalog, run in the target's tree (a broken policy
            # there still writes them).
            old_json=$PWD/$REPORT_DIR/$slug.target.json
            case $REPORT_DIR in /*) old_json=$REPORT_DIR/$slug.target.json ;; esac
            rm -f "$old_json"
            if (cd "$worktree" && "$TCOSIM" run "$src" "${catalog_args[@]}" --format json \
                --output "$old_json" --quiet) >"$tmp/old.txt" 2>&1 ||
                [ -s "$old_json" ]; then
                old=$REPORT_DIR/$slug.target.json
                note="${note:+$note }The catalog changed: the old figures are the \`$TARGET_BRANCH\` scenario with the \`$TARGET_BRANCH\` catalog."
            fi
        fi
        if ! git cat-file -e "$TARGET_REF:$src" 2>/dev/null; then
            old=
            note="New scenario: \`$f\` does not exist on \`$TARGET_BRANCH\`, so there is nothing to compare with."
        fi
        rc=2
        if [ -n "$old" ]; then
            "$TCOSIM" diff "$old" "$f" --format markdown --output "$tmp/diff.md" --quiet \
                "${catalog_args[@]+"${catalog_args[@]}"}" >"$tmp/diff.txt" 2>&1
            rc=$?
            if [ "$rc" -eq 2 ]; then
                # The new side validated, so the old one cannot be read: show the new figures.
                note="The \`$TARGET_BRANCH\` version cannot be compared: $(head -n 1 "$tmp/diff.txt")"
            fi
        fi
        if [ -n "$note" ]; then
            printf '%s\n\n' "$note" >>"$body"
        fi
        if [ "$rc" -ne 2 ]; then
            cat "$tmp/diff.md" >>"$body"
        else
            # A new scenario (or an unreadable old one): its figures and policies, without the
            # list of catalog rows, which the report holds.
            "$TCOSIM" run "$f" --format markdown --quiet \
                "${catalog_args[@]+"${catalog_args[@]}"}" >"$tmp/run.md" 2>"$tmp/run.txt"
            rc=$?
            if [ "$rc" -eq 2 ]; then
                fenced "$tmp/run.txt" >>"$body"
            else
                sed '/^## Assumptions$/,$d' "$tmp/run.md" >>"$body"
            fi
        fi
        worst "$rc"
        printf '\nDecision report: `%s/%s/report.md`.\n' "$REPORT_DIR" "$slug" >>"$body"
    done
fi
if [ ${#removed[@]} -gt 0 ]; then
    printf '\nRemoved scenarios:' >>"$body"
    printf ' `%s`' "${removed[@]}" >>"$body"
    printf '.\n' >>"$body"
fi

case $status in
0) verdict="No policy is broken." ;;
1) verdict="**A policy is broken**: its table below says which." ;;
*) verdict="**Invalid input:** a scenario, catalog or command failed (below)." ;;
esac
mkdir -p "$(dirname "$COMMENT_FILE")"
{
    printf '<!-- tcosim-ci -->\n## tcosim: %s scenario(s) against `%s`\n\n%s\n' \
        "${#scenarios[@]}" "$TARGET_BRANCH" "$verdict"
    cat "$body"
} >"$COMMENT_FILE"

# Drops the first bytes of a character that the cut at the end of file $1 split in two (UTF-8: a
# lead byte and fewer continuation bytes after it than it announces).
drop_split_character() {
    local bytes k=0 lead need
    read -r -a bytes < <(tail -c 4 "$1" | od -An -v -tu1 | tr '\n' ' ')
    local i=$((${#bytes[@]} - 1))
    while [ "$i" -ge 0 ] && [ "${bytes[$i]}" -ge 128 ] && [ "${bytes[$i]}" -lt 192 ]; do
        k=$((k + 1))
        i=$((i - 1))
    done
    [ "$i" -ge 0 ] || return 0
    lead=${bytes[$i]}
    if [ "$lead" -ge 240 ]; then need=3; elif [ "$lead" -ge 224 ]; then need=2;
    elif [ "$lead" -ge 192 ]; then need=1; else return 0; fi
    if [ "$k" -lt "$need" ]; then
        truncate -s "-$((k + 1))" "$1"
    fi
}

# GitHub refuses comments over 65,536 characters; 65,000 bytes are at most that many.
limit=65000
if [ "$(wc -c <"$COMMENT_FILE")" -gt "$limit" ]; then
    head -c "$limit" "$COMMENT_FILE" >"$tmp/cut.md"
    drop_split_character "$tmp/cut.md"
    printf '\n\n(Cut at %s bytes: the full text is in the job log and reports.)\n' \
        "$limit" >>"$tmp/cut.md"
    cat "$COMMENT_FILE" >&2
    mv "$tmp/cut.md" "$COMMENT_FILE"
fi

if [ -n "${GH_TOKEN:-}" ] && [ -n "${PR_NUMBER:-}" ]; then
    gh pr comment "$PR_NUMBER" --body-file "$COMMENT_FILE" >/dev/null ||
        say "could not post the comment (a pull request from a fork gets a read-only token)"
elif [ -n "${TCOSIM_GITLAB_TOKEN:-}" ] && [ -n "${CI_MERGE_REQUEST_IID:-}" ]; then
    curl --fail --silent --show-error --request POST \
        --header "PRIVATE-TOKEN: $TCOSIM_GITLAB_TOKEN" \
        --data-urlencode "body@$COMMENT_FILE" \
        "$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes" \
        >/dev/null || say "could not post the comment"
else
    say "no token set: the comment is in $COMMENT_FILE, not posted"
fi
say "exit code $status"
exit "$status"
