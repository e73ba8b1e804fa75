"""Loading the statistics bureau's division codes (统计用区划代码), whole country or a subtree."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinfang.accounts.enums import RegionLevel
from xinfang.accounts.models import Region
from xinfang.accounts.services import RegionFileError, RegionLoadResult, load_regions
from xinfang.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LEVEL_FILES = {
    RegionLevel.PROVINCE: "provinces.csv",
    RegionLevel.CITY: "cities.csv",
    RegionLevel.COUNTY: "areas.csv",
    RegionLevel.TOWNSHIP: "streets.csv",
}


def codes_in(folder: Path, filename: str) -> list[str]:
    with (folder / filename).open(encoding="utf-8-sig", newline="") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


def counts_by_level() -> dict[int, int]:
    return {level: Region.objects.filter(level=level).count() for level in LEVEL_FILES}


def parent_chain(code: str) -> list[str]:
    chain = []
    region: Region | None = Region.objects.get(code=code)
    while region is not None:
        chain.append(region.code)
        region = region.parent
    return chain


def write_csv(path: Path, header: str, *rows: str) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


# --- The real national list ------------------------------------------------------------------


@pytest.fixture
def regions(shared_data: Path) -> Path:
    return shared_data / "regions"


@pytest.mark.shared_data
def test_the_files_hold_the_documented_national_counts(regions: Path) -> None:
    counts = {level: len(codes_in(regions, name)) for level, name in LEVEL_FILES.items()}

    assert counts == {
        RegionLevel.PROVINCE: 31,
        RegionLevel.CITY: 342,
        RegionLevel.COUNTY: 2978,
        RegionLevel.TOWNSHIP: 41352,
    }


@pytest.mark.shared_data
def test_loading_the_whole_country_creates_every_row_at_its_level_with_its_parents(
    regions: Path,
) -> None:
    expected = {level: len(codes_in(regions, name)) for level, name in LEVEL_FILES.items()}

    result = load_regions(actor=None, folder=regions)

    assert result == RegionLoadResult(created=sum(expected.values()), updated=0)
    assert counts_by_level() == expected == {1: 31, 2: 342, 3: 2978, 4: 41352}
    assert parent_chain("110101001") == ["110101001", "110101", "1101", "11"]
    assert parent_chain("430104001") == ["430104001", "430104", "4301", "43"]
    assert Region.objects.filter(parent=None).count() == 31
    assert Region.objects.get(code="110101001").name == "东华门街道"
    event = AuditEvent.objects.get()
    assert (event.event, event.object_id, event.detail) == (
        "region.load",
        "all",
        {"created": 44703, "updated": 0, "rows": 44703},
    )
    mismatched = [
        (code, level, parent_code)
        for code, level, parent_code in Region.objects.values_list("code", "level", "parent__code")
        if (parent_code is None) != (level == RegionLevel.PROVINCE)
        or (parent_code is not None and not code.startswith(parent_code))
    ]
    assert mismatched == []


@pytest.mark.shared_data
def test_loading_a_subtree_loads_the_root_its_ancestors_and_its_descendants_only(
    regions: Path,
) -> None:
    everything = [code for name in LEVEL_FILES.values() for code in codes_in(regions, name)]
    expected = sorted(["43", *(code for code in everything if code.startswith("4301"))])

    result = load_regions(actor=None, folder=regions, root="4301")

    loaded = list(Region.objects.order_by("code").values_list("code", flat=True))
    assert loaded == expected
    assert result == RegionLoadResult(created=len(expected), updated=0)
    assert parent_chain("4301") == ["4301", "43"]
    assert parent_chain("430104001") == ["430104001", "430104", "4301", "43"]
    assert AuditEvent.objects.get().object_id == "4301"


@pytest.mark.shared_data
def test_loading_a_subtree_again_creates_and_updates_nothing(regions: Path) -> None:
    first = load_regions(actor=None, folder=regions, root="4301")
    before = list(
        Region.objects.order_by("code").values_list("id", "code", "name", "level", "parent_id")
    )

    again = load_regions(actor=None, folder=regions, root="4301")

    after = list(
        Region.objects.order_by("code").values_list("id", "code", "name", "level", "parent_id")
    )
    assert first.created == len(before)
    assert again == RegionLoadResult(created=0, updated=0)
    assert after == before


@pytest.mark.shared_data
def test_a_renamed_region_is_updated_in_place(regions: Path, tmp_path: Path) -> None:
    load_regions(actor=None, folder=regions, root="4301")
    renamed = tmp_path / "regions"
    renamed.mkdir()
    for name in LEVEL_FILES.values():  # copied as text: the shared files are read-only
        text = (regions / name).read_text(encoding="utf-8")
        (renamed / name).write_text(
            text.replace('4301,"长沙市"', '4301,"长沙市（新）"'), encoding="utf-8"
        )
    before = Region.objects.get(code="4301").pk

    result = load_regions(actor=None, folder=renamed, root="4301")

    region = Region.objects.get(code="4301")
    assert (result, region.pk, region.name) == (
        RegionLoadResult(created=0, updated=1),
        before,
        "长沙市（新）",
    )


@pytest.mark.shared_data
def test_the_load_regions_command_loads_a_subtree(regions: Path) -> None:
    out = StringIO()

    call_command("load_regions", str(regions), root="430104", stdout=out)

    created = Region.objects.count()
    assert out.getvalue() == f"区划导入完成：新增 {created} 条，更新 0 条。\n"
    assert set(
        Region.objects.filter(level__lte=RegionLevel.COUNTY).values_list("code", flat=True)
    ) == {
        "43",
        "4301",
        "430104",
    }


@pytest.mark.shared_data
def test_a_root_that_is_not_in_the_files_is_refused_and_writes_nothing(regions: Path) -> None:
    with pytest.raises(RegionFileError) as caught:
        load_regions(actor=None, folder=regions, root="9999")

    assert str(caught.value) == "区划代码 9999 不在文件中"
    assert (Region.objects.count(), AuditEvent.objects.count()) == (0, 0)


# --- Bad files -------------------------------------------------------------------------------


def test_a_folder_without_provinces_csv_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    write_csv(tmp_path / "cities.csv", "code,name,provinceCode", '4301,"长沙市",43')

    with pytest.raises(RegionFileError) as caught:
        load_regions(actor=None, folder=tmp_path)

    assert str(caught.value) == f"在 {tmp_path} 中找不到 provinces.csv（统计用区划代码）"
    assert (Region.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_a_row_whose_parent_is_missing_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    write_csv(tmp_path / "provinces.csv", "code,name", '43,"湖南省"')
    write_csv(
        tmp_path / "cities.csv", "code,name,provinceCode", '4301,"长沙市",43', '4401,"广州市",44'
    )

    with pytest.raises(RegionFileError) as caught:
        load_regions(actor=None, folder=tmp_path)

    assert str(caught.value) == "cities.csv 第 3 行：上级代码 44 不存在"
    assert (Region.objects.count(), AuditEvent.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    "bad_row",
    ['43a,"湖南省"', '-43,"湖南省"', '4 3,"湖南省"', '43,""', '4301020030010010,"太长的代码"'],
)
def test_a_row_with_a_bad_code_or_name_is_refused_and_writes_nothing(
    tmp_path: Path, bad_row: str
) -> None:
    write_csv(tmp_path / "provinces.csv", "code,name", '11,"北京市"', bad_row)

    with pytest.raises(RegionFileError) as caught:
        load_regions(actor=None, folder=tmp_path)

    assert str(caught.value) == "provinces.csv 第 3 行：代码或名称无效"
    assert (Region.objects.count(), AuditEvent.objects.count()) == (0, 0)


@pytest.mark.parametrize("bad_row", ['４３,"湖南省"', '4³,"湖南省"'])
def test_a_code_with_non_ascii_digits_is_refused(tmp_path: Path, bad_row: str) -> None:
    write_csv(tmp_path / "provinces.csv", "code,name", '11,"北京市"', bad_row)

    with pytest.raises(RegionFileError) as caught:
        load_regions(actor=None, folder=tmp_path)

    assert str(caught.value) == "provinces.csv 第 3 行：代码或名称无效"
    assert Region.objects.count() == 0


def test_a_code_that_does_not_start_with_its_parent_s_code_is_refused(tmp_path: Path) -> None:
    write_csv(tmp_path / "provinces.csv", "code,name", '43,"湖南省"', '44,"广东省"')
    write_csv(tmp_path / "cities.csv", "code,name,provinceCode", '4401,"广州市",43')

    with pytest.raises(RegionFileError):
        load_regions(actor=None, folder=tmp_path)

    assert Region.objects.count() == 0


def test_a_file_missing_a_required_column_is_refused(tmp_path: Path) -> None:
    write_csv(tmp_path / "provinces.csv", "code,name", '43,"湖南省"')
    write_csv(tmp_path / "cities.csv", "code,name", '4301,"长沙市"')

    with pytest.raises(RegionFileError) as caught:
        load_regions(actor=None, folder=tmp_path)

    assert str(caught.value) == "cities.csv 缺少列：code, name, provinceCode"
    assert Region.objects.count() == 0


def test_an_error_in_a_late_file_leaves_earlier_files_unwritten(tmp_path: Path) -> None:
    write_csv(tmp_path / "provinces.csv", "code,name", '43,"湖南省"')
    write_csv(tmp_path / "cities.csv", "code,name,provinceCode", '4301,"长沙市",43')
    write_csv(
        tmp_path / "areas.csv", "code,name,cityCode", '430102,"芙蓉区",4301', '430199,"",4301'
    )

    with pytest.raises(RegionFileError):
        load_regions(actor=None, folder=tmp_path)

    assert Region.objects.count() == 0


def test_a_small_hand_made_tree_loads_with_byte_order_mark(tmp_path: Path) -> None:
    write_csv(tmp_path / "provinces.csv", "\ufeffcode,name", '43,"湖南省"')
    write_csv(tmp_path / "cities.csv", "code,name,provinceCode", '4301,"长沙市",43')

    result = load_regions(actor=None, folder=tmp_path)

    assert (result, parent_chain("4301")) == (
        RegionLoadResult(created=2, updated=0),
        ["4301", "43"],
    )


def test_the_load_regions_command_turns_a_bad_folder_into_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("load_regions", str(tmp_path / "nowhere"), stdout=StringIO())

    assert (
        str(caught.value) == f"在 {tmp_path / 'nowhere'} 中找不到 provinces.csv（统计用区划代码）"
    )
    assert Region.objects.count() == 0
