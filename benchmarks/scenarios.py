"""The scenarios: each measures a figure and the reference it is judged against in the same
run, and returns rows (see `results.Row`).

Plans are judged by the wall time a user waits, start-up included, against references run
the same way in the same run: the same code at `--parallelism 1` (sequential) and at
`--parallelism 10` (Terraform's default: ten operations at a time), and the floor, which is
the start-up (the plan of an empty stack) plus the same number of bare databricks-sdk GETs at
the same concurrency (`benchmarks/floor.py`): round trips ÷ concurrency and the HTTP
client's CPU, nothing else.
"""

from __future__ import annotations

import socket
import statistics
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from benchmarks import commands, models, throughput
from benchmarks.results import Row, Target, seconds
from benchmarks.sites import Measured, Site, Sites
from benchmarks.stacks import ENDPOINTS

HEAVY = ("databricks", "mlflow")
"""Packages `--help` and `validate` must not import (black's test_no_network_imports)."""

TERRAFORM_PARALLELISM = 10
"""`terraform plan -parallelism` defaults to 10 operations at a time."""


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is: the full run, or the quick one CI runs."""

    plans: tuple[int, ...]
    latencies_ms: tuple[float, ...]
    sequential_up_to: dict[float, int]
    """Largest N planned with `--parallelism 1`, by latency; larger N are scaled from it."""
    vs_sequential: dict[int, float]
    """Speed-up over sequential (wall time, L = 50 ms) that a plan of N resources must reach."""
    vs_terraform: dict[int, float]
    """Speed-up over `--parallelism 10` (wall time, L = 50 ms) a plan of N must reach."""
    creates: tuple[int, ...]
    growth: tuple[int, int]
    apply_endpoints: int
    readiness_s: float
    validate_n: int
    hanging_host: bool
    throttled_n: int
    """The no-op plan planned again against a workspace answering 429 to 30 % of calls."""
    memory_n: int | None = None
    """The N whose peak RSS is held to `MEMORY_MB`."""
    repeats: int = 3
    """Runs of each short measurement (an empty stack's plan, N ≤ `repeat_up_to`): the
    fastest is kept, the least disturbed by other load on a shared machine."""
    repeat_up_to: int = 100
    chart: bool = False
    parallelism: int = field(default_factory=lambda: _default_parallelism())


def _default_parallelism() -> int:
    from provisioner.cli.options import DEFAULT_PARALLELISM

    return DEFAULT_PARALLELISM


FULL = Sizes(plans=(100, 1000, 5000), latencies_ms=(0.0, 50.0),
             sequential_up_to={0.0: 5000, 50.0: 1000}, vs_sequential={1000: 25.0},
             vs_terraform={1000: 2.0}, creates=(100, 1000, 5000), growth=(100, 5000),
             apply_endpoints=100, readiness_s=3.0, validate_n=1000, hanging_host=True,
             throttled_n=1000, memory_n=5000, chart=True, repeat_up_to=1000)
# The quick run judges "vs sequential" at N=500 (sequential measured at N=100, per resource):
# at N=100 both sides are mostly start-up (a fresh-clone CI run read 1.11 s against 7.96 s with
# 1.08 s of start-up), so that ratio follows the machine's start-up, not the plan's speed.
# For the same reason "vs --parallelism 10" is held to 1.75 at N=500 (two quiet fresh-clone
# runs read 2.04 and 1.62); the 2x of issue 20 is the full run's, at N=1,000. Both sides of
# those ratios at N=500 keep the fastest of three runs: one run swung them by ±30 % between
# quiet runs of the same code (15.47, 12.42, 10.62 against sequential).
QUICK = Sizes(plans=(100, 500), latencies_ms=(50.0,), sequential_up_to={50.0: 100},
              vs_sequential={500: 12.0}, vs_terraform={500: 1.75}, creates=(100, 500),
              growth=(100, 500), apply_endpoints=40, readiness_s=3.0, validate_n=500,
              hanging_host=False, throttled_n=500, repeat_up_to=500)

LATENCY_MS = 50.0
"""The latency targets are set at: a fast real workspace (50–300 ms per round trip)."""
THROTTLED = 0.3
"""Share of calls the throttled workspace answers 429 (Retry-After: 0)."""
MEMORY_MB = 150.0


def all_scenarios(sites: Sites, sizes: Sizes, log: Callable[[str], None]) -> Iterator[Row]:
    empty = {latency: _fixed_cost(sites, latency, sizes) for latency in
             {*sizes.latencies_ms, LATENCY_MS}}
    for latency, t0 in sorted(empty.items()):
        yield Row("start-up", f"plan of an empty stack, L={latency:g} ms", seconds(t0.seconds),
                  "", 1.0, note="interpreter, imports, connecting: the floor's first part",
                  data={"latency_ms": latency, "seconds": t0.seconds,
                        "peak_rss_mb": t0.peak_rss_mb})
    log("plans of existing resources")
    yield from noop_plans(sites, sizes, empty)
    log("a throttled workspace")
    yield from throttled(sites, sizes)
    log("plans of new resources")
    yield from create_plans(sites, sizes)
    log("cost growth")
    yield from growth(sites, sizes)
    log("apply")
    yield from apply_overlap(sites, sizes, empty[LATENCY_MS].seconds)
    log("start-up")
    yield from startup(sites, sizes)
    log("registered models")
    yield from models.model_plans(sizes.repeats)
    log("unreachable workspace")
    yield from unreachable(sites, sizes)
    log("emulator throughput")
    yield from emulator()


def _fixed_cost(sites: Sites, latency: float, sizes: Sizes) -> Measured:
    return _plan(sites.get(0, seeded=False), latency, sizes.parallelism, sizes)


def _plan(site: Site, latency: float, parallelism: int, sizes: Sizes, *,
          changes: bool = False) -> Measured:
    """The fastest of `repeats` runs for a short plan, else one run."""
    runs = sizes.repeats if site.n <= sizes.repeat_up_to else 1
    return min((site.plan(latency, parallelism, expect_changes=changes) for _ in range(runs)),
               key=lambda measured: measured.seconds)


def _ratio_target(targets: dict[int, float], n: int, latency: float) -> Target | None:
    if latency != LATENCY_MS or n not in targets:
        return None
    return Target(">=", targets[n])


def noop_plans(sites: Sites, sizes: Sizes, empty: dict[float, Measured]) -> Iterator[Row]:
    """No-op plans (everything exists, the state matches): ours against sequential, the
    Terraform-style parallelism and the floor, all in wall time."""
    p = sizes.parallelism
    per_resource: dict[float, tuple[int, float]] = {}  # latency -> (N, sequential s / N)
    for n in sizes.plans:
        site = sites.get(n, seeded=True)
        for latency in sizes.latencies_ms:
            ours = _plan(site, latency, p, sizes)
            start = empty[latency].seconds
            case = f"no-op plan, N={n:,}, L={latency:g} ms"
            data = {"n": n, "latency_ms": latency, "parallelism": p, "seconds": ours.seconds,
                    "calls": ours.calls, "peak_rss_mb": ours.peak_rss_mb, "start_up": start}
            if n <= sizes.sequential_up_to.get(latency, -1):
                sequential = site.plan(latency, 1, expect_changes=False).seconds  # once:
                # seconds of waiting, which a shared machine's noise hardly moves
                per_resource[latency] = (n, (sequential - start) / n)
                how = "--parallelism 1"
            elif latency in per_resource:
                measured_n, each = per_resource[latency]
                sequential = start + each * n
                how = f"--parallelism 1 at N={measured_n:,}, scaled per resource"
            else:
                sequential = None
            if sequential is not None:
                data |= {"sequential": sequential, "sequential_how": how}
                yield Row("plan", f"{case}: vs sequential", seconds(ours.seconds),
                          f"{seconds(sequential)} ({how})", sequential / ours.seconds,
                          target=_ratio_target(sizes.vs_sequential, n, latency), data=data)
            if latency and n in sizes.vs_terraform:
                terraform = _plan(site, latency, TERRAFORM_PARALLELISM, sizes).seconds
                data["terraform"] = terraform
                yield Row("plan", f"{case}: vs --parallelism {TERRAFORM_PARALLELISM} "
                          "(Terraform's default)", seconds(ours.seconds), seconds(terraform),
                          terraform / ours.seconds,
                          target=_ratio_target(sizes.vs_terraform, n, latency), data=data)
            if latency:
                site.workspace.configure(latency_ms=latency)
                loop, cpu = site.floor(ours.calls, p)
                floor = start + loop
                data |= {"floor": floor, "floor_loop": loop, "floor_cpu": cpu,
                         "round_trips": ours.calls / p * latency / 1000}
                yield Row("plan", f"{case}: vs the floor", seconds(ours.seconds),
                          f"{seconds(floor)} (start-up {seconds(start)} + {ours.calls:,} bare "
                          f"SDK GETs, {p} at a time: {seconds(loop)}; round trips alone "
                          f"{seconds(data['round_trips'])}, the client's CPU {seconds(cpu)})",
                          ours.seconds / floor, data=data)
            if latency == max(sizes.latencies_ms):
                yield Row("plan", f"no-op plan, N={n:,}: calls per resource", f"{ours.calls:,}",
                          f"{n:,} resources", ours.calls / n, unit="", data=data,
                          note="per ten: 6 endpoint GETs, 3 access lists, 1 vector search "
                               "endpoint GET, 3 index GETs; plus ~6 calls per plan")
            if n == sizes.memory_n and latency == max(sizes.latencies_ms):
                yield Row("memory", f"peak RSS of a no-op plan, N={n:,}",
                          f"{ours.peak_rss_mb:.0f} MB",
                          f"{MEMORY_MB:g} MB (an empty stack's plan: "
                          f"{empty[latency].peak_rss_mb:.0f} MB)", ours.peak_rss_mb / MEMORY_MB,
                          target=Target("<=", 1.0), data=data)


def throttled(sites: Sites, sizes: Sizes) -> Iterator[Row]:
    """The no-op plan again, against a workspace that answers 429 (Retry-After: 0) to 30 % of
    calls: it must not fail, and the adaptive window must not make it crawl."""
    n = sizes.throttled_n
    site = sites.get(n, seeded=True)
    clean = site.plan(LATENCY_MS, sizes.parallelism, expect_changes=False)
    try:
        hit = site.plan(LATENCY_MS, sizes.parallelism, expect_changes=False,
                        throttle_rate=THROTTLED, retry_after_seconds=0, seed=20)
    except RuntimeError as failed:
        yield Row("throttled", f"no-op plan, N={n:,}, L={LATENCY_MS:g} ms, "
                  f"{THROTTLED:.0%} of calls answered 429", "failed", seconds(clean.seconds),
                  float("inf"), target=Target("<=", 2.0),
                  note=str(failed).splitlines()[-1][:200])
        return
    throttles = sum(1 for e in site.workspace.request_log() if e["status"] == 429)
    yield Row("throttled", f"no-op plan, N={n:,}, L={LATENCY_MS:g} ms, {THROTTLED:.0%} of "
              "calls answered 429 (Retry-After: 0)", f"{seconds(hit.seconds)} ({hit.calls:,} "
              f"calls)", f"{seconds(clean.seconds)} ({clean.calls:,} calls, none throttled)",
              hit.seconds / clean.seconds, target=Target("<=", 2.0),
              note=f"{throttles:,} answers were 429; every one sent again, the plan succeeded",
              data={"n": n, "seconds": hit.seconds, "clean": clean.seconds,
                    "calls": hit.calls, "throttled": throttles})


def create_plans(sites: Sites, sizes: Sizes) -> Iterator[Row]:
    """Plans where nothing exists yet: one list per kind says so, absent ones are not read.
    Such a plan makes a few calls in all, so it is judged by how its calls grow with N: not
    at all; its time is loading, diffing and printing N resources."""
    p = sizes.parallelism
    calls: dict[int, int] = {}
    for n in sizes.creates:
        site = sites.get(n, seeded=False)
        ours = _plan(site, LATENCY_MS, p, sizes, changes=True)
        calls[n] = ours.calls
        yield Row("plan", f"create plan, N={n:,}, L={LATENCY_MS:g} ms: calls",
                  f"{seconds(ours.seconds)}, {ours.calls:,} calls", f"{n:,} resources",
                  ours.calls / n, unit="", data={"n": n, "seconds": ours.seconds,
                                                 "calls": ours.calls, "parallelism": p})
    small, large = min(calls), max(calls)
    yield Row("plan", f"create plan: calls at N={large:,} vs N={small:,}", f"{calls[large]:,}",
              f"{calls[small]:,}", calls[large] / calls[small],
              target=Target("<=", 1.0, margin=1.0), data={"calls": calls},
              note="one list per kind, whatever N: none of the new resources is read")


def growth(sites: Sites, sizes: Sizes) -> Iterator[Row]:
    """Time per resource of a no-op plan at the largest N against the smallest, run in this
    process so that start-up (a constant) neither hides nor fakes growth."""
    small, large = sizes.growth
    per = {}
    for n in (small, large):
        site = sites.get(n, seeded=True)
        site.plan_in_process(0.0, sizes.parallelism)  # warm: imports, caches
        repeats = sizes.repeats if n == small else 1
        per[n] = statistics.median(site.plan_in_process(0.0, sizes.parallelism)
                                   for _ in range(repeats)) / n
    yield Row("growth", f"no-op plan time per resource, N={large:,} vs N={small:,}, L=0",
              f"{per[large] * 1000:.2f} ms", f"{per[small] * 1000:.2f} ms",
              per[large] / per[small], target=Target("<=", 1.5),
              data={"per_resource": {str(k): v for k, v in per.items()}})


def apply_overlap(sites: Sites, sizes: Sizes, start_up: float) -> Iterator[Row]:
    """Apply of new endpoints that each take R seconds to become ready: the waits overlap, so
    the apply should take R and a little, plus start-up. Then a no-op plan of the same
    endpoints: its calls per endpoint."""
    n, ready = sizes.apply_endpoints, sizes.readiness_s
    site = sites.get(n, seeded=False, mix=ENDPOINTS)
    applied = site.apply(LATENCY_MS, sizes.parallelism, serving_endpoint_create_seconds=ready)
    waited = applied.seconds - start_up
    yield Row("apply", f"apply of {n} endpoints, readiness R={ready:g} s, L={LATENCY_MS:g} ms",
              f"{seconds(applied.seconds)} ({applied.calls:,} calls)",
              f"R = {ready:g} s + start-up {seconds(start_up)}", waited / ready,
              target=Target("<=", 1.3),
              note="ratio: (wall − start-up) ÷ R", data={
                  "n": n, "readiness": ready, "seconds": applied.seconds, "start_up": start_up,
                  "calls": applied.calls})
    planned = site.plan(LATENCY_MS, sizes.parallelism, expect_changes=False)
    grants = sum(part.read_text().count("permissions:")
                 for part in site.stack.glob("resources/*.yaml"))
    yield Row("plan", f"no-op plan of {n} serving endpoints: calls per endpoint or access list",
              f"{planned.calls:,}", f"{n} endpoints + {grants} access lists",
              planned.calls / (n + grants), unit="", target=Target("<=", 1.1, margin=1.0),
              note=f"{planned.calls / n:.2f} per endpoint: an access list is its own object "
                   "with its own GET (Terraform: a databricks_permissions resource)",
              data={"n": n, "grants": grants, "calls": planned.calls})


def startup(sites: Sites, sizes: Sizes) -> Iterator[Row]:
    bare = _median_run(sizes.repeats + 2, "-c", "pass")
    helped = _median_run(sizes.repeats + 2, "-m", "provisioner", "--help")
    yield Row("start-up", "provisioner --help vs python -c pass",
              f"{seconds(helped)} (+{(helped - bare) * 1000:.0f} ms)", seconds(bare),
              helped / bare, target=Target("<=", round((bare + 0.150) / bare, 2), gate=False),
              note="target: at most 150 ms over the bare interpreter",
              data={"bare": bare, "help": helped})
    stack = sites.get(sizes.validate_n, seeded=False).stack
    validated = statistics.median(commands.provisioner("validate", str(stack)).seconds
                                  for _ in range(sizes.repeats))
    yield Row("start-up", f"provisioner validate, N={sizes.validate_n:,} vs python -c pass",
              seconds(validated), seconds(bare), validated / bare,
              data={"bare": bare, "validate": validated})
    for what, argv in (("--help", ["--help"]), (f"validate, N={sizes.validate_n:,}",
                                                ["validate", str(stack)])):
        loaded = _heavy_modules(argv)
        yield Row("start-up", f"{what}: modules of {' or '.join(HEAVY)} imported",
                  ", ".join(loaded) or "none", "none", float(len(loaded)), unit="",
                  target=Target("<=", 0.0, margin=1.0))


def _median_run(repeats: int, *args: str) -> float:
    return statistics.median(commands.python(*args).seconds for _ in range(repeats))


def _heavy_modules(argv: list[str]) -> list[str]:
    """Run the CLI in a fresh interpreter and list what it imported of HEAVY."""
    probe = ("import sys\nfrom provisioner.cli.main import run\nrun(sys.argv[1:])\n"
             f"print('\\nHEAVY:' + ','.join(sorted(m for m in sys.modules "
             f"if m.split('.')[0] in {HEAVY!r})))")
    run = commands.python("-c", probe, *argv)
    line = next(x for x in reversed(run.out.splitlines()) if x.startswith("HEAVY:"))
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


def unreachable(sites: Sites, sizes: Sizes) -> Iterator[Row]:
    """Time to a clear error when the workspace cannot be reached."""
    stack = sites.get(0, seeded=False).stack
    cases = [("a closed port", _closed_port)]
    if sizes.hanging_host:
        cases.append(("a host that accepts and never answers", _silent_listener))
    for what, host in cases:
        with host() as url:
            run = commands.provisioner("plan", str(stack), host=url, timeout=300)
        clear = run.code == 1 and "cannot reach workspace" in run.err
        yield Row("unreachable", f"plan against {what}", seconds(run.seconds), "30 s",
                  run.seconds / 30 if clear else float("inf"), target=Target("<=", 1.0),
                  note=run.err.strip().splitlines()[-1] if run.err.strip() else "no message",
                  data={"seconds": run.seconds, "code": run.code})


@contextmanager
def _closed_port() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"  # nothing listens there any more: connection refused


@contextmanager
def _silent_listener() -> Iterator[str]:
    """Accepts every connection and never writes a byte (a hung proxy, a stuck server)."""
    held: list[socket.socket] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)

        def accept() -> None:
            while True:
                try:
                    held.append(listener.accept()[0])
                except OSError:
                    return

        threading.Thread(target=accept, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            for connection in held:
                connection.close()


def emulator() -> Iterator[Row]:
    found = throughput.measure()
    n, latency = throughput.CONCURRENCY, found.latency
    data = {"raw_round": found.raw_round, "sdk_round": found.sdk_round,
            "raw_cpu": found.raw_cpu, "sdk_cpu": found.sdk_cpu, "latency": latency}
    yield Row("emulator", f"{n} concurrent GETs at L={latency * 1000:g} ms, http.client",
              seconds(found.raw_round), f"L = {seconds(latency)} (one by one: {n} L)",
              found.raw_round / latency, target=Target("<=", 1.5, margin=2.0), data=data,
              note="the emulator's own row, not the client's: it served 64 requests in 2.3 L "
                   "while five sessions shared the machine's two cores")
    yield Row("emulator", f"{n} concurrent GETs at L={latency * 1000:g} ms, databricks-sdk",
              seconds(found.sdk_round), f"L = {seconds(latency)}", found.sdk_round / latency,
              note=f"{found.sdk_cpu * 1000:.2f} ms of client CPU per request "
                   f"(http.client: {found.raw_cpu * 1000:.2f} ms)", data=data)
    yield Row("emulator", "databricks-sdk round vs L + 64 × its CPU per request",
              seconds(found.sdk_round), seconds(found.sdk_floor),
              found.sdk_round / found.sdk_floor, target=Target("<=", 1.5, gate=False),
              data=data)
