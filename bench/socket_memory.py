"""Where a connected socket's memory goes: the app against the bare relay, in the same run.

    .venv/bin/python -m bench.socket_memory                       # 500 couples (1,000 sockets), app + relays
    .venv/bin/python -m bench.socket_memory --couples 200 --trace # + tracemalloc and gc diffs (slower)

For each server (the app on SQLite under bench/serve.py, the bare relay, then the bare relay with the app's
smaller write buffer per connection, ``relay-small``: the like-for-like baseline) it connects 2N
python-socketio clients that join their session as the load generator does, and prints the memory
per socket: RSS growth (from /proc, as bench/run.py measures it), the Python heap's growth (sys
allocator blocks), and with ``--trace`` the lines that allocated most of that growth and the object
types that multiplied. The server is started through this module (``--serve``), which installs a
SIGUSR1 handler writing those figures to a file, then runs the real server script unchanged.
MEMORY_TRACE_FRAMES sets how many frames tracemalloc keeps (default 12).
"""

from __future__ import annotations

# Only the standard library's lightest modules at the top: with --serve this module runs before the
# server's eventlet.monkey_patch(), which must come before asyncio, threading users, sockets and the app.
import argparse
import gc
import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = {"app": ROOT / "bench" / "serve.py", "relay": ROOT / "bench" / "bare_relay.py",
           "relay-small": ROOT / "bench" / "bare_relay.py"}


# -- inside the server -----------------------------------------------------------------------------


PYMALLOC = {"# bytes in allocated blocks": "pymalloc_used", "# bytes in available blocks": "pymalloc_free_blocks",
            "unused pools": "pymalloc_free_pools", "arenas *": "pymalloc_arenas"}


def _pymalloc_bytes() -> dict[str, int]:
    """Python's small-object allocator: bytes in live blocks, in free blocks and pools, in arenas
    (``sys._debugmallocstats``, which writes to the C stderr: read back through a file)."""
    import tempfile

    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode()
    found = {}
    for line in text.splitlines():
        for label, key in PYMALLOC.items():
            if label in line and "=" in line:
                found[key] = int(line.rsplit("=", 1)[1].replace(",", ""))
    return found


def _malloc_bytes() -> dict[str, int]:
    """glibc's heap (``mallinfo2``): bytes in use and free in its arenas, and in mmapped chunks."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                     "keepcost")]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    return {"malloc_used": info.uordblks, "malloc_free": info.fordblks, "malloc_mmapped": info.hblkhd}


def _heap_figures(report_path: str, trace: bool) -> None:
    """Write this process's heap figures to ``report_path`` (and a tracemalloc snapshot beside it)."""
    import tracemalloc

    import greenlet

    gc.collect()
    objects = gc.get_objects()
    types = Counter(type(o).__qualname__ for o in objects)
    greenlets = sum(isinstance(o, greenlet.greenlet) for o in objects)
    del objects
    stacks = sys.modules.get("couples.realtime.stacks")
    figures: dict[str, Any] = {"shared_stacks": len(stacks.SHARED._shared) if stacks else None,
                               "blocks": sys.getallocatedblocks(), "types": dict(types.most_common(400)),
                               "greenlets": greenlets, **_pymalloc_bytes(), **_malloc_bytes()}
    if trace and tracemalloc.is_tracing():
        tracemalloc.take_snapshot().dump(report_path + ".snapshot")
        figures["traced"] = tracemalloc.get_traced_memory()[0]
    Path(report_path + ".tmp").write_text(json.dumps(figures))
    os.replace(report_path + ".tmp", report_path)


def serve(script: str, report_path: str, trace: bool) -> None:
    """Run ``script`` as the server, answering SIGUSR1 with ``_heap_figures``."""
    import runpy

    if trace:
        import tracemalloc

        tracemalloc.start(int(os.environ.get("MEMORY_TRACE_FRAMES") or 12))
    signal.signal(signal.SIGUSR1, lambda *_: _heap_figures(report_path, trace))
    sys.argv = [script]
    sys.path.insert(0, str(ROOT))
    runpy.run_path(script, run_name="__main__")


# -- the clients ------------------------------------------------------------------------------------


async def _hold(specs: list[dict], mode: str, control: Any, results: Any) -> None:
    import asyncio

    from .loadgen import Couple, Figures

    figures = Figures()
    couples = [Couple(spec, [], mode, figures) for spec in specs]
    gate = asyncio.Semaphore(25)

    async def connect(couple: Couple) -> int:
        async with gate:
            try:
                await couple.connect()
                return 1
            except Exception as error:  # noqa: BLE001
                figures.error(f"connect:{type(error).__name__}")
                return 0

    connected = sum(await asyncio.gather(*(connect(c) for c in couples)))
    results.put({"kind": "connected", "couples": connected, "errors": figures.errors})
    await asyncio.get_running_loop().run_in_executor(None, control.get)
    await asyncio.gather(*(c.close() for c in couples))
    results.put({"kind": "closed"})


