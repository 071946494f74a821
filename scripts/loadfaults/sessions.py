"""HTTP sessions of the load and fault run: staff sessions, load phases, the fault."""

import functools
import http.cookiejar
import io
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict

from loadfaults.setup import PASSWORD, PG_CLUSTER, ROOT  # noqa: F401

# --- HTTP sessions -------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: list[tuple[float, str, int, float]] = []  # (t, kind, status, seconds)
        self.bad_bodies: list[str] = []

    def add(self, kind: str, status: int, seconds: float, body: bytes) -> None:
        with self.lock:
            self.samples.append((time.monotonic(), kind, status, seconds))
            if status >= 500:
                text = body.decode("utf-8", "replace")
                if "Traceback" in text or status != 503 or "系统繁忙" not in text:
                    self.bad_bodies.append(f"{kind} {status}: {text[:200]}")


class Session:
    def __init__(self, base: str, recorder: Recorder):
        self.base = base
        self.recorder = recorder
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, kind: str, path: str, data=None, files=None):
        url = self.base + path
        headers = {"Referer": self.base + "/admin/"}
        body = None
        if files is not None:
            body, ctype = _multipart({**(data or {}), "csrfmiddlewaretoken": self.csrf()},
                                     files)
            headers["Content-Type"] = ctype
        elif data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()},
                                          doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        try:
            with self.opener.open(urllib.request.Request(url, body, headers), timeout=30) as r:
                status, content, location = r.status, r.read(), r.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            status, content, location = exc.code, exc.read(), exc.headers.get("Location", "")
        except (urllib.error.URLError, OSError, TimeoutError):
            status, content, location = 0, b"", ""
        self.recorder.add(kind, status, time.monotonic() - started, content)
        return status, content.decode("utf-8", "replace"), location

    def login(self, username: str) -> bool:
        self.request("login", "/admin/login/")
        status, _body, _loc = self.request("login", "/admin/login/?next=/admin/", {
            "username": username, "password": PASSWORD, "next": "/admin/"})
        return status == 302


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                      f"{item}\r\n".encode())
    for name, (filename, content, ctype) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


@functools.cache
def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()




def clerk_loop(session: Session, pairs, stop: threading.Event, outcomes: Counter) -> None:
    while not stop.is_set():
        if random.random() < 0.5:
            term = random.choice(["压测1", "压测2", "110101"])
            session.request("search", "/admin/families/person/?" + urllib.parse.urlencode(
                {"q": term}))
            continue
        try:
            (holder_id, holder_name), (member_id, member_name) = pairs.pop()
        except IndexError:
            time.sleep(0.2)
            continue
        parties = {"kind": "binding", "holder_id_type": "resident_id",
                   "holder_id_number": holder_id, "holder_name": holder_name,
                   "member_id_type": "resident_id", "member_id_number": member_id,
                   "member_name": member_name, "relationship": "parent", "reserve": ""}
        session.request("intake", "/admin/counter/intake/")
        status, body, _ = session.request("precheck", "/admin/counter/intake/",
                                          {**parties, "action": "precheck"})
        if status != 200 or 'value="submit"' not in body:
            outcomes["precheck_refused" if status == 200 else f"precheck_{status}"] += 1
            continue
        status, _body, location = session.request(
            "submit", "/admin/counter/intake/",
            {**parties, "action": "submit", "no_face_reason": "elderly",
             "holder_id_seen": "on", "member_id_seen": "on", "proof_seen": "on",
             "proof_type": "household_register", "proof_number": f"HK{uuid.uuid4().hex[:8]}",
             "commitment_signed": "on"},
            files={"scans": ("户口簿.png", _png(), "image/png")})
        outcomes["submitted" if status == 302 else f"submit_{status}"] += 1
        if status == 302 and location:
            session.request("receipt", urllib.parse.urlparse(location).path)


