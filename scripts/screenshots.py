"""Save screenshots of every page: python scripts/screenshots.py [--url URL].

Without --url it starts the demo on a free port (its own data folder), plays a few incidents
at ten times speed against its broker so the wall has alarms to show, acknowledges one and
records a permit by phone, then writes into docs/screenshots/, each in English and Chinese
(-zh): the wall at 1920x1080 and 3840x2160 (viewer); the console with the suspected special
operation and its contacts open (inspector); the site page with trends and people; the
enterprise directory with phones shown; the permits page; the admin page (admin).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import browser_page, log_in, wait_for_wall  # noqa: E402
from tests.services import free_port  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = ((1920, 1080, 1.0), (1920, 1080, 2.0))  # 3840x2160 = the same layout at scale 2


INCIDENTS = ("ammonia-leak", "gateway-outage:ap-lpg/depot", "ammonia-night-patrol")


def start_demo(data_dir: Path) -> tuple[subprocess.Popen, str, str]:
    """Start the demo on a free port; return the process, its base URL and its broker URL."""
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "demo", "--port", str(port)],
        cwd=data_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # the banner is the only thing the demo prints on stdout
        if "MQTT broker:" in line:
            return proc, f"http://127.0.0.1:{port}", line.split()[2]
    raise SystemExit(f"the demo exited with {proc.wait()} before it started")


def play_incidents(broker_url: str, seconds: float) -> subprocess.Popen:
    """Play the incidents at ten times speed against the demo's broker."""
    args = [
        sys.executable,
        str(ROOT / "app.py"),
        "simulate",
        "--mqtt-url",
        broker_url,
        "--speed",
        "10",
        "--scenario-delay",
        "1",
        "--duration",
        str(seconds),
    ]
    for name in INCIDENTS:
        args += ["--scenario", name]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def acknowledge_one(base: str) -> None:
    """Acknowledge the least severe open alarm, so the wall shows both states."""
    auth = ("inspector", "inspector-demo")
    alarms = requests.get(f"{base}/api/v1/alarms", auth=auth, timeout=10).json()["alarms"]
    if len(alarms) > 1:
        requests.post(
            f"{base}/api/v1/alarms/{alarms[-1]['id']}/ack",
            auth=auth,
            timeout=10,
            json={"comment": "site called, operators on it"},
        )


def shoot(base: str, warmup_s: float) -> list[Path]:
    """Sign in as the viewer and save the wall at each size and language."""
    saved = []
    for width, height, scale in SIZES:
        with browser_page(width, height, scale) as page:
            log_in(page, base, "viewer", "viewer-demo-pass")
            wait_for_wall(page)
            for lang in ("en", "zh"):
                current = page.evaluate("localStorage.getItem('shell-lang')") or '"en"'
                if lang not in current:
                    page.click(".hz-lang")
                    wall_label = "大屏" if lang == "zh" else "Wall"
                    page.wait_for_selector(f".hz-nav-link:text('{wall_label}')")
                page.wait_for_timeout(warmup_s * 1000)
                suffix = "" if lang == "en" else "-zh"
                path = OUT / f"wall-{int(width * scale)}x{int(height * scale)}{suffix}.png"
                page.screenshot(path=str(path))
                saved.append(path)
            if page.outside_requests:
                raise SystemExit(f"requests left the machine: {page.outside_requests[:5]}")
    return saved


def switch_language(page, lang: str) -> None:
    """Switch the pages to `lang` if they are not in it already."""
    current = page.evaluate("localStorage.getItem('shell-lang')") or '"en"'
    if lang not in current:
        page.click(".hz-lang")
        page.wait_for_selector(f".hz-nav-link:text('{'大屏' if lang == 'zh' else 'Wall'}')")


