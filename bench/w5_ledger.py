"""W5: importing a 100k-row ledger (.xlsx) with validation. Ours: the import the task queue
runs once the clerk has uploaded the file (checked, sealed) and mapped its columns: the whole
file read and checked, every row validated and registered with its petitioner, contact,
deadlines, search text and audit. The upload and mapping run before, in a process of their
own as in the web worker, timed apart and shown in the note. The baseline: openpyxl's
read-only parse of the same file alone. Each runs in a child process of its own, so its peak
RSS is its own (the import's with its reading child's added).

The ledger is generated deterministically from the demo generator's phrase lists: a year of
an office's history as Excel keeps it (shared strings, dates as Excel dates or as text in the
usual forms), two thirds answered with a reply date, a few rows an office gets wrong (a bad
check digit, an empty title, a date in the future). No real person: ID numbers carry
birthplace codes 98xxxx, which no region and no demo petitioner has.

Everything the import writes is deleted afterwards and the case-number counters put back
(the append-only audit trail keeps its events)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.database import REFERENCE_DATE
from bench.report import Row, in_child
from bench.stats import Summary

ROWS = 100_000
QUICK_ROWS = 2_000
SEED = 20261105
TARGET_RATIO = 3.0
RSS_LIMIT_MB = 500
SOURCE = "基准台账 W5"
HEADERS = [
    "信访件编号", "信访人", "身份证号", "联系电话", "住址", "人数", "来源渠道", "内容分类",
    "问题属地", "涉法涉诉", "标题", "诉求", "事实和理由", "收到日期", "答复意见", "答复时间",
]  # fmt: skip
CHANNEL_WORDS = {"visit": "来访", "letter": "来信", "online": "网上信访", "phone": "来电"}
ANSWERED = {
    "replied", "served", "review_requested", "reviewed", "review_served", "recheck_requested",
    "recheck_hearing", "rechecked", "closed", "terminated", "not_accepted", "not_reaccepted",
}  # fmt: skip
REPLIES = (
    "经调查核实，{title}问题属实，已责成相关单位于{day}前整改到位，并将整改情况向信访人反馈。",
    "经核查，信访人反映的{title}问题，相关部门已依法作出处理，处理意见已书面告知信访人。",
    "经调查，信访人所反映情况与事实不符，已向信访人作出解释说明，信访人表示理解。",
    "该事项经协调，双方已达成和解协议，协议已履行完毕。",
)
EPOCH = dt.datetime(1899, 12, 30)  # Excel's day zero (1900 date system)


# --- the ledger -----------------------------------------------------------------------------------


def _serial(moment: dt.datetime) -> float:
    return round((moment - EPOCH).total_seconds() / 86_400, 6)


def _date_cell(moment: dt.datetime, rng: random.Random) -> object:
    """A date as offices type it: mostly an Excel date, else text in one of the usual forms."""
    roll = rng.random()
    if roll < 0.5:
        return moment
    if roll < 0.7:
        return f"{moment.year}年{moment.month}月{moment.day}日"
    if roll < 0.85:
        return f"{moment.year}/{moment.month}/{moment.day}"
    if roll < 0.95:
        return f"{moment:%Y-%m-%d %H:%M}"
    return int(_serial(moment))  # a serial number without a date format


def _person_id(id_number: str) -> str:
    """The generated ID number moved to birthplace 98xxxx (no such region), check digit again."""
    from xinfang.core.validators import with_check_digit

    return with_check_digit("98" + id_number[2:17])


def ledger_rows(count: int, seed: int = SEED) -> Iterator[list[object]]:
    """The ledger's data rows, the same for the same count and seed."""
    from django.conf import settings

    from xinfang.cases.demo import DemoGenerator

    rng = random.Random(seed)  # noqa: S311 - a repeatable benchmark, not a secret
    history_end = REFERENCE_DATE - dt.timedelta(days=365)
    generator = DemoGenerator(
        seed=seed,
        cases=count,
        today=history_end,
        collective_threshold=settings.XF_COLLECTIVE_THRESHOLD,
    )
    for serial, plan in enumerate(generator.plans(), start=1):
        person, _ = plan.people[0]
        received = plan.received_at.replace(tzinfo=None, microsecond=0)
        anonymous = plan.channel in ("online", "letter") and rng.random() < 0.25
        id_number = "" if anonymous else _person_id(person.id_number)
        title = plan.title
        reply: object = ""
        replied: object = ""
        if plan.status in ANSWERED:
            answered = min(
                received + dt.timedelta(days=rng.randint(8, 75)),
                dt.datetime.combine(history_end, dt.time(17)),
            )
            reply = rng.choice(REPLIES).format(title=title, day=f"{answered:%Y年%m月%d日}")
            replied = _date_cell(answered, rng)
        received_cell = _date_cell(received, rng)
        flaw = rng.random()
        if flaw < 0.002 and id_number:
            id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")  # bad check digit
        elif flaw < 0.003:
            title = ""
        elif flaw < 0.004:
            received_cell = f"{REFERENCE_DATE.year + 1}-01-15"  # a date in the future
        yield [
            f"TZ{received.year}-{serial:06d}",
            "" if anonymous else person.name,
            id_number,
            "" if anonymous else person.phone,
            "" if anonymous else person.address,
            plan.people_count,
            CHANNEL_WORDS.get(plan.channel, "来访"),
            plan.category,
            plan.region,
            "是" if plan.involves_litigation else "否",
            title,
            plan.request,
            plan.facts_reasons,
            received_cell,
            reply,
            replied,
        ]


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_DOC}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_DOC}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_DOC}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_DOC}.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook {_NS} xmlns:r="{_REL}"><sheets>'
        '<sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'<styleSheet {_NS}><fonts count="1"><font><sz val="11"/><name val="等线"/></font>'
        '</fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf xfId="0"/><xf numFmtId="14" xfId="0" applyNumberFormat="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        "</cellStyles></styleSheet>"
    ),
}
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _member(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date: the same rows make the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(REFERENCE_DATE.year, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_xlsx(path: Path, rows: Iterator[list[object]], *, count: int) -> int:
    """An .xlsx as Excel writes one: shared strings, dates as numbers in a date format
    (openpyxl's write-only mode stores every string inline, which Excel never does and which
    openpyxl itself reads several times more slowly). The sheet is streamed into the zip.
    ``count`` data rows are announced in the sheet's dimension, as Excel does (a reader
    without it scans the whole sheet once more). Returns the data rows written."""
    strings: dict[str, int] = {}
    columns = [_column(i) for i in range(len(HEADERS))]

    def cell(where: str, value: object) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, dt.datetime):
            return f'<c r="{where}" s="1"><v>{_serial(value)}</v></c>'
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f'<c r="{where}"><v>{value}</v></c>'
        index = strings.setdefault(str(value), len(strings))
        return f'<c r="{where}" t="s"><v>{index}</v></c>'

    def line(number: int, values: list[object]) -> bytes:
        cells = "".join(
            cell(f"{column}{number}", value) for column, value in zip(columns, values, strict=True)
        )
        return f'<row r="{number}">{cells}</row>'.encode()

    written = 0
    partial = path.with_suffix(".tmp")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as book:
        for name, xml in _PARTS.items():
            book.writestr(_member(name), _XML_HEAD + xml)
        with book.open(_member("xl/worksheets/sheet1.xml"), "w") as sheet:
            dimension = f'<dimension ref="A1:{columns[-1]}{count + 1}"/>'
            sheet.write(f"{_XML_HEAD}<worksheet {_NS}>{dimension}<sheetData>".encode())
            sheet.write(line(1, list(HEADERS)))
            for written, values in enumerate(rows, start=1):
                sheet.write(line(written + 1, values))
            sheet.write(b"</sheetData></worksheet>")
        with book.open(_member("xl/sharedStrings.xml"), "w") as shared:
            unique = len(strings)
            shared.write(f'{_XML_HEAD}<sst {_NS} count="{unique}" uniqueCount="{unique}">'.encode())
            for text in strings:
                shared.write(f'<si><t xml:space="preserve">{escape(text)}</t></si>'.encode())
            shared.write(b"</sst>")
    partial.replace(path)
    return written


def ledger_file(folder: Path, rows: int) -> Path:
    """The ledger of ``rows`` rows, generated once per data folder."""
    path = folder / f"ledger-{rows}-s{SEED}.xlsx"
    if not path.exists():
        write_xlsx(path, ledger_rows(rows), count=rows)
    return path


# --- the two measurements, each in a child process ------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ``ru_maxrss``, not inherited from the parent
    that started it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_kb(pid: int | str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # ended meanwhile
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class TogetherPeak:
    """The largest RSS of this process and its children added up at the same moment,
    sampled every 20 ms while the import runs (Linux /proc; 0 where there is none)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.02):
            try:
                children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            except OSError:
                children = []
            total = _rss_kb(me) + sum(_rss_kb(child) for child in children)
            self.peak_kb = max(self.peak_kb, total)

    def __enter__(self) -> TogetherPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak_kb / 1024


def _children_peak_rss_mb() -> float:
    """The largest peak RSS of the child processes this one has waited for (the import's
    spreadsheet reader)."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def parse_alone(path: Path) -> dict[str, Any]:
    """openpyxl's read-only parse of every row, values only: what any import must pay."""
    import io

    from openpyxl import load_workbook

    data = path.read_bytes()
    started = time.perf_counter()
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return {"seconds": time.perf_counter() - started, "rows": rows, "rss_mb": _peak_rss_mb()}


def upload_as_clerk(path: Path) -> dict[str, Any]:
    """Upload and map as suggested (the clerk's steps, in the web worker: timed apart), and
    queue the import."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xinfang.accounts.models import User
    from xinfang.ledger import services
    from xinfang.ledger.models import LedgerImport

    clerk = User.objects.get(username="clerk")
    data = path.read_bytes()
    started = time.perf_counter()
    ledger = services.upload_ledger(
        actor=clerk, upload=SimpleUploadedFile(path.name, data), source=SOURCE
    )
    services.save_mapping(ledger, actor=clerk, data=services.MappingInput(ledger.columns))
    LedgerImport.objects.filter(pk=ledger.pk).update(status="queued")
    return {
        "ledger": ledger.pk,
        "seconds": time.perf_counter() - started,
        "rss_mb": _peak_rss_mb(),
    }


def import_queued(ledger_id: int) -> dict[str, Any]:
    """The import the task queue runs, here and now, in a process of its own as on the queue
    (timed: the workload). Its peak RSS is its own and its reading child's added up at the
    same moment (sampled); the sum of the two peaks is kept beside it, an upper bound."""
    from xinfang.ledger import services

    started = time.perf_counter()
    with TogetherPeak() as together:
        done = services.run_import(ledger_id)
    seconds = time.perf_counter() - started
    own_rss = _peak_rss_mb()
    return {
        "seconds": seconds,
        # Sampled together; never less than this process's own peak (a peak between samples).
        "rss_mb": max(together.mb, own_rss),
        "sum_of_peaks_mb": own_rss + _children_peak_rss_mb(),
        "own_rss_mb": own_rss,
        "child_rss_mb": _children_peak_rss_mb(),
        "status": done.status,
        "message": done.message,
        "rows": done.rows_done,
        "imported": done.imported,
        "duplicates": done.duplicates,
        "rejected": done.rejected,
    }


# --- leaving the database as it was ---------------------------------------------------------------


@contextmanager
def _left_as_found() -> Iterator[None]:
    """Delete what the import writes, in chunks (a single DELETE of 100k cases would gather
    every related row in memory first); put the case-number counters back."""
    from django.db import transaction
    from django.db.models import Max

    from xinfang.cases.models import Case, NumberSequence, Petitioner
    from xinfang.ledger import storage
    from xinfang.ledger.models import LedgerImport

    last_case = Case.objects.aggregate(last=Max("id"))["last"] or 0
    last_person = Petitioner.objects.aggregate(last=Max("id"))["last"] or 0
    counters = dict(NumberSequence.objects.values_list("scope", "last"))
    try:
        yield
    finally:
        while True:
            ids = list(Case.objects.filter(id__gt=last_case).values_list("id", flat=True)[:5000])
            if not ids:
                break
            with transaction.atomic():
                Case.objects.filter(id__in=ids).delete()
        Petitioner.objects.filter(id__gt=last_person).delete()
        for ledger in LedgerImport.objects.filter(source=SOURCE):
            storage.remove(str(ledger.uid))
            ledger.delete()
        NumberSequence.objects.exclude(scope__in=counters).delete()
        for scope, last in counters.items():
            NumberSequence.objects.filter(scope=scope).update(last=last)


def run(*, quick: bool, folder: Path) -> list[Row]:
    rows = QUICK_ROWS if quick else ROWS
    path = ledger_file(folder, rows)
    parses = [in_child("bench.w5_ledger", "parse", str(path)) for _ in range(1 if quick else 3)]
    with _left_as_found():
        upload = in_child("bench.w5_ledger", "upload", str(path))
        ours = in_child("bench.w5_ledger", "import", str(upload["ledger"]))
    if ours["status"] != "done":
        raise RuntimeError(f"the import ended {ours['status']}: {ours['message']}")
    parse = Summary.of([p["seconds"] for p in parses])
    ratio = ours["seconds"] / parse.median
    note = (
        f"{ours['rows']:,} rows: {ours['imported']:,} imported, {ours['rejected']} rejected;"
        f" {path.stat().st_size / 2**20:.1f} MB file; upload + mapping"
        f" {upload['seconds']:.1f} s before"
    )
    return [
        Row(
            workload="W5",
            name=f"导入台账 import a {rows:,}-row ledger (.xlsx)",
            target=f"≤ {TARGET_RATIO:.0f}× parse alone",
            unit="s",
            ours=ours["seconds"],
            runs=1,
            baseline=parse.median,
            baseline_name="openpyxl read-only parse alone",
            passed=ratio <= TARGET_RATIO,
            note=note + f"; {ratio:.2f}× the parse",
            extra={key: ours[key] for key in ("rows", "imported", "duplicates", "rejected")},
        ),
        Row(
            workload="W5",
            name="导入台账 peak RSS of the import",
            target=f"RSS < {RSS_LIMIT_MB} MB",
            unit="MB",
            ours=ours["rss_mb"],
            runs=1,
            baseline=Summary.of([p["rss_mb"] for p in parses]).median,
            baseline_name="peak RSS of the parse alone",
            passed=ours["rss_mb"] < RSS_LIMIT_MB,
            note=(
                f"import process and its reading child together; alone at their peaks"
                f" {ours['own_rss_mb']:.0f} + {ours['child_rss_mb']:.0f} MB; the upload"
                f" (a process of its own) {upload['rss_mb']:.0f} MB"
            ),
        ),
    ]


def main(argv: list[str]) -> None:
    """``python -m bench.w5_ledger parse|upload FILE`` or ``import LEDGER_ID`` in a configured
    environment (the harness's child processes): prints one JSON line."""
    action, argument = argv[0], argv[1]
    if action == "parse":
        result = parse_alone(Path(argument))
    else:
        import django

        django.setup()
        result = (
            upload_as_clerk(Path(argument)) if action == "upload" else import_queued(int(argument))
        )
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
