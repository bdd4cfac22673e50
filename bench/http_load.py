"""The HTTP benchmark's load generator: N clients as threads spread over a few processes (so the
GIL of one process is not the limit), each with its own cookie session, on loopback only.

gunicorn's sync workers close the connection after every response, so each request opens a
new TCP connection (as wrk does against them). Requests are written and read on plain
sockets: the client's own cost per request stays small and is reported (`client_cpu_cores`).
"""

from __future__ import annotations

import json
import multiprocessing
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

HOST = "127.0.0.1"
BASELINE = "/_baseline"
TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(rb'name="version" value="(\d+)"')

OK, REFUSED, HTTP_ERROR, FAILED = 0, 1, 2, 3
OUTCOMES = {OK: "ok", REFUSED: "refused", HTTP_ERROR: "http_error", FAILED: "failed"}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes


def fetch(
    port: int,
    method: str,
    path: str,
    *,
    cookie: str = "",
    body: bytes | None = None,
    timeout: float = 30.0,
) -> Response:
    """One request on a fresh connection, read to the server's close."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if body is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    chunks = []
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(raw)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, content = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key] = rest.split(";", 1)[0]
        headers[name] = value
    return Response(int(status_line.split()[1]), headers, cookies, content)


@dataclass
class Client:
    """One user's phone: logged in once as the attendant, working on its own permits."""

    port: int
    numbers: dict[str, str]  # arm ("app", "baseline") -> permit number for the step scenario
    live_numbers: dict[str, str]  # arm -> permit number for the live scenario
    person: int  # the entrant it checks in and out
    username: str
    password: str
    cookie: str = ""
    csrf: str = ""
    version: dict[str, int] = field(default_factory=dict)
    inside: dict[str, bool] = field(default_factory=dict)

    def prefix(self, arm: str) -> str:
        return "" if arm == "app" else BASELINE

    def login(self) -> None:
        page = fetch(self.port, "GET", "/login")
        jar = dict(page.cookies)
        token = TOKEN.search(page.body)
        form = {"username": self.username, "password": self.password}
        if token:
            form["csrf_token"] = token.group(1).decode()
        signed = fetch(
            self.port, "POST", "/login", cookie=_cookie(jar), body=urlencode(form).encode()
        )
        jar.update(signed.cookies)
        if signed.status != 302 or "session" not in jar:
            raise RuntimeError(f"login refused: HTTP {signed.status}")
        self.cookie = _cookie(jar)
        # The permit page, as the phone shows it: the form's CSRF token and version.
        page = fetch(self.port, "GET", f"/permits/{self.numbers['app']}", cookie=self.cookie)
        if page.status != 200:
            raise RuntimeError(f"permit page: HTTP {page.status}")
        token = TOKEN.search(page.body)
        self.csrf = token.group(1).decode() if token else ""
        for arm in ("app", "baseline"):
            self.resync(arm)

    def resync(self, arm: str) -> None:
        """Read the permit's version and headcount from its live endpoint (not timed)."""
        r = fetch(
            self.port,
            "GET",
            f"{self.prefix(arm)}/permits/{self.numbers[arm]}/live.json",
            cookie=self.cookie,
        )
        if r.status != 200:
            raise RuntimeError(f"live.json: HTTP {r.status}")
        status = json.loads(r.body)
        self.version[arm] = status["version"]
        self.inside[arm] = status["headcount"] > 0

    def step(self, arm: str) -> tuple[float, float, int]:
        number = self.numbers[arm]
        event = "check_out" if self.inside[arm] else "check_in"
        body = urlencode(
            {"csrf_token": self.csrf, "version": self.version[arm], "person": self.person}
        ).encode()
        path = f"{self.prefix(arm)}/permits/{number}/events/{event}"
        start, t0 = time.time(), time.perf_counter()
        try:
            r = fetch(self.port, "POST", path, cookie=self.cookie, body=body)
        except OSError:
            return start, time.perf_counter() - t0, FAILED
        latency = time.perf_counter() - t0
        # The response's new cookie only carries the flashed message: a phone would follow
        # the redirect and pop it; this client keeps its signed-in cookie instead.
        if r.status == 303 and r.headers.get("location", "").endswith(
            f"{self.prefix(arm)}/permits/{number}"
        ):
            self.version[arm] += 1
            self.inside[arm] = not self.inside[arm]
            return start, latency, OK
        outcome = REFUSED if r.status in (303, 409, 422) else HTTP_ERROR
        try:
            self.resync(arm)
        except (OSError, RuntimeError, ValueError):
            pass
        return start, latency, outcome

    def get(self, path: str) -> tuple[float, float, int]:
        start, t0 = time.time(), time.perf_counter()
        try:
            r = fetch(self.port, "GET", path, cookie=self.cookie)
        except OSError:
            return start, time.perf_counter() - t0, FAILED
        return start, time.perf_counter() - t0, OK if r.status == 200 else HTTP_ERROR

    def once(self, kind: str, arm: str) -> tuple[float, float, int]:
        if kind == "step":
            return self.step(arm)
        if kind == "live":
            return self.get(f"{self.prefix(arm)}/permits/{self.live_numbers[arm]}/live.json")
        return self.get(f"{BASELINE}/ping")