def shoot_console(base: str, warmup_s: float) -> list[Path]:
    """Sign in as the inspector, open the special-operation alarm and its contacts, save it."""
    auth = ("inspector", "inspector-demo")
    deadline = time.monotonic() + 90  # the night patrol comes last among the incidents
    while True:
        alarms = requests.get(f"{base}/api/v1/alarms", auth=auth, timeout=10).json()["alarms"]
        if any(a["rule"] == "special_operation" for a in alarms) or time.monotonic() > deadline:
            break
        time.sleep(2)
    if not alarms:
        raise SystemExit("no open alarm to show on the console")
    chosen = next((a for a in alarms if a["rule"] == "special_operation"), alarms[0])
    saved = []
    with browser_page(1920, 1080) as page:
        log_in(page, base, "inspector", "inspector-demo")
        for lang in ("en", "zh"):
            switch_language(page, lang)
            page.goto(base + "/console")
            row = page.locator(f".hz-console-grid .ag-row[row-id='{chosen['id']}']")
            row.wait_for(timeout=15000)
            row.click()
            page.wait_for_selector(".hz-detail-head")
            page.click("#console-contacts-button")
            page.wait_for_selector(".hz-contact")
            page.wait_for_timeout(warmup_s * 1000)
            path = OUT / f"console-1920x1080{'' if lang == 'en' else '-zh'}.png"
            page.screenshot(path=str(path))
            saved.append(path)
        if page.outside_requests:
            raise SystemExit(f"requests left the machine: {page.outside_requests[:5]}")
    return saved


def record_permit(base: str) -> None:
    """Record a permit by phone, so the permits page and the site's timeline show one."""
    now = time.time()
    requests.post(
        f"{base}/api/v1/permits",
        auth=("inspector", "inspector-demo"),
        timeout=10,
        json={
            "enterprise": "ty-fert",
            "site": "main",
            "permit": "DH-2026-0042",
            "type": "hot_work",
            "zone": "NH3-TANK-S",
            "start": int((now - 3600) * 1000),
            "end": int((now + 6 * 3600) * 1000),
            "status": "approved",
            "workers": 4,
            "supervisor": "Wang Qiang",
            "note": "reported by the duty officer by phone",
        },
    )


# (file name, user, path, what to wait for, what to click before the shot)
PAGES = (
    (
        "site",
        "viewer",
        "/site?enterprise=ty-fert&site=main&sensor=NH3-S-01,NH3-S-02&zone=NH3-TANK-S&window=1h",
        "#site-trend .main-svg",
        None,
    ),
    (
        "directory",
        "inspector",
        "/enterprises?enterprise=ty-fert",
        "#directory-phones-button",
        "#directory-phones-button",
    ),
    ("permits", "inspector", "/permits", ".hz-page .ag-row", None),
    ("admin", "admin", "/admin", ".hz-page .ag-row", None),
)
PASSWORDS = {
    "viewer": "viewer-demo-pass",
    "inspector": "inspector-demo",
    "admin": "admin-demo-pass",
}


def shoot_pages(base: str, warmup_s: float) -> list[Path]:
    """Save the site, directory, permits and admin pages in both languages."""
    saved = []
    for name, user, path, ready, click in PAGES:
        with browser_page(1920, 1080) as page:
            log_in(page, base, user, PASSWORDS[user])
            for lang in ("en", "zh"):
                switch_language(page, lang)
                page.goto(base + path)
                page.wait_for_selector(ready, timeout=20000)
                if click:
                    page.click(click)
                page.wait_for_timeout(warmup_s * 1000)
                out = OUT / f"{name}-1920x1080{'' if lang == 'en' else '-zh'}.png"
                page.screenshot(path=str(out))
                saved.append(out)
            if page.outside_requests:
                raise SystemExit(f"requests left the machine: {page.outside_requests[:5]}")
    return saved


def main() -> int:
    """Start or use an app, take the screenshots, print their paths."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="use a running app instead of starting the demo")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds to wait per shot")
    parser.add_argument(
        "--demo-wait",
        type=float,
        default=40.0,
        help="seconds of incidents played before the first shot",
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.url:
        base = args.url.rstrip("/")
        for path in shoot(base, args.warmup) + shoot_console(base, args.warmup):
            print(path)
        for path in shoot_pages(base, args.warmup):
            print(path)
        return 0
    with tempfile.TemporaryDirectory(prefix="hazwatch-shots-") as tmp:
        proc, base, broker = start_demo(Path(tmp))
        incidents = play_incidents(broker, args.demo_wait + 120)
        try:
            time.sleep(args.demo_wait)
            acknowledge_one(base)
            for path in shoot(base, args.warmup) + shoot_console(base, args.warmup):
                print(path)
            record_permit(base)  # after the console: the permit covers the patrol's zone
            for path in shoot_pages(base, args.warmup):
                print(path)
        finally:
            incidents.kill()
            incidents.wait()
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
