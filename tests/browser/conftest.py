"""Playwright driving the system's own Chromium (/usr/bin/chromium); it never downloads one.

Without Chromium the browser tests skip with a message, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.factories import PASSWORD, enrol_totp
from xinfang.accounts import rules
from xinfang.accounts.models import TotpDevice, User
from xinfang.accounts.totp import PERIOD, code_at, time_step

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("XF_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Playwright's sync API runs an event loop in this thread; the Django ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"找不到 Chromium（{CHROMIUM}）：请安装 Debian 的 chromium 软件包"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, live_server: object) -> Iterator[object]:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page: object, name: str) -> Path:
    """Keep a picture of what the person saw, for review (test-artifacts/ is not committed)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fresh_code(user: User) -> str:
    """The code ``user``'s authenticator shows now (one is bound first if there is none). A
    code is good once: if this step's was used already, it is the next step's (within drift)."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        enrol_totp(user)
        device = TotpDevice.objects.get(user=user)
    step = max(time_step(time.time()), (device.last_used_step or 0) + 1)
    return code_at(device.secret(), step * PERIOD)


def log_in(page: Page, live_server: Any, user: User) -> None:
    """Sign in as ``user`` the way a person does: password, then the authenticator's code."""
    from playwright.sync_api import expect

    code = fresh_code(user)  # binds an authenticator before the first sign-in
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="第二步验证")).to_be_visible()
    page.get_by_label("验证码").fill(code)
    page.keyboard.press("Enter")
    if rules.can_work_cases(user):
        expect(page.get_by_role("heading", name="信访事项", exact=True)).to_be_visible()
    else:
        expect(page).not_to_have_url(re.compile(r"/accounts/(login|second-factor)/"))
