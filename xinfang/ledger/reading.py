"""Reading a ledger file (.xlsx or .csv) safely: what is refused before anything is read, and
a streaming reader of the first sheet with limits on rows, columns and cell sizes.

Refused with a Chinese message, changing nothing: a file over the size limit, an old .xls, an
encrypted (password-protected) workbook, a zip bomb or corrupt container (``sniff_upload``), a
workbook openpyxl cannot read, a sheet with formulas (values computed by a formula are not what
the office typed, and a formula is where spreadsheet attacks live), more rows or columns than
the limits, a CSV that is not text.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import datetime as dt
import gc
import io
import json
import pickle
import queue
import subprocess
import sys
import threading
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from xinfang.core.uploads import safe_display_name, sniff_upload
from xinfang.search.analyzer import FTS5, AnalysedText, analyse

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: old .xls, or an encrypted .xlsx
HEADER_SEARCH_ROWS = 10
MAX_COLUMNS = 60
MAX_CELL_CHARS = 60_000
CSV_ENCODINGS = ("utf-8-sig", "gb18030")

Value = str | int | float | Any  # what a cell holds: text, a number, a date or time


class LedgerFileError(ValidationError):
    """The whole file is refused; the message says why and what to do, in Chinese."""


@dataclass(frozen=True)
class Row:
    number: int  # as the office sees it in Excel: 1-based, header included
    values: list[Value]

    def get(self, index: int | None) -> Value:
        if index is None or index >= len(self.values):
            return None
        return self.values[index]


def cell_text(value: Value) -> str:
    """A cell as text: whole numbers without ".0", dates as ISO, everything stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value).strip()
    # A leading apostrophe is how our own rejected-rows file neutralises =+-@.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


def check_upload(name: str, stream: IO[bytes], size: int) -> str:
    """The kind of an acceptable ledger upload ("xlsx" or "csv"), or LedgerFileError."""
    limit: int = settings.XF_LEDGER_MAX_BYTES
    if size <= 0:
        raise LedgerFileError("文件为空。")
    if size > limit:
        raise LedgerFileError(f"文件过大：台账文件上限为 {limit // (1024 * 1024)} MB。")
    lowered = safe_display_name(name).lower()
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if lowered.endswith(".xls") or (lowered.endswith(".xlsx") and head == CFB_MAGIC):
        if lowered.endswith(".xlsx"):
            raise LedgerFileError(
                "文件设置了打开密码（已加密），无法读取。请在 Excel 中取消密码后另存，再上传。"
            )
        raise LedgerFileError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后上传。")
    if lowered.endswith(".xlsx"):
        try:
            sniff_upload(name, stream, size, max_bytes=limit)
        except ValidationError as error:
            raise LedgerFileError(error.messages[0]) from None
        return "xlsx"
    if lowered.endswith(".csv"):
        if b"\x00" in stream.read(64 * 1024):
            stream.seek(0)
            raise LedgerFileError(
                "文件不是文本格式的 CSV（含有二进制内容），请另存为 CSV 或 .xlsx。"
            )
        stream.seek(0)
        return "csv"
    raise LedgerFileError("只能导入 .xlsx 或 .csv 格式的台账文件。")


# --- sheets ------------------------------------------------------------------------------------


@dataclass
class Sheet:
    headers: list[str]
    header_row: int
    rows: Iterator[Row]  # data rows after the header, empty rows skipped


def _clean(value: Value) -> Value:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _cell_problem(row_number: int, column: int, value: Value) -> str | None:
    if isinstance(value, str):
        if value.startswith("="):
            where = f"第{row_number}行{get_column_letter(column + 1)}列"
            return (
                f"文件含有公式（{where}：{value[:30]}），为安全起见不予导入。请在 Excel 中复制"
                "整张表，选择性粘贴为“数值”，另存后重新上传。"
            )
        if len(value) > MAX_CELL_CHARS:
            where = f"第{row_number}行{get_column_letter(column + 1)}列"
            return f"{where}内容超过 {MAX_CELL_CHARS} 字，文件不予导入。"
    return None


