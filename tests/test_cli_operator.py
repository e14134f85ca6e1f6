"""The CLI as an operator's tool: exit statuses monitoring can use, one clear line per failure
(never a Python class name or a traceback), Ctrl-C / SIGTERM during any stage, the run's JSON
log, and the small things (`runs` outside a project, `--limit`, `portals login` without a
display).  No browser here: file runs, and nightly runs stopped before their portal stage."""

from __future__ import annotations

import inspect
import os
import re
import signal
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from loguru import logger

from arsync.common import interrupt, logs
from arsync.common.errors import TransientError
from arsync.common.retry import RetryPolicy
from arsync.common.secrets import Secret
from arsync.jobs.cli.main import cli, main
from arsync.jobs.pipeline import sources
from arsync.jobs.pipeline import stages as st
from arsync.jobs.pipeline.runstore import RunStore
from arsync.reports.export import write_frames
from arsync.sandbox.sap import SandboxSap
from arsync.sandbox.world import World
from arsync.sandbox.world_frames import world_frames

AS_OF = date(2026, 11, 23)
PW = "Vx9-secret-Pa55-0042"
CLASS_NAMES = (
    "StageFailed",
    "DataError",
    "TransientError",
    "InputError",
    "ArsyncError",
    "Traceback",
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Export files of the tiny world, and the worklist an uninterrupted file run makes of them."""
    frames = world_frames(World.tiny(as_of=AS_OF))
    d = tmp_path_factory.mktemp("in")
    names = ("open_items", "cleared_items", "customers", "portal_records")
    write_frames({k: frames[k] for k in names}, d, "csv")
    ref = tmp_path_factory.mktemp("ref")
    r = CliRunner().invoke(cli, file_run(d, ref))
    assert r.exit_code == 0, r.output
    return d, pd.read_csv(ref / "worklist.csv", dtype=str, keep_default_na=False)


def file_run(d, out, *extra: str, quiet: bool = False) -> list[str]:
    return [
        *(["--quiet"] if quiet else []),
        "reconcile",
        "--from-files",
        str(d),
        "--out",
        str(out),
        "--as-of",
        str(AS_OF),
        *extra,
    ]


def store_of(out) -> RunStore:
    return RunStore(f"sqlite:///{out / 'runs.sqlite'}")


def call_main(argv: list[str]) -> int:
    """The console script in-process (its signal handlers included); its exit status."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    return int(e.value.code or 0)


# --- exit statuses -----------------------------------------------------------------------------


def test_exit_statuses_tell_ok_bad_input_failed_and_locked_apart(inputs, tmp_path):
    d, _ = inputs
    runner = CliRunner()
    ok = runner.invoke(cli, file_run(d, tmp_path / "ok", quiet=True))
    assert ok.exit_code == 0 and ok.output == ""  # --quiet: nothing when all is well

    typo = runner.invoke(cli, file_run(d, tmp_path / "typo", "--customer", "4711", quiet=True))
    assert typo.exit_code == 2
    assert typo.stderr.strip() == "arsync: customer(s) 4711 not found in the files"
    assert store_of(tmp_path / "typo").recent(1)[0].status == "bad_input"
    again = runner.invoke(cli, ["-q", "reconcile", "--resume", "--out", str(tmp_path / "typo")])
    assert again.exit_code == 2 and "nothing to resume" in again.stderr  # not retried

    bad_config = runner.invoke(
        cli, file_run(d, tmp_path / "cfg"), env={"ARSYNC_SAP__PARALLEL": "x"}
    )
    assert bad_config.exit_code == 2 and "ARSYNC_SAP__PARALLEL" in bad_config.stderr

    store = store_of(tmp_path / "ok")
    store.acquire("20261123-010000-other")  # this process is alive: the lock is held
    locked = runner.invoke(cli, file_run(d, tmp_path / "ok", quiet=True))
    assert locked.exit_code == 4 and "holds the lock" in locked.stderr
    store.release("20261123-010000-other")

    for r in (typo, again, bad_config, locked):
        assert not any(name in r.output for name in CLASS_NAMES), r.output
    for r in (typo, again, locked):  # (bad configuration lists each bad key on its own line)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_failed_stage_says_what_failed_and_what_to_do_and_the_json_log_has_it(
    tmp_path, monkeypatch
):
    """SAP never answers: exit 1, one line without class names, `runs` says why, and the run's
    log.jsonl holds every retry and the failure with run, stage and traceback — and no
    password, though the SAP driver put it into its error text."""
    env = {
        "ARSYNC_SANDBOX__SIZE": "tiny",
        "ARSYNC_SAP__CONNECTION__PASSWD": PW,
        "ARSYNC_SAP__CONNECTION__USER": "RFC_AR",
        "ARSYNC_SAP__PARALLEL": "1",
        "ARSYNC_SAP__RETRY__ATTEMPTS": "3",
        "ARSYNC_SAP__RETRY__INITIAL": "0",
        "ARSYNC_SAP__RETRY__MAXIMUM": "0",
    }
    down = {}

    def unreachable(settings, world):
        down["sap"] = SandboxSap(world, comm_errors_first=10**6, leak_secret_in_errors=True)
        return down["sap"]

    monkeypatch.setattr(sources, "_sandbox_sap", unreachable)
    out = tmp_path / "out"
    r = CliRunner(env=env).invoke(cli, ["nightly", "--as-of", str(AS_OF), "--out", str(out)])
    assert r.exit_code == 1, r.output
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("arsync: run ") and "failed in stage sap" in line
    assert "try again later with `arsync nightly --resume`" in line
    assert not any(name in r.output for name in CLASS_NAMES) and PW not in r.output

    info = store_of(out).recent(1)[0]
    assert info.status == "failed" and info.error.startswith("stage sap: ")
    listed = CliRunner().invoke(cli, ["runs", "--out", str(out)])
    assert f"why: {info.error}" in listed.output

    lines = logs.read_run_log(out / "runs" / info.run_id)
    assert PW not in (out / "runs" / info.run_id / "log.jsonl").read_text(encoding="utf-8")
    assert all(x["run_id"] == info.run_id for x in lines)
    retries = [x for x in lines if "retrying" in x["message"]]
    assert len(retries) >= 2 and all(x["stage"] == "sap" for x in retries)
    assert all(x["level"] == "WARNING" and x["error_type"] == "TransientError" for x in retries)
    failure = next(x for x in lines if x["level"] == "ERROR")
    assert failure["stage"] == "sap" and "failed in stage sap" in failure["message"]
    assert failure["exception"]["type"] == "TransientError"
    assert "passwd=***" in failure["exception"]["message"]
    assert "Traceback (most recent call last)" in failure["exception"]["traceback"]
    assert set(logs.CONTEXT) <= set(failure)


