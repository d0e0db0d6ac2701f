"""The scenarios: each measures a figure and the reference it is judged against in the same
run, and returns rows (see `results.Row`).

Plan and apply rows judge *work*: the command's wall time less the wall time of planning an
empty stack at the same latency in the same run (interpreter start-up, imports, connecting),
which is reported as its own row. The latency bound and the readiness delay are about
waiting, not start-up, and a sequential plan pays the same start-up as ours.
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


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is: the full run, or the quick one CI runs."""

    plans: tuple[int, ...]
    latencies_ms: tuple[float, ...]
    sequential_up_to: dict[float, int]
    """Largest N planned with `--parallelism 1`, by latency; larger N are scaled from it."""
    creates: tuple[int, ...]
    speedup_n: int | None
    """The N at which the ≥ 25× speed-up over sequential is a target."""
    bound_from_n: int
    """From this N the plan must come within 1.5× of the latency bound (below it start-up
    noise is as large as the plan's work)."""
    growth: tuple[int, int]
    apply_endpoints: int
    readiness_s: float
    validate_n: int
    hanging_host: bool
    wide_parallelism: int | None = None
    """Also plan at this parallelism where the speed-up target applies: what more
    concurrency buys over the default."""
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
             sequential_up_to={0.0: 5000, 50.0: 1000}, creates=(100, 1000, 5000),
             speedup_n=1000, bound_from_n=1000, growth=(100, 5000), apply_endpoints=100,
             readiness_s=3.0, validate_n=1000, hanging_host=True, wide_parallelism=64,
             chart=True)
QUICK = Sizes(plans=(100, 500), latencies_ms=(50.0,), sequential_up_to={}, creates=(100, 500),
              speedup_n=None, bound_from_n=500, growth=(100, 500), apply_endpoints=20,
              readiness_s=2.0, validate_n=500, hanging_host=False)

LATENCY_MS = 50.0
"""The latency targets are set at: a fast real workspace (50–300 ms per round trip)."""


def all_scenarios(sites: Sites, sizes: Sizes, log: Callable[[str], None]) -> Iterator[Row]:
    empty = {latency: _fixed_cost(sites, latency, sizes) for latency in
             {*sizes.latencies_ms, LATENCY_MS}}
    for latency, t0 in sorted(empty.items()):
        yield Row("fixed cost", f"plan of an empty stack, L={latency:g} ms", seconds(t0),
                  "", 1.0, note="start-up, imports, connect: subtracted as `work` below",
                  data={"latency_ms": latency, "seconds": t0})
    log("plans of existing resources")
    yield from noop_plans(sites, sizes, empty)
    log("plans of new resources")
    yield from create_plans(sites, sizes, empty[LATENCY_MS])
    log("cost growth")
    yield from growth(sites, sizes)
    log("apply")
    yield from apply_overlap(sites, sizes, empty[LATENCY_MS])
    log("start-up")
    yield from startup(sites, sizes)
    log("registered models")
    yield from models.model_plans(sizes.repeats)
    log("unreachable workspace")
    yield from unreachable(sites, sizes)
    log("emulator throughput")
    yield from emulator()


def _fixed_cost(sites: Sites, latency: float, sizes: Sizes) -> float:
    return _plan(sites.get(0, seeded=False), latency, sizes.parallelism, sizes).seconds


def _plan(site: Site, latency: float, parallelism: int, sizes: Sizes, *,
          changes: bool = False) -> Measured:
    """The fastest of `repeats` runs for a short plan, else one run."""
    runs = sizes.repeats if site.n <= sizes.repeat_up_to else 1
    return min((site.plan(latency, parallelism, expect_changes=changes) for _ in range(runs)),
               key=lambda measured: measured.seconds)


