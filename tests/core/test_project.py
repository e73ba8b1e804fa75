"""Properties of the whole project: migrations, routes, headers, templates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import Units, logged_in

ROOT = Path(__file__).resolve().parents[2] / "xinfang"
# Pages a person may open without signing in: the login, and the portal's front pages.
PUBLIC_PATHS = {"/accounts/login/", "/portal/", "/portal/submit/", "/portal/lookup/"}
# The portal's pages for one case answer only a visitor who proved its 查询码 in this session.
PORTAL_CASE_PAGES = "/portal/cases/"
REFUSED = {302, 401, 403, 405}


def test_models_and_migrations_agree(db: None) -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """Every route as (name, example path), with sample values for the parameters."""
    found: list[tuple[str, str]] = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += routes(entry, pattern)
        elif isinstance(entry, URLPattern):
            path = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", pattern)
            path = re.sub(r"<int:\w+>", "1", path)
            path = re.sub(r"<(?:\w+:)?\w+>", "A01-2026-000001", path)
            path = path.lstrip("^").rstrip("$").replace("\\Z", "")
            found.append((entry.name or path, "/" + path))
    return found


@pytest.mark.parametrize(("name", "path"), routes())
def test_every_route_refuses_anonymous_visitors_unless_public(
    units: Units, name: str, path: str
) -> None:
    response = Client().get(path)

    if path in PUBLIC_PATHS:
        assert response.status_code == 200
    elif path.startswith(PORTAL_CASE_PAGES):
        assert response.status_code in {*REFUSED, 404}, f"{path} answered {response.status_code}"
    else:
        assert response.status_code in REFUSED, f"{path} answered {response.status_code}"


def test_the_public_paths_are_real_routes() -> None:
    assert {path for _name, path in routes()} >= PUBLIC_PATHS


def test_pages_carry_a_strict_content_security_policy_and_no_framing(db: None) -> None:
    response = Client().get("/accounts/login/")

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_unknown_page_answers_404_in_chinese(db: None) -> None:
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert "未找到" in response.content.decode()


@pytest.mark.parametrize(
    "template", sorted(ROOT.rglob("templates/**/*.html")), ids=lambda p: p.name
)
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    """A strict CSP only holds if no page relies on inline code or styles."""
    text = template.read_text(encoding="utf-8")

    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) is None
    assert re.search(r"\sstyle=", text) is None
    assert re.search(r"\son[a-z]+=", text) is None


def test_a_forged_host_header_gets_the_chinese_400_page_not_a_crash(db: None) -> None:
    client = Client(raise_request_exception=False)

    response = client.get("/accounts/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "请求无效" in response.content.decode()


def test_a_post_without_a_csrf_token_gets_a_chinese_403_page(db: None) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "clerk", "password": "x"})

    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_the_keepalive_extends_a_signed_in_session_and_refuses_strangers(clerk: Any) -> None:
    client = logged_in(clerk)
    before = client.session.get_expiry_date()

    response = client.get("/keepalive/")

    assert response.status_code == 204
    assert client.session.get_expiry_date() >= before
    assert Client().get("/keepalive/").status_code == 302