def test_the_log_filter_masks_every_known_secret(tmp_path, capsys):
    leaked = "keyring-answer-7731"
    Secret(leaked, source="keyring:arsync/test")
    logs.console()
    with logs.run_log(tmp_path, "r-mask"), logger.contextualize(stage="portals"):
        logger.bind(portal="gov-gd", account="a1").error('driver said "passwd={}"', leaked)
        try:
            raise RuntimeError(f"login failed for {leaked}")
        except RuntimeError:
            logger.exception("boom")
    (line, boom) = logs.read_run_log(tmp_path)
    assert line["message"] == 'driver said "passwd=***"'
    assert (line["run_id"], line["stage"], line["portal"], line["account"]) == (
        "r-mask",
        "portals",
        "gov-gd",
        "a1",
    )
    assert boom["exception"]["message"] == "login failed for ***"
    assert leaked not in (tmp_path / "log.jsonl").read_text() + capsys.readouterr().err


def _logged_by_a_stage() -> int:
    """A debug line, progress, a warning and a failure with its exception; the failure's line."""
    logger.debug("SAP answered 12 rows")
    logger.info("[sap] started")
    logger.warning("portal gov-gd/gov-gd-a1 not read")
    try:
        raise RuntimeError("the line is down")
    except RuntimeError:
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        logger.exception("stage sap failed")
    return line