def _rows(raw: Iterator[tuple[Value, ...]], max_rows: int) -> Iterator[tuple[int, list[Value]]]:
    """Numbered rows, checked cell by cell, within the row and column limits."""
    for number, values in enumerate(raw, start=1):
        if number > max_rows + HEADER_SEARCH_ROWS:
            raise LedgerFileError(f"文件行数超过上限（{max_rows} 行），请拆分后分批导入。")
        cells = [_clean(value) for value in values]
        while cells and cells[-1] is None:
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise LedgerFileError(f"文件列数超过上限（{MAX_COLUMNS} 列），请删除多余的列后上传。")
        for column, value in enumerate(cells):
            problem = _cell_problem(number, column, value)
            if problem:
                raise LedgerFileError(problem)
        yield number, cells


def _sheet(numbered: Iterator[tuple[int, list[Value]]]) -> Sheet:
    """The first row with two or more filled cells (within the first rows) is the header."""
    for number, cells in numbered:
        if number > HEADER_SEARCH_ROWS:
            break
        if sum(1 for cell in cells if cell is not None) >= 2:
            headers = [
                str(cell) if cell is not None else f"第{index + 1}列"
                for index, cell in enumerate(cells)
            ]
            data = (Row(n, values) for n, values in numbered if any(v is not None for v in values))
            return Sheet(headers=headers, header_row=number, rows=data)
    raise LedgerFileError("没有找到表头：前 10 行中应有一行列名（如“标题”“收到日期”）。")


@contextmanager
def open_sheet(kind: str, data: bytes, *, max_rows: int | None = None) -> Iterator[Sheet]:
    """The first worksheet (or the CSV) as a header and a stream of rows. Errors while
    reading surface as LedgerFileError whenever they happen, also mid-way. ``max_rows``:
    ``XF_LEDGER_MAX_ROWS`` unless given (a reading child process has no settings)."""
    limit: int = settings.XF_LEDGER_MAX_ROWS if max_rows is None else max_rows
    if kind == "csv":
        yield _sheet(_rows(_csv_rows(data), limit))
        return
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise LedgerFileError("文件已损坏或不是有效的 .xlsx 文件，无法读取。") from error
    try:
        sheets = [sheet for sheet in book.worksheets if sheet.sheet_state == "visible"]
        if not sheets:
            raise LedgerFileError("文件中没有可见的工作表。")
        sheet = sheets[0]
        # The <dimension> a file declares is not trusted: a hostile "A1:XFD1048576" would
        # make openpyxl pad every row to 16384 cells.
        sheet.reset_dimensions()
        yield _sheet(_rows(_guarded(sheet.iter_rows(values_only=True)), limit))
    finally:
        book.close()


def _guarded(rows: Iterator[tuple[Value, ...]]) -> Iterator[tuple[Value, ...]]:
    """openpyxl parses lazily: a truncated or malformed sheet fails during iteration."""
    try:
        yield from rows
    except LedgerFileError:
        raise
    except Exception as error:  # any parser failure means a damaged file
        raise LedgerFileError("文件内容已损坏（读取到中途出错），无法导入。") from error


def _decode(data: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError("无法识别 CSV 文件的编码，请另存为“CSV UTF-8”后上传。")


def _csv_rows(data: bytes) -> Iterator[tuple[Value, ...]]:
    text = _decode(data)
    sample = text[: 64 * 1024]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    try:
        for record in csv.reader(io.StringIO(text, newline=""), dialect):
            yield tuple(record)
    except csv.Error as error:
        raise LedgerFileError(f"CSV 文件格式有误：{error}") from error


# --- the rows of a whole file, read once ----------------------------------------------------------

SPOOL_CHUNK = 1000  # rows per compressed chunk
T = TypeVar("T")


class RowSpool(Generic[T]):
    """Every row of a sheet (as read, or as the import checked and prepared it), read to the
    end once and kept in memory, compressed.

    The import must find a damaged or hostile file before it writes anything, and parsing
    the spreadsheet is most of its cost: reading the file once into this spool (zlib keeps
    100k rows of Chinese text in tens of MB) instead of once to check and again to import
    halves that cost. Only this process reads what it wrote here."""

    def __init__(self, rows: Iterator[T]) -> None:
        self._chunks: list[bytes] = []
        self.total = 0
        chunk: list[T] = []
        for row in rows:  # reading is the check: a LedgerFileError surfaces here
            chunk.append(row)
            if len(chunk) == SPOOL_CHUNK:
                self._keep(chunk)
                chunk = []
        if chunk:
            self._keep(chunk)

    def _keep(self, chunk: list[T]) -> None:
        self._chunks.append(zlib.compress(pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL), 1))
        self.total += len(chunk)

    def __iter__(self) -> Iterator[T]:
        for data in self._chunks:
            # Our own bytes, pickled a moment ago in this process: nothing from outside.
            rows: list[T] = pickle.loads(zlib.decompress(data))  # noqa: S301
            yield from rows

    @property
    def size(self) -> int:
        """Bytes held."""
        return sum(len(data) for data in self._chunks)


