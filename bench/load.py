"""Load benchmark (not run by CI): each endpoint against the framework's own ceiling.

    .venv/bin/python bench/load.py                       # seeds 10k and 1m, 1 and 2 workers
    .venv/bin/python bench/load.py --sizes 10k --workers 1 --duration 5 --no-seed

For each database size it seeds PostgreSQL with bench/seed.py, starts the service with uvicorn
(``beneficiary-api serve``) at each worker count, and drives every endpoint with wrk (Debian package
``wrk``) at a fixed number of connections: a warm-up run first (discarded), then the measured run.
``GET /health/live`` goes through the whole middleware stack with no database work: the ceiling
that every other endpoint's throughput is divided by. Analytics is also timed alone (one
connection), as an analyst waiting for one answer would see it. The measured tables replace the
generated section of bench/RESULTS.md; the notes around it are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import seed  # bench/seed.py, beside this script
from seed_data import SIZES, Plan

from app.core.config import Settings
from app.core.migrations import upgrade_to_head
from app.core.tokens import mint_token

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- bench/load.py: begin -->", "<!-- bench/load.py: end -->"
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"
SUBMISSION_BODIES = [
    "الموية مقطوعة عن حي المنسك في أبها من ثلاثة أيام ونطلب حلا عاجلا",
    "أقترح زيادة الإنارة في طريق الملك فهد بخميس مشيط لأن الطريق مظلم",
    "Please add more parking near the Al Soudah park entrance on weekends",
    "الحفريات في شارع الفن مفتوحة منذ شهر بدون لوحات تحذيرية وهي خطر على الأطفال",
]
REQUEST_BODY = {
    "subject": "ميزانية مشاريع الطرق في أبها",
    "description": "أطلب بيان المبالغ المعتمدة لمشاريع الطرق لعام 2026.",
    "category": "development_plans",
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    kind: str  # ceiling | list | read | create
    role: str | None = None
    bodies: tuple[str, ...] = ()

    @property
    def method(self) -> str:
        return "POST" if self.bodies else "GET"


ENDPOINTS = [
    Endpoint("GET /health/live", "/health/live", "ceiling"),
    Endpoint("GET /v1/consultations", "/v1/consultations", "list"),
    Endpoint("GET /v1/datasets", "/v1/datasets", "list"),
    Endpoint(
        "GET /v1/information-requests?overdue=true (officer)",
        "/v1/information-requests?overdue=true",
        "list",
        "information_officer",
    ),
    Endpoint("GET /v1/submissions (officer)", "/v1/submissions", "list", "participation_officer"),
    Endpoint(
        "GET /v1/calendar/deadline",
        "/v1/calendar/deadline?received_at=2026-11-29T08:00:00Z&working_days=10",
        "read",
    ),
    Endpoint("GET /v1/analytics/topics (analyst)", "/v1/analytics/topics", "read", "analyst"),
    Endpoint(
        "POST /v1/submissions",
        "/v1/submissions",
        "create",
        "beneficiary",
        tuple(
            json.dumps({"kind": "complaint", "channel": "mobile_app", "body": body})
            for body in SUBMISSION_BODIES
        ),
    ),
    Endpoint(
        "POST /v1/information-requests",
        "/v1/information-requests",
        "create",
        "beneficiary",
        (json.dumps(REQUEST_BODY),),
    ),
]
YEAR_AGO = (date.today() - timedelta(days=365)).isoformat()
ALONE = [
    next(e for e in ENDPOINTS if e.path == "/v1/analytics/topics"),
    Endpoint(
        "GET /v1/analytics/topics?from=<366 days> (analyst)",
        f"/v1/analytics/topics?from={YEAR_AGO}",
        "read",
        "analyst",
    ),
]
TARGET_RATIO = {"list": 0.35, "create": 0.20}


@dataclass(frozen=True)
class Result:
    size: str
    workers: int
    endpoint: Endpoint
    rps: float
    p50: float  # milliseconds
    p95: float
    p99: float
    failures: int
    connections: int


# -- wrk ------------------------------------------------------------------------------------------

LUA = """
local counter, threads = 0, 0
local bodies = {{{bodies}}}
local headers = {{["Authorization"] = "{auth}", ["Content-Type"] = "application/json"}}
-- each thread gets its own Idempotency-Key prefix (a global: setup runs in the main state)
setup = function(thread) threads = threads + 1; thread:set("prefix", "{run}-" .. threads) end
request = function()
  counter = counter + 1
  if #bodies == 0 then return wrk.format("GET", "{path}", headers) end
  headers["Idempotency-Key"] = prefix .. "-" .. counter
  return wrk.format("POST", "{path}", headers, bodies[counter % #bodies + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{{"requests":%d,"duration_us":%d,"failures":%d,"p50":%d,"p95":%d,"p99":%d}}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def lua_script(endpoint: Endpoint, token: str | None, run: str) -> str:
    bodies = ", ".join(json.dumps(body) for body in endpoint.bodies)
    auth = f"Bearer {token}" if token else ""
    script = LUA.format(run=run, bodies=bodies, auth=auth, path=endpoint.path)
    return script if token else script.replace('["Authorization"] = "", ', "")


def wrk(base: str, script: Path, *, connections: int, seconds: int, threads: int) -> dict[str, int]:
    command = [
        "wrk", f"-c{connections}", f"-t{min(threads, connections)}", f"-d{seconds}s",
        "--timeout", "10s", "-s", str(script), base,
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in reversed(output.splitlines()) if line.startswith("{"))
    summary: dict[str, int] = json.loads(line)
    return summary


def measure(
    base: str, endpoint: Endpoint, token: str | None, args: argparse.Namespace, workdir: Path
) -> tuple[float, float, float, float, int]:
    """Warm up, then measure: requests per second, p50/p95/p99 in ms, failed requests."""
    for phase, seconds in (("warmup", args.warmup), ("run", args.duration)):
        script = workdir / f"{phase}.lua"
        script.write_text(lua_script(endpoint, token, f"{phase}{time.time_ns()}"), "utf-8")
        summary = wrk(
            base, script, connections=args.connections, seconds=seconds, threads=args.threads
        )
    rps = summary["requests"] / (summary["duration_us"] / 1e6)
    p50, p95, p99 = (summary[p] / 1000 for p in ("p50", "p95", "p99"))
    return rps, p50, p95, p99, summary["failures"]


# -- the service ----------------------------------------------------------------------------------


@contextmanager
def service(env: dict[str, str], workers: int, port: int, log: Path) -> Iterator[str]:
    command = [
        str(Path(sys.executable).parent / "beneficiary-api"), "serve", "--no-migrate",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}; see its log")
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the service did not become ready within 60 s")


def service_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENEFICIARY_")}
    return env | {
        "BENEFICIARY_DATABASE_URL": settings.resolved_database_url,
        "BENEFICIARY_DATA_DIR": str(settings.data_dir),
        "BENEFICIARY_RATE_LIMITS_ENABLED": "false",  # the load comes from one address
        "BENEFICIARY_LOG_LEVEL": "WARNING",
    }


def tokens(settings: Settings) -> dict[str, str]:
    roles = {e.role for e in ENDPOINTS if e.role}
    return {
        role: mint_token(settings, sub=f"bench-{role}", roles=[role], ttl=timedelta(hours=6))
        for role in roles
    }


# -- one run --------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> tuple[list[Result], list[Result]]:
    data_dir = Path(tempfile.mkdtemp(prefix="beneficiary-bench-"))
    results: list[Result] = []
    alone: list[Result] = []
    for size in args.sizes:
        # One database per size (<name>_<size>), so --no-seed can reuse what an earlier run seeded.
        url = seed.url_for_size(args.database_url, size)
        settings = Settings(database_url=url, data_dir=data_dir)
        if args.no_seed:
            upgrade_to_head(settings)
        else:
            seed.reset(settings)
            asyncio.run(seed.seed(settings, Plan(SIZES[size]), log=progress))
        for workers in args.workers:
            with service(
                service_env(settings), workers, args.port, data_dir / "service.log"
            ) as base:
                keys = tokens(settings)
                for endpoint in ENDPOINTS:
                    token = keys.get(endpoint.role) if endpoint.role else None
                    figures = measure(base, endpoint, token, args, data_dir)
                    result = Result(size, workers, endpoint, *figures, args.connections)
                    results.append(result)
                    progress(row(result, results))
                if workers == args.workers[0]:
                    for result in single_connection(base, keys, size, workers, args, data_dir):
                        alone.append(result)
                        progress(row(result, [*results, *alone]))
    shutil.rmtree(data_dir, ignore_errors=True)
    return results, alone


def single_connection(
    base: str,
    keys: dict[str, str],
    size: str,
    workers: int,
    args: argparse.Namespace,
    workdir: Path,
) -> list[Result]:
    """Analytics as one analyst waits for it: the default 30 days, and the longest window."""
    one = argparse.Namespace(**(vars(args) | {"connections": 1}))
    results = []
    for endpoint in ALONE:
        figures = measure(base, endpoint, keys[endpoint.role or ""], one, workdir)
        results.append(Result(size, workers, endpoint, *figures, 1))
    return results


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the report -----------------------------------------------------------------------------------


def ceiling(result: Result, results: Sequence[Result]) -> Result:
    return next(
        r
        for r in results
        if r.endpoint.kind == "ceiling" and (r.size, r.workers) == (result.size, result.workers)
    )


def verdict(result: Result, results: Sequence[Result]) -> str:
    checks = []
    least = TARGET_RATIO.get(result.endpoint.kind)
    if least is not None and result.connections > 1:
        ratio = result.rps / ceiling(result, results).rps
        checks.append(f"ratio {'ok' if ratio >= least else 'MISSED'} (>= {least:.0%})")
    if result.connections == 1:
        checks.append(f"under 1 s {'ok' if result.p99 < 1000 else 'MISSED'}")
    spread_ok = result.p99 <= 10 * result.p50
    checks.append(f"p99/p50 {'ok' if spread_ok else 'MISSED'}")
    if result.failures:
        checks.append(f"{result.failures} FAILED requests")
    return "; ".join(checks)


def row(result: Result, results: Sequence[Result]) -> str:
    ratio = result.rps / ceiling(result, results).rps
    return (
        f"| {result.endpoint.name} | {result.size} | {result.workers} | {result.connections} "
        f"| {result.rps:,.0f} | {ratio:.0%} | {result.p50:.1f} | {result.p95:.1f} "
        f"| {result.p99:.1f} | {result.p99 / max(result.p50, 0.001):.1f} "
        f"| {verdict(result, results)} |"
    )


def scaling(results: Sequence[Result], sizes: Sequence[str]) -> list[str]:
    """The same list read at the largest size against the smallest (p50, one worker count)."""
    if len(sizes) < 2:
        return []
    small, large = sizes[0], sizes[-1]
    lines = [
        "",
        f"List latency at {large} against {small} (p50, same worker count; target <= 1.5x):",
        "",
        f"| endpoint | workers | p50 at {small} (ms) | p50 at {large} (ms) | ratio | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if r.endpoint.kind != "list" or r.size != small:
            continue
        big = next(
            x for x in results if (x.endpoint, x.size, x.workers) == (r.endpoint, large, r.workers)
        )
        ratio = big.p50 / r.p50
        met = "ok" if ratio <= 1.5 else "MISSED"
        lines.append(
            f"| {r.endpoint.name} | {r.workers} | {r.p50:.1f} | {big.p50:.1f} | {ratio:.2f}x "
            f"| {met} |"
        )
    return lines


def report(results: Sequence[Result], alone: Sequence[Result], args: argparse.Namespace) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    header = (
        "| endpoint | size | workers | connections | req/s | of ceiling | p50 ms | p95 ms "
        "| p99 ms | p99/p50 | targets |"
    )
    lines = [
        BEGIN,
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine}; "
        f"wrk, {args.connections} connections, {args.threads} threads, {args.warmup} s warm-up "
        f"then {args.duration} s per endpoint; PostgreSQL on the same machine.",
        "",
        header,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *(row(r, results) for r in results),
        "",
        "Analytics alone (one connection, one request at a time; target < 1 s):",
        "",
        header,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *(row(r, [*results, *alone]) for r in alone),
        *scaling(results, args.sizes),
        END,
    ]
    return "\n".join(lines)


def write_report(text: str) -> None:
    current = RESULTS.read_text("utf-8") if RESULTS.exists() else f"# Results\n\n{BEGIN}\n{END}\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    RESULTS.write_text(pattern.sub(lambda _: text, current), "utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--sizes", type=lambda v: v.split(","), default=["10k", "1m"])
    parser.add_argument("--workers", type=lambda v: [int(n) for n in v.split(",")], default=[1, 2])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-seed", action="store_true", help="use the data already there")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    results, alone = run(args)
    text = report(results, alone, args)
    print(text)
    if not args.no_write:
        write_report(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