@pytest.mark.parametrize(
    "verbose, quiet, levels",
    [
        (0, False, ["INFO", "WARNING", "ERROR"]),
        (1, False, ["INFO", "WARNING", "ERROR"]),
        (2, False, ["DEBUG", "INFO", "WARNING", "ERROR"]),
        (0, True, ["WARNING", "ERROR"]),
    ],
)
def test_verbose_and_quiet_choose_what_the_console_shows(capsys, verbose, quiet, levels):
    """Default: progress, warnings, errors; -v: and where each line comes from; -vv: debug lines
    and the traceback of a failure; --quiet: warnings and errors only."""
    logs.console(verbose=verbose, quiet=quiet)
    try:
        line = _logged_by_a_stage()
        err = capsys.readouterr().err
    finally:
        logs.console()
    heads = [x for x in err.splitlines() if re.match(r"\d\d:\d\d:\d\d ", x)]
    assert [x.split()[1] for x in heads] == levels
    origin = f"  (test_cli_operator:{line})"
    assert heads[-1].endswith(origin) == (verbose >= 1), heads[-1]
    assert heads[-1].split(maxsplit=2)[2].startswith("stage sap failed")
    traceback = "Traceback (most recent call last)" in err and "RuntimeError: the line" in err
    assert traceback == (verbose >= 2)


def test_verbose_reaches_the_console_of_a_run(inputs, tmp_path):
    d, _ = inputs
    plain = CliRunner().invoke(cli, file_run(d, tmp_path / "a"))
    told = CliRunner().invoke(cli, ["-v", *file_run(d, tmp_path / "b")])
    assert plain.exit_code == told.exit_code == 0
    started = [x for x in told.stderr.splitlines() if "[files] started" in x]
    assert started and re.search(r"  \(arsync\.[\w.]+:\d+\)$", started[0]), told.stderr
    assert "[files] started" in plain.stderr and "(arsync." not in plain.stderr


# --- Ctrl-C and SIGTERM ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage, sig",
    [
        ("files", signal.SIGINT),
        ("reconcile", signal.SIGTERM),
        ("outputs", signal.SIGINT),
        ("worksheets", signal.SIGTERM),
        ("summary", signal.SIGTERM),
    ],
)
def test_a_signal_during_any_stage_marks_the_run_interrupted_and_resume_finishes_it(
    inputs, tmp_path, monkeypatch, capsys, stage, sig
):
    d, reference = inputs
    out = tmp_path / "out"
    real = getattr(st, f"stage_{stage}")

    def stopped(ctx):
        signal.raise_signal(sig)  # as the operator's Ctrl-C or the service manager's SIGTERM
        return real(ctx)

    monkeypatch.setattr(st, f"stage_{stage}", stopped)
    extra = ["--worksheets"] if stage == "worksheets" else []
    assert call_main(file_run(d, out, *extra)) == 128 + sig
    err = capsys.readouterr().err
    name = signal.Signals(sig).name
    assert err.strip().splitlines()[-1] == (
        f"arsync: run {store_of(out).recent(1)[0].run_id} interrupted by {name} during stage "
        f"{stage}; `arsync reconcile --resume` continues it"
    )
    assert "Traceback" not in err
    info = store_of(out).recent(1)[0]
    assert info.status == "interrupted" and f"during stage {stage}" in info.error
    assert [s["status"] for s in info.stages][-1] == "interrupted"
    assert all(s["status"] == "ok" for s in info.stages[:-1])

    monkeypatch.setattr(st, f"stage_{stage}", real)
    assert call_main(["reconcile", "--resume", "--out", str(out)]) == 0
    assert store_of(out).recent(5)[0].status == "ok" and len(store_of(out).recent(5)) == 1
    got = pd.read_csv(out / "worklist.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(got, reference)


class _SapThatGetsStopped(SandboxSap):
    """Answers five calls; the sixth brings SIGTERM, and from then on the line is down: every
    call a communication error, which would be retried were it not for the interrupt."""

    def __init__(self, world):
        super().__init__(world)
        self.seen = 0

    def _inject(self, passwd: str) -> None:
        with self._lock:
            self.seen += 1
            sixth = self.seen == 6
        if sixth:
            os.kill(os.getpid(), signal.SIGTERM)
            assert interrupt._stop.wait(10)  # the main thread has taken the signal
            self.comm_errors_left = 10**6
        super()._inject(passwd)


def test_sigterm_while_sap_is_read_in_parallel_starts_no_retry(tmp_path, monkeypatch, capsys):
    env = {"ARSYNC_SANDBOX__SIZE": "tiny", "ARSYNC_SAP__PARALLEL": "4"}
    for k, v in {
        **env,
        "ARSYNC_SAP__RETRY__INITIAL": "0",
        "ARSYNC_SAP__RETRY__MAXIMUM": "0",
    }.items():
        monkeypatch.setenv(k, v)
    sap = {}
    monkeypatch.setattr(
        sources, "_sandbox_sap", lambda s, world: sap.setdefault("x", _SapThatGetsStopped(world))
    )
    out = tmp_path / "out"
    assert call_main(["nightly", "--as-of", str(AS_OF), "--out", str(out)]) == 143
    assert "Traceback" not in capsys.readouterr().err
    info = store_of(out).recent(1)[0]
    assert info.status == "interrupted" and info.stages[0]["status"] == "interrupted"
    lines = logs.read_run_log(out / "runs" / info.run_id)
    assert not [x for x in lines if "retrying" in x["message"]]
    assert sap["x"].seen <= 6 + 3  # the calls in flight on the other threads, nothing after


def test_no_retry_begins_after_an_interrupt_and_a_backoff_wait_ends_at_once():
    calls = []

    def fails():
        calls.append(1)
        interrupt.request("SIGTERM")  # the signal arrives while the call is on the wire
        raise TransientError("connection broken")

    policy = RetryPolicy(attempts=5, initial=0.0, maximum=0.0, sleep=lambda s: None)
    try:
        with pytest.raises(TransientError):
            policy.call(fails, transient=lambda e: isinstance(e, TransientError), what="SAP X")
        assert calls == [1]
        with pytest.raises(KeyboardInterrupt):
            interrupt.sleep(3600)  # would wait an hour without the interrupt
    finally:
        interrupt.reset()


# --- small things ------------------------------------------------------------------------------


def test_runs_outside_a_project_creates_no_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["runs"], env={"ARSYNC_RUNS__OUT_DIR": None})
    assert r.exit_code == 0 and "no runs yet" in r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