def _cookie(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _loop(client: Client, cmd: dict[str, Any], out: list) -> None:
    while time.time() < cmd["start_at"]:
        time.sleep(0.005)
    until = cmd["until"]
    while time.time() < until:
        start, latency, outcome = client.once(cmd["kind"], cmd["arm"])
        out.append((start, latency, outcome))
        if outcome == FAILED:
            time.sleep(0.02)


def _process(conn, clients: list[Client]) -> None:
    try:
        for client in clients:
            client.login()
        conn.send({"ready": True})
    except Exception as exc:  # reported to the parent, which stops the run
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
        return
    while True:
        cmd = conn.recv()
        if cmd is None:
            return
        outs: list[list] = [[] for _ in clients]
        threads = [
            threading.Thread(target=_loop, args=(c, cmd, o), daemon=True)
            for c, o in zip(clients, outs, strict=True)
        ]
        cpu = time.process_time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu = time.process_time() - cpu
        conn.send({"samples": [s for o in outs for s in o], "cpu_s": cpu})


class LoadGenerator:
    """Clients spread round-robin over `processes` forked processes; each logs in first."""

    def __init__(self, clients: list[Client], processes: int, ready_timeout: float = 60) -> None:
        ctx = multiprocessing.get_context("fork")
        processes = max(1, min(processes, len(clients)))
        self.links = []
        self.procs = []
        for i in range(processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_process, args=(child, clients[i::processes]), daemon=True)
            proc.start()
            self.links.append(parent)
            self.procs.append(proc)
        try:
            for link in self.links:
                if not link.poll(ready_timeout):
                    raise RuntimeError("load generator: clients did not sign in in time")
                answer = link.recv()
                if "error" in answer:
                    raise RuntimeError(f"load generator: {answer['error']}")
        except BaseException:
            self.close()
            raise

    def run(self, kind: str, arm: str, warmup: float, duration: float) -> dict[str, Any]:
        start_at = time.time() + 0.2
        measure_from = start_at + warmup
        until = measure_from + duration
        cmd = {"kind": kind, "arm": arm, "start_at": start_at, "until": until}
        for link in self.links:
            link.send(cmd)
        samples: list = []
        cpu = 0.0
        for link in self.links:
            if not link.poll(duration + warmup + 120):
                raise RuntimeError("load generator: no answer")
            answer = link.recv()
            samples.extend(answer["samples"])
            cpu += answer["cpu_s"]
        kept = [(s, lat, o) for s, lat, o in samples if s >= measure_from and s + lat <= until]
        return {
            "samples": kept,
            "all_requests": len(samples),  # warm-up included: for CPU per request
            "seconds": duration,
            "client_cpu_s": cpu * duration / (duration + warmup),
        }

    def close(self) -> None:
        for link in self.links:
            try:
                link.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 5
        for proc in self.procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(5)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """requests/s (successful), latency percentiles of successful requests, error counts."""
    samples = [s for run in runs for s in run["samples"]]
    seconds = sum(run["seconds"] for run in runs)
    ok = sorted(lat for _, lat, o in samples if o == OK)
    counts = {name: 0 for name in OUTCOMES.values()}
    for _, _, o in samples:
        counts[OUTCOMES[o]] += 1

    def ms(x: float) -> float:
        return round(x * 1000, 2)

    cpu = [run.get("server_cpu_s") for run in runs]
    served = sum(run.get("all_requests", 0) for run in runs)
    return {
        "requests_per_s": round(len(ok) / seconds, 1) if seconds else 0.0,
        "p50_ms": ms(percentile(ok, 50)),
        "p95_ms": ms(percentile(ok, 95)),
        "p99_ms": ms(percentile(ok, 99)),
        "max_ms": ms(ok[-1]) if ok else None,
        "requests": len(ok),
        "errors": len(samples) - len(ok),
        "error_kinds": {k: v for k, v in counts.items() if k != "ok" and v},
        "seconds": round(seconds, 1),
        "server_cpu_ms_per_request": round(1000 * sum(cpu) / served, 2)
        if served and None not in cpu
        else None,
        "client_cpu_cores": round(sum(run["client_cpu_s"] for run in runs) / seconds, 2)
        if seconds
        else None,
    }