def noop_plans(sites: Sites, sizes: Sizes, empty: dict[float, float]) -> Iterator[Row]:
    """No-op plans (everything exists, the state matches): ours, sequential, the bound."""
    p = sizes.parallelism
    per_resource: dict[float, tuple[int, float]] = {}  # latency -> (N, sequential work / N)
    largest: Measured | None = None
    for n in sizes.plans:
        site = sites.get(n, seeded=True)
        for latency in sizes.latencies_ms:
            ours = _plan(site, latency, p, sizes)
            work = ours.seconds - empty[latency]
            case = f"no-op plan, N={n:,}, L={latency:g} ms"
            data = {"n": n, "latency_ms": latency, "parallelism": p, "seconds": ours.seconds,
                    "work": work, "calls": ours.calls, "peak_rss_mb": ours.peak_rss_mb}
            if n <= sizes.sequential_up_to.get(latency, -1):
                sequential = _plan(site, latency, 1, sizes)
                seq_work = sequential.seconds - empty[latency]
                per_resource[latency] = (n, seq_work / n)
                how = "--parallelism 1"
            elif latency in per_resource:
                measured_n, each = per_resource[latency]
                seq_work = each * n
                how = f"--parallelism 1 at N={measured_n:,}, scaled per resource"
            else:
                seq_work = None
            if seq_work is not None:
                data |= {"sequential_work": seq_work, "sequential_how": how}
                targeted = n == sizes.speedup_n and latency == LATENCY_MS
                yield Row("plan", f"{case}: vs sequential",
                          f"{seconds(ours.seconds)} (work {seconds(work)})",
                          f"{seconds(seq_work + empty[latency])} (work {seconds(seq_work)}; "
                          f"{how})", seq_work / work, data=data,
                          note=f"at most {p}×: {p} calls in flight" if latency else "")
                if targeted and sizes.wide_parallelism:
                    yield from _wider(site, sizes.wide_parallelism, latency, empty[latency],
                                      seq_work, case)
            if latency:
                bound = ours.calls / p * latency / 1000
                data["bound"] = bound
                target = Target("<=", 1.5) if n >= sizes.bound_from_n else None
                yield Row("plan", f"{case}: vs latency bound", f"work {seconds(work)}",
                          f"{seconds(bound)} ({ours.calls:,} calls ÷ {p} × {latency:g} ms)",
                          work / bound, target=target, data=data)
            if latency == max(sizes.latencies_ms):
                # Gated at the largest N only: a plan also makes a handful of calls of its own
                # (reachability, secrets preflight, the caller's identity), which weigh 0.06 per
                # resource at N=100 and round to nothing at the largest N.
                yield Row("plan", f"no-op plan, N={n:,}: calls per resource", f"{ours.calls:,}",
                          f"{n:,} resources", ours.calls / n, unit="",
                          target=Target("<=", 1.5, margin=1.0) if n == max(sizes.plans)
                          else None)
            if largest is None or ours.peak_rss_mb > largest.peak_rss_mb:
                largest = ours
    if largest is not None:
        n = max(sizes.plans)
        yield Row("memory", f"peak RSS of a no-op plan, N={n:,}", f"{largest.peak_rss_mb:.0f} MB",
                  "300 MB", largest.peak_rss_mb / 300, target=Target("<=", 1.0),
                  data={"n": n, "peak_rss_mb": largest.peak_rss_mb})


SPEEDUP = 25.0
"""The speed-up over sequential a plan must reach at N = `speedup_n`, L = 50 ms: with more
calls in flight than the default (which caps it at the default parallelism)."""


def _wider(site: Site, parallelism: int, latency: float, empty: float, seq_work: float,
           case: str) -> Iterator[Row]:
    wide = site.plan(latency, parallelism, expect_changes=False)
    work = wide.seconds - empty
    bound = wide.calls / parallelism * latency / 1000
    data = {"n": site.n, "latency_ms": latency, "parallelism": parallelism, "wide": True,
            "seconds": wide.seconds, "work": work, "calls": wide.calls, "bound": bound}
    yield Row("plan", f"{case}, --parallelism {parallelism}: vs sequential",
              f"{seconds(wide.seconds)} (work {seconds(work)})", f"work {seconds(seq_work)}",
              seq_work / work, data=data, target=Target(">=", SPEEDUP))
    yield Row("plan", f"{case}, --parallelism {parallelism}: vs latency bound",
              f"work {seconds(work)}", f"{seconds(bound)} ({wide.calls:,} calls ÷ "
              f"{parallelism} × {latency:g} ms)", work / bound, data=data)


