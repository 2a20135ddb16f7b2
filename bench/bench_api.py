"""Load test of the HTTP API: concurrent clients asking POST /api/chat for a fixed time.

Starts the real server (uvicorn in a subprocess, offline, a temporary data dir that it fills
by ingesting the seeds), warms it with one pass over the questions, then runs ``--clients``
clients for ``--seconds``. Each client holds short conversations (``--turns`` questions,
then a new session). Reports requests/s, latency percentiles, errors and the server's peak memory
(VmHWM), and exits 1 when a target is missed (any error, p95 at or over ``--p95-ms``).

    .venv/bin/python bench/bench_api.py [--clients 16] [--seconds 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from questions import QUESTIONS, SEEDS  # bench/questions.py


@dataclass
class Results:
    clients: int
    seconds: float
    turns: int
    requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    warmup_mean_ms: float = 0.0
    refused: int = 0
    server_peak_rss_mb: float = 0.0
    server_rss_mb: float = 0.0
    load_before: float = 0.0  # 1-minute load average of the box before the server started


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, killing it if it does not exit within 15 s."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=15)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    """Offline defaults, a private data dir, no rate limit (all clients share one address)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COACH_", "OPENAI_")) and k != "CHROMA_URL"
    }
    env.update(
        COACH_DATA_DIR=str(data_dir),
        COACH_SEEDS_DIR=str(SEEDS),
        COACH_GENERATOR="extractive",
        COACH_EMBEDDING_PROVIDER="local",
        COACH_RATE_LIMIT_PER_MINUTE="0",
        ANONYMIZED_TELEMETRY="False",
        RAGAS_DO_NOT_TRACK="true",
    )
    return env


def start_server(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    log = (workdir / "server.log").open("wb")
    return subprocess.Popen(
        command, cwd=workdir, env=server_env(workdir / ".coach"), stdout=log, stderr=log
    )


def wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Until /readyz says ready (the first start ingests the seeds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready in time")


def memory_mb(pid: int, field_name: str) -> float:
    """A VmHWM/VmRSS line of /proc/<pid>/status, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def ask(client: httpx.AsyncClient, question: str, session_id: str | None) -> dict:
    response = await client.post("/api/chat", json={"message": question, "session_id": session_id})
    response.raise_for_status()
    answer: dict = response.json()
    if not answer.get("answer") or not answer.get("session_id"):
        raise ValueError("an empty answer")
    return answer


async def warm_up(url: str) -> float:
    """One sequential pass over the questions; their mean latency in ms (cold caches)."""
    timings = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for question in QUESTIONS:
            started = time.perf_counter()
            await ask(client, question, None)
            timings.append(time.perf_counter() - started)
    return statistics.mean(timings) * 1000


async def one_client(
    client: httpx.AsyncClient,
    number: int,
    turns: int,
    deadline: float,
    latencies: list[float],
    errors: Counter[str],
) -> int:
    """Ask until the deadline; conversations of a few turns. Returns the refusals seen."""
    refused = 0
    turn = number  # clients start at different questions
    session_id: str | None = None
    while time.perf_counter() < deadline:
        question = QUESTIONS[turn % len(QUESTIONS)]
        if turn % turns == 0:
            session_id = None
        turn += 1
        started = time.perf_counter()
        try:
            answer = await ask(client, question, session_id)
            session_id = answer["session_id"]
            refused += bool(answer["refused"])
        except (httpx.HTTPError, ValueError) as exc:
            errors[type(exc).__name__] += 1
            session_id = None
        latencies.append(time.perf_counter() - started)
    return refused


async def load(url: str, clients: int, seconds: float, turns: int) -> Results:
    results = Results(clients=clients, seconds=seconds, turns=turns)
    results.warmup_mean_ms = round(await warm_up(url), 1)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    # Each client has its own connection; all are built before the clock starts.
    pool = [httpx.AsyncClient(base_url=url, timeout=30) for _ in range(clients)]
    try:
        started = time.perf_counter()
        deadline = started + seconds
        refusals = await asyncio.wait_for(
            asyncio.gather(
                *(one_client(c, n, turns, deadline, latencies, errors) for n, c in enumerate(pool))
            ),
            timeout=seconds + 60,
        )
        elapsed = time.perf_counter() - started
    finally:
        for client in pool:
            await client.aclose()
    ordered = sorted(latencies)
    results.requests = len(latencies)
    results.errors = sum(errors.values())
    results.error_kinds = dict(errors)
    results.refused = sum(refusals)
    results.requests_per_second = round(len(latencies) / elapsed, 1)
    for name, q in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99), ("max_ms", 100)):
        setattr(results, name, round(percentile(ordered, q) * 1000, 1))
    return results


def report(results: Results, p95_target: float) -> bool:
    ok = results.errors == 0 and results.p95_ms < p95_target
    print(
        f"POST /api/chat — {results.clients} clients for {results.seconds:g} s, "
        f"{results.turns}-question conversations"
    )
    print(f"  requests       {results.requests} ({results.refused} refused by design)")
    print(f"  throughput     {results.requests_per_second} requests/s")
    print(
        f"  latency        p50 {results.p50_ms} ms · p95 {results.p95_ms} ms · "
        f"p99 {results.p99_ms} ms · max {results.max_ms} ms"
    )
    print(f"  cold pass      {results.warmup_mean_ms} ms mean, one client")
    print(f"  errors         {results.errors} {results.error_kinds or ''}".rstrip())
    print(
        f"  server memory  peak RSS {results.server_peak_rss_mb:.0f} MB "
        f"(now {results.server_rss_mb:.0f} MB)"
    )
    if results.load_before > 0.5:
        print(
            f"  note           the box was busy before the run (load {results.load_before:.1f} on "
            f"{os.cpu_count()} cores): figures are pessimistic"
        )
    print(f"  targets        0 errors, p95 < {p95_target:g} ms: {'met' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--turns", type=int, default=3, help="questions per conversation")
    parser.add_argument("--p95-ms", type=float, default=250.0, help="p95 latency target")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(workdir, port)
        try:
            wait_ready(url, server)
            results = asyncio.run(load(url, args.clients, args.seconds, args.turns))
            results.load_before = load_before
            results.server_peak_rss_mb = memory_mb(server.pid, "VmHWM")
            results.server_rss_mb = memory_mb(server.pid, "VmRSS")
        except Exception:
            print((workdir / "server.log").read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            stop_server(server)
    ok = report(results, args.p95_ms)
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