def test_runs_limit_is_a_positive_number(limit):
    r = CliRunner().invoke(cli, ["runs", "--limit", limit])
    assert r.exit_code == 2 and "--limit" in r.output


def test_portals_login_without_a_display_suggests_the_terminal(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    r = CliRunner().invoke(cli, ["portals", "login", "gov-gd/gov-gd-a1"])
    assert r.exit_code == 2
    assert r.output == (
        "arsync: no display for a browser window here; run `arsync portals login "
        "gov-gd/gov-gd-a1 --terminal` to answer the captcha or SMS prompt in this terminal\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["history", "--customer", "100042"],
        ["disputes"],
        ["aging", "--out", "aging"],
        ["statements", "--out", "statements"],
        ["report", "supervisor", "--out", "report"],
        ["plan", "--out", "plan"],
        ["outbox", "list"],
        ["outbox", "show", "abc123"],
        ["outbox", "approve", "--by", "王丽", "--all-drafts"],
        ["outbox", "send"],
    ],
    ids=[
        "history",
        "disputes",
        "aging",
        "statements",
        "report",
        "plan",
        "outbox-list",
        "outbox-show",
        "outbox-approve",
        "outbox-send",
    ],
)
def test_the_collectors_day_commands_outside_a_project_create_no_store(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, args, env={"ARSYNC_RUNS__OUT_DIR": None})
    assert r.exit_code == 2, r.output
    assert (
        f"no run store at {tmp_path / 'out' / 'runs.sqlite'}: run `arsync nightly` first"
        in r.output
    )
    # the option that names the store's folder: --out for history / disputes, --runs for the
    # reports; the outbox has none: the setting is named
    assert ("give --out" in r.output) == (args[0] in ("history", "disputes"))
    assert ("set runs.out_dir" in r.output) == (args[0] == "outbox")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("as_of", ["2026-13-45", "yesterday"])
