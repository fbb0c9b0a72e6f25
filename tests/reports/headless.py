"""Render a local HTML file in headless Chromium (Debian's `chromium`) over the DevTools
protocol and report what a person would notice: script errors, console errors, requests for
anything but the file itself, and the size and content of each <section>; optionally save a
full-page screenshot."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

SECTION_PROBE = """JSON.stringify([...document.querySelectorAll('section')].map(s => ({
  id: s.id,
  height: s.getBoundingClientRect().height,
  heading: (s.querySelector('h2') || {}).textContent || '',
  svgs: [...s.querySelectorAll('svg')].filter(v => v.getBoundingClientRect().width > 50
        && v.getBoundingClientRect().height > 50).length,
  rows: s.querySelectorAll('tr').length,
})))"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Rendered:
    errors: list[str] = field(default_factory=list)  # exceptions and console/log errors
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    sections: list[dict[str, Any]] = field(default_factory=list)
    screenshot: Path | None = None


def render(page: Path, screenshot: Path | None = None, timeout: float = 90.0) -> Rendered:
    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            url = _devtools_url(proc, timeout)
            with connect(url, max_size=None, open_timeout=timeout) as ws:
                return _drive(ws, page, screenshot, timeout)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _devtools_url(proc: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("chromium exited before DevTools was listening")
        if "DevTools listening on " in line:
            return line.split("DevTools listening on ", 1)[1].strip()
    raise TimeoutError("chromium did not start DevTools")


def _drive(ws: Any, page: Path, screenshot: Path | None, timeout: float) -> Rendered:
    ids = itertools.count(1)
    out = Rendered()
    session: str | None = None

    def note(event: dict[str, Any]) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            out.errors.append(
                details.get("exception", {}).get("description") or details.get("text", "exception")
            )
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.errors.append("console: " + json.dumps(params.get("args"))[:300])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.errors.append("log: " + params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            out.requests.append(params.get("request", {}).get("url", ""))

    def call(method: str, params: dict | None = None, *, wait_for: str | None = None) -> dict:
        msg_id = next(ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        ws.send(json.dumps(msg))
        result: dict | None = None
        seen_event = wait_for is None
        deadline = time.monotonic() + timeout
        while result is None or not seen_event:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method}: no answer")
            data = json.loads(ws.recv(timeout=timeout))
            if data.get("id") == msg_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                result = data.get("result", {})
            elif "method" in data:
                note(data)
                if data["method"] == wait_for:
                    seen_event = True
        return result

    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        call(f"{domain}.enable")
    call(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    call("Page.navigate", {"url": page.resolve().as_uri()}, wait_for="Page.loadEventFired")
    probe = call("Runtime.evaluate", {"expression": SECTION_PROBE, "returnByValue": True})
    out.sections = json.loads(probe["result"]["value"])
    if screenshot is not None:
        size = call("Page.getLayoutMetrics")["cssContentSize"]
        shot = call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": size["width"],
                    "height": size["height"],
                    "scale": 1,
                },
            },
        )
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        out.screenshot = screenshot
    return out
