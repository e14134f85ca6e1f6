"""The nightly end to end on a sandbox world: wall time per stage, peak memory of the arsync
process apart from the sandbox's own world, SAP stand-in and simulators, and of Chromium.

    .venv/bin/python bench/bench_nightly.py [--size large] [--portal-latency-ms 150]
        [--sap-latency-ms 0] [--strategy bapi] [--executor local]
        [--set statements.nightly=never] [--no-sandbox-alone]

Two child processes, one after the other, on the same world:
1. the sandbox alone: the world, the SAP stand-in after it has answered one pull (what the
   connector made of it dropped), the portal simulators started — its resident size then is
   what the sandbox holds through a run;
2. the nightly (`arsync.jobs.pipeline.run.run`): its own peak RSS (VmHWM; it holds the sandbox
   too) and, sampled every 0.25 s, the sum of its descendants' PSS (Chromium, Playwright's
   driver: shared pages counted once).
arsync's own peak ≈ (2) − (1).  CPU per stage: the nightly's process tree (its own, its
finished children's, its live descendants': arsync, the in-process sandbox, Chromium) between
the stage's start and end lines.  A month's first night makes every statement (`statements.nightly
= monthly`); `--set statements.nightly=never` gives the other nights.  Prints figures with the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2026-11-23"


def _kb(path: str, field: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _peak_kb(pid: int) -> int:
    """The kernel's high-water mark of the process's RSS (VmHWM): a true peak, not a sample."""
    return _kb(f"/proc/{pid}/status", "VmHWM:")


def _pss_kb(pid: int) -> int:
    """Proportional set size: Chromium's processes share most pages; PSS counts each once."""
    return _kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def _descendants(root: int) -> list[int]:
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    parent[int(d)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    out = []
    for pid in parent:
        p = parent.get(pid)
        while p and p != root:
            p = parent.get(p)
        if p == root:
            out.append(pid)
    return out


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """CPU seconds of ``pid`` (user + system), with its waited-for children's."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in f[11:15]) / TICK
    except OSError:
        return 0.0


def _tree_cpu_s(root: int) -> tuple[float, float]:
    """(the process's own CPU with its finished children's, its live descendants' CPU), s."""
    return _cpu_s(root), sum(_cpu_s(k) for k in _descendants(root))


def sampled(
    cmd: list[str], env: dict[str, str], marks: list | None = None
) -> tuple[dict, int, int, str]:
    """Run ``cmd``; return its JSON answer (last stdout line), its peak RSS and the peak sum of
    its descendants' PSS (kB, sampled), and its stderr.  ``marks``: for each stage line it
    prints (``[stage] ...``), (line, wall time, CPU of the process tree so far) is appended."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_self = peak_kids = 0
    out_lines: list[str] = []
    import threading

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out_lines.append(line)
            if marks is not None and line.startswith("["):
                marks.append((line, time.perf_counter(), sum(_tree_cpu_s(proc.pid))))
            print("   ", line.rstrip(), flush=True)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    while proc.poll() is None:
        peak_self = max(peak_self, _peak_kb(proc.pid))
        peak_kids = max(peak_kids, sum(_pss_kb(k) for k in _descendants(proc.pid)))
        time.sleep(0.25)
    t.join(10)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[2:4]} failed ({proc.returncode}):\n{err[-3000:]}")
    return json.loads(out_lines[-1]), peak_self, peak_kids, err


SANDBOX = """
import ctypes, gc, json, sys, time
from datetime import date
from arsync.config import load_settings
from arsync.connectors.sap import pull
from arsync.jobs.pipeline.sources import open_sources
s = load_settings(overrides=json.loads(sys.argv[1]))
t = time.perf_counter()
with open_sources(s, date.fromisoformat(sys.argv[2])) as src:
    world_s = time.perf_counter() - t
    # what the stand-in builds while it answers a pull stays with it for the run: answer one
    # pull, drop what the connector made of it, and keep what remains resident
    p = pull(s, key_date=date.fromisoformat(sys.argv[2]), rfc=src.sap.rfc)
    del p
    src.portals.chosen()  # the simulators start
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/status") as fh:
        rss = next(int(x.split()[1]) for x in fh if x.startswith("VmRSS:"))
    print(json.dumps({"resident_kb": rss, "world_s": round(world_s, 1),
                      "world_and_pull_s": round(time.perf_counter() - t, 1)}))
"""

NIGHTLY = """
import json, sys, time
from datetime import date
from arsync.config import load_settings
from arsync.jobs.pipeline.run import run
s = load_settings(overrides=json.loads(sys.argv[1]))
t = time.perf_counter()
lines = []
def echo(line):
    lines.append(line)
    if line.startswith("["):
        print(line, flush=True)
res = run(s, as_of=date.fromisoformat(sys.argv[2]), echo=echo)
from arsync.jobs.pipeline.runstore import RunStore
info = RunStore.for_settings(s).get(res.run_id)
print(json.dumps({"status": res.status, "total_s": round(time.perf_counter() - t, 1),
                  "stages": {st["stage"]: round(st["seconds"], 1) for st in info.stages},
                  "counts": {st["stage"]: st["counts"] for st in info.stages}}, default=str))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="large")
    ap.add_argument("--portal-latency-ms", type=int, default=150)
    ap.add_argument("--sap-latency-ms", type=int, default=0)
    ap.add_argument("--strategy", default="bapi", choices=["bapi", "table"])
    ap.add_argument("--executor", default="local", choices=["local", "celery"])
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument(
        "--search-batch",
        type=int,
        default=0,
        help="numbers per university search (0: as declared; 1: one search per number, as before)",
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another setting, e.g. statements.nightly=never (a night that makes no statements)",
    )
    ap.add_argument(
        "--no-sandbox-alone",
        action="store_true",
        help="skip step 1 (the sandbox's own share): saves building the world twice",
    )
    a = ap.parse_args()
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        over = {
            "sandbox.size": a.size,
            "sandbox.latency_ms": a.sap_latency_ms,
            "sandbox.faults.latency_ms": a.portal_latency_ms,
            "sap.strategy": a.strategy,
            "portals.executor": a.executor,
            "portals.concurrency": a.concurrency,
            "portals.session_dir": f"{tmp}/sessions",
            "runs.out_dir": f"{tmp}/out",
        }
        for kv in a.set:
            key, _, value = kv.partition("=")
            over[key] = json.loads(value) if value[:1] in "0123456789[{tf" else value
        if a.search_batch:
            over["portals.definitions_dir"] = _family_with_batch(Path(tmp) / "defs", a.search_batch)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARSYNC_")}
        env["ARSYNC_SESSION_KEY"] = os.environ.get("ARSYNC_SESSION_KEY") or _key()
        args = [json.dumps(over), AS_OF]
        print(
            f"load average before: {' '.join(f'{x:.2f}' for x in load0)} on {os.cpu_count()} cores"
        )
        print(f"1. the sandbox alone ({a.size} world, SAP stand-in after one pull, simulators)")
        if a.no_sandbox_alone:
            sb_peak = 0
            print("   skipped (--no-sandbox-alone)")
        else:
            sb, _, _, _ = sampled([sys.executable, "-c", SANDBOX, *args], env)
            sb_peak = sb["resident_kb"]
            print(f"   resident {sb_peak / 2**20:.2f} GB; {sb}")
        print(
            f"2. the nightly ({a.strategy}, portals {a.executor}, {a.portal_latency_ms} ms a portal request)"
        )
        t = time.perf_counter()
        marks: list = []
        res, peak, kids, _ = sampled([sys.executable, "-c", NIGHTLY, *args], env, marks)
        wall = time.perf_counter() - t
        load1 = os.getloadavg()
    print()
    print(
        f"nightly {a.size}: {res['status']}, {res['total_s']} s in the run ({wall:.0f} s with start-up)"
    )
    cpu = _stage_cpu(marks)
    print("  stage        wall s   CPU s (arsync, sandbox, Chromium: the whole process tree)")
    for stage, secs in res["stages"].items():
        c = cpu.get(stage)
        print(
            f"  {stage:<11} {secs:8.1f} {c if c is not None else float('nan'):8.1f}   {res['counts'][stage]}"
        )
    share = (
        f"sandbox alone {sb_peak / 2**20:.2f} GB → arsync ≈ {(peak - sb_peak) / 2**20:.2f} GB"
        if sb_peak
        else "sandbox's share not measured"
    )
    print(
        f"peak RSS: nightly process {peak / 2**20:.2f} GB (with the sandbox), {share}; "
        f"Chromium + driver {kids / 2**20:.2f} GB"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in load1)}")


def _stage_cpu(marks: list) -> dict[str, float]:
    """stage → CPU seconds between its ``[stage] started`` and its end line."""
    out, start = {}, {}
    for line, _, cpu in marks:
        m = re.match(r"\[(\w+)\] (\w+)", line)
        if not m:
            continue
        if m.group(2) == "started":
            start[m.group(1)] = cpu
        elif m.group(1) in start:
            out[m.group(1)] = cpu - start.pop(m.group(1))
    return out


def _family_with_batch(folder: Path, batch: int) -> str:
    """A definitions folder whose university family searches ``batch`` numbers at a time."""
    from arsync.connectors.portals.definitions import BUNDLED

    folder.mkdir(parents=True)
    text = (BUNDLED / "family-university.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  search_batch: \d+", f"  search_batch: {batch}", text)
    (folder / "family-university.yaml").write_text(text, encoding="utf-8")
    return str(folder)


def _key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


if __name__ == "__main__":
    main()