def holder(specs: list[dict], mode: str, control: Any, results: Any) -> None:
    """One client process: connect and join every couple of ``specs``, hold them until told."""
    import asyncio

    try:
        asyncio.run(_hold(specs, mode, control, results))
    except Exception as error:  # noqa: BLE001
        results.put({"kind": "failed", "error": repr(error)})


# -- the runner -------------------------------------------------------------------------------------


def _figures(server: Any, path: Path) -> dict:
    path.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.3)
    status = dict(line.split(":", 1) for line in Path(f"/proc/{server.pid}/status").read_text().splitlines())
    resident = {key: int(status[key].split()[0]) for key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "Threads")}
    return {**json.loads(path.read_text()), **resident, "mappings": _mappings(server.pid)}


def _mappings(pid: int) -> dict[str, list]:
    """Every mapping of the process: start address -> [its name or size class, resident KB]."""
    found: dict[str, list] = {}
    current = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            current = fields[0].split("-")[0]
            found[current] = [fields[5] if len(fields) > 5 else f"anon {(end - start) // 1024} KB", 0]
        elif fields[0] == "Rss:":
            found[current][1] = int(fields[1])
    return found


def _mapping_growth(before: dict, after: dict, sockets: int) -> list[str]:
    """The mappings (grouped by name or size) whose resident memory grew, in KB per socket."""
    growth: Counter[str] = Counter()
    for start, (name, rss) in after["mappings"].items():
        growth[name] += rss - before["mappings"].get(start, [name, 0])[1]
    return [f"{name}: {kb / sockets:.2f}" for name, kb in growth.most_common(8)]


SIZES = ("VmRSS", "RssAnon", "RssFile", "RssShmem", "pymalloc_used", "pymalloc_free_blocks", "pymalloc_free_pools",
         "pymalloc_arenas", "malloc_used", "malloc_free", "malloc_mmapped")
"""What is compared: resident memory by kind (KB, /proc), Python's and glibc's heaps (bytes)."""


def _growth(before: dict, after: dict, sockets: int) -> dict[str, float]:
    """KB per socket of every size in SIZES between two figures."""
    return {key: round((after[key] - before[key]) / (1 if key.startswith(("Vm", "Rss")) else 1024) / sockets, 2)
            for key in SIZES if key in before and key in after}  # no pymalloc figures under tracemalloc


