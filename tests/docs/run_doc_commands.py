#!/usr/bin/env python3
"""Runs every command in a markdown file's code blocks and compares the output it shows.

usage: run_doc_commands.py FILE.md --root SRC --build BUILD_DIR [--shared DIR] [--list]

THE CONVENTION (for anyone adding docs)

* A fenced block tagged ```sh (or ```console) holds commands; every one is run.
  Blocks with another tag (cpp, json, text) or none are not run, but an untagged or
  `text` block whose lines look like commands (quantcheck, cmake, ctest, bash, ci/...,
  ./build/...) fails the test: tag it `sh` so it runs, or `text` only if it is not a command.
* In a `sh` block without `$ ` lines, each line is a command (a trailing `\\` continues
  it; blank lines and lines starting with `#` are skipped; `# comments` after a command
  are fine, the shell ignores them). Each must exit 0 unless an `exit` directive says otherwise.
* A block with `$ command` lines is a session: the lines after each `$ command` up to the
  next `$ ` line are its expected stdout, compared line by line (trailing spaces ignored;
  a line `...` matches any number of lines).
* Directives go in HTML comments (invisible when rendered) on the lines right above the
  opening fence, one or more per comment, separated by `;`:
    <!-- doctest: skip REASON -->                 the whole block is not run
    <!-- doctest: skip-line `TEXT` REASON -->     lines containing TEXT are not run
    <!-- doctest: replace `OLD` `NEW` -->         substitute before running (placeholders)
    <!-- doctest: setup `COMMAND` -->             run first (e.g. create an input file)
    <!-- doctest: exit 0,1 -->                    exit codes the block's commands may have
    <!-- doctest: exit-line `TEXT` 1 -->          exit codes of the lines containing TEXT
    <!-- doctest: unchanged `docs/audit.md` -->   after the block, that file (written by a
                                                  command) must equal the committed one
    <!-- doctest: timeout 120 -->                 seconds per command (default 60)
    <!-- doctest: requires `COMMAND` -->          run the block only if COMMAND succeeds
                                                  (an absent runtime or model: skipped, said so)
  A skip needs a reason (e.g. "10-minute fuzz run", "the CI job itself"); the first
  matching exit-line wins; backticked text may not hold `;`; an unknown directive fails.
* One ctest per document (tests/docs/CMakeLists.txt globs docs/*.md): docs_<name>.
  `--list` prints what would run. Break a command to see the test fail.
* Commands run with bash in a scratch copy of the repository root: every top-level entry
  is a symlink to the source except docs/ and corpus/ (copied, so `-o docs/audit.md`
  and `corpus add` write to the copy) and build/default (the build under test); ../shared
  points at the shared models; `quantcheck` on PATH is the build's CLI. Blocks of one file
  run in order in the same scratch directory.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

COMMANDISH = re.compile(r"^\s*(\$ )?(quantcheck|cmake|ctest|bash|ci/|\./build/|build/|flatc|cpack)\b")
KNOWN_DIRECTIVES = ("skip", "skip-line", "replace", "setup", "exit", "exit-line", "unchanged",
                    "timeout", "requires")
DIRECTIVE = re.compile(r"<!--\s*doctest:(.*?)-->", re.S)


class Block:
    def __init__(self, path, line, tag, lines, directives):
        self.path, self.line, self.tag, self.lines, self.directives = path, line, tag, lines, directives

    def where(self):
        return f"{self.path}:{self.line}"


def parse_directives(text):
    out = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        word, _, rest = part.partition(" ")
        out.append((word, rest.strip()))
    return out


def read_blocks(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        indent, tag = m.group(1), m.group(2)
        # Directives: the comment lines directly above the fence.
        directives, j = [], i - 1
        above = []
        while j >= 0 and lines[j].strip().startswith("<!--") and "doctest:" in lines[j]:
            above.insert(0, lines[j])
            j -= 1
        for c in above:
            for d in DIRECTIVE.findall(c):
                directives += parse_directives(d)
        body, k = [], i + 1
        while k < len(lines) and not re.match(r"^\s*```\s*$", lines[k]):
            body.append(lines[k][len(indent):] if lines[k].startswith(indent) else lines[k])
            k += 1
        blocks.append(Block(path, i + 1, tag, body, directives))
        i = k + 1
    return blocks


def backticked(s):
    return re.findall(r"`([^`]*)`", s)


def commands_of(block):
    """[(command, expected output lines or None)]"""
    if any(l.startswith("$ ") for l in block.lines):
        out, cur = [], None
        for l in block.lines:
            if l.startswith("$ "):
                cur = [l[2:], []]
                out.append(cur)
            elif cur is not None:
                cur[1].append(l)
        return [(c, e) for c, e in out]
    out, pending = [], ""
    for l in block.lines:
        if not pending and (not l.strip() or l.lstrip().startswith("#")):
            continue
        if l.rstrip().endswith("\\"):
            pending += l.rstrip()[:-1] + " "
            continue
        out.append((pending + l, None))
        pending = ""
    return out


def matches(expected, actual):
    e = [l.rstrip() for l in expected]
    a = [l.rstrip() for l in actual]
    while e and not e[-1]:
        e.pop()
    while a and not a[-1]:
        a.pop()

    def m(i, j):
        if i == len(e):
            return j == len(a)
        if e[i] == "...":
            return any(m(i + 1, k) for k in range(j, len(a) + 1))
        return j < len(a) and e[i] == a[j] and m(i + 1, j + 1)

    return m(0, 0)


def make_scratch(root, build, shared):
    top = tempfile.mkdtemp(prefix="qc-doctest-")
    repo = os.path.join(top, "repo")
    os.mkdir(repo)
    for name in os.listdir(root):
        if name in ("docs", "corpus", "build", ".git"):
            continue
        os.symlink(os.path.join(root, name), os.path.join(repo, name))
    shutil.copytree(os.path.join(root, "docs"), os.path.join(repo, "docs"), symlinks=True)
    # corpus/: what `corpus add` writes is copied, the large seed corpora linked.
    corpus = os.path.join(root, "corpus")
    if os.path.isdir(corpus):
        os.mkdir(os.path.join(repo, "corpus"))
        for name in os.listdir(corpus):
            src, dst = os.path.join(corpus, name), os.path.join(repo, "corpus", name)
            if name in ("MANIFEST.tsv", "regression"):
                (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, dst)
            else:
                os.symlink(src, dst)
    os.makedirs(os.path.join(repo, "build"))
    os.symlink(os.path.abspath(build), os.path.join(repo, "build", "default"))
    if shared and os.path.isdir(shared):
        os.symlink(os.path.abspath(shared), os.path.join(top, "shared"))
    return top, repo


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--shared", default="")
    ap.add_argument("--list", action="store_true", help="print what would run, run nothing")
    args = ap.parse_args()

    blocks = read_blocks(args.file)
    rel = os.path.relpath(args.file, args.root)
    problems, ran, skipped = [], 0, 0
    for b in blocks:
        if b.tag not in ("sh", "console"):
            if b.tag in ("", "text") and any(COMMANDISH.match(l) for l in b.lines):
                problems.append(f"{rel}:{b.line}: an untagged block holds commands: tag it ```sh "
                                f"(and mark what cannot run, see tests/docs/run_doc_commands.py)")
            continue
        for w, _ in b.directives:
            if w not in KNOWN_DIRECTIVES:
                problems.append(f"{rel}:{b.line}: unknown doctest directive `{w}` "
                                f"(known: {', '.join(KNOWN_DIRECTIVES)}; `;` separates directives)")
        if not any(w == "skip" for w, _ in b.directives):
            continue
        reason = next(r for w, r in b.directives if w == "skip")
        if not reason:
            problems.append(f"{rel}:{b.line}: `skip` needs a reason")
    if problems:
        print("\n".join(problems))
        return 1

    if not any(b.tag in ("sh", "console") for b in blocks):
        print(f"{rel}: no command blocks")
        return 0
    top, repo = make_scratch(args.root, args.build, args.shared)
    env = dict(os.environ)
    env["PATH"] = os.path.join(os.path.abspath(args.build), "tools") + os.pathsep + env["PATH"]
    env.pop("RC_PARAMS", None)
    # Projects the documents build (docs/using-quantcheck.md) reuse compiled objects.
    if shutil.which("ccache") and "CMAKE_CXX_COMPILER_LAUNCHER" not in env:
        env["CMAKE_CXX_COMPILER_LAUNCHER"] = "ccache"
    try:
        for b in blocks:
            if b.tag not in ("sh", "console"):
                continue
            d = b.directives
            if any(w == "skip" for w, _ in d):
                skipped += 1
                print(f"SKIP {rel}:{b.line}: {next(r for w, r in d if w == 'skip')}")
                continue
            missing = [backticked(r)[0] for w, r in d if w == "requires" and backticked(r)
                       and subprocess.run(["bash", "-c", backticked(r)[0]], cwd=repo, env=env,
                                          capture_output=True).returncode != 0]
            if missing:
                skipped += 1
                print(f"SKIP {rel}:{b.line}: needs what is absent here: {missing[0]}")
                continue
            skip_text = [backticked(r)[0] for w, r in d if w == "skip-line" and backticked(r)]
            replaces = [backticked(r)[:2] for w, r in d if w == "replace" and len(backticked(r)) >= 2]
            setups = [backticked(r)[0] for w, r in d if w == "setup" and backticked(r)]
            codes = {0}
            for w, r in d:
                if w == "exit":
                    codes = {int(x) for x in r.split(",")}
            timeout = next((int(r) for w, r in d if w == "timeout"), 60)
            line_codes = []
            for w, r in d:
                if w == "exit-line" and backticked(r):
                    tail = r.rsplit("`", 1)[1]
                    line_codes.append((backticked(r)[0], {int(x) for x in tail.split(",")}))
            unchanged = [backticked(r)[0] for w, r in d if w == "unchanged" and backticked(r)]
            for cmd in setups:
                if args.list:
                    print(f"SETUP {rel}:{b.line}: {cmd}")
                    continue
                p = subprocess.run(["bash", "-c", cmd], cwd=repo, env=env, capture_output=True,
                                   text=True, timeout=timeout)
                if p.returncode != 0:
                    problems.append(f"{rel}:{b.line}: setup `{cmd}` exited {p.returncode}: {p.stderr.strip()}")
            for cmd, expected in commands_of(b):
                shown = cmd
                if any(t in cmd for t in skip_text):
                    skipped += 1
                    print(f"SKIP {rel}:{b.line}: {shown}")
                    continue
                for old, new in replaces:
                    cmd = cmd.replace(old, new)
                if args.list:
                    print(f"RUN  {rel}:{b.line}: {cmd}")
                    continue
                start = time.monotonic()
                try:
                    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=repo, env=env,
                                       capture_output=True, text=True, timeout=timeout)
                except subprocess.TimeoutExpired:
                    problems.append(f"{rel}:{b.line}: `{cmd}` ran over {timeout} s")
                    continue
                ran += 1
                print(f"RUN  {rel}:{b.line}: {cmd}  -> exit {p.returncode}, "
                      f"{time.monotonic() - start:.1f} s")
                want = next((c for t, c in line_codes if t in shown), codes)
                if p.returncode not in want:
                    problems.append(f"{rel}:{b.line}: `{cmd}` exited {p.returncode} "
                                    f"(expected {sorted(want)})\n    stdout: "
                                    + "\n    ".join(p.stdout.strip().split("\n")[-25:])
                                    + "\n    stderr: "
                                    + "\n    ".join(p.stderr.strip().split("\n")[-5:]))
                if expected is not None and not matches(expected, p.stdout.split("\n")):
                    problems.append(f"{rel}:{b.line}: `{shown}` printed\n" + p.stdout +
                                    "  the document shows\n" + "\n".join(expected))
            for f in unchanged:
                if args.list:
                    continue
                new = os.path.join(repo, f)
                old = os.path.join(args.root, f)
                if not os.path.exists(new) or open(new, "rb").read() != open(old, "rb").read():
                    problems.append(f"{rel}:{b.line}: {f} as the commands write it differs from "
                                    f"the committed one (regenerate it with the command shown)")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(f"{rel}: {ran} commands run, {skipped} skipped (marked), {len(problems)} problems")
    if problems:
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
