"""One question end to end in the browser with the default model (slow: loads the real LLM)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("agent.assistant", reason="the agent (Assistant.stream) is not in this checkout yet")
pytest.importorskip("playwright", reason="playwright is not installed (pip install martmind[dev])")

from tests.ui_harness import BROWSER_ARGS, CHROMIUM, free_port  # noqa: E402

pytestmark = [
    pytest.mark.realmodel,
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
    ),
]
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ANSWER_TIMEOUT_MS = 15 * 60 * 1000  # first load converts the model on a CPU; then one question


def test_revenue_by_country_with_the_default_model(demo_ws):
    from playwright.sync_api import sync_playwright

    from ui.app import build_app, launch
    from ui.session import UiContext

    ctx = UiContext(demo_ws)  # the default model spec ($MARTMIND_MODEL or the embedded default)
    port = free_port()
    demo = build_app(ctx)
    launch(demo, ctx, port=port, block=False, quiet=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}")
            page.fill("#mm-question textarea", "Revenue by country, top 5")
            page.press("#mm-question textarea", "Enter")
            page.locator("#mm-stop").wait_for(state="visible")
            page.locator("#mm-send:not([disabled])").wait_for(timeout=ANSWER_TIMEOUT_MS)
            chat = page.locator("#mm-chat").inner_text()
            assert "Tool: " in chat and "Could not answer" not in chat
            table = page.locator("#mm-table").inner_text()
            assert "United Kingdom" in table  # the demo data's largest market
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "realmodel-answer.png"), full_page=True)
            browser.close()
    finally:
        demo.close()
        ctx.close()
