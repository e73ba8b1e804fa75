"""``manage.py check --deploy`` is clean in the production profile, durability check included
(SECURITY.md 19 and 27)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.ops.conftest import ON_SQLITE, ROOT, database_url

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def profile(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """What a production host sets, and nothing else: no ``.env``, no developer variables."""
    var = tmp_path / "var"
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XF_ENV_FILE": str(tmp_path / "no-such.env"),
        "XF_ENV": "production",
        "XF_SECRET_KEY": secrets.token_urlsafe(50),
        "XF_ALLOWED_HOSTS": "xinfang.example.gov.cn",
        "XF_PI_KEYS": f"1:{secrets.token_hex(16)}",
        "XF_BLIND_INDEX_KEY": secrets.token_hex(32),
        "XF_AUDIT_KEY": secrets.token_hex(32),
        "XF_VAR_DIR": str(var),
        # SQLite: a file of its own (the durability check opens it); PostgreSQL: the test
        # database, which exists while this test runs.
        "DATABASE_URL": (
            f"sqlite:///{var / 'xinfang.sqlite3'}"
            if ON_SQLITE
            else database_url(connection.settings_dict)
        ),
        **overrides,
    }


def check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "check",
            "--deploy",
            "--database",
            "default",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_the_production_profile(tmp_path: Path) -> None:
    result = check_deploy(profile(tmp_path))

    assert (result.returncode, result.stderr) == (0, "")
    # models.W040 is silenced in settings: SQLite ignores an index's PostgreSQL-only INCLUDE.
    silenced = 1 if ON_SQLITE else 0
    assert result.stdout == f"System check identified no issues ({silenced} silenced).\n"


def test_check_deploy_fails_on_the_development_profile_so_the_test_above_means_something(
    tmp_path: Path,
) -> None:
    result = check_deploy(profile(tmp_path, XF_ENV="dev"))

    assert result.returncode == 1
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W012" in result.stderr  # session cookie not Secure