def test_a_bad_as_of_date_is_a_bad_parameter_before_anything_is_read(as_of, tmp_path):
    r = CliRunner().invoke(cli, ["disputes", "--as-of", as_of, "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--as-of" in r.output and "not an ISO date" in r.output


def test_a_customer_number_longer_than_sap_allows_is_a_bad_parameter(tmp_path):
    r = CliRunner().invoke(cli, ["history", "--customer", "12345678901", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--customer" in r.output and "longer than 10 digits" in r.output


# --- unknown names and dates: bad input, never "nothing" -----------------------------------------


@pytest.fixture(scope="module")
def day_store(inputs, tmp_path_factory):
    """A run store holding one finished file run of the tiny world (as of AS_OF); its
    customers and collectors."""
    d, wl = inputs
    out = tmp_path_factory.mktemp("day")
    r = CliRunner().invoke(cli, file_run(d, out, quiet=True))
    assert r.exit_code == 0, r.output
    return out, sorted(set(wl["customer"])), sorted(set(wl["collector"]))


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["history", "--customer", "4711"], "--customer 0000004711: no such customer"),
        (["disputes", "--customer", "4711"], "--customer 0000004711: no such customer"),
        (["disputes", "--collector", "NOBODY"], "--collector NOBODY: no such collector"),
        (["outbox", "list", "--collector", "NOBODY"], "--collector NOBODY: no such collector"),
        (["outbox", "list", "--status", "snet"], "'snet' is not one of 'draft', 'approved'"),
    ],
    ids=[
        "history-customer",
        "disputes-customer",
        "disputes-collector",
        "outbox-collector",
        "status",
    ],
)
def test_an_unknown_customer_collector_or_status_is_bad_input_naming_what_exists(
    day_store, args, said
):
    out, customers, collectors = day_store
    env = {"ARSYNC_RUNS__OUT_DIR": str(out)}
    r = CliRunner().invoke(cli, args, env=env)
    assert r.exit_code == 2, r.output
    assert said in r.output
    if "no such" in said:  # where it looked, and the names it knows
        assert f"in the run store at {out / 'runs.sqlite'}; known: " in r.output
        names = customers if "customer" in said else collectors
        assert names[0] in r.output
    assert not any(name in r.output for name in CLASS_NAMES), r.output


@pytest.mark.parametrize(
    ("args", "nothing"),
    [
        (["history", "--customer", "{customer}"], "no history"),
        (["disputes", "--customer", "{customer}", "--collector", "{collector}"], "no disputes"),
        (
            ["outbox", "list", "--collector", "{collector}", "--status", "sent"],
            "nothing waiting in the outbox",
        ),
    ],
    ids=["history", "disputes", "outbox"],
)
def test_a_known_customer_or_collector_with_nothing_to_show_is_not_an_error(
    day_store, args, nothing
):
    out, customers, collectors = day_store
    argv = [a.format(customer=customers[0].lstrip("0"), collector=collectors[0]) for a in args]
    r = CliRunner().invoke(cli, argv, env={"ARSYNC_RUNS__OUT_DIR": str(out)})
    assert r.exit_code == 0, r.output
    assert r.output.strip() == nothing


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["statements", "--customer", "4711", "--out", "{tmp}/st"],
            f"--customer 0000004711: no open items in run {{run}} (as of {AS_OF})",
        ),
        (
            ["statements", "--collector", "NOBODY", "--out", "{tmp}/st"],
            "--collector NOBODY: no open items in run {run}",
        ),
        (
            ["outbox", "show", "NOPE1234"],
            "no message NOPE1234 in the outbox (`arsync outbox list --all` lists",
        ),
        (
            ["aging", "--as-of", "2026-01-01", "--out", "{tmp}/ag"],
            f"no finished run as of 2026-01-01 in the run store at {{store}}; it has finished "
            f"runs as of {AS_OF}",
        ),
        (
            ["report", "supervisor", "--as-of", "2026-01-01", "--out", "{tmp}/rp"],
            "no finished nightly run on or before 2026-01-01 in the run store at {store}",
        ),
        (
            ["plan", "--as-of", "2026-01-01", "--out", "{tmp}/pl"],
            "no finished nightly run on or before 2026-01-01 in the run store at {store}",
        ),
    ],
    ids=["statements-customer", "statements-collector", "outbox-show", "aging", "report", "plan"],
)
def test_what_the_store_does_not_hold_is_bad_input_saying_what_and_where(
    day_store, tmp_path, args, said
):
    out, _, _ = day_store
    run = store_of(out).recent(1)[0].run_id
    fill = dict(tmp=tmp_path, run=run, store=out / "runs.sqlite")
    r = CliRunner().invoke(
        cli, [a.format(**fill) for a in args], env={"ARSYNC_RUNS__OUT_DIR": str(out)}
    )
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("arsync: ") and said.format(**fill) in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # nothing written


