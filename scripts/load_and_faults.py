"""Load and fault run against gunicorn on the loopback (bounded in time).

    .venv/bin/python scripts/load_and_faults.py                       # load + fault
    .venv/bin/python scripts/load_and_faults.py --sessions 30 --seconds 60 --no-fault

1. Rebuilds its own database (default `yibao_load` on the server of DATABASE_URL, or
   127.0.0.1), migrates, seeds staff (clerks and supervisors of hall BJ01) and insured
   persons, and starts gunicorn (production settings, DEBUG off) on 127.0.0.1:PORT.
2. Load phase: SESSIONS concurrent signed-in staff sessions for SECONDS: clerks search
   persons and take counter intakes (pre-check, then submit with a PNG scan), supervisors
   open the queue, review and approve, and read / filter the audit log. Reports
   requests/s, p50/p95/p99 per kind and the number of 5xx (must be 0).
3. Fault phase (unless --no-fault; needs root and a local cluster): the same load for
   FAULT_SECONDS, PostgreSQL is stopped OUTAGE seconds in the middle (`pg_ctlcluster
   --skip-systemctl-redirect 15 main stop -m fast`, then `start`). Every response during
   the outage must be the 503 page ("系统繁忙,请稍后重试", no traceback); the service must
   answer 2xx again within seconds after PostgreSQL is back.
4. Invariants afterwards (in this process, through the ORM): binding limits per holder
   and member, balances = ledger sums (settlements.selectors.ledger_mismatches), exactly
   one history row per change and one audit event per history row, every application
   complete (binding, proof, stored scans), no 5xx with a traceback.

Exit status 0 when every check passed. Never touches any other database.
"""


import argparse
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from loadfaults.invariants import check_invariants
from loadfaults.sessions import make_fault, run_phase, summarize
from loadfaults.setup import ROOT, rebuild_database, seed, setup_environment, start_gunicorn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--fault-seconds", type=float, default=40)
    parser.add_argument("--outage", type=float, default=3.0)
    parser.add_argument("--no-fault", action="store_true")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    parser.add_argument("--database", default="yibao_load")
    parser.add_argument("--pairs", type=int, default=2500)
    parser.add_argument("--report", type=Path, default=ROOT / "var" / "load-report.json")
    args = parser.parse_args()
    if not args.database.startswith("yibao_load"):
        sys.exit("the load run only uses its own database (yibao_load*)")
    env = setup_environment(args)
    print(f"rebuilding {args.database} ...", flush=True)
    rebuild_database(env, args.database)
    seeded = seed(clerks=20, supervisors=10, pairs=args.pairs)
    proc = start_gunicorn(env, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    report = {"sessions": args.sessions, "workers": args.workers}
    try:
        load = run_phase(base, seeded, args.sessions, args.seconds)
        report["load"] = summarize(load, f"load: {args.sessions} sessions, {args.workers} workers")
        if not args.no_fault:
            fault = make_fault(args.outage, after=args.fault_seconds / 3, base=base)
            faulted = run_phase(base, seeded, args.sessions, args.fault_seconds, fault)
            report["fault"] = summarize(faulted, f"fault: PostgreSQL stopped for "
                                                 f"{args.outage:.0f} s")
            info = faulted["fault"]
            report["fault"]["timeline"] = info
            during = [s for s in faulted["recorder"].samples
                      if faulted["started"] + info["stop"] <= s[0]
                      <= faulted["started"] + info["up"] + 1]
            report["fault"]["during_outage"] = dict(Counter(s[2] for s in during))
            print(f"   outage: stop at {info['stop']:.1f} s, up at {info['up']:.1f} s, "
                  f"answering again {info['recovered_after_start_s']} s after start; "
                  f"responses during outage: {report['fault']['during_outage']}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    ready = subprocess.run(["pg_isready", "-h", "127.0.0.1"], capture_output=True, text=True)
    print(f"pg_isready: {ready.stdout.strip()}")
    problems = check_invariants(ROOT / "var" / "load-media")
    report["invariants"] = problems or "ok"
    print("invariants: " + ("ok" if not problems else "\n  ".join(["BROKEN", *problems])))
    failures = []
    if report["load"]["count_5xx"]:
        failures.append("5xx under load")
    if "fault" in report:
        if report["fault"]["bad_5xx"]:
            failures.append(f"5xx other than the 503 page: {report['fault']['bad_5xx']}")
        if report["fault"]["timeline"]["recovered_after_start_s"] is None:
            failures.append("no recovery")
    if problems:
        failures.append("invariants")
    report["failures"] = failures
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print("result: " + ("PASS" if not failures else "FAIL " + "; ".join(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
