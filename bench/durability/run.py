"""Soak + outage + kill -9 of otelcol-mcpparity with the generated defaults (the long version of
tests/durability): the exporter's backend is down for --outage-s (default 300 s) while raw spans
arrive at --rate spans/s, then `kill -9` under load, a restart on the same queue directory, the
backend comes up, --after-s more seconds of load. Prints spans/s held, spans lost (acknowledged and
never received), duplicates, refusals, RSS max and the queue's size on disk; exits 1 if any
acknowledged span was lost.

    .cache/venv/bin/python bench/durability/run.py [--outage-s 300] [--rate 2000]

Loopback only; the sender runs on the same cores as the collector (the figures say so)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "durability"))
sys.path.insert(0, str(ROOT / "tests"))

from durability import Scenario, run_scenario  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage-s", type=float, default=300.0, help="exporter down, load on, then kill -9")
    parser.add_argument("--after-s", type=float, default=60.0, help="load after the restart with the backend up")
    parser.add_argument("--rate", type=int, default=2000, help="offered spans/s")
    parser.add_argument("--memory-limit-mib", type=int, default=512, help="mcpparity generate --memory-limit-mib")
    parser.add_argument("--queue-size-mib", type=int, default=1024, help="mcpparity generate --queue-size-mib")
    parser.add_argument("--protocol", choices=("grpc", "http"), default="grpc", help="backend protocol: otlp_grpc or otlp_http exporter")
    parser.add_argument("--workdir", default=None, help="keep the queue, configs and logs here (default: a temp dir, removed)")
    args = parser.parse_args()
    if not 0 < args.outage_s <= 900 or not 0 <= args.after_s <= 600 or not 0 < args.rate <= 50_000:
        parser.error("--outage-s in (0, 900], --after-s in [0, 600], --rate in (0, 50000]")
    scenario = Scenario(outage_s=args.outage_s, after_s=args.after_s, rate=args.rate, memory_limit_mib=args.memory_limit_mib,
                        queue_size_mib=args.queue_size_mib, drain_timeout_s=max(120.0, args.outage_s), protocol=args.protocol)
    log = lambda message: print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)  # noqa: E731
    log(f"durability: {os.cpu_count()} cores, sender on the same cores, scenario {scenario}")
    if args.workdir:
        result = run_scenario(Path(args.workdir), scenario, log=log)
    else:
        with tempfile.TemporaryDirectory(prefix="mcpparity-durability-") as tmp:
            result = run_scenario(Path(tmp), scenario, log=log)
    summary = result.summary()
    print(json.dumps(summary, sort_keys=True))
    print(f"outage {summary['outage_s']} s at {args.rate} spans/s offered: held {summary['held_spans_per_s']} spans/s, "
          f"acknowledged {summary['acked']}, lost {summary['lost']}, duplicates {summary['duplicates']}, "
          f"refused {summary['refused']}, RSS max {summary['rss_max_mib']} MiB, queue max {summary['queue_max_mib']} MiB on disk, "
          f"drained in {summary['drain_s']} s")
    return 1 if result.lost else 0


if __name__ == "__main__":
    sys.exit(main())
