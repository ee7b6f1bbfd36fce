"""The HTML report in a real headless browser (Debian's Chromium through playwright).

A 1000-agent run with failures, two phases, three models and hostile text is reported;
the page must load with no console error and no network request, show one bar per
agent, and show an agent's details when its bar is hovered. A screenshot is saved (and
copied to ``$FLOWDSL_TEST_ARTIFACTS`` when set). Without ``/usr/bin/chromium`` the test
skips, unless ``FLOWDSL_TEST_REQUIRE_CHROMIUM=1`` (CI), where it fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from flowdsl import Store
from flowdsl._cli import main

from .report_stores import run_workflow, write

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE = '</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>'

BIG = f'''
meta = {{"name": "big fan-out", "description": "1000 agents in two phases",
        "phases": [{{"title": "Scan"}}, {{"title": "Judge", "model": "gpt-4.1"}}]}}
phase("Scan")
scans = await parallel([
    lambda i=i: agent(("fail " if i % 97 == 0 else "slow " if i % 50 == 0 else "")
                      + f"scan shard {{i}}", label=f"scan {{i}}") for i in range(700)])
log("scanned " + str(len(scans)) + " shards")
phase("Judge")
judged = await parallel([
    lambda i=i: agent(f"judge pair {{i}}", label=f"judge {{i}}",
                      model="my-local-llm" if i % 3 == 0 else None) for i in range(299)])
last = await agent({HOSTILE!r}, label={HOSTILE!r})
return {{"scans": len(scans), "judged": len(judged), "last": last}}
'''


def chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("FLOWDSL_TEST_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{CHROMIUM} is missing and FLOWDSL_TEST_REQUIRE_CHROMIUM=1")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("big")
    store = folder / "store"
    run_workflow(write(folder, "big.flow.py", BIG), store)
    with Store.open(store) as opened:
        run_id = opened.list_runs()[0].id
        agents = len(opened.journal(run_id))
    out = folder / "report.html"
    assert main(["runs", "report", run_id, "-o", str(out), "--store", str(store)]) == 0
    return out, agents


def test_the_report_renders_in_chromium(big_report: tuple[Path, int], tmp_path: Path) -> None:
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    page_file, agents = big_report
    assert agents == 1000
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))

            def route(r: Any) -> None:
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    requests.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(page_file.as_uri())
            assert page.locator("[data-agent]").count() == agents
            tip = page.locator("#tip")
            assert tip.is_hidden()
            page.locator('[data-agent="1"]').hover()
            text = tip.inner_text()
            assert tip.is_visible()
            assert "scan " in text
            assert "Model" in text
            assert "Tokens" in text
            hostile = page.locator(f'[data-agent="{agents}"]')
            hostile.hover()
            assert HOSTILE in tip.inner_text()  # shown as text, not run as markup
            page.mouse.move(600, 20)
            page.locator('[data-agent="2"]').hover()
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == []
    assert shot.stat().st_size > 10_000
    artifacts = os.environ.get("FLOWDSL_TEST_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / "runs-report.png")
