#!/usr/bin/env python3
"""Proves that a database made by any earlier commit's migrations upgrades to this checkout's, or is refused.

For each distinct state of sql/migrations in the git history (or the newest --last N of them),
a fresh database is migrated with that state's files, then with this checkout's folder, and its
schema and the rows the migrations wrote are compared with a database made by this checkout's
folder alone. A state passes when it upgrades to the same schema and rows, or when meetingd
refuses it because it applied a text of a migration that was edited later and is not listed in
sql/migrations/earlier_versions.txt (a development state between two releases: nothing is
changed). The newest earlier state must upgrade: an applied migration was edited otherwise. An
upgrade that ends anywhere else, or is refused for another reason, fails and shows the
difference. Used by scripts/check-upgrades (a cluster of its own) and by scripts/test.

Environment: DATABASE_URL (a libpq URL or key=value string of a superuser on a running
cluster; databases named upgrade_* are made and dropped in it), MEETINGD_PATH.
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = "sql/migrations"


def git(*args):
    return subprocess.run(["git", "-C", ROOT, *args], check=True, capture_output=True).stdout


def states():
    """The distinct trees of the migrations folder, oldest first, each with its newest commit."""
    commits = git("log", "--format=%H", "--reverse", "--", FOLDER).decode().split()
    seen, order = {}, []
    for commit in commits:
        tree = git("rev-parse", f"{commit}:{FOLDER}").decode().strip()
        if tree not in seen:
            order.append(tree)
        seen[tree] = commit
    # The committed state is an earlier one only when the folder has changed since.
    changed = git("status", "--porcelain", "--", FOLDER).decode().strip()
    current = git("rev-parse", f"HEAD:{FOLDER}").decode().strip()
    return [(tree, seen[tree]) for tree in order if tree != current or changed]


def conninfo(url, dbname):
    if "://" in url:
        return re.sub(r"(://[^/?]*)(/[^?]*)?", lambda m: m.group(1) + "/" + dbname, url, count=1)
    return re.sub(r"\bdbname=\S+", "", url).strip() + f" dbname={dbname}"


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], check=True, capture_output=True)


def migrate(meetingd, url, folder):
    env = dict(os.environ, DATABASE_URL=url, MEETINGLEDGER_MIGRATIONS=folder)
    run = subprocess.run([meetingd, "migrate"], env=env, capture_output=True, text=True, timeout=600)
    return run.returncode, (run.stdout + run.stderr).strip()


def entries(text):
    """A dump's entries, each its `-- Name: …; Type: …` header with its statements, in the
    order of their headers: pg_dump orders objects partly by when they were made, which an
    upgrade changes without changing the schema."""
    found, header, lines = {}, None, []
    for line in text.splitlines():
        if line.startswith("-- Name: ") or line.startswith("-- Data for Name: "):
            if header is not None:
                found[header] = lines
            header, lines = line, []
        elif header is not None and line.strip() and not line.startswith("--") and not line.startswith("\\unrestrict"):
            lines.append(line)
    if header is not None:
        found[header] = lines
    return [line for key in sorted(found) for line in [key] + found[key]]


def dump(url):
    """The schema and the rows the migrations wrote (schema_migrations aside)."""
    schema = subprocess.run(["pg_dump", "-s", "--no-owner", "-d", url], check=True, capture_output=True, text=True).stdout
    rows = subprocess.run(
        ["pg_dump", "-a", "--no-owner", "--exclude-table=schema_migrations", "-d", url], check=True, capture_output=True, text=True
    ).stdout
    return entries(schema) + entries(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--last", type=int, default=0, help="only the newest N earlier states (0: all)")
    parser.add_argument("--commit", action="append", default=[], help="only the state of this commit (repeatable)")
    parser.add_argument("--diff-lines", type=int, default=60, help="how many lines of each difference to print")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="how many states are checked at once (default: the CPUs)")
    args = parser.parse_args()
    url, meetingd = os.environ["DATABASE_URL"], os.environ["MEETINGD_PATH"]
    current = os.path.join(ROOT, FOLDER)
    try:
        chosen = states()
    except subprocess.CalledProcessError:
        print("earlier migration states: none checked, this checkout has no git history of sql/migrations")
        return
    if args.commit:
        wanted = {git("rev-parse", f"{c}:{FOLDER}").decode().strip() for c in args.commit}
        chosen = [(tree, commit) for tree, commit in chosen if tree in wanted]
    if args.last:
        chosen = chosen[-args.last:]
    reference_url = conninfo(url, "upgrade_reference")
    psql(url, "DROP DATABASE IF EXISTS upgrade_reference")
    psql(url, "CREATE DATABASE upgrade_reference")
    code, said = migrate(meetingd, reference_url, current)
    if code != 0:
        sys.exit(f"this checkout's migrations fail on a fresh database: {said}")
    reference = dump(reference_url)
    psql(url, "DROP DATABASE upgrade_reference")
    def check(index, tree, commit):
        """One state's outcome: "upgraded", "refused" or "failed", and the line that says so."""
        name = f"upgrade_{tree[:12]}"
        db_url = conninfo(url, name)
        psql(url, f"DROP DATABASE IF EXISTS {name}")
        psql(url, f"CREATE DATABASE {name}")
        try:
            with tempfile.TemporaryDirectory(prefix="meetingledger-upgrade-") as folder:
                archive = git("archive", commit, FOLDER)
                subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
                code, said = migrate(meetingd, db_url, os.path.join(folder, FOLDER))
            label = f"[{index}/{len(chosen)}] migrations of {commit[:10]}"
            if code != 0:
                return "failed", f"{label}: that state's own migrations failed on a fresh database: {said}"
            code, said = migrate(meetingd, db_url, current)
            if code != 0 and "was changed after it was applied" in said and index < len(chosen):
                return "refused", f"{label}: refused, as it applied a text no release upgrades from: {said[-300:]}"
            if code != 0:
                return "failed", f"{label}: the upgrade was refused: {said}"
            got = dump(db_url)
            if got != reference:
                diff = list(difflib.unified_diff(reference, got, "fresh", "upgraded", n=1, lineterm=""))
                return "failed", f"{label}: the upgraded database differs from a fresh one ({len(diff)} diff lines):\n" + "\n".join(diff[:args.diff_lines])
            return "upgraded", f"{label}: upgraded to the same schema and rows as a fresh database"
        finally:
            psql(url, f"DROP DATABASE IF EXISTS {name}")

    # States are checked side by side (each in a database and folder of its own), and told in
    # order. Migrations also change what the cluster's databases share (roles, their grants): two
    # at once may meet there ("tuple concurrently updated"), so a state that failed beside others
    # is checked again alone, and that check is its outcome.
    numbered = list(enumerate(chosen, 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda state: check(state[0], *state[1]), numbered))
    if args.jobs > 1:
        def alone(index, state):
            outcome, line = check(index, *state)
            return outcome, line + " (checked again alone: it failed beside others)"
        outcomes = [alone(index, state) if outcome == "failed" else (outcome, line)
                    for (index, state), (outcome, line) in zip(numbered, outcomes)]
    failures = refused = 0
    for outcome, line in outcomes:
        print(line, flush=True)
        failures += outcome == "failed"
        refused += outcome == "refused"
    upgraded = len(chosen) - failures - refused
    print(f"earlier migration states: {upgraded} upgrade to this checkout's schema, {refused} refused as development states, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
