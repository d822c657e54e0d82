"""newsmirror's speed and memory benchmark: one command, every number of issue 9.

    python benchmarks/run.py                     # the full run (about 15-20 minutes)
    python benchmarks/run.py --quick             # a smoke run (a few minutes)
    python benchmarks/run.py --sizes 5000,20000 --latency 0.1 --repeat 3 --json out.json

Everything talks to fixture upstreams this script starts on 127.0.0.1, each in its own
process (``python -m newsmirror.testing.server``), so the server never shares the
crawler's GIL; nothing reaches the network. Every system runs as a child process, and
its wall time, CPU time (user + sys) and peak RSS come from ``os.wait4``; requests are
counted by the upstream (``/_fixture/hits``), articles on disk or by the child.

Scenarios, each repeated ``--repeat`` times with the systems alternated (A B C, C B A,
…) and reported as medians:

1. full crawl of N articles (each ``--sizes``) into an empty archive: newsmirror
   (``scrapy crawl eastmoney``), the ceiling (``benchmarks/bare_spider.py``: a bare
   Scrapy spider with newsmirror's concurrency settings, same requests, no work) and
   the old approach (``benchmarks/old_generator.py``);
2. the same with ``--latency`` seconds added to every answer (at ``--latency-size``);
3. steady state, the scheduled case: lists of 100 of which 10 are new since the last
   run; newsmirror over the archive its previous run left, the old approach
   refetching and rewriting everything;
4. incremental at scale: newsmirror over the archive of the largest full crawl with
   100 new articles upstream;
5. ``newsmirror check`` over that archive (skipped, with a note, while the command
   does not exist).

Settings that differ from the project's defaults are printed with each scenario. The
machine's other load is printed at the start and the end: compare ratios measured in
one run, on an idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
PYTHON = sys.executable
#: Articles the fixture upstream always serves besides its synthetic clones (the corpus).
CORPUS = 120
LISTS = 5
#: The scheduled case: lists of LIST_COUNT (the default, 100), STEADY_NEW new in each.
STEADY_NEW_PER_LIST = 10
INCREMENTAL_NEW = 100
TEXT_PATH = "/NewsData/GetNewsText.do"
LIST_PATHS = ("/web/webapi", "/information/newmarket/web/webapi")
CHILD_TIMEOUT = 1800.0
#: ``newsmirror check``'s exit code when it found problems (it still ran to the end).
CHECK_PROBLEMS = 5

NEWSMIRROR, CEILING, OLD = "newsmirror", "ceiling", "old approach"

TARGETS = {
    "ratio_no_latency": 0.8,
    "ratio_latency": 0.9,
    "steady_wall": 3.0,
    "pipelines_cpu_ms": 1.5,
    "rss_mb": 250.0,
    "rss_growth": 1.25,
    "incremental_wall": 3.0,
    "check_wall": 10.0,
}


# -- child processes ---------------------------------------------------------------------
@dataclass
class Measured:
    """What ``os.wait4`` says about one child process."""

    returncode: int
    wall: float
    cpu: float
    rss_mb: float


def measure(cmd: Sequence[str], log: Path, *, cwd: Path = REPO) -> Measured:
    """Run ``cmd`` with its output in ``log``; its wall, CPU and peak RSS."""
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        timer = threading.Timer(CHILD_TIMEOUT, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        returncode=proc.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
    )


class Upstream:
    """A fixture upstream in its own process."""

    def __init__(self, articles: int, *, latency: float = 0.0, newer: int = 0) -> None:
        self.articles, self.latency, self.newer = articles, latency, newer
        cmd = [PYTHON, "-m", "newsmirror.testing.server", "--articles", str(articles)]
        cmd += ["--port", "0", "--latency", str(latency), "--new-articles", str(newer)]
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # UPSTREAM_BASE=http://127.0.0.1:PORT  (N articles)
        if not line.startswith("UPSTREAM_BASE="):
            self.proc.kill()
            raise RuntimeError(f"the fixture upstream did not start: {line!r}")
        self.url = line.split()[0].split("=", 1)[1]
        self.served = int(line.split("(")[1].split()[0])

    def hits(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url}/_fixture/hits", timeout=10) as answer:
            return dict(json.load(answer)["hits"])

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Upstream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- one run of one system ---------------------------------------------------------------
@dataclass
class Run:
    system: str
    scenario: str
    returncode: int
    wall: float
    cpu: float
    rss_mb: float
    articles: int
    lists: int
    texts: int

    @property
    def rate(self) -> float:
        return self.articles / self.wall if self.wall else 0.0


def count_posts(archive: Path) -> int:
    total = 0
    for folder in ("_posts", "old_post"):
        with contextlib.suppress(FileNotFoundError):
            total += sum(1 for e in os.scandir(archive / folder) if e.name.endswith(".md"))
    return total


def last_json_line(log: Path) -> dict[str, Any]:
    for line in reversed(log.read_text(encoding="utf-8", errors="replace").splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {}


class Bench:
    """Runs the systems against upstreams and keeps every measurement."""

    def __init__(
        self, work: Path, *, verbose: bool = True, overrides: dict[str, str] | None = None
    ) -> None:
        self.work = work
        #: ``--set`` settings, given to newsmirror and to the ceiling alike.
        self.overrides = overrides or {}
        self.runs: list[Run] = []
        self.verbose = verbose
        self._logs = 0

    def log_path(self, name: str) -> Path:
        self._logs += 1
        return self.work / "logs" / f"{self._logs:03d}-{name.replace(' ', '_')}.log"

    def _record(
        self,
        system: str,
        scenario: str,
        up: Upstream,
        cmd: Sequence[str],
        articles: Callable[[Path], int],
    ) -> Run:
        before = up.hits()
        log = self.log_path(f"{scenario}-{system}")
        measured = measure(cmd, log)
        after = up.hits()

        def delta(path: str) -> int:
            return after.get(path, 0) - before.get(path, 0)

        run = Run(
            system=system,
            scenario=scenario,
            returncode=measured.returncode,
            wall=measured.wall,
            cpu=measured.cpu,
            rss_mb=measured.rss_mb,
            articles=articles(log),
            lists=sum(delta(p) for p in LIST_PATHS),
            texts=delta(TEXT_PATH),
        )
        self.runs.append(run)
        if self.verbose:
            print(
                f"    {system:<12} {run.articles:>6} articles {run.wall:7.2f} s "
                f"{run.rate:7.1f}/s  CPU {run.cpu:6.2f} s  RSS {run.rss_mb:5.0f} MB  "
                f"requests {run.lists}+{run.texts}  exit {run.returncode}",
                flush=True,
            )
        if run.returncode != 0:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            print(f"      !! {system} exited {run.returncode}; log {log}:\n{tail}", flush=True)
        return run

    def newsmirror(
        self, scenario: str, up: Upstream, archive: Path, settings: dict[str, Any] | None = None
    ) -> Run:
        cmd = [PYTHON, "-m", "scrapy", "crawl", "eastmoney"]
        given = {
            "UPSTREAM_BASE": up.url,
            "ARCHIVE_DIR": archive,
            **self.overrides,
            **(settings or {}),
        }
        for name, value in given.items():
            cmd += ["-s", f"{name}={value}"]
        before = count_posts(archive)
        return self._record(
            NEWSMIRROR, scenario, up, cmd, lambda _log: count_posts(archive) - before
        )

    def ceiling(self, scenario: str, up: Upstream, list_count: int) -> Run:
        cmd = [PYTHON, str(BENCH / "bare_spider.py"), "--upstream", up.url]
        cmd += ["--list-count", str(list_count)]
        for name, value in self.overrides.items():
            cmd += ["-s", f"{name}={value}"]
        return self._record(
            CEILING, scenario, up, cmd, lambda log: int(last_json_line(log).get("texts", 0))
        )

    def old(self, scenario: str, up: Upstream, out: Path, list_count: int) -> Run:
        cmd = [PYTHON, str(BENCH / "old_generator.py"), "--upstream", up.url]
        cmd += ["--out", str(out), "--count", str(list_count)]
        return self._record(
            OLD, scenario, up, cmd, lambda log: int(last_json_line(log).get("articles", 0))
        )

    def check(self, scenario: str, archive: Path) -> Run:
        log = self.log_path(f"{scenario}-check")
        measured = measure([*newsmirror_command(), "check", str(archive)], log)
        run = Run("newsmirror check", scenario, measured.returncode, measured.wall,
                  measured.cpu, measured.rss_mb, count_posts(archive), 0, 0)  # fmt: skip
        self.runs.append(run)
        if self.verbose:
            print(
                f"    check        {run.articles:>6} posts    {run.wall:7.2f} s  "
                f"CPU {run.cpu:6.2f} s  RSS {run.rss_mb:5.0f} MB  exit {run.returncode}",
                flush=True,
            )
        if run.returncode == CHECK_PROBLEMS:
            print(f"      note: check found problems (exit 5); log {log}", flush=True)
        elif run.returncode != 0:
            print(f"      !! check exited {run.returncode}; log {log}", flush=True)
        return run


def newsmirror_command() -> list[str]:
    script = Path(PYTHON).parent / "newsmirror"
    if script.exists():
        return [str(script)]
    return [PYTHON, "-c", "import sys; from newsmirror.cli import main; sys.exit(main())"]


def check_available() -> bool:
    """Whether ``newsmirror check`` exists yet."""
    probe = subprocess.run(
        [*newsmirror_command(), "check", "--help"], cwd=REPO, capture_output=True, check=False
    )
    return probe.returncode == 0


def copy_tree(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)


def alternate(systems: list[str], repeat: int) -> list[list[str]]:
    """A B C, C B A, A B C, …: each system runs early and late as often."""
    return [systems if r % 2 == 0 else systems[::-1] for r in range(repeat)]


# -- scenarios ---------------------------------------------------------------------------
def full_crawl(
    bench: Bench, size: int, repeat: int, *, latency: float = 0.0, keep: Path | None = None
) -> str:
    """Scenario 1 (and 2 with latency): every article of an N-article upstream."""
    scenario = f"full N={size}" + (f" latency {latency:g}s" if latency else "")
    list_count = size + CORPUS  # more than any list holds: every article is listed
    print(f"\n== {scenario}: upstream of {size} + {CORPUS} articles ==", flush=True)
    print(f"   non-default settings: LIST_COUNT={list_count} (every article is listed)")
    with Upstream(size, latency=latency) as up:
        for order in alternate([NEWSMIRROR, CEILING, OLD], repeat):
            for system in order:
                out = bench.work / "out"
                shutil.rmtree(out, ignore_errors=True)
                if system == NEWSMIRROR:
                    bench.newsmirror(scenario, up, out, {"LIST_COUNT": list_count})
                    if keep is not None:
                        shutil.rmtree(keep, ignore_errors=True)
                        out.rename(keep)
                elif system == CEILING:
                    bench.ceiling(scenario, up, list_count)
                else:
                    bench.old(scenario, up, out, list_count)
                shutil.rmtree(out, ignore_errors=True)
    return scenario


def steady_state(bench: Bench, size: int, repeat: int) -> str:
    """Scenario 3: lists of 100, 10 new in each since the previous run."""
    scenario = "steady state"
    new = STEADY_NEW_PER_LIST * LISTS
    print(
        f"\n== {scenario}: lists of 100 (LIST_COUNT default), {STEADY_NEW_PER_LIST} new in "
        f"each since the previous run; upstream of {size} + {CORPUS} articles ==",
        flush=True,
    )
    print("   non-default settings: none")
    base_nm, base_old = bench.work / "steady-nm", bench.work / "steady-old"
    with Upstream(size) as before:
        print("   setup: the previous run (newsmirror, and the old approach)", flush=True)
        bench.newsmirror("steady setup", before, base_nm)
        bench.old("steady setup", before, base_old, 100)
    with Upstream(size, newer=new) as up:
        for order in alternate([NEWSMIRROR, OLD], repeat):
            for system in order:
                out = bench.work / "out"
                if system == NEWSMIRROR:
                    copy_tree(base_nm, out)
                    bench.newsmirror(scenario, up, out)
                else:
                    copy_tree(base_old, out)
                    bench.old(scenario, up, out, 100)
                shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(base_nm, ignore_errors=True)
    shutil.rmtree(base_old, ignore_errors=True)
    return scenario


def incremental(bench: Bench, base: Path, size: int, repeat: int) -> str:
    """Scenario 4: a large archive, 100 new articles upstream, default settings."""
    scenario = "incremental"
    print(
        f"\n== {scenario}: archive of {count_posts(base)} posts, {INCREMENTAL_NEW} new "
        f"articles upstream ({size} + {CORPUS} + {INCREMENTAL_NEW}) ==",
        flush=True,
    )
    print("   non-default settings: none")
    with Upstream(size, newer=INCREMENTAL_NEW) as up:
        for _ in range(repeat):
            out = bench.work / "out"
            copy_tree(base, out)
            bench.newsmirror(scenario, up, out)
            shutil.rmtree(out, ignore_errors=True)
    return scenario


def check(bench: Bench, base: Path, repeat: int) -> str | None:
    """Scenario 5: ``newsmirror check`` over the large archive."""
    scenario = "check"
    print(f"\n== {scenario}: newsmirror check over {count_posts(base)} posts ==", flush=True)
    if not check_available():
        print("   SKIPPED: `newsmirror check` does not exist yet (newsmirror/archive/check.py)")
        return None
    for _ in range(repeat):
        bench.check(scenario, base)
    return scenario


def pipelines_profile(quick: bool) -> list[dict[str, Any]]:
    """The per-stage profile (benchmarks/profile_pipelines.py) in a child process."""
    out = Path(tempfile.mkstemp(prefix="nm-profile-", suffix=".json")[1])
    cmd = [PYTHON, str(BENCH / "profile_pipelines.py"), "--json", str(out)]
    if quick:
        cmd += ["--clones", "380"]
    print("\n== pipelines per article (benchmarks/profile_pipelines.py) ==", flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    rows: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return rows


# -- report ------------------------------------------------------------------------------
@dataclass
class Summary:
    scenario: str
    system: str
    n: int
    rate: float
    articles: int
    lists: int
    texts: int
    wall: float
    cpu: float
    rss_mb: float
    failed_runs: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def summarise(runs: list[Run]) -> list[Summary]:
    out = []
    keys: list[tuple[str, str]] = []
    for run in runs:
        if "setup" not in run.scenario and (run.scenario, run.system) not in keys:
            keys.append((run.scenario, run.system))
    for scenario, system in keys:
        group = [r for r in runs if r.scenario == scenario and r.system == system]

        def med(values: list[float]) -> float:
            return float(statistics.median(values))

        out.append(
            Summary(
                scenario=scenario,
                system=system,
                n=len(group),
                rate=med([r.rate for r in group]),
                articles=int(med([r.articles for r in group])),
                lists=int(med([r.lists for r in group])),
                texts=int(med([r.texts for r in group])),
                wall=med([r.wall for r in group]),
                cpu=med([r.cpu for r in group]),
                rss_mb=med([r.rss_mb for r in group]),
                failed_runs=sum(1 for r in group if r.returncode != 0),
            )
        )
    return out


def print_summary(summaries: list[Summary]) -> None:
    print("\n== results (medians) ==")
    header = (
        f"{'scenario':<24} {'system':<16} {'runs':>4} {'articles/s':>10} {'articles':>8} "
        f"{'requests':>13} {'wall s':>8} {'CPU s':>7} {'RSS MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for s in summaries:
        requests = f"{s.lists}+{s.texts}" if s.lists or s.texts else "-"
        failed = f"  ({s.failed_runs} run(s) exited non-zero)" if s.failed_runs else ""
        print(
            f"{s.scenario:<24} {s.system:<16} {s.n:>4} {s.rate:>10.1f} {s.articles:>8} "
            f"{requests:>13} {s.wall:>8.2f} {s.cpu:>7.2f} {s.rss_mb:>7.0f}{failed}"
        )
    print("(requests: list + text requests the upstream served)")


def find(summaries: list[Summary], scenario: str, system: str) -> Summary | None:
    return next((s for s in summaries if s.scenario == scenario and s.system == system), None)


def evaluate(
    summaries: list[Summary],
    scenarios: dict[str, str | None],
    sizes: list[int],
    profile_rows: list[dict[str, Any]],
) -> list[tuple[str, str, str, bool | None]]:
    """(target, wanted, measured, met) for every target this run measured."""
    rows: list[tuple[str, str, str, bool | None]] = []

    def ratio_row(label: str, scenario: str | None, wanted: float) -> None:
        if scenario is None:
            return
        nm, ceiling = find(summaries, scenario, NEWSMIRROR), find(summaries, scenario, CEILING)
        if nm and ceiling and ceiling.rate:
            ratio = nm.rate / ceiling.rate
            rows.append(
                (label, f">= {wanted:g} x", f"{ratio:.2f} x ({nm.rate:.0f} / {ceiling.rate:.0f}/s)",
                 ratio >= wanted)
            )  # fmt: skip

    ratio_row(
        f"newsmirror / ceiling, N={sizes[0]}", scenarios.get("full0"), TARGETS["ratio_no_latency"]
    )
    ratio_row("newsmirror / ceiling, latency", scenarios.get("latency"), TARGETS["ratio_latency"])
    steady = scenarios.get("steady")
    if steady:
        nm, old = find(summaries, steady, NEWSMIRROR), find(summaries, steady, OLD)
        if nm:
            want_texts = STEADY_NEW_PER_LIST * LISTS
            rows.append(
                ("steady state: requests", f"{LISTS}+{want_texts} (old: one per item)",
                 f"{nm.lists}+{nm.texts} (old: {old.lists}+{old.texts})" if old else
                 f"{nm.lists}+{nm.texts}",
                 nm.lists == LISTS and nm.texts == want_texts)
            )  # fmt: skip
            rows.append(
                ("steady state: wall", f"<= {TARGETS['steady_wall']:g} s", f"{nm.wall:.2f} s",
                 nm.wall <= TARGETS["steady_wall"])
            )  # fmt: skip
    total = next((r for r in profile_rows if r["stage"] == "pipelines, total"), None)
    if total:
        rows.append(
            ("pipelines CPU, median per article", f"<= {TARGETS['pipelines_cpu_ms']:g} ms",
             f"{total['cpu_median_ms']:.2f} ms (p95 {total['cpu_p95_ms']:.2f})",
             total["cpu_median_ms"] <= TARGETS["pipelines_cpu_ms"])
        )  # fmt: skip
    small = find(summaries, scenarios.get("full0") or "", NEWSMIRROR)
    large = find(summaries, scenarios.get("full1") or "", NEWSMIRROR)
    if large:
        rows.append(
            (f"peak RSS, N={sizes[-1]}", f"<= {TARGETS['rss_mb']:g} MB", f"{large.rss_mb:.0f} MB",
             large.rss_mb <= TARGETS["rss_mb"])
        )  # fmt: skip
        if small:
            growth = large.rss_mb / small.rss_mb
            rows.append(
                (f"peak RSS N={sizes[-1]} / N={sizes[0]}", f"<= {TARGETS['rss_growth']:g} x",
                 f"{growth:.2f} x ({small.rss_mb:.0f} -> {large.rss_mb:.0f} MB)",
                 growth <= TARGETS["rss_growth"])
            )  # fmt: skip
    inc = find(summaries, scenarios.get("incremental") or "", NEWSMIRROR)
    if inc:
        rows.append(
            ("incremental: wall", f"<= {TARGETS['incremental_wall']:g} s", f"{inc.wall:.2f} s",
             inc.wall <= TARGETS["incremental_wall"])
        )  # fmt: skip
        rows.append(
            ("incremental: text requests", f"== {INCREMENTAL_NEW}", str(inc.texts),
             inc.texts == INCREMENTAL_NEW)
        )  # fmt: skip
    if scenarios.get("check"):
        chk = find(summaries, "check", "newsmirror check")
        if chk:
            rows.append(
                (f"newsmirror check, {chk.articles} posts", f"<= {TARGETS['check_wall']:g} s",
                 f"{chk.wall:.2f} s", chk.wall <= TARGETS["check_wall"])
            )  # fmt: skip
    elif "check" in scenarios:
        rows.append(("newsmirror check", f"<= {TARGETS['check_wall']:g} s", "not measured: "
                     "the command does not exist yet", None))  # fmt: skip
    return rows


def print_targets(rows: list[tuple[str, str, str, bool | None]]) -> None:
    print("\n== targets ==")
    for label, wanted, measured, met in rows:
        verdict = "skipped" if met is None else "MET" if met else "MISSED"
        print(f"{label:<38} {wanted:<28} {measured:<36} {verdict}")


def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import scrapy
    import twisted

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "twisted": twisted.__version__,
        "kernel": platform.release(),
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repeats")
    parser.add_argument("--sizes", help="synthetic articles upstream (default 5000,20000)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds (0: skip)")
    parser.add_argument("--latency-size", type=int, help="N of the latency scenario")
    parser.add_argument("--repeat", type=int, help="runs of each system (default 3)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temp folder)")
    parser.add_argument("--json", type=Path, help="also write every run and the summary here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for newsmirror and the ceiling (e.g. CONCURRENT_ITEMS=100 to "
        "measure Scrapy's default); printed as not the default",
    )
    parser.add_argument(
        "--only",
        default="full,latency,steady,incremental,check,profile",
        help="scenarios to run (comma-separated; default all)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("1000" if args.quick else "5000,20000")).split(",")]
    repeat = args.repeat or (2 if args.quick else 3)
    latency_size = args.latency_size or (500 if args.quick else 2000)
    only = set(args.only.split(","))
    info = machine()
    print("newsmirror benchmark", json.dumps(info, ensure_ascii=False))
    print(f"load average at start: {load()} (nproc {info['nproc']})")
    work = args.work or Path(tempfile.mkdtemp(prefix="nm-bench-"))
    (work / "logs").mkdir(parents=True, exist_ok=True)
    print(f"scratch folder and logs: {work}")
    overrides = dict(item.split("=", 1) for item in args.set)
    if overrides:
        shown = " ".join(f"{k}={v}" for k, v in overrides.items())
        print(f"non-default settings in every newsmirror and ceiling run: {shown}")
    bench = Bench(work, overrides=overrides)
    scenarios: dict[str, str | None] = {}
    largest = work / "largest-archive"
    started = time.perf_counter()
    try:
        if "full" in only:
            for i, size in enumerate(sizes):
                keep = largest if i == len(sizes) - 1 else None
                name = full_crawl(bench, size, repeat, keep=keep)
                if i == 0:
                    scenarios["full0"] = name
                if i == len(sizes) - 1 and i > 0:
                    scenarios["full1"] = name
        if "latency" in only and args.latency > 0:
            scenarios["latency"] = full_crawl(bench, latency_size, repeat, latency=args.latency)
        if "steady" in only:
            scenarios["steady"] = steady_state(bench, sizes[0], repeat)
        if "incremental" in only or "check" in only:
            if not largest.exists():
                print(f"\n   setup: an archive of {sizes[-1] + CORPUS} posts", flush=True)
                with Upstream(sizes[-1]) as up:
                    bench.newsmirror("incremental setup", up, largest,
                                     {"LIST_COUNT": sizes[-1] + CORPUS})  # fmt: skip
            if "incremental" in only:
                scenarios["incremental"] = incremental(bench, largest, sizes[-1], repeat)
            if "check" in only:
                scenarios["check"] = check(bench, largest, repeat)
        profile_rows = pipelines_profile(args.quick) if "profile" in only else []
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    summaries = summarise(bench.runs)
    print_summary(summaries)
    targets = evaluate(summaries, scenarios, sizes, profile_rows)
    print_targets(targets)
    elapsed = time.perf_counter() - started
    print(f"\nload average at the end: {load()}; the run took {elapsed / 60:.1f} min")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "runs": [asdict(r) for r in bench.runs],
                    "summary": [asdict(s) for s in summaries],
                    "profile": profile_rows,
                    "targets": targets,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
