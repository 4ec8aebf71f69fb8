"""Where one accepted event's time goes in the service, without sockets: a profiling helper.

    .venv/bin/python -m bench.profile_events [--couples 20] [--db sqlite:///...] [--top 40]

Seeds couples with open sessions of the library plan ``everyday-connection`` on a temporary SQLite
database (or ``--db``), runs each couple's whole event script through ``live.handle_event`` in
process under cProfile, and prints the CPU time per event and the functions that took most of it.
Each event runs in an app context of its own, as the server runs a Socket.IO message. Snapshots go
to empty rooms (no sockets), so publishing costs building and encoding only.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
import uuid

from bench.infra import event_script, library_plan, make_app, seed_couples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_events", description=__doc__.split("\n\n")[0])
    parser.add_argument("--couples", type=int, default=20)
    parser.add_argument("--db", default="")
    parser.add_argument("--plan", default="everyday-connection")
    parser.add_argument("--top", type=int, default=40)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = opts.db or f"sqlite:///{folder}/profile.db"
        app = make_app(url)
        from couples.database import upgrade_database

        upgrade_database(app)
        plan = library_plan(opts.plan)
        script = event_script(plan)
        couples = seed_couples(app, opts.couples, plan)
        from couples.services import live

        profile = cProfile.Profile()
        events, started, cpu = 0, time.perf_counter(), time.process_time()
        for couple in couples:
            session_id = couple["sessions"][0]
            for role, type_, step_id, data in script:
                command = live.LiveCommand(uuid.uuid4().hex, session_id, type_, step_id, data)
                profile.enable()
                with app.app_context():  # as the server handles a Socket.IO message (realtime.namespace)
                    live.handle_event(couple[role], command)
                profile.disable()
                events += 1
        cpu = time.process_time() - cpu
        print(f"{events} events, {cpu / events * 1000:.2f} ms CPU per event "
              f"({(time.perf_counter() - started) / events * 1000:.2f} ms wall, profiler included)")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(opts.top)


if __name__ == "__main__":
    main()