def test_outbox_list_offers_every_state_a_message_can_be_in():
    from arsync.jobs.cli import outbox as cli_outbox
    from arsync.jobs.pipeline import outbox

    assert cli_outbox.STATUSES == outbox.STATUSES


def test_statements_print_amounts_as_the_workbooks_do_and_asked_again_issue_nothing(
    day_store, tmp_path
):
    from arsync.jobs.pipeline.history import contact_log
    from arsync.jobs.pipeline.statement_book import statements_of

    out, customers, _ = day_store
    store = store_of(out)
    who = customers[0]  # a customer of two company codes: CNY and JPY
    argv = ["statements", "--customer", who, "--language", "en", "--runs", str(out), "--out"]
    first = CliRunner().invoke(cli, [*argv, str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()[1:]
    numbers = [line.split()[0] for line in lines]
    totals = dict(re.findall(r"items  (\S+) ([A-Z]{3})  ", first.output))
    assert set(totals.values()) == {"CNY", "JPY"}, first.output
    for total, currency in totals.items():  # grouped, the currency's decimals, the currency
        decimals = r"\.\d{2}" if currency == "CNY" else ""
        assert re.fullmatch(rf"-?\d{{1,3}}(,\d{{3}})+{decimals}", total), first.output

    again = CliRunner().invoke(cli, [*argv, str(tmp_path / "b")])
    assert again.exit_code == 0, again.output
    said = f"{len(numbers)} of them issued before: their numbers again, none new"
    assert said in again.output
    assert [line.split()[0] for line in again.output.splitlines()[1:]] == numbers
    assert all((tmp_path / "b" / f"{n}.pdf").exists() for n in numbers)
    assert sorted(statements_of(store, who)["statement_no"]) == sorted(numbers)
    assert sorted(contact_log(store, customer=who)["value"]) == sorted(numbers)


def test_a_run_tells_its_outcome_once_on_a_terminal_and_its_log_keeps_it(inputs, tmp_path):
    d, _ = inputs
    r = CliRunner().invoke(cli, file_run(d, tmp_path / "a"))
    assert r.exit_code == 0, r.output
    info = store_of(tmp_path / "a").recent(1)[0]
    shown = (r.stdout + r.stderr).splitlines()  # a terminal shows both
    assert [x for x in shown if x.endswith(f"run {info.run_id}: ok")] == [f"run {info.run_id}: ok"]
    logged = [x["message"] for x in logs.read_run_log(Path(info.folder))]
    assert f"run {info.run_id}: ok" in logged


@pytest.mark.parametrize("typed", ["26442000000012345678", "1000|2026|90000003", "1000|26|9|1"])
def test_an_item_key_that_is_not_one_is_bad_input_saying_its_form(day_store, typed):
    out, _, _ = day_store
    r = CliRunner().invoke(
        cli, ["history", "--item", typed], env={"ARSYNC_RUNS__OUT_DIR": str(out)}
    )
    assert r.exit_code == 2, r.output
    assert f"{typed!r} is not an item key: company code|fiscal year|document|line" in r.output


def test_an_item_key_typed_without_leading_zeros_is_the_worklists_key(day_store):
    out, _, _ = day_store
    r = CliRunner().invoke(
        cli, ["history", "--item", "9999|2026|4711|2"], env={"ARSYNC_RUNS__OUT_DIR": str(out)}
    )
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "no history for item 9999|2026|0000004711|002"