def create_plans(sites: Sites, sizes: Sizes, empty: float) -> Iterator[Row]:
    """Plans where nothing exists yet: one list per kind says so, absent ones are not read.
    Such a plan makes a few calls in all, so it is judged by how its calls grow with N: not
    at all. Its latency bound is a few round trips, far below the CPU any plan of N resources
    needs, so that row has no target."""
    p = sizes.parallelism
    calls: dict[int, int] = {}
    for n in sizes.creates:
        site = sites.get(n, seeded=False)
        ours = _plan(site, LATENCY_MS, p, sizes, changes=True)
        work = ours.seconds - empty
        bound = ours.calls / p * LATENCY_MS / 1000
        case = f"create plan, N={n:,}, L={LATENCY_MS:g} ms"
        data = {"n": n, "seconds": ours.seconds, "work": work, "calls": ours.calls,
                "bound": bound, "parallelism": p}
        if n == sizes.speedup_n:
            sequential = site.plan(LATENCY_MS, 1, expect_changes=True)
            seq_work = sequential.seconds - empty
            data["sequential_work"] = seq_work
            yield Row("plan", f"{case}: vs sequential", f"{seconds(ours.seconds)} "
                      f"(work {seconds(work)})", f"{seconds(sequential.seconds)} "
                      f"(work {seconds(seq_work)})", seq_work / work, data=data)
        yield Row("plan", f"{case}: vs latency bound", f"work {seconds(work)}",
                  f"{seconds(bound)} ({ours.calls:,} calls ÷ {p} × {LATENCY_MS:g} ms)",
                  work / bound, data=data,
                  note="a handful of list calls: the work is loading, diffing and printing")
        calls[n] = ours.calls
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


def apply_overlap(sites: Sites, sizes: Sizes, empty: float) -> Iterator[Row]:
    """Apply of new endpoints that each take R seconds to become ready: the waits overlap."""
    n, ready = sizes.apply_endpoints, sizes.readiness_s
    site = sites.get(n, seeded=False, mix=ENDPOINTS)
    applied = site.apply(LATENCY_MS, sizes.parallelism, serving_endpoint_create_seconds=ready)
    work = applied.seconds - empty
    bound = applied.calls / sizes.parallelism * LATENCY_MS / 1000
    yield Row("apply", f"apply of {n} endpoints, readiness R={ready:g} s, L={LATENCY_MS:g} ms",
              f"{seconds(applied.seconds)} (work {seconds(work)})",
              f"R = {ready:g} s; round-trip bound {seconds(bound)} ({applied.calls:,} calls)",
              work / ready, target=Target("<=", round(1.2 + bound / ready, 2)),
              note="target: R × 1.2 + the round-trip bound, over R",
              data={"n": n, "readiness": ready, "seconds": applied.seconds, "work": work,
                    "calls": applied.calls, "bound": bound})


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
              found.raw_round / latency, target=Target("<=", 1.5), data=data)
    yield Row("emulator", f"{n} concurrent GETs at L={latency * 1000:g} ms, databricks-sdk",
              seconds(found.sdk_round), f"L = {seconds(latency)}", found.sdk_round / latency,
              note=f"{found.sdk_cpu * 1000:.2f} ms of client CPU per request "
                   f"(http.client: {found.raw_cpu * 1000:.2f} ms)", data=data)
    yield Row("emulator", "databricks-sdk round vs L + 64 × its CPU per request",
              seconds(found.sdk_round), seconds(found.sdk_floor),
              found.sdk_round / found.sdk_floor, target=Target("<=", 1.5, gate=False),
              data=data)