# --- reading beside the import: a child process -------------------------------------------------

READ_APART_BYTES = 512 * 1024  # a larger file is read by a child process
CHILD_CHUNK = 500  # rows per message from the child
TEXTS_AHEAD = 3  # messages of analysed texts asked for ahead of the writer


@dataclass
class SheetReading:
    """The data rows of a ledger file (``rows``, as :func:`open_sheet` reads them) and, once
    every row has been read, the search text of each row analysed (``texts``: row number
    and ``analyzer.analyse`` of the cells of ``text_columns``, row after row)."""

    rows: Iterator[Row]
    texts: Iterator[tuple[int, AnalysedText]]


def _texts_of(row: Row, columns: Sequence[int | None]) -> list[str]:
    return [cell_text(row.get(column)) for column in columns]


@contextmanager
def read_sheet(
    kind: str, data: bytes, *, text_columns: Sequence[int | None] = (), form: str = FTS5
) -> Iterator[SheetReading]:
    """Read a ledger file; a large one in a child process (``python -m
    xinfang.ledger.reading``) while this one works on the rows already read: parsing the
    spreadsheet is the largest single cost of reading, and the machine has a second core.
    The child is given the bytes on its stdin and touches neither the database nor the disk;
    a refusal (LedgerFileError) comes back with its message, whenever it happens. A thread
    here drains the child's messages as they come (compressed), so neither side waits for
    the other. Once the rows are read the child analyses each row's search text, a few
    messages ahead of what ``texts`` has given: the import writes meanwhile."""
    max_rows: int = settings.XF_LEDGER_MAX_ROWS
    if len(data) < READ_APART_BYTES:
        with open_sheet(kind, data, max_rows=max_rows) as sheet:
            kept: list[tuple[int, list[str]]] = []
            yield SheetReading(_keeping(sheet.rows, text_columns, kept), _analysed(kept, form))
        return
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [
            sys.executable,
            "-m",
            "xinfang.ledger.reading",
            kind,
            str(max_rows),
            form,
            json.dumps(list(text_columns)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.stdin is not None  # noqa: S101 - both are pipes
    assert child.stdout is not None  # noqa: S101
    frames: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    drain = threading.Thread(target=_drain, args=(child.stdout, frames), daemon=True)
    drain.start()
    try:
        # The child reads it all before it answers; if it died early (a broken pipe), its
        # messages say why, or end.
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write(len(data).to_bytes(8, "big"))
            child.stdin.write(data)
            child.stdin.flush()
        del data  # the child has it
        yield SheetReading(_rows_from_child(frames), _texts_from_child(frames, child.stdin))
    finally:
        with contextlib.suppress(OSError, ValueError):  # the child may have gone
            child.stdin.close()
        if child.poll() is None:
            child.kill()
        child.wait()
        drain.join()
        child.stdout.close()


@contextmanager
def sheet_rows(kind: str, data: bytes) -> Iterator[Iterator[Row]]:
    """The data rows of a ledger file, as :func:`open_sheet` reads them (:func:`read_sheet`)."""
    with read_sheet(kind, data) as sheet:
        yield sheet.rows


def _keeping(
    rows: Iterator[Row], columns: Sequence[int | None], kept: list[tuple[int, list[str]]]
) -> Iterator[Row]:
    for row in rows:
        if columns:
            kept.append((row.number, _texts_of(row, columns)))
        yield row


def _analysed(kept: list[tuple[int, list[str]]], form: str) -> Iterator[tuple[int, AnalysedText]]:
    for number, texts in kept:
        yield number, analyse(texts, form)


def _drain(stream: IO[bytes], frames: queue.SimpleQueue[bytes | None]) -> None:
    """The child's frames (8-byte length, then the bytes) as they arrive; None at the end."""
    while True:
        head = stream.read(8)
        if len(head) < 8:
            break
        size = int.from_bytes(head, "big")
        frame = stream.read(size)
        if len(frame) < size:
            break
        frames.put(frame)
    frames.put(None)


def _message(frames: queue.SimpleQueue[bytes | None]) -> tuple[str, Any]:
    frame = frames.get()
    if frame is None:
        raise RuntimeError("the ledger reader process ended without an answer")
    # Our own child's messages, pickled by the code below: nothing from outside.
    what, payload = pickle.loads(zlib.decompress(frame))  # noqa: S301
    if what == "refused":
        raise LedgerFileError(payload)
    if what == "failed":
        raise RuntimeError(f"the ledger reader process failed:\n{payload}")
    return what, payload


def _rows_from_child(frames: queue.SimpleQueue[bytes | None]) -> Iterator[Row]:
    while True:
        what, payload = _message(frames)
        if what == "end":
            return
        yield from payload


def _texts_from_child(
    frames: queue.SimpleQueue[bytes | None], requests: IO[bytes]
) -> Iterator[tuple[int, AnalysedText]]:
    """Each message asked for (one byte on the child's stdin) brings CHILD_CHUNK rows' texts;
    asking a few ahead keeps the child busy while the writer works, and no more than those
    few in memory."""

    def ask(count: int) -> None:
        with contextlib.suppress(BrokenPipeError):  # then its messages say why, or end
            requests.write(b"t" * count)
            requests.flush()

    ask(TEXTS_AHEAD)
    while True:
        what, payload = _message(frames)
        if what == "done":
            return
        ask(1)
        for number, (form, fields, indexed) in payload:
            yield number, AnalysedText(form, fields, indexed)


def _sending_rows(
    rows: Iterator[Row],
    columns: Sequence[int | None],
    send: Callable[[str, object], None],
) -> Iterator[tuple[int, list[str]]]:
    """Each row's texts, as its row is read; the rows go out CHILD_CHUNK at a time."""
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHILD_CHUNK:
            send("rows", chunk)
            chunk = []
        if columns:
            yield row.number, _texts_of(row, columns)
    send("rows", chunk)


def _give_back_memory() -> None:
    """The child lives on through the whole write, analysing texts: what reading took (the
    workbook, freed with its reference cycles; the blocks the C allocator keeps) goes back
    to the system first. At 100k rows: 280 MB → 66 MB."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: only the collection
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _child_main(argv: list[str]) -> None:
    """The child's side of :func:`read_sheet`: the file's length and bytes on stdin, framed
    messages out; then, for each byte read on stdin, the analysed texts of the next rows."""
    kind, max_rows, form = argv[0], int(argv[1]), argv[2]
    columns: list[int | None] = json.loads(argv[3])
    source, out = sys.stdin.buffer, sys.stdout.buffer

    def send(what: str, payload: object) -> None:
        frame = zlib.compress(pickle.dumps((what, payload), pickle.HIGHEST_PROTOCOL), 1)
        out.write(len(frame).to_bytes(8, "big") + frame)
        out.flush()

    try:
        data = source.read(int.from_bytes(source.read(8), "big"))
        with open_sheet(kind, data, max_rows=max_rows) as sheet:
            # Sending the rows as they are read, and keeping (compressed) their texts to
            # analyse once the whole file is read.
            texts = RowSpool(_sending_rows(sheet.rows, columns, send))
        send("end", None)
        del data
        _give_back_memory()
        analysed: list[tuple[int, tuple[str, tuple[str, ...], tuple[str, ...]]]] = []
        for number, fields in texts:
            text = analyse(fields, form)
            analysed.append((number, (text.form, text.fields, text.indexed)))
            if len(analysed) == CHILD_CHUNK:
                if not source.read(1):
                    return  # the import asks for no more
                send("texts", analysed)
                analysed = []
        if analysed:
            if not source.read(1):
                return
            send("texts", analysed)
        send("done", None)
    except LedgerFileError as error:
        send("refused", error.messages[0])
    except Exception:  # every other failure goes back as a failure
        send("failed", traceback.format_exc(limit=8))


if __name__ == "__main__":
    # Through the module's own name, so that the rows pickle as xinfang.ledger.reading.Row.
    from xinfang.ledger.reading import _child_main as child_main

    child_main(sys.argv[1:])
