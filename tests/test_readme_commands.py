"""The README's command table documents every command and every option the CLI's own `--help`
shows, and nothing the CLI does not have.  A command added later must be documented too."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from arsync.jobs.cli.main import cli

README = Path(__file__).resolve().parents[1] / "README.md"
OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")


def readme_rows() -> dict[tuple[str, ...], set[str]]:
    """Command path → the options its rows of the '## Commands' table name (``-vv`` is ``-v``
    given twice)."""
    text = README.read_text(encoding="utf-8")
    table = text.split("## Commands", 1)[1].split("\n\n", 2)[1]
    rows: dict[tuple[str, ...], set[str]] = {}
    for line in table.splitlines():
        m = re.match(r"\| `arsync([^`]*)`", line)
        if not m:
            continue
        words = m.group(1).split()
        path = tuple(_leading_words(words))
        names = {re.sub(r"^-(\w)\1+$", r"-\1", o) for o in OPTION.findall(m.group(1))}
        rows.setdefault(path, set()).update(names)
    return rows


def _leading_words(words: list[str]):
    for w in words:
        if not re.fullmatch(r"[a-z]+", w):
            return
        yield w


def help_of(path: tuple[str, ...]) -> str:
    r = CliRunner().invoke(cli, [*path, "--help"])
    assert r.exit_code == 0, r.output
    return r.output


def cli_commands(path: tuple[str, ...] = ()) -> dict[tuple[str, ...], list[set[str]]]:
    """Command path → its options as `--help` lists them, one set of names per option."""
    text = help_of(path)
    listed = text.split("Options:", 1)[1].split("Commands:", 1)[0]
    options = []
    for line in listed.splitlines():
        m = re.match(r"^ {1,4}(-\S.*?)(?: {2,}|$)", line)
        if m:
            names = set(OPTION.findall(m.group(1)))
            if names != {"-h", "--help"}:
                options.append(names)
    found = {path: options}
    if "Commands:" in text:
        for line in text.split("Commands:", 1)[1].splitlines():
            if line.startswith("  ") and line.split():
                found |= cli_commands((*path, line.split()[0]))
    return found


def test_the_readme_documents_every_command_and_option_the_cli_has():
    documented, actual = readme_rows(), cli_commands()
    groups = {p for p in actual if p and any(q[: len(p)] == p and q != p for q in actual)}
    # a command: a leaf, or a group that does work itself (options of its own, e.g. `disputes`)
    leaves = {p: opts for p, opts in actual.items() if p not in groups or opts}
    missing = sorted(" ".join(("arsync", *p)) for p in leaves if p not in documented)
    assert not missing, f"commands missing from the README's table: {missing}"
    for path, opts in leaves.items():
        name = " ".join(("arsync", *path))
        undocumented = sorted("/".join(sorted(o)) for o in opts if not o & documented[path])
        assert not undocumented, f"{name}: options missing from the README: {undocumented}"
    for path, named in documented.items():
        name = " ".join(("arsync", *path))
        assert path in leaves, f"the README documents {name}, which the CLI does not have"
        known = set().union(*leaves[path]) if leaves[path] else set()
        unknown = sorted(named - known)
        assert not unknown, f"{name}: the README names options the CLI lacks: {unknown}"