def supervisor_loop(session: Session, stop: threading.Event, outcomes: Counter) -> None:
    while not stop.is_set():
        roll = random.random()
        if roll < 0.4:
            query = random.choice(["", "?action=binding_apply", "?model=families.binding",
                                   "?date_from=2020-01-01&date_to=2030-12-31"])
            session.request("audit_log", "/admin/audit/auditevent/" + query)
            continue
        status, body, _ = session.request("queue", "/admin/counter/queue/")
        ids = re.findall(r"/admin/counter/applications/(\d+)/review/", body)
        if not ids:
            time.sleep(0.2)
            continue
        pk = random.choice(ids[:10])
        status, body, _ = session.request("review", f"/admin/counter/applications/{pk}/review/")
        if status != 200 or "approve-button" not in body:
            continue
        status, _body, _ = session.request("approve", f"/admin/counter/applications/{pk}/review/",
                                           {"decision": "approve", "reason": "原件核验无误"})
        outcomes["approved" if status == 302 else f"approve_{status}"] += 1


def run_phase(base: str, seeded: dict, sessions: int, seconds: float, fault=None) -> dict:
    recorder, stop, outcomes = Recorder(), threading.Event(), Counter()
    clerks = seeded["users"]["clerk"]
    supervisors = seeded["users"]["supervisor"]
    threads = []
    for i in range(sessions):
        session = Session(base, recorder)
        is_clerk = i % 3 != 2  # two clerks for each supervisor
        username = clerks[i % len(clerks)] if is_clerk else supervisors[i % len(supervisors)]
        if not session.login(username):
            sys.exit(f"login failed for {username}")
        target = (clerk_loop, (session, seeded["pairs"], stop, outcomes)) if is_clerk else (
            supervisor_loop, (session, stop, outcomes))
        threads.append(threading.Thread(target=target[0], args=target[1], daemon=True))
    recorder.samples.clear()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    fault_info = fault(started) if fault else None
    remaining = seconds - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    elapsed = time.monotonic() - started
    return {"recorder": recorder, "elapsed": elapsed, "outcomes": outcomes,
            "fault": fault_info, "started": started}


def summarize(result: dict, title: str) -> dict:
    samples = [s for s in result["recorder"].samples if s[1] != "login"]
    times = sorted(s[3] for s in samples)
    statuses = Counter(s[2] for s in samples)

    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0

    by_kind = defaultdict(list)
    for s in samples:
        by_kind[s[1]].append(s[3])
    print(f"\n== {title}: {len(samples)} requests in {result['elapsed']:.1f} s = "
          f"{len(samples) / result['elapsed']:.1f} req/s; p50 {pct(times, .5):.0f} ms, "
          f"p95 {pct(times, .95):.0f} ms, p99 {pct(times, .99):.0f} ms")
    print("   status: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print("   outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(result["outcomes"].items())))
    for kind, values in sorted(by_kind.items()):
        values.sort()
        print(f"   {kind:<10} n={len(values):>6}  p50 {pct(values, .5):>6.0f} ms  "
              f"p95 {pct(values, .95):>6.0f} ms  p99 {pct(values, .99):>6.0f} ms")
    return {"requests": len(samples), "rps": len(samples) / result["elapsed"],
            "p50": pct(times, .5), "p95": pct(times, .95), "p99": pct(times, .99),
            "statuses": dict(statuses), "outcomes": dict(result["outcomes"]),
            "bad_5xx": result["recorder"].bad_bodies[:5],
            "count_5xx": sum(v for k, v in statuses.items() if k >= 500)}


def make_fault(outage: float, after: float, base: str):
    def fault(started: float) -> dict:
        time.sleep(after)
        t_stop = time.monotonic()
        subprocess.run([*PG_CLUSTER, "stop", "-m", "fast"], check=True)
        time.sleep(outage)
        subprocess.run([*PG_CLUSTER, "start"], check=True)
        t_up = time.monotonic()
        probe = Session(base, Recorder())
        # recovery = first 2xx page that needs the database (login page + session save)
        recovered = None
        while time.monotonic() - t_up < 60:
            status, _body, _ = probe.request("probe", "/admin/login/")
            if status == 200:
                recovered = time.monotonic()
                break
            time.sleep(0.1)
        return {"stop": t_stop - started, "up": t_up - started,
                "recovered_after_start_s": None if recovered is None else recovered - t_up}
    return fault
