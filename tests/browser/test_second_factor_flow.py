"""A new clerk's first sign-in, in Chromium: password, bind an authenticator, keep the
recovery codes, arrive at work (SECURITY.md 4)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from xinfang.accounts.models import RecoveryCode, TotpDevice, User
from xinfang.accounts.totp import code_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_first_sign_in_binds_an_authenticator_then_shows_recovery_codes_once(
    page: Page, live_server: Any, clerk: User
) -> None:
    page.goto(f"{live_server.url}/cases/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="绑定身份验证器")).to_be_visible()
    expect(page.locator("figure.qr svg path")).to_have_count(2)  # background and modules
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link")).to_have_count(0)
    screenshot(page, "second-factor-setup")
    # What a person would type into the app by hand: the secret as shown, in groups of four.
    shown = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", shown)
    page.get_by_label("验证码").fill(code_at(shown.replace(" ", ""), time.time()))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="已绑定身份验证器")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert [bool(re.fullmatch(r"[0-9a-z]{5}-[0-9a-z]{5}", code)) for code in codes] == [True] * 10
    assert (TotpDevice.objects.get(user=clerk).confirmed_at is not None) is True
    assert RecoveryCode.objects.filter(user=clerk, used_at=None).count() == 10
    screenshot(page, "second-factor-recovery-codes")

    page.get_by_role("link", name="我已保存恢复码，继续").click()
    expect(page.get_by_role("heading", name="信访事项", exact=True)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/cases/")