def measure(mode: str, couples: int, opts: argparse.Namespace, plan) -> dict:
    """Connect ``couples`` couples to one server of ``mode`` in two waves of half each; the growth
    from idle per socket, and the second wave's alone (what one more socket costs, without the
    one-time costs of the first connections)."""
    import multiprocessing
    import tempfile
    import urllib.request

    from . import infra
    from .run import _get

    tmp = Path(tempfile.mkdtemp(prefix="couples-memory-"))
    report = tmp / "heap.json"
    argv = [sys.executable, "-m", "bench.socket_memory", "--serve", str(SCRIPTS[mode]), str(report)]
    argv += ["--trace"] if opts.trace else []
    env = {"MALLOC_ARENA_MAX": opts.arenas} if opts.arenas else {}
    if mode == "app":
        url = f"sqlite:///{tmp / 'memory.sqlite3'}"
        server = infra.app_server(url, stats_file=str(tmp / "stats.json"), extra_env=env)
        server.argv = argv
        server.env["PYTHONPATH"] = str(infra.ROOT)
        server.start(timeout=600)  # it creates the schema (tracemalloc makes starting slow)
        app = infra.make_app(url)
        seeded = infra.seed_couples(app, couples, plan)
        specs = [{"couple_id": c["couple_id"], "sessions": c["sessions"],
                  "cookies": {"a": infra.session_cookie(app, c["a"]), "b": infra.session_cookie(app, c["b"])}}
                 for c in seeded]
    else:
        if mode == "relay-small":
            from couples.config import WRITE_BUFFER_BYTES

            env["RELAY_WRITE_BUFFER"] = str(WRITE_BUFFER_BYTES)
        server = infra.Server(argv, {**env, "PYTHONPATH": str(infra.ROOT)}, infra.free_port(), ready_path="/ping")
        specs = [{"couple_id": i, "sessions": [i + 1], "cookies": {}} for i in range(couples)]
        server.start(timeout=600)
    workers: list[multiprocessing.Process] = []
    controls: list[Any] = []
    context = multiprocessing.get_context("spawn")
    results = context.Queue()

    def wave(share: list[dict]) -> tuple[int, dict]:
        """Connect ``share`` from one more client process; the sockets connected and the figures after."""
        control = context.Queue()
        controls.append(control)
        client = "app" if mode == "app" else "relay"
        workers.append(context.Process(target=holder, args=(share, client, control, results), daemon=True))
        workers[-1].start()
        connected = _get(results, "connected", 300)
        time.sleep(1.0)
        return 2 * connected["couples"], {**_figures(server, report), "errors": connected["errors"]}

    try:
        for spec in specs:
            spec["urls"] = {"a": server.url, "b": server.url}
        urllib.request.urlopen(server.url + server.ready_path, timeout=5).read()
        time.sleep(0.5)
        idle = _figures(server, report)
        if opts.trace:
            os.replace(str(report) + ".snapshot", tmp / "idle.snapshot")
        first, half = wave(specs[: couples // 2])
        second, full = wave(specs[couples // 2:])
        sockets = first + second
        out = {"mode": mode, "sockets": sockets, "errors": [f["errors"] for f in (half, full) if f["errors"]],
               "rss_kb_per_socket": (full["VmRSS"] - idle["VmRSS"]) / sockets,
               "kb_per_socket": _growth(idle, full, sockets),
               "second_wave_kb_per_socket": _growth(half, full, second),
               "mappings_kb_per_socket": _mapping_growth(idle, full, sockets),
               "threads": [idle["Threads"], full["Threads"]],
               "shared_stacks": full["shared_stacks"],
               "blocks_per_socket": (full["blocks"] - idle["blocks"]) / sockets,
               "greenlets": [idle["greenlets"], full["greenlets"]],
               "objects_per_socket": {name: round((count - idle["types"].get(name, 0)) / sockets, 2)
                                      for name, count in full["types"].items()
                                      if count - idle["types"].get(name, 0) >= sockets / 4}}
        if opts.trace:
            out["traced_kb_per_socket"] = (full["traced"] - idle["traced"]) / 1024 / sockets
            out["top"] = _top(tmp / "idle.snapshot", Path(str(report) + ".snapshot"), sockets, opts.top)
        for control in controls:
            control.put("close")
        return out
    finally:
        for proc in workers:
            proc.join(timeout=20)
            if proc.is_alive():
                proc.kill()
        server.stop()


def _top(before: Path, after: Path, sockets: int, limit: int) -> list[str]:
    """The allocation sites that grew most between the snapshots, in bytes per socket."""
    import tracemalloc

    old, new = tracemalloc.Snapshot.load(str(before)), tracemalloc.Snapshot.load(str(after))
    lines = []
    for stat in new.compare_to(old, "traceback")[:limit]:
        frames = [f"{f.filename.replace(str(ROOT), '.').split('site-packages/')[-1]}:{f.lineno}"
                  for f in stat.traceback[-6:]]
        lines.append(f"{stat.size_diff / sockets:8.0f} B/socket {stat.count_diff / sockets:6.2f} blocks  "
                     + " <- ".join(reversed(frames)))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.socket_memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--couples", type=int, default=500)
    parser.add_argument("--plan", default="everyday-connection")
    parser.add_argument("--modes", default="app,relay,relay-small")
    parser.add_argument("--trace", action="store_true", help="tracemalloc in the server (slows it down)")
    parser.add_argument("--top", type=int, default=25, help="allocation sites to show with --trace")
    parser.add_argument("--arenas", default="", help="MALLOC_ARENA_MAX for the servers (evidence only)")
    parser.add_argument("--serve", nargs=2, metavar=("SCRIPT", "REPORT"), help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.serve:
        return serve(opts.serve[0], opts.serve[1], opts.trace)
    from . import infra

    plan = infra.library_plan(opts.plan)
    results = [measure(mode, opts.couples, opts, plan) for mode in opts.modes.split(",")]
    print(json.dumps(results, indent=1))
    for r in results:
        print(f"{r['mode']}: {r['sockets']} sockets, RSS {r['rss_kb_per_socket']:.1f} KB/socket; KB/socket by kind "
              f"{r['kb_per_socket']}; second wave alone {r['second_wave_kb_per_socket']}; mappings "
              f"{r['mappings_kb_per_socket']}; threads {r['threads']}")
    rss = {r["mode"]: r["rss_kb_per_socket"] for r in results}
    if "app" in rss:
        against = ", ".join(f"{mode} {kb:.1f} ({rss['app'] / kb:.2f}x)" for mode, kb in rss.items() if mode != "app")
        print(f"RSS KB/socket: app {rss['app']:.1f}, {against}; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
