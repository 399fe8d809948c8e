"""Memory over a long filing run: gunicorn (master + workers) and a Celery worker (which works
through the routing, notice and thumbnail tasks the filings queue) have their resident memory
sampled every few seconds while clients file cases for ten minutes. Flat means: after the first
minute (imports, caches, connection set-up), no process group grows by more than the bound.

    python -m bench.memory [--duration 600] [--clients 8] [--rate 40] [--bound 0.10]
"""

from __future__ import annotations

import argparse
import threading
import time

from bench import harness

WARM_UP_S = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=None, help="cap filings per second")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--processes", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--bound", type=float, default=0.10, help="allowed growth after warm-up")
    args = parser.parse_args()
    harness.setup()
    from bench import filing, http, servers

    photo = filing.jpeg()
    requests = filing.requests_for(filing.filings(3000), photo)
    samples: list[tuple[float, float, float]] = []  # (seconds, web MiB, worker MiB)
    stop = threading.Event()
    filing.flush_queue()
    with (
        servers.celery_worker(processes=args.processes) as worker,
        servers.gunicorn(workers=args.workers) as (port, web),
    ):
        started = time.monotonic()

        def sample() -> None:
            while not stop.is_set():
                web_mb = sum(servers.rss_mb(pid) for pid in servers.tree(web.pid))
                worker_mb = sum(servers.rss_mb(pid) for pid in servers.tree(worker.pid))
                samples.append((time.monotonic() - started, web_mb, worker_mb))
                stop.wait(args.every)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stats = http.load(
            f"filing for {args.duration:.0f} s, {args.clients} clients",
            port,
            requests,
            clients=args.clients,
            duration=args.duration,
            rate=args.rate,
        )
        stop.set()
        sampler.join()
    filing.flush_queue()
    summary = {}
    for index, group in ((1, "web (gunicorn master + workers)"), (2, "worker (Celery)")):
        after = [s[index] for s in samples if s[0] >= WARM_UP_S] or [s[index] for s in samples]
        start, end, peak = after[0], after[-1], max(after)
        growth = (end - start) / start if start else 0.0
        summary[group] = {
            "start_mb": round(start, 1),
            "end_mb": round(end, 1),
            "max_mb": round(peak, 1),
            "first_sample_mb": round(samples[0][index], 1),
            "growth": f"{growth:+.1%}",
            "flat": growth <= args.bound,
        }
    for group, figures in summary.items():
        print(f"   {group}: {figures}")
    harness.report(
        "Memory over a long filing run",
        [(stats, None)],
        memory=summary,
        samples=[[round(t), round(w, 1), round(c, 1)] for t, w, c in samples],
        bound=f"{args.bound:.0%} growth after {WARM_UP_S} s",
        gunicorn_workers=args.workers,
        celery_processes=args.processes,
        rate_cap=args.rate,
    )


if __name__ == "__main__":
    main()
