"""Every notice converts to PDF with LibreOffice (as a petitioner's printer or a later PDF
export would see it), and page 1 is kept as a picture under test-artifacts/ for review.

Without LibreOffice the test skips with a message, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Units
from tests.documents.conftest import issue
from xinfang.accounts.models import User
from xinfang.cases.models import Case
from xinfang.documents.enums import NoticeKind

SOFFICE = os.environ.get("XF_SOFFICE", "soffice")
FIRST_PAGE_PNG = ["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"
# The GB/T 9704 fonts are licensed and absent from CI; render them with Noto CJK (SC forms)
# so that the picture shows Simplified Chinese glyphs of the right style.
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <match target="pattern">
    <test name="family"><string>方正小标宋简体</string></test>
    <edit name="family" mode="assign" binding="strong"><string>Noto Serif CJK SC</string></edit>
    <edit name="weight" mode="assign" binding="strong"><const>bold</const></edit>
  </match>
  <alias binding="strong">
    <family>仿宋_GB2312</family><prefer><family>Noto Serif CJK SC</family></prefer>
  </alias>
  <alias binding="strong">
    <family>宋体</family><prefer><family>Noto Serif CJK SC</family></prefer>
  </alias>
  <alias binding="strong">
    <family>黑体</family><prefer><family>Noto Sans CJK SC</family></prefer>
  </alias>
</fontconfig>
"""


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"找不到 {name}：请安装 Debian 的 {package} 软件包"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def run(command: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - fixed tools, arguments we built
        command, capture_output=True, text=True, timeout=300, check=True, env=env
    )
    return done.stdout


@pytest.mark.libreoffice
@pytest.mark.django_db
def test_every_notice_converts_to_a_pdf_with_a_page_picture(
    case: Case, handler: User, units: Units, tmp_path: Path
) -> None:
    soffice = tool(SOFFICE, "libreoffice-writer-nogui")
    pdfinfo, pdftoppm = tool("pdfinfo", "poppler-utils"), tool("pdftoppm", "poppler-utils")
    sources = []
    for kind in NoticeKind:
        document = issue(case, kind, actor=handler, unit=units.unit_a)
        source = tmp_path / f"{kind.value}.docx"
        source.write_bytes(bytes(type(document).objects.defer(None).get(pk=document.pk).content))
        sources.append(source)
    (tmp_path / "fonts.conf").write_text(FONTS_CONF, encoding="utf-8")
    environment = os.environ | {"FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}

    # One LibreOffice start for all kinds; its own profile, so parallel workers never share one.
    run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            *map(str, sources),
        ],
        environment,
    )

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {}
    for kind in NoticeKind:
        pdf = tmp_path / "pdf" / f"{kind.value}.pdf"
        info = run([pdfinfo, str(pdf)])
        found = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
        assert found is not None, info
        pages[kind] = int(found.group(1))
        assert "A4" in info
        prefix = ARTIFACTS / kind.value
        run([pdftoppm, *FIRST_PAGE_PNG, str(pdf), str(prefix)])
        assert prefix.with_suffix(".png").stat().st_size > 5_000
    assert all(count >= 1 for count in pages.values()), pages
