"""Deterministic demo data: a fictional 西地省 A市 with its petition office, handling units, one
login per role, the default content categories, and N cases with a realistic shape.

Determinism. Everything a person sees in a case — number, title, texts, channel, status, dates,
regions, units, petitioners' names, ID numbers, phones and addresses — comes from one
``random.Random(seed)`` and from a *reference date*: ``today`` if given, else
``timezone.localdate()``. Times are computed from that day, never from the clock, so two runs
with the same ``--seed`` and ``--cases`` on the same day (in fresh databases) write the same
cases; a run on another day shifts every date by the difference. Not repeatable on purpose:
the query codes (credentials for the petitioner portal, drawn from ``secrets`` like the
registration service does), the ciphertexts (fresh nonces) and the petitioners' row uids.

Shape (see PERFORMANCE.md "The data"): registrations over the 365 days before the reference
date, fewer on weekends and growing slightly; a few districts and categories dominate; channel
mix 走访 40 % / 来信 20 % / 网上 30 % / 来电 10 %; about 10 % collective (some with six or seven
representatives, to show the 第二十条 warning); 15 % with repeat contacts; 5 % 涉法涉诉;
statuses by age; many cases share an estate, employer, project or village so that "related
cases" have material. All texts are assembled from the phrase lists in this module.

Writing: the organisation, the users and the categories go through the audited services; the
cases are bulk-inserted batch by batch, each batch in its own transaction together with the
``NumberSequence`` rows it advances, so an interrupted run leaves whole cases and counters that
later registrations can continue. One audit event ``demo.seed`` closes the run. On SQLite this
writes about 1,400 cases a second on one core (100k ≈ 1 minute, 1M ≈ 12 minutes); the Django
ORM's row preparation, not the database, is most of that time.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from unittest import mock

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from xinfang.accounts.enums import RegionLevel, Role, UnitKind
from xinfang.accounts.models import Region, Unit, User
from xinfang.accounts.services import create_unit, create_user
from xinfang.audit.services import record
from xinfang.cases import deadlines, demo_workflow, workflow
from xinfang.cases.categories import (
    DEFAULT_CATEGORY_FILE,
    import_content_categories,
    read_category_csv,
)
from xinfang.cases.deadlines import Calendar, RuleSetData
from xinfang.cases.demo_workflow import apply_procedure, walk_demo_cases
from xinfang.cases.enums import (
    CaseStatus,
    Channel,
    ClaimRoute,
    EventKind,
    HandlingCategory,
    PetitionForm,
)
from xinfang.cases.models import (
    Case,
    CaseEvent,
    CasePetitioner,
    Contact,
    ContentCategory,
    NumberSequence,
    Petitioner,
    RoutingRule,
)
from xinfang.cases.services import id_number_index, new_query_code, phone_index
from xinfang.core.crypto import keyring, seal
from xinfang.core.inserts import RowInserter
from xinfang.core.validators import with_check_digit

DEMO_PASSWORD = "Xinfang-Demo-2026"  # noqa: S105 - the published demo password, not a secret
DEFAULT_SEED = 20261126
DEFAULT_CASES = 2000
BATCH_SIZE = 2000
DEMO_URL = "http://127.0.0.1:8000/"

# --- The organisation ---------------------------------------------------------------------------

PROVINCE = ("99", "西地省")
CITY = ("9901", "A市")


@dataclass(frozen=True)
class DistrictSpec:
    number: int  # A{number}区
    code: str
    weight: float  # share of the problems located here: a few districts dominate
    township_names: str  # space-separated

    @property
    def name(self) -> str:
        return f"A{self.number}区"

    @property
    def unit_code(self) -> str:
        return f"A7{self.number}"

    @property
    def townships(self) -> tuple[tuple[str, str], ...]:
        """(9-digit code, name): 街道 are numbered 0xx, 镇 1xx, 乡 2xx, as the bureau does."""
        counters = {"街道": 0, "镇": 100, "乡": 200}
        result = []
        for name in self.township_names.split():
            kind = next(kind for kind in counters if name.endswith(kind))
            counters[kind] += 1
            result.append((f"{self.code}{counters[kind]:03d}", name))
        return tuple(result)


# District codes start at 02: "xx01" is the city's 市辖区 line in the bureau's list.
DISTRICTS = (
    DistrictSpec(1, "990102", 24, "东湖街道 文昌街道 朝阳街道 南门街道 解放街道"),
    DistrictSpec(2, "990103", 9, "城南街道 书院街道 桂花街道 南塘街道"),
    DistrictSpec(3, "990104", 21, "月湖街道 白沙街道 青山街道 河西街道 金星街道 枫林街道"),
    DistrictSpec(4, "990105", 13, "东风街道 马鞍镇 高桥镇 双河镇 竹山乡"),
    DistrictSpec(5, "990106", 6, "新华街道 黄泥镇 石塘镇 莲花乡"),
    DistrictSpec(6, "990107", 17, "滨河街道 长青街道 荷叶镇 田心镇 柏树镇 五里乡"),
    DistrictSpec(7, "990108", 10, "迎宾街道 兴隆镇 大塘镇 长冲乡 杨家乡"),
)

OFFICE = "A01"
HALL = "A01J"
BEIJING_POINT = "A01B"
HOUSING = "A11"
HR = "A12"
LAND = "A13"
ECOLOGY = "A14"
MARKET = "A15"
EDUCATION = "A16"
HEALTH = "A17"
TRANSPORT = "A18"
AGRICULTURE = "A19"
POLICE = "A21"
COURT = "A22"
PROCURATORATE = "A23"
DISCIPLINE = "A31"
CITY_GOVERNMENT = "A02"
#: Pseudo unit codes in the topic table: the district government / township of the case's place.
DISTRICT_GOVERNMENT = "district"
TOWNSHIP_UNIT = "township"

# (code, name, kind, parent code); the office is the root so that its staff see every case.
CITY_UNITS: tuple[tuple[str, str, UnitKind, str | None], ...] = (
    (OFFICE, "A市信访局", UnitKind.PETITION_OFFICE, None),
    (HALL, "市信访局接待大厅", UnitKind.RECEPTION, OFFICE),
    (CITY_GOVERNMENT, "A市人民政府", UnitKind.GOVERNMENT, OFFICE),
    (BEIJING_POINT, "驻京接待点", UnitKind.RECEPTION, OFFICE),
    (HOUSING, "市住房和城乡建设局", UnitKind.DEPARTMENT, OFFICE),
    (HR, "市人力资源和社会保障局", UnitKind.DEPARTMENT, OFFICE),
    (LAND, "市自然资源和规划局", UnitKind.DEPARTMENT, OFFICE),
    (ECOLOGY, "市生态环境局", UnitKind.DEPARTMENT, OFFICE),
    (MARKET, "市市场监督管理局", UnitKind.DEPARTMENT, OFFICE),
    (EDUCATION, "市教育局", UnitKind.DEPARTMENT, OFFICE),
    (HEALTH, "市卫生健康委员会", UnitKind.DEPARTMENT, OFFICE),
    (TRANSPORT, "市交通运输局", UnitKind.DEPARTMENT, OFFICE),
    (AGRICULTURE, "市农业农村局", UnitKind.DEPARTMENT, OFFICE),
    (POLICE, "市公安局", UnitKind.LEGAL, OFFICE),
    (COURT, "市中级人民法院", UnitKind.LEGAL, OFFICE),
    (PROCURATORATE, "市人民检察院", UnitKind.LEGAL, OFFICE),
    (DISCIPLINE, "市纪委监委", UnitKind.DISCIPLINE, OFFICE),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    unit_code: str


DEMO_USERS = (
    DemoUser("clerk", "王晓敏", Role.CLERK, OFFICE),
    DemoUser("handler", "李建国", Role.HANDLER, HOUSING),
    DemoUser("reviewer", "张丽华", Role.REVIEWER, HOUSING),
    DemoUser("handler2", "刘志强", Role.HANDLER, HR),
    DemoUser("supervisor", "陈静", Role.SUPERVISOR, OFFICE),
    DemoUser("leader", "赵明远", Role.LEADER, OFFICE),
    DemoUser("sysadmin", "杨帆", Role.SYSTEM_ADMIN, OFFICE),
    DemoUser("secadmin", "周婷", Role.SECURITY_ADMIN, OFFICE),
    DemoUser("auditadmin", "吴磊", Role.AUDIT_ADMIN, OFFICE),
)


def township_unit_code(district: DistrictSpec, township_code: str) -> str:
    return f"{district.unit_code}{township_code[-3:]}"


def township_unit_name(district: DistrictSpec, township: str) -> str:
    suffix = "办事处" if township.endswith("街道") else "人民政府"
    return f"{district.name}{township}{suffix}"


# --- Phrase lists (our own wording) -------------------------------------------------------------
# Slots in braces are filled per case; the same slot says the same thing throughout one case.


def _words(text: str) -> tuple[str, ...]:
    """A list written as words separated by spaces: compact to read and to edit."""
    return tuple(text.split())


# Surname:weight — the common ones dominate, as they do at any reception desk.
SURNAMES = tuple(
    (name, float(weight))
    for name, _, weight in (
        item.partition(":")
        for item in _words(
            "王:9 李:9 张:8 刘:7 陈:6 杨:4 黄:4 赵:4 吴:3 周:3 徐:2 孙:2 马:2 朱:2 胡:2 郭:2 "
            "何:2 林:2 罗:2 高:2 谢:1 唐:1 彭:1 曾:1 邓:1 肖:1 田:1 蒋:1 袁:1 邹:1 廖:1 易:1 "
            "龙:1 石:1 贺:1 文:1 欧阳:0.3 司马:0.1"
        )
    )
)
MALE_CHARS = "伟刚勇军强磊涛斌杰峰建国志明华平辉鹏波超亮俊海林宏德福忠水生春桂成"
FEMALE_CHARS = "芳娟敏静丽艳霞秀兰英红玲梅琴燕萍慧婷雪莉娜珍凤香云群翠桂淑"
NEUTRAL_CHARS = "文新晓小永金玉志佳宇子一春秋晨立建"

ESTATE_HEADS = _words(
    "金桂 翠湖 锦绣 阳光 南湖 书香 滨江 望岳 紫荆 御景 东城 丽景 康桥 枫林 银杏 青山 月湖 "
    "桃源 凤凰 明珠 新城 春晓 秀水 梧桐 和平 幸福 兴业 长乐 安居 福源 嘉禾 润泽 博雅 启航 "
    "云台 香樟 龙湾 清泉 瑞景 怡和"
)
ESTATE_TAILS = _words("花园 家园 名城 小区 公馆 新村 华府 雅苑 佳苑 一品 湾 庭")
OLD_ESTATES = _words(
    "机械厂宿舍 纺织厂生活区 粮食局宿舍 电力局老宿舍 供销社宿舍 制药厂家属区 运输公司宿舍 "
    "第一中学教师宿舍 化肥厂生活区 汽修厂宿舍 印刷厂宿舍 水泥厂宿舍 棉纺厂家属区 农机站宿舍 "
    "老城区和平里 东门外小区"
)
FIRM_HEADS = _words(
    "宏图 三友 东润 华达 新锐 金帆 利民 正通 顺发 天成 博远 众鑫 恒信 瑞丰 泰和 金源 宏远 "
    "德润 永兴 联创 佳和 远航 汇通 安泰"
)
DEVELOPER_TAILS = _words("置业有限公司 房地产开发有限公司 地产集团有限公司")
PM_HEADS = _words("安心 佳洁 宜居 锦程 盛安 新邦 和悦 优居 康宁 家佳")
# (company suffix, the work people do there, where they do it)
EMPLOYER_TRADES = (
    ("服饰有限公司", "缝纫", "车间"),
    ("电子科技有限公司", "流水线装配", "车间"),
    ("建筑劳务有限公司", "钢筋", "工地"),
    ("物流有限公司", "分拣和配送", "仓库"),
    ("食品有限公司", "包装", "车间"),
    ("机械制造有限公司", "焊接", "车间"),
    ("家具有限公司", "木工", "车间"),
    ("餐饮管理有限公司", "后厨", "门店"),
    ("保安服务有限公司", "保安", "项目"),
    ("汽车配件有限公司", "冲压", "车间"),
    ("印务有限公司", "印刷", "车间"),
    ("环境卫生服务有限公司", "保洁", "项目"),
)
ROAD_HEADS = _words(
    "人民 解放 建设 迎宾 滨河 东风 桂花 金星 书院 朝阳 新华 车站 劳动 环城 五一 长青 白沙 "
    "枫林 青园 芙蓉 湖滨 振兴 文化 工农 团结 光明 和平 体育 中山 北站"
)
ROAD_TAILS = _words("路 路 路 大道 街 东路 西路 北路")
PROJECT_KINDS = _words(
    "道路提质改造工程 雨污分流改造工程 综合管廊工程 商业综合体项目 安置小区建设工程 "
    "学校新建工程 立交桥建设工程 污水处理厂扩建工程"
)
ZONE_KINDS = _words("片区棚户区改造项目 片区城市更新项目 城中村改造项目 旧城改造项目")
VILLAGE_HEADS = _words(
    "桃花 杨家 石塘 新屋 黄泥 大塘 马鞍 高桥 柏树 兴隆 双河 长冲 田心 荷叶 竹山 枫树 莲花 "
    "青石 五里 白果 黄土 罗家 樟树 龙泉 花桥 洞口 松柏 麻塘 金盆 三星"
)
SCHOOL_HEADS = _words("实验 育才 东湖 书院 启明 博才 桂花 青山 新华 明德")
SHOP_KINDS = _words(
    "烧烤店 夜宵店 大排档 小龙虾馆 酒吧 火锅店"
)  # they serve food, and they are loud
SHOP_OWNERS = _words("老李 阿强 红姐 老周 胖哥 老地方 好再来 小马 老王 湘味")
FACTORY_KINDS = _words("化工有限公司 混凝土有限公司 塑料制品厂 养殖场 橡胶制品有限公司 铸造厂")
PREPAID_KINDS = _words("健身会所 美容美发店 游泳馆 教育培训学校 儿童乐园 洗车店")
TRAINING_KINDS = _words("教育培训学校 艺术培训中心 英语培训中心 编程培训学校")
STORE_KINDS = _words("家电商场 电器城 家电卖场 电器专卖店")
HOSPITALS = _words(
    "A市第一人民医院 A市第二人民医院 A市第三人民医院 A市中医医院 A市妇幼保健院 A市中心医院 "
    "A市第四医院"
)
FACILITIES = _words("垃圾中转站 变电站 加油站 混凝土搅拌站 殡仪服务站 污水泵站")
RELATIVES = _words("父亲 母亲 丈夫 妻子 儿子 女儿 哥哥")
TIMES = _words("两次 三次 四次 五次 多次 十几次")
OLD_EMPLOYERS = _words("原市煤矿 原市冶炼厂 原市化工厂 原县农机厂 原市锅炉厂")
TRADES = _words("钢筋和模板 砌墙和抹灰 水电安装 外墙装修 土方和杂工")
PROJECT_USES = _words("道路 产业园 物流园 安置小区 高速公路连接线")
MOBILE_PREFIXES = _words(
    "130 131 132 135 136 137 138 139 150 151 152 155 157 158 159 166 173 177 180 181 183 "
    "186 187 189 191 199"
)
# Birthplaces outside A市 (other cities of the fictional 西地省): never a real province code.
OTHER_ID_PREFIXES = _words("990202 990203 990302 990321 990402 990522 990603")
REPEAT_NOTES = ("", "", "", "信访人称问题仍未解决。", "询问办理进度。", "补充提交了相关材料。")
DEPARTMENT_NAMES = {
    HOUSING: "市住房和城乡建设局",
    HR: "市人力资源和社会保障局",
    LAND: "市自然资源和规划局",
    ECOLOGY: "市生态环境局",
    MARKET: "市市场监督管理局",
    EDUCATION: "市教育局",
    HEALTH: "市卫生健康委员会",
    TRANSPORT: "市交通运输局",
    AGRICULTURE: "市农业农村局",
    POLICE: "公安机关",
    COURT: "法院",
    PROCURATORATE: "检察院",
    DISCIPLINE: "纪检监察机关",
}

# Paragraphs that fit any matter: what people did before, how it affects them, how they close.
EFFORTS = (
    "我们曾于{earlier}向{township}反映，工作人员答复正在协调，此后再无下文。",
    "先后拨打12345市民服务热线{times}，工单都以“已处理”办结，但问题依旧存在。",
    "{lately}，我们把书面材料送到{dept}，对方签收后一直没有书面答复。",
    "社区组织过一次协调会，会上答应一个月内解决，结果不了了之。",
    "我们也找过{district}有关部门，每个部门都说不归自己管，让我们去找别的部门。",
    "在网上留言反映过{times}，回复都是“已转相关部门办理”，没有实质进展。",
)
IMPACTS = (
    "这件事已经严重影响了我们一家的正常生活。",
    "家里老人身体不好，孩子还在上学，实在拖不起了。",
    "为了这件事我已经请了很多天假，来回奔波，身心俱疲。",
    "周边群众意见很大，大家都希望政府能够重视。",
    "我们只是想要一个说法，希望按政策办事。",
    "事情拖得越久，损失越大，大家心里都很着急。",
)
CLOSINGS = (
    "恳请领导重视，早日帮助解决。",
    "以上情况属实，请依法依规处理。",
    "希望有关部门尽快调查核实，给我们一个明确答复。",
    "请领导在百忙之中过问此事，谢谢！",
    "相关材料附后，请予核查。",
)
# A chronology, the way long letters tell it; each entry gets its own date.
TIMELINE = (
    "{date}，我们再次到{township}反映，工作人员登记后让回家等通知。",
    "{date}，{dept}派人到现场查看，承诺一个月内给出处理意见，但至今没有消息。",
    "{date}，我们向{dept}寄送了书面材料，附有相关照片和证明。",
    "{date}，对方负责人约我们面谈，提出的方案与政策规定相差甚远，我们没有同意。",
    "{date}，社区召集有关各方开协调会，对方没有派人参加。",
    "{date}，我们通过12345热线反映，接线员说会转交处理，三天后收到短信称已办结。",
    "{date}，问题不但没有解决，反而更加严重了。",
    "{date}，我们十几户人家联名写信，请求{district}领导过问。",
    "{date}，{township}答复说此事涉及多个部门，需要上级统筹协调。",
    "{date}，我们到{dept}窗口咨询，工作人员说材料已经转给具体科室。",
    "{date}，有关部门组织了现场核查，我们在核查记录上签了字，但没有拿到复印件。",
    "{date}，对方口头承诺月底前解决，到期后又以各种理由推脱。",
)
LITIGATION = (
    "该纠纷已经{court}作出生效判决，但对方至今没有履行。",
    "我已向{court}提起诉讼，{past}一审判决，我对判决认定的事实有异议。",
    "此事已经法院立案审理，我认为办案过程中存在程序问题。",
)


@dataclass(frozen=True)
class Topic:
    """One kind of matter: its category, how often it comes, what it is about (``entity``: the
    estate, employer, project … that several cases share), who handles it, and its phrases.

    ``issues`` are (titles, request, detail) triples that belong together; titles are
    alternatives separated by "|". ``scene`` opens every account; ``more`` holds details that
    fit any of the issues; ``combine=False`` when the issues exclude each other.
    """

    category: str
    weight: float
    entity: str
    unit: str
    local: float  # share handed to the district government of the place instead of ``unit``
    scene: str
    issues: tuple[tuple[str, str, str], ...]
    more: tuple[str, ...] = ()
    combine: bool = True  # may a long account mention the other issues too?
    handling: HandlingCategory = HandlingCategory.CLAIM
    routes: tuple[tuple[ClaimRoute, float], ...] = ((ClaimRoute.PETITION, 1.0),)
    litigation: bool = False  # a 政法 matter: 涉法涉诉 by nature


CLAIM_LEGAL = ((ClaimRoute.LITIGATION, 1.0),)
NO_ROUTE: tuple[tuple[ClaimRoute, float], ...] = ()

TOPICS = (
    Topic(
        "0101",
        7,
        "employer",
        HR,
        0.15,
        "我在{employer}从事{job}工作，{since}以来公司以资金周转困难为由，一直拖欠工资。",
        (
            (
                "{employer}拖欠{workers}员工工资|{employer}长期拖欠职工工资问题",
                "请求督促{employer}尽快结清拖欠的工资，共计{amount}。",
                "和我情况相同的还有{workers}工友，大家都是靠这份工资养家糊口。",
            ),
            (
                "反映{employer}拖欠工资{months}未发|要求{employer}支付拖欠的工资",
                "请求人社部门依法责令{employer}支付拖欠的工资，并按规定加付赔偿金。",
                "截至目前，公司共拖欠我{months}的工资，合计{amount}，多次催要，老板不是不接电话就是说再等等。",
            ),
            (
                "{employer}年底拖欠工资不发|{employer}欠薪问题请求帮助",
                "希望政府出面协调，让我们在春节前拿到血汗钱。",
                "眼看就要过年了，公司还是一分钱没发，家里老人看病、孩子上学都等着用钱。",
            ),
        ),
        (
            "公司没有和我们签订书面劳动合同，只有考勤记录和工资条可以证明。",
            "{past}我们到{district}劳动保障监察大队投诉，对方说已经立案，但到现在没有结果。",
        ),
    ),
    Topic(
        "0101",
        4,
        "project",
        HR,
        0.3,
        "我们是在{project}务工的农民工，一共{workers}工人，主要做{trade}。",
        (
            (
                "{project}拖欠农民工工资|{project}农民工讨薪问题",
                "请求责令施工总承包单位从工资专用账户中支付拖欠我们的工资{amount}。",
                "工程{since}完工后，分包老板以总包单位没有付工程款为由，拖欠我们工资共计{amount}。",
            ),
            (
                "反映{project}分包老板拖欠工钱|{project}总包分包互相推诿欠薪",
                "请求督促建设单位和总承包单位按规定先行清偿农民工工资。",
                "总包单位说工程款已经拨给分包，分包老板则说没有收到钱，双方互相推诿。",
            ),
        ),
        ("工地没有公示维权信息告示牌，我们也不知道工资专用账户的情况。",),
    ),
    Topic(
        "0102",
        2,
        "employer",
        HR,
        0.1,
        "我于{since}入职{employer}，一直在{workplace}上班。",
        (
            (
                "{employer}未依法为职工缴纳社会保险|要求{employer}补缴社会保险费",
                "请求责令{employer}为我补缴入职以来的社会保险费。",
                "公司一直没有为我缴纳养老保险和医疗保险，说是员工自愿放弃，但我从来没有签过任何放弃声明。",
            ),
            (
                "反映本人养老保险缴费年限认定有误|养老保险缴费记录中断问题",
                "请求核实我的养老保险缴费记录，更正缴费年限。",
                "我到社保经办窗口查询，发现{year_last}有八个月的缴费记录中断，但当时工资条上每月都扣了社保费。",
            ),
        ),
        combine=False,
    ),
    Topic(
        "0103",
        2.5,
        "employer",
        HR,
        0.1,
        "我在{employer}连续工作了{years}年，一直兢兢业业。",
        (
            (
                "{employer}违法解除劳动合同|反映{employer}无故辞退职工",
                "请求依法责令{employer}支付违法解除劳动合同的赔偿金。",
                "{recent}公司突然口头通知我不用再来上班，没有任何书面通知，也没有说明理由。",
            ),
            (
                "{employer}强迫员工签订自愿离职书|要求{employer}支付经济补偿金",
                "请求认定{employer}强迫职工“自愿离职”的做法无效，依法支付经济补偿。",
                "公司要求我签一份“自愿离职申请”，否则不结算最后一个月的工资。",
            ),
        ),
        ("公司以“业务调整”为由一次性辞退了{workers}员工，没有提前通知，也没有任何补偿。",),
        routes=((ClaimRoute.PETITION, 0.6), (ClaimRoute.ARBITRATION, 0.4)),
        combine=False,
    ),
    Topic(
        "0104",
        1.5,
        "",
        HR,
        0.0,
        "我于{since}办理了退休手续，退休前在{old_employer}工作。",
        (
            (
                "企业退休人员养老金核定有误|要求重新核算本人退休待遇",
                "请求重新核算我的基本养老金，并补发少发的部分。",
                "经办机构核定的基本养老金比同期同岗位的同事每月少三百多元，原因是视同缴费年限少算了四年。",
            ),
            (
                "反映特殊工种提前退休申请迟迟未审批|特殊工种提前退休审批问题",
                "请求尽快审批我的特殊工种提前退休申请，并说明审批进度。",
                "我从事井下作业十余年，档案里有当年的岗位记录，但审批时说材料不全。",
            ),
        ),
        ("档案里有一份招工表找不到了，原单位早已改制，没有人能出具证明。",),
        combine=False,
    ),
    Topic(
        "0105",
        1.2,
        "employer",
        HR,
        0.0,
        "{past}，我在{employer}{workplace}上班时右手被机器压伤，经医院诊断为两根手指粉碎性骨折。",
        (
            (
                "工伤认定申请久拖不决|反映本人工伤认定迟迟没有结论",
                "请求依法尽快作出工伤认定结论。",
                "我已于{recent}提交工伤认定申请，至今没有收到任何书面答复。",
            ),
            (
                "{employer}拒不支付工伤保险待遇|反映{employer}职工工伤待遇问题",
                "请求责令{employer}支付停工留薪期工资和一次性伤残补助金。",
                "事发后公司只垫付了一部分医疗费，之后便以各种理由拒绝支付其他费用。",
            ),
        ),
        routes=((ClaimRoute.ADMINISTRATIVE, 0.6), (ClaimRoute.PETITION, 0.4)),
    ),
    Topic(
        "0106",
        0.8,
        "",
        HR,
        0.3,
        "我家住在{district}{township}，家里经济条件比较困难。",
        (
            (
                "创业担保贷款申请受理后无下文|反映创业担保贷款审批进度慢",
                "请求说明贷款申请的审核进度，如不予办理请告知理由。",
                "我是返乡创业人员，{since}向{township}提交了创业担保贷款申请，材料齐全。",
            ),
            (
                "公益性岗位补贴长期未发放|反映公益性岗位补贴拖欠问题",
                "请求补发拖欠的公益性岗位补贴。",
                "我在{township}从事公益性岗位保洁工作，已经{months}没有领到岗位补贴。",
            ),
        ),
        ("经办人员换了好几个，每次去问都说要重新提交材料。",),
        combine=False,
    ),
    Topic(
        "0201",
        4,
        "village",
        LAND,
        0.5,
        "我们是{district}{village}的村民，{since}村里{acres}亩耕地被征收用于{project_kind}建设。",
        (
            (
                "{village}征地补偿款未足额发放|{village}土地补偿费去向不明",
                "请求公开{village}征地补偿方案和补偿款发放明细，足额发放补偿款。",
                "补偿标准一直没有公示，村民只拿到了部分青苗补偿费，土地补偿费去向不明。",
            ),
            (
                "反映{village}征地后社保安置未落实|{village}被征地农民社保问题",
                "请求落实被征地农民的养老保险补贴。",
                "按规定应当将被征地农民纳入社会保障，但到现在还有一百多名村民没有办理。",
            ),
            (
                "{village}被征收土地补偿标准过低|要求重新核定{village}征地补偿标准",
                "请求按照现行区片综合地价重新核定补偿标准。",
                "同一片区邻村的补偿标准比我们高出不少，村民意见很大。",
            ),
        ),
    ),
    Topic(
        "0202",
        0.8,
        "village",
        LAND,
        0.7,
        "{village}与邻村之间有一块约{acres}亩的山地，双方对权属一直有争议。",
        (
            (
                "{village}与邻村山林权属争议长期未处理|要求确认{village}集体山林权属",
                "请求依法调处土地权属争议，明确四至界限。",
                "{since}邻村在争议地块上栽种经济林，两村村民为此多次发生纠纷。",
            ),
        ),
        ("我们手里有上世纪八十年代的山林权证，上面的四至写得很清楚。",),
    ),
    Topic(
        "0203",
        1.5,
        "estate",
        LAND,
        0.0,
        "我们于{since}前后购买了{estate}的商品房，早已交房入住。",
        (
            (
                "{estate}业主多年办不了不动产权证|{estate}业主办证难问题",
                "请求说明{estate}不能办证的原因和解决时限。",
                "至今无法办理不动产权证，没有证，孩子上学、房屋抵押和转让都受到影响。",
            ),
            (
                "反映{estate}不动产首次登记迟迟未办理|{developer}未办理首次登记",
                "请求督促{developer}尽快办理首次登记，为业主办理不动产权证。",
                "登记中心说开发商{developer}欠缴土地出让金，项目不具备办证条件。",
            ),
        ),
        routes=((ClaimRoute.ADMINISTRATIVE, 0.7), (ClaimRoute.PETITION, 0.3)),
    ),
    Topic(
        "0204",
        1.5,
        "estate",
        LAND,
        0.5,
        "我们是{district}{township}{estate}的业主。",
        (
            (
                "{estate}顶楼违法搭建无人查处|{estate}楼顶违建问题",
                "请求依法查处违法建设，恢复原状。",
                "{building}栋顶楼住户{since}起在楼顶搭建了一层彩钢房，违建破坏了防水层，楼下住户每逢下雨就漏水。",
            ),
            (
                "{estate}规划绿地被改建为停车场|反映{estate}擅自改变规划用途",
                "请求公开{estate}的规划许可内容，依法纠正擅自改变规划的行为。",
                "开发商把规划中的中心绿地改成了地面停车场，还在对外出售车位。",
            ),
        ),
    ),
    Topic(
        "0205",
        0.5,
        "village",
        LAND,
        0.3,
        "我们是{district}{village}的村民。",
        (
            (
                "{village}附近河道非法采砂问题|反映{village}河段夜间非法采砂",
                "请求依法查处非法采砂行为，修复受损河堤。",
                "每天晚上都有采砂船在村子附近的河段作业，河岸已经塌了好几处。",
            ),
            (
                "采石场爆破震裂{village}村民房屋|{village}附近采石场爆破影响安全",
                "请求对采石场爆破作业进行检查，赔偿房屋损失。",
                "村旁边的采石场每天放炮，村里有十几户房屋墙体出现裂缝。",
            ),
        ),
        ("村民多次劝阻，对方态度蛮横，还说手续齐全。",),
    ),
    Topic(
        "0301",
        9,
        "estate",
        HOUSING,
        0.15,
        "我们是{district}{township}{estate}的业主，小区共有{households}，物业服务由{pm}负责。",
        (
            (
                "反映{pm}擅自上调物业费|{estate}物业费上涨未经业主同意",
                "请求责令{pm}退还多收取的物业费，并按合同约定提供服务。",
                "{since}起，物业在没有召开业主大会、也没有公示成本的情况下，把物业费从每平方米{fee_old}元上调到{fee_new}元。",
            ),
            (
                "{estate}电梯长期故障物业不维修|{estate}电梯多次困人存在安全隐患",
                "请求督促{pm}尽快修复电梯，保障老人和孩子出行安全。",
                "小区{building}栋电梯{since}以来多次困人，物业只是临时处理，一直没有彻底维修。",
            ),
            (
                "要求公开{estate}公共收益收支情况|{estate}物业公司乱收费问题",
                "请求依法查处{pm}擅自收费的行为，并公开小区公共收益收支情况。",
                "物业在小区道路上划设车位，按每月{parking}元收取停车费，电梯广告、场地出租等公共收益也从来没有公布过。",
            ),
            (
                "要求更换{estate}物业服务企业|{estate}物业服务质量差问题",
                "请求指导{estate}业主依法成立业主委员会，重新选聘物业服务企业。",
                "垃圾清运不及时，楼道照明长期损坏，绿化带也被改成了停车位，业主对物业的服务普遍不满意。",
            ),
        ),
        ("业主找物业沟通，物业经理总说要请示公司，之后就没有下文。",),
    ),
    Topic(
        "0302",
        5,
        "zone",
        HOUSING,
        0.4,
        "我家位于{zone}范围内，{since}签订了房屋征收补偿协议。",
        (
            (
                "{zone}征收补偿标准偏低|反映{zone}补偿方案不公开",
                "请求公开{zone}的征收补偿方案和评估报告，按市场价格公平补偿。",
                "听说征收部门对个别被征收户私下增加了补偿，做法不公开、不公平。",
            ),
            (
                "{zone}安置房逾期未交付|{zone}安置房工地长期停工",
                "请求尽快交付安置房，并说明逾期的原因和交付时间。",
                "协议约定安置房在签约后二十四个月内交付，现在已经逾期{months}，工地处于停工状态。",
            ),
            (
                "对{zone}房屋评估结果有异议|{zone}房屋评估价明显偏低",
                "请求重新委托评估机构对我家房屋进行评估。",
                "评估公司对我家房屋的评估价明显低于周边二手房的成交价。",
            ),
            (
                "{zone}过渡安置费停发|反映{zone}过渡安置费被拖欠",
                "请求按协议足额发放过渡安置费，并说明停发的理由。",
                "过渡安置费从{recent}起停发，我们一家只能在外租房，每月房租{rent}元。",
            ),
        ),
    ),
    Topic(
        "0303",
        4,
        "estate",
        HOUSING,
        0.1,
        "我们购买的是{developer}开发的{estate}。",
        (
            (
                "{estate}逾期交房开发商拒付违约金|{estate}商品房逾期交付问题",
                "请求督促{developer}按合同约定交房，并支付逾期交房违约金。",
                "合同约定{since}交房，实际拖延了{months}，开发商至今不肯支付违约金。",
            ),
            (
                "{estate}新房墙体开裂渗水|反映{estate}房屋质量问题",
                "请求组织对{estate}房屋质量进行鉴定，并督促开发商维修。",
                "收房后发现客厅和卧室墙体多处开裂，外墙渗水，卫生间楼板漏水。",
            ),
            (
                "{estate}交付标准与宣传不一致|{estate}配套设施未按承诺建设",
                "请求督促{developer}按照销售承诺建设配套设施。",
                "售楼时宣传的幼儿园和中央景观至今没有建设。",
            ),
        ),
        ("业主多次和开发商协商，对方只是派人简单处理，问题反复出现。",),
    ),
    Topic(
        "0304",
        1.2,
        "",
        HOUSING,
        0.4,
        "我家三口人，住在{township}一间不足二十平方米的出租屋里。",
        (
            (
                "申请公共租赁住房多年未获配租|反映公租房轮候时间过长",
                "请求说明公租房轮候排序情况，尽快安排配租。",
                "{since}申请了公共租赁住房，审核已经通过，轮候了这么长时间一直没有消息。",
            ),
            (
                "反映公租房分配过程不公开|对公租房分配结果有异议",
                "请求公开公租房分配名单和排序规则。",
                "听说有些条件比我们好的人家已经分到了房子。",
            ),
        ),
        ("询问时工作人员只说房源紧张。",),
    ),
    Topic(
        "0305",
        1.5,
        "old_estate",
        HOUSING,
        0.5,
        "{old_estate}建于上世纪八十年代，共有{buildings}栋楼，住的大多是老人。",
        (
            (
                "要求将{old_estate}纳入老旧小区改造|{old_estate}设施老化请求改造",
                "请求将{old_estate}纳入今年的老旧小区改造计划。",
                "下水管道老化，一下雨污水就倒灌，楼道墙皮大片脱落。",
            ),
            (
                "{old_estate}改造工程施工质量差|反映{old_estate}改造工程偷工减料",
                "请求对改造工程进行质量检查并督促整改。",
                "改造工程{since}开工，新铺的路面不到两个月就开裂，外墙保温层大面积脱落。",
            ),
            (
                "{old_estate}加装电梯协调难|{old_estate}加装电梯意见分歧",
                "请求{township}牵头协调加装电梯事宜。",
                "多数住户希望加装电梯，但一楼住户担心采光受影响，协调了几次都没有结果。",
            ),
        ),
        combine=False,
    ),
    Topic(
        "0306",
        2,
        "project",
        HOUSING,
        0.2,
        "{project}紧邻居民区，开工以来给周边居民带来很多困扰。",
        (
            (
                "{project}夜间施工噪音扰民|反映{project}违规夜间施工",
                "请求依法查处违规夜间施工行为，保障周边居民正常休息。",
                "工地几乎每天夜里施工到凌晨一两点，打桩声、切割声不断。",
            ),
            (
                "{project}工地扬尘污染严重|{project}扬尘治理不到位",
                "请求督促施工单位落实扬尘防治措施。",
                "工地没有围挡喷淋，刮风时灰尘满天，周边住户不敢开窗。",
            ),
            (
                "{project}渣土车撒漏问题|反映{project}渣土车带泥上路",
                "请求督促施工单位落实渣土车冲洗和密闭运输。",
                "渣土车进出不冲洗，{road}上到处是泥土，下雨天一片泥泞。",
            ),
        ),
    ),
    Topic(
        "0307",
        2.5,
        "estate",
        HOUSING,
        0.2,
        "我们是{estate}的业主，小区停车问题困扰大家很久了。",
        (
            (
                "{estate}地下车位只售不租|反映{developer}车位只卖不租",
                "请求督促{developer}按规定出租车位，不得只售不租。",
                "小区地下车位有几百个，但{developer}只卖不租，每个车位要价十几万元。",
            ),
            (
                "{estate}停车收费标准过高|反映{estate}停车费上涨问题",
                "请求核定{estate}的停车收费标准，制止擅自涨价。",
                "{pm}从{recent}起把月租车位从每月{parking}元涨到{parking_new}元，没有征求业主意见。",
            ),
        ),
        ("很多业主只能把车停在小区外的路边，经常被贴罚单。",),
    ),
    Topic(
        "0308",
        1.5,
        "road",
        DISTRICT_GOVERNMENT,
        0.0,
        "我住在{district}{township}{road}附近。",
        (
            (
                "{road}占道经营影响通行|反映{road}流动摊贩占道问题",
                "请求规范{road}的摊点经营秩序，恢复道路通行。",
                "道路两侧每天晚上都有大量流动摊贩，占用人行道和机动车道。",
            ),
            (
                "{township}垃圾中转站异味扰民|反映{road}垃圾中转站臭味问题",
                "请求对垃圾中转站进行除臭改造或者搬迁。",
                "附近的垃圾中转站离居民楼不到三十米，夏天气味刺鼻，蚊蝇滋生。",
            ),
            (
                "{road}夜市油烟噪音扰民|反映{road}夜市经营扰民",
                "请求依法整治夜市油烟和噪音扰民问题。",
                "夜市的油烟直接排向居民楼，晚上吵到一两点，老人孩子休息不好。",
            ),
        ),
        routes=((ClaimRoute.DUTY, 0.6), (ClaimRoute.PETITION, 0.4)),
    ),
    Topic(
        "0401",
        1.2,
        "village",
        AGRICULTURE,
        0.5,
        "我家在{village}有承包地{acres_small}亩，有二轮延包的承包合同。",
        (
            (
                "{village}土地承包经营权被擅自调整|反映{village}收回承包地问题",
                "请求纠正村组擅自调整承包地的行为，恢复我家的承包经营权。",
                "{since}村民小组以“重新分配”为由收回了我家的部分承包地，分给了别人。",
            ),
            (
                "反映{village}土地流转租金未兑现|{village}土地流转租金拖欠问题",
                "请求督促流转方支付拖欠的土地流转租金。",
                "村里把土地统一流转给一家种植合作社，约定每年每亩租金五百元，但已经两年没有兑现。",
            ),
        ),
    ),
    Topic(
        "0402",
        1.2,
        "village",
        AGRICULTURE,
        0.6,
        "我家住在{village}，一家五口挤在两间老房里。",
        (
            (
                "{village}宅基地审批难问题|反映本人宅基地申请长期未批",
                "请求依法审批我家的宅基地申请。",
                "{since}我们提出了宅基地申请，材料交了好几次，一直批不下来。",
            ),
            (
                "邻居建房侵占我家宅基地|反映{village}邻里宅基地纠纷",
                "请求制止邻居侵占宅基地的行为。",
                "邻居建新房时把围墙往我家这边移了一米多，我们多次阻止无效。",
            ),
            (
                "反映{village}农村建房审批不公|{village}宅基地审批不公开",
                "请求公开{village}近年宅基地审批情况，依法公平审批。",
                "同组有人没有申请就建了房，我们按程序申请却一直批不下来。",
            ),
        ),
    ),
    Topic(
        "0403",
        0.8,
        "village",
        AGRICULTURE,
        0.5,
        "我家在{village}有耕地{acres_small}亩，一直自己耕种。",
        (
            (
                "耕地地力保护补贴未到账|反映本人{year_last}种粮补贴未发放",
                "请求核实补贴发放情况，补发应得的补贴。",
                "{year_last}的耕地地力保护补贴一直没有到账。",
            ),
            (
                "{village}惠农补贴被冒领|反映{village}补贴发放不公开",
                "请求查处冒领惠农补贴的行为。",
                "到银行查询后发现，补贴被打到了别人名下的账户，村里的补贴名单也从来没有公示过。",
            ),
        ),
    ),
    Topic(
        "0404",
        1.5,
        "village",
        TOWNSHIP_UNIT,
        0.0,
        "{village}近几年出租集体土地、鱼塘，每年有不少收入。",
        (
            (
                "{village}村务财务长期不公开|要求审计{village}近年财务",
                "请求对{village}近年的财务收支进行审计，并向村民公开。",
                "村务公开栏长期不更新，村民要求查看账目，村干部以各种理由拒绝。",
            ),
            (
                "{village}集体土地租金去向不明|反映{village}集体资产处置问题",
                "请求依法公开集体土地出租合同和租金使用情况。",
                "村里把集体山林承包给外地老板，合同期三十年，村民代表会议没有讨论过。",
            ),
        ),
    ),
    Topic(
        "0405",
        1,
        "village",
        AGRICULTURE,
        0.6,
        "我们是{district}{village}的村民。",
        (
            (
                "{village}自来水水压不足经常停水|{village}饮水困难问题",
                "请求尽快解决{village}的饮水问题。",
                "村里地势高的二十多户人家，{since}以来自来水时有时无，夏天经常好几天没水。",
            ),
            (
                "{village}通组公路损毁未修复|反映{village}道路损坏影响出行",
                "请求对损毁的通组公路进行维修。",
                "连接我们组和镇上的通组公路被重车压坏，路面坑坑洼洼，学生上学很不方便。",
            ),
        ),
        ("村里说已经报上去了，但一直没有安排资金。",),
    ),
    Topic(
        "0501",
        1.2,
        "factory",
        ECOLOGY,
        0.2,
        "{factory}位于{township}，离居民区不到五百米。",
        (
            (
                "{factory}排放刺鼻废气|{factory}废气污染影响周边居民",
                "请求依法查处{factory}的废气排放问题。",
                "每天傍晚以后，空气中就有一股刺鼻的气味，很多居民出现咳嗽、头痛。",
            ),
            (
                "反映{factory}夜间偷排废气|要求公开{factory}排污监测结果",
                "请求对{factory}的排污情况进行监测并公开结果。",
                "我们怀疑企业在夜间关闭了环保设施，白天检查时一切正常。",
            ),
        ),
    ),
    Topic(
        "0502",
        2.5,
        "shop",
        ECOLOGY,
        0.3,
        "我住在{road}，楼下的{shop}每天营业到凌晨两三点。",
        (
            (
                "{shop}夜间噪音扰民|{shop}营业到深夜噪音严重",
                "请求依法处理{shop}的噪音扰民问题。",
                "音响声、划拳声、汽车鸣笛声一直不断，全家人长期睡不好觉。",
            ),
            (
                "反映{road}沿街商铺噪音问题|{road}商铺夜间噪音无人管",
                "请求有关部门加强夜间巡查，督促商户控制音量。",
                "打电话报警后民警来了会安静一会儿，民警走了又照旧。",
            ),
        ),
        routes=((ClaimRoute.DUTY, 0.5), (ClaimRoute.PETITION, 0.5)),
    ),
    Topic(
        "0503",
        0.8,
        "factory",
        ECOLOGY,
        0.2,
        "{factory}的排污口就在{township}的河边。",
        (
            (
                "{factory}向河道排放污水|反映{township}河道水质变差问题",
                "请求查处{factory}偷排污水的行为，治理受污染的河道。",
                "河水经常发黑发臭，死鱼漂在水面，下游几个村用河水灌溉，庄稼都受到了影响。",
            ),
        ),
        ("我们拍了照片和视频，可以提供给调查人员。",),
    ),
    Topic(
        "0504",
        0.6,
        "village",
        ECOLOGY,
        0.4,
        "最近几个月，每天夜里都有渣土车到{village}的山坳里倾倒建筑垃圾。",
        (
            (
                "{village}建筑垃圾乱倾倒|反映{village}山坳偷倒渣土问题",
                "请求清理倾倒的建筑垃圾，查处乱倒行为。",
                "垃圾堆已经堵住了排水沟，下雨时污水漫进农田。",
            ),
        ),
    ),
    Topic(
        "0505",
        0.8,
        "estate",
        ECOLOGY,
        0.3,
        "我们听说要在{estate}旁边建一座{facility}，离最近的住宅楼只有几十米。",
        (
            (
                "反对在{estate}附近建设{facility}|建议{estate}附近{facility}另行选址",
                "建议重新论证{facility}的选址，依法公开环评文件并听取居民意见。",
                "项目的环评公示只在网站上挂了几天，周边居民根本不知道。",
            ),
        ),
        ("小区里住着很多老人和孩子，大家担心今后的生活环境。",),
        handling=HandlingCategory.SUGGESTION,
        routes=NO_ROUTE,
    ),
    Topic(
        "0601",
        3,
        "estate",
        EDUCATION,
        0.2,
        "{estate}有{households}，今年适龄入学的孩子有一百多名。",
        (
            (
                "{estate}适龄儿童无法就近入学|{estate}业主子女入学难问题",
                "请求重新划分学区，让{estate}的孩子能够就近入学。",
                "按照今年的学区划分，小区被划到了离家五公里外的学校，而一路之隔的{school}却进不去。",
            ),
            (
                "反映{school}学区划分不合理|要求公开{school}招生划片依据",
                "请求公开{school}的招生计划和学区划分依据。",
                "买房时开发商宣传小区配套学校，现在学校建好了却不招小区的孩子。",
            ),
        ),
    ),
    Topic(
        "0602",
        0.8,
        "school",
        EDUCATION,
        0.1,
        "我的孩子在{school}读书。",
        (
            (
                "{school}违规收取资料费|反映{school}强制订购教辅材料",
                "请求查处{school}违规收费行为，退还已收取的费用。",
                "开学时学校要求每名学生交资料费和服务费，没有开具正规票据；老师还在家长群里要求统一购买指定的教辅资料。",
            ),
        ),
    ),
    Topic(
        "0603",
        1,
        "training",
        EDUCATION,
        0.1,
        "我给孩子在{training}报了一年的课程，一次性交了{amount}。",
        (
            (
                "{training}突然停课退费难|{training}关门后退费无门",
                "请求督促{training}退还剩余课时费。",
                "{recent}机构突然通知停课，负责人联系不上，门店已经人去楼空。",
            ),
            (
                "反映{training}违规开展学科培训|{training}超范围培训问题",
                "请求依法查处{training}违规培训行为。",
                "机构在周末和寒暑假组织语文、数学等学科培训，还要求家长不要对外说。",
            ),
        ),
        ("像我们这样的家长有好几十个。",),
    ),
    Topic(
        "0604",
        0.8,
        "school",
        EDUCATION,
        0.2,
        "我在{school}任教多年。",
        (
            (
                "乡村教师生活补助未按时发放|反映{school}教师补助拖欠",
                "请求按规定发放乡村教师生活补助。",
                "按政策应享受乡村教师生活补助，但{year_last}下半年的补助至今没有发放。",
            ),
            (
                "反映{school}代课教师待遇问题|{school}代课教师同工不同酬",
                "请求落实代课教师的工资待遇和社会保险。",
                "我们几名代课教师工作十多年，工资只有在编教师的一半，也没有缴纳社保。",
            ),
        ),
        combine=False,
    ),
    Topic(
        "0605",
        0.5,
        "school",
        EDUCATION,
        0.1,
        "{school}门口就是{road}，上下学时间车流量很大。",
        (
            (
                "{school}门口交通安全隐患|建议{school}门口增设安全设施",
                "请求在{school}门口增设减速带和人行横道。",
                "校门口没有红绿灯和斑马线，上个月有一名学生在校门口被电动车撞伤。",
            ),
        ),
    ),
    Topic(
        "0701",
        1.5,
        "hospital",
        HEALTH,
        0.0,
        "我{relative}{past}因腹痛住进{hospital}，入院后医生诊断为胆囊结石，需要手术。",
        (
            (
                "对{hospital}诊疗过程有异议|要求查明{relative}在{hospital}术后病情恶化原因",
                "请求组织医疗事故技术鉴定，查明责任。",
                "手术后第二天出现高烧，医院没有及时处理，后来转入重症监护室。",
            ),
            (
                "反映{hospital}医疗过错问题|要求{hospital}承担医疗损害赔偿",
                "请求督促{hospital}依法承担赔偿责任。",
                "医院给出的病历与我们了解的情况有出入，部分护理记录有涂改痕迹。",
            ),
        ),
        ("我们向医院提出调解，医院称只能走司法程序。",),
    ),
    Topic(
        "0702",
        1,
        "",
        HEALTH,
        0.0,
        "我是{district}的城乡居民医保参保人员。",
        (
            (
                "异地就医费用报销比例过低|反映异地就医报销问题",
                "请求按政策核定报销比例，补足少报的费用。",
                "我{relative}在外地住院治疗，已经办理了异地就医备案，但报销比例比本地低了很多。",
            ),
            (
                "反映医保个人账户被他人违规使用|医保账户被盗刷问题",
                "请求查处盗刷医保账户的行为。",
                "我查询医保个人账户时发现，有几笔在药店的消费记录不是我本人所为。",
            ),
            (
                "门诊慢特病待遇申请未获批准|反映慢特病认定标准问题",
                "请求重新审核我的门诊慢特病待遇申请。",
                "我患高血压和糖尿病多年，申请门诊慢特病待遇，被告知材料不符合要求。",
            ),
        ),
        combine=False,
    ),
    Topic(
        "0703",
        0.5,
        "",
        HEALTH,
        0.3,
        "{township}农贸市场是附近居民每天买菜的地方。",
        (
            (
                "{township}公共厕所卫生状况差|反映{township}农贸市场周边卫生问题",
                "请求加强管理，改善公共卫生环境。",
                "市场旁边的公共厕所长期无人打扫，臭气熏天，市场周边污水横流，夏天蚊蝇很多。",
            ),
        ),
    ),
    Topic(
        "0704",
        0.5,
        "",
        HEALTH,
        0.5,
        "我和爱人是独生子女父母，{since}年满六十周岁。",
        (
            (
                "独生子女父母奖励扶助金未兑现|反映计划生育奖励扶助申请问题",
                "请求按政策发放独生子女父母奖励扶助金。",
                "{township}说我们的档案资料缺失，无法确认身份，让我们自己去找证明。",
            ),
        ),
    ),
    Topic(
        "0705",
        0.8,
        "hospital",
        HEALTH,
        0.0,
        "{past}我带{relative}到{hospital}看病。",
        (
            (
                "{hospital}挂号难、过度检查问题|反映{hospital}乱开检查单",
                "请求规范{hospital}的诊疗和收费行为。",
                "排队三个多小时才看上，医生没问几句就开了一大堆检查，花了一千多元，最后诊断只是普通感冒。",
            ),
            (
                "反映{hospital}医务人员服务态度差|对{hospital}服务态度不满意",
                "请求对相关医务人员进行批评教育。",
                "我们询问检查的必要性，医生态度很不耐烦，还说不想看可以去别的医院。",
            ),
        ),
    ),
    Topic(
        "0801",
        1,
        "store",
        MARKET,
        0.0,
        "我于{recent}在{store}购买了一台冰箱，使用不到一个月就不制冷了。",
        (
            (
                "{store}拒不履行三包义务|反映{store}售后服务问题",
                "请求督促{store}按规定退换商品。",
                "商家先是说等厂家派人检测，之后就不再接电话。",
            ),
            (
                "反映{store}销售质量问题商品|{store}以次充好问题",
                "请求依法查处{store}的违法经营行为。",
                "维修人员说是压缩机有问题，怀疑是翻新机。",
            ),
        ),
        ("我有购物发票和维修记录，可以证明产品存在质量问题。",),
    ),
    Topic(
        "0802",
        0.8,
        "shop",
        MARKET,
        0.1,
        "{recent}我们一家在{road}的{shop}吃饭后，几个人都出现了腹泻呕吐。",
        (
            (
                "{road}一餐馆食品卫生问题|反映{shop}使用过期食材",
                "请求对这家店进行检查，依法处理。",
                "到医院诊断为急性肠胃炎，医生说很可能是食物不干净引起的；事后发现店里冰柜有过期的食材。",
            ),
        ),
    ),
    Topic(
        "0803",
        0.4,
        "",
        MARKET,
        0.0,
        "我在{township}一家药店买的感冒药，回家后发现已经过期两个多月。",
        (
            (
                "反映{township}药店销售过期药品|{township}一药店出售过期药",
                "请求依法查处销售过期药品的行为。",
                "店员说可以换一盒，但拒绝登记和退款。",
            ),
        ),
    ),
    Topic(
        "0804",
        1.5,
        "prepaid",
        MARKET,
        0.0,
        "我{since}在{prepaid}办了一张会员卡，充值{amount}。",
        (
            (
                "{prepaid}闭店预付卡无法退费|{prepaid}卷款跑路问题",
                "请求督促{prepaid}退还预付卡余额。",
                "{recent}店门突然关闭，门口贴了一张“装修暂停营业”的通知，老板电话一直打不通。",
            ),
            (
                "反映{prepaid}预付卡消费纠纷|{prepaid}办卡后服务缩水",
                "请求依法查处{prepaid}的违法行为，维护消费者权益。",
                "办卡时承诺的服务项目大多取消了，要求退卡被告知不退不换。",
            ),
        ),
        ("据我们了解，办卡的会员有几百人，卡里的余额加起来有几十万元。",),
    ),
    Topic(
        "0805",
        0.8,
        "estate",
        MARKET,
        0.0,
        "我们是{estate}的业主，对小区的几项收费有疑问。",
        (
            (
                "{estate}燃气开户费收费过高|反映{estate}燃气初装费问题",
                "请求核查燃气开户费的收费依据，退还不合理收取的费用。",
                "燃气公司向每户收取开户费三千多元，远高于周边小区。",
            ),
            (
                "反映{estate}供水二次加压费问题|{estate}水费加价问题",
                "请求核查二次加压费的收费依据，退还不合理收取的费用。",
                "物业在水费中另外收取二次加压费，我们不清楚收费依据。",
            ),
        ),
    ),
    Topic(
        "0901",
        1.2,
        "road",
        TRANSPORT,
        0.4,
        "{road}是附近居民出行的主要道路。",
        (
            (
                "{road}路面破损严重|反映{road}坑洼路面无人维修",
                "请求尽快维修{road}的破损路面。",
                "路面坑洼很多，晚上骑电动车经过已经有好几个人摔伤。",
            ),
            (
                "{road}改造工程久拖不完|{road}施工围挡长期不拆",
                "请求督促施工单位加快{road}改造进度，尽早恢复通行。",
                "道路从{since}开始改造，围挡一直没有拆，施工时断时续。",
            ),
            (
                "反映{road}积水问题|{road}低洼路段逢雨必淹",
                "请求改造{road}排水设施，解决积水问题。",
                "每逢大雨，低洼路段积水超过半米，车辆经常熄火。",
            ),
        ),
    ),
    Topic(
        "0902",
        0.8,
        "",
        TRANSPORT,
        0.1,
        "{recent}公交公司调整线路，{township}的居民去市区需要转两趟车。",
        (
            (
                "{township}公交线路撤并出行不便|建议恢复{township}原公交线路",
                "建议恢复原公交线路，或者增加班次。",
                "早晚高峰等车要半个多小时，上班和孩子上学都受影响。",
            ),
        ),
        handling=HandlingCategory.SUGGESTION,
        routes=NO_ROUTE,
    ),
    Topic(
        "0903",
        0.5,
        "",
        TRANSPORT,
        0.0,
        "{recent}晚上我在火车站打车。",
        (
            (
                "反映火车站出租车拒载议价|反映出租车拒载绕路问题",
                "请求查处出租车拒载、议价和绕路的行为。",
                "连续几辆出租车都拒载，最后一位司机要求一口价，上车后还故意绕路，车费比平时多了一倍。",
            ),
        ),
    ),
    Topic(
        "0904",
        0.6,
        "road",
        TRANSPORT,
        0.3,
        "{road}与{road2}交叉口车流量很大。",
        (
            (
                "{road}路口缺少红绿灯|建议{road}路口增设信号灯",
                "建议在{road}路口增设信号灯和人行横道。",
                "路口没有信号灯，行人过马路非常危险，今年已经发生了好几起交通事故。",
            ),
        ),
        handling=HandlingCategory.SUGGESTION,
        routes=NO_ROUTE,
    ),
    Topic(
        "1001",
        1,
        "",
        POLICE,
        0.0,
        "{past}我与邻居因为琐事发生纠纷，对方动手打伤了我。",
        (
            (
                "报警后派出所处理不公问题|反映邻里纠纷报警后处理不当",
                "请求对案件重新调查，依法处理。",
                "我当场报了警，派出所做了笔录，但之后只让双方自行调解。",
            ),
        ),
        ("我的伤情经医院诊断为轻微伤，医药费花了几千元，对方至今没有任何赔偿。",),
        routes=CLAIM_LEGAL,
        litigation=True,
    ),
    Topic(
        "1002",
        1.2,
        "",
        COURT,
        0.0,
        "我与他人因借款纠纷诉至法院。",
        (
            (
                "对民事判决结果不服要求复查|借款纠纷案件审理不公",
                "请求依法对案件进行复查，纠正错误判决。",
                "{past}法院作出判决，驳回了我的大部分诉讼请求，我提交的转账记录和借条没有被采信。",
            ),
            (
                "反映到法院起诉立案难问题|法院不出具立案凭证",
                "请求法院依法受理我的起诉。",
                "我到法院立案窗口提交起诉材料，工作人员以材料不齐为由不予登记，也不出具书面凭证。",
            ),
        ),
        routes=CLAIM_LEGAL,
        litigation=True,
        combine=False,
    ),
    Topic(
        "1003",
        2,
        "",
        COURT,
        0.0,
        "我与{employer}的合同纠纷案，法院于{since}作出判决，判令对方支付{amount}。",
        (
            (
                "胜诉判决长期执行不到位|反映案件执行久拖不结",
                "请求法院加大执行力度，尽快执行到位。",
                "判决生效后对方一直没有履行，我于{past}申请强制执行，至今没有执行到一分钱。",
            ),
        ),
        ("执行法官说对方名下没有可供执行的财产，但据我了解对方仍在正常经营。",),
        routes=CLAIM_LEGAL,
        litigation=True,
    ),
    Topic(
        "1004",
        0.6,
        "",
        PROCURATORATE,
        0.0,
        "我对{court}的终审判决不服，认为判决认定事实错误。",
        (
            (
                "申请检察机关对民事判决进行监督|申请对生效判决进行法律监督",
                "请求检察机关依法进行法律监督。",
                "我已经向法院申请再审，被裁定驳回，现依法申请检察监督。",
            ),
        ),
        routes=CLAIM_LEGAL,
        litigation=True,
    ),
    Topic(
        "1005",
        1,
        "",
        POLICE,
        0.0,
        "{past}我接到一个自称客服的电话，被骗转账{amount}。",
        (
            (
                "被电信诈骗报案后案件无进展|电信诈骗案件侦办进度问题",
                "请求公安机关加快侦办，追回被骗款项。",
                "当天就到派出所报了案，拿到了受案回执，之后再也没有消息。",
            ),
        ),
        ("我多次打电话询问，办案民警只说正在侦查。",),
        routes=CLAIM_LEGAL,
        litigation=True,
    ),
    Topic(
        "1101",
        1.2,
        "village",
        DISCIPLINE,
        0.0,
        "我是{village}的村民，现实名检举村干部的问题。",
        (
            (
                "检举{village}村干部优亲厚友|反映{village}低保评定中的违纪问题",
                "请求纪检监察机关调查核实，依纪依法处理。",
                "村干部在低保评定中优亲厚友，自己的亲属条件很好却享受低保。",
            ),
            (
                "检举{village}村干部侵占集体资金|{village}修路工程款去向不明",
                "请求对{village}修路工程款的使用情况进行调查。",
                "村里修路的工程款有一部分去向不明，账目从来没有公开过。",
            ),
        ),
        ("我们担心被打击报复，请求对检举人信息保密。",),
        handling=HandlingCategory.ACCUSATION,
        routes=NO_ROUTE,
    ),
    Topic(
        "1102",
        0.6,
        "",
        DISCIPLINE,
        0.0,
        "我到{township}办理证明，前后跑了{times}。",
        (
            (
                "反映{township}工作人员办事推诿|反映{township}窗口作风问题",
                "请求对相关工作人员的作风问题进行调查处理。",
                "每次都说缺材料，却从来不一次性告知，工作人员上班时间玩手机、聊天，对群众态度冷淡。",
            ),
        ),
        handling=HandlingCategory.ACCUSATION,
        routes=NO_ROUTE,
    ),
    Topic(
        "1103",
        0.6,
        "",
        DISCIPLINE,
        0.0,
        "{since}我们向{township}举报一处违法建设。",
        (
            (
                "{township}对违建举报不作为|反映{township}对群众举报敷衍塞责",
                "请求对不作为问题进行调查，督促依法履职。",
                "至今已经过去很久，违建越盖越高，每次询问都说已经发了整改通知，但从来没有采取任何措施。",
            ),
        ),
        handling=HandlingCategory.ACCUSATION,
        routes=NO_ROUTE,
    ),
    Topic(
        "1104",
        0.8,
        "village",
        DISCIPLINE,
        0.0,
        "{village}有几户村民享受了农村危房改造补助。",
        (
            (
                "{village}危房改造补助被截留|反映{village}虚报冒领补贴问题",
                "请求调查核实，追回被截留的补助资金。",
                "补助只拿到一半，另一半被村干部以“管理费”名义扣下，还有人没有改造房屋也领到了补助。",
            ),
        ),
        handling=HandlingCategory.ACCUSATION,
        routes=NO_ROUTE,
    ),
    Topic(
        "1201",
        0.8,
        "road",
        DISTRICT_GOVERNMENT,
        0.0,
        "{road}周边新建了好几个小区，居住人口增加很快，但配套设施跟不上。",
        (
            (
                "建议在{road}增设公交站点|关于改善{township}居民出行条件的建议",
                "建议在{road}中段增设一个公交站点，并开通到市中心的线路。",
                "最近的公交站要走二十分钟，老人和孩子出行很不方便。",
            ),
            (
                "建议增设{road}社区公共停车场|关于缓解{road}停车难的建议",
                "建议利用闲置地块建设公共停车场，缓解停车难。",
                "路边停满了车，消防车和救护车都进不来。",
            ),
        ),
        handling=HandlingCategory.SUGGESTION,
        routes=NO_ROUTE,
    ),
    Topic(
        "1202",
        0.6,
        "",
        DISTRICT_GOVERNMENT,
        0.0,
        "我{recent}到{district}政务服务中心办理业务。",
        (
            (
                "政务服务中心办事排队时间长|反映{district}政务服务中心窗口不足",
                "请求优化办事流程，增加窗口。",
                "排队等了整整一个上午，开放的窗口只有两个。",
            ),
            (
                "反映网上办事系统经常无法登录|网上政务服务平台使用不便",
                "请求尽快修复网上办事系统，方便群众办事。",
                "网上办事系统经常提示“系统繁忙”，无法提交材料，只能跑到现场。",
            ),
        ),
        routes=((ClaimRoute.DUTY, 1.0),),
    ),
    Topic(
        "1203",
        0.8,
        "",
        DISTRICT_GOVERNMENT,
        0.0,
        "我今年{age}岁，住在{district}{township}。",
        (
            (
                "请求帮助解决家庭生活困难|反映本人家庭特殊困难情况",
                "请求政府帮助解决眼前的生活困难。",
                "{relative}长期卧病在床，家里没有稳定收入，申请过临时救助，但只领到一次，远远不够。",
            ),
        ),
    ),
)


#: Topics that may carry a lawsuit although their category is not 政法 (then handled by a court).
LITIGATION_PRONE = ("0101", "0103", "0302", "0303", "0701")
CHANNELS = ((Channel.VISIT, 40), (Channel.LETTER, 20), (Channel.ONLINE, 30), (Channel.PHONE, 10))
# Share of collective petitions per channel; with the channel mix above this makes about 10 %.
COLLECTIVE_SHARE = {
    Channel.VISIT: 0.19,
    Channel.LETTER: 0.08,
    Channel.ONLINE: 0.03,
    Channel.PHONE: 0.01,
}
LITIGATION_SHARE = 0.05
REPEAT_SHARE = 0.15
# Statuses by the case's age in days: recent ones wait for routing, old ones are mostly done.
STATUS_BY_AGE: tuple[tuple[int, tuple[tuple[CaseStatus, float], ...]], ...] = (
    (
        20,
        (
            (CaseStatus.REGISTERED, 80),
            (CaseStatus.TRANSFERRED, 6),
            (CaseStatus.ASSIGNED, 6),
            (CaseStatus.RECEIVED, 4),
            (CaseStatus.IN_HANDLING, 2),
            (CaseStatus.NOT_ACCEPTED, 2),
        ),
    ),
    (
        60,
        (
            (CaseStatus.REGISTERED, 4),
            (CaseStatus.TRANSFERRED, 6),
            (CaseStatus.ASSIGNED, 12),
            (CaseStatus.RECEIVED, 8),
            (CaseStatus.IN_HANDLING, 44),
            (CaseStatus.EXTENSION_REQUESTED, 2),
            (CaseStatus.UNDER_REVIEW, 6),
            (CaseStatus.REPLIED, 4),
            (CaseStatus.SERVED, 4),
            (CaseStatus.NOT_ACCEPTED, 4),
            (CaseStatus.NOT_REACCEPTED, 1),
        ),
    ),
    (
        150,
        (
            (CaseStatus.IN_HANDLING, 30),
            (CaseStatus.UNDER_REVIEW, 4),
            (CaseStatus.REPLIED, 4),
            (CaseStatus.SERVED, 24),
            (CaseStatus.REVIEW_REQUESTED, 4),
            (CaseStatus.CLOSED, 28),
            (CaseStatus.NOT_ACCEPTED, 6),
        ),
    ),
    (
        10_000,
        (
            (CaseStatus.IN_HANDLING, 4),
            (CaseStatus.SERVED, 10),
            (CaseStatus.REVIEW_SERVED, 3),
            (CaseStatus.RECHECK_REQUESTED, 2),
            (CaseStatus.CLOSED, 66),
            (CaseStatus.TERMINATED, 6),
            (CaseStatus.NOT_ACCEPTED, 6),
            (CaseStatus.NOT_REACCEPTED, 2),
        ),
    ),
)


@dataclass(frozen=True)
class Place:
    district: DistrictSpec
    township_code: str
    township: str


@dataclass(eq=False)
class Person:
    """One petitioner as generated; ``pk`` is set once the row exists (0 until then)."""

    name: str
    id_number: str
    phone: str
    address: str
    pk: int = 0


@dataclass(eq=False)
class Entity:
    """An estate, employer, project, village …: what several cases are about."""

    kind: str
    name: str
    place: Place
    extra: dict[str, str]
    people: list[Person] = field(default_factory=list)


@dataclass(frozen=True)
class ContactPlan:
    channel: Channel
    occurred_at: dt.datetime
    people_count: int
    representative_count: int
    is_repeat: bool
    skipped_level: bool
    note: str = ""


@dataclass(frozen=True)
class CasePlan:
    """Everything about one demo case, before it touches the database."""

    number: str
    year: int
    seq: int
    channel: Channel
    people_count: int
    handling_category: HandlingCategory
    claim_route: ClaimRoute | None
    category: str
    involves_litigation: bool
    region: str
    title: str
    request: str
    facts_reasons: str
    status: CaseStatus
    received_at: dt.datetime
    registered_at: dt.datetime
    handling_unit: str | None
    people: tuple[tuple[Person, bool], ...]  # (person, is_representative)
    contacts: tuple[ContactPlan, ...]


class _Pool:
    """Entities of one kind with skewed weights: a few come up again and again."""

    def __init__(self, items: list[Entity], rng: random.Random) -> None:
        self.items = items
        self.cum = list(accumulate(rng.paretovariate(1.2) for _ in items))

    def pick(self, rng: random.Random) -> Entity:
        index = bisect.bisect(self.cum, rng.random() * self.cum[-1])
        return self.items[min(index, len(self.items) - 1)]


class _Slots(dict[str, str]):
    """Template slots filled on first use, so one case says the same thing throughout."""

    def __init__(self, fill: Callable[[str, _Slots], str]) -> None:
        super().__init__()
        self._fill = fill

    def __missing__(self, key: str) -> str:
        value = self._fill(key, self)
        self[key] = value
        return value


def _date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _month_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月"


def _money_text(yuan: int) -> str:
    if yuan >= 10_000:
        return f"{yuan / 10_000:.2f}".rstrip("0").rstrip(".") + "万元"
    return f"{yuan}元"


class DemoGenerator:
    """Plans ``cases`` demo cases from ``seed`` and the reference date ``today``; no database.

    ``first_numbers`` maps a year to the last case number already used in it (from
    ``NumberSequence``), so that the plans continue an existing sequence.
    """

    def __init__(
        self,
        *,
        seed: int,
        cases: int,
        today: dt.date,
        collective_threshold: int,
        first_numbers: dict[int, int] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.cases = cases
        self.today = today
        self.threshold = collective_threshold
        self.numbers = dict(first_numbers or {})
        self.tz = timezone.get_current_timezone()
        self._id_counters: dict[tuple[str, int], int] = {}
        self._recent_people: list[Person] = []
        self.district_cum = list(accumulate(d.weight for d in DISTRICTS))
        self.places = {
            d.code: [Place(d, code, name) for code, name in d.townships] for d in DISTRICTS
        }
        self.township_cum = {
            code: list(accumulate(1 / (i + 1) ** 0.7 for i in range(len(places))))
            for code, places in self.places.items()
        }
        self.topics_plain = [t for t in TOPICS if not t.litigation]
        self.topics_plain_cum = list(accumulate(t.weight for t in self.topics_plain))
        self.topics_legal = [t for t in TOPICS if t.litigation]
        self.topics_legal_cum = list(accumulate(t.weight for t in self.topics_legal))
        self.topics_prone = [t for t in TOPICS if t.category in LITIGATION_PRONE]
        self.topics_prone_cum = list(accumulate(t.weight for t in self.topics_prone))
        self.surname_cum = list(accumulate(weight for _, weight in SURNAMES))
        self.channels = [channel for channel, _ in CHANNELS]
        self.channels_cum = list(accumulate(weight for _, weight in CHANNELS))
        self.roads = self._names(
            [h + t for h in ROAD_HEADS for t in ROAD_TAILS], 30 + cases // 1000
        )
        self.status_tables = [
            (limit, ([s for s, _ in table], list(accumulate(w for _, w in table))))
            for limit, table in STATUS_BY_AGE
        ]
        self.pools = self._build_pools()

    # --- small draws ------------------------------------------------------------------------

    def _index(self, cum: Sequence[float]) -> int:
        """A weighted draw: the index of the chosen item, given cumulative weights."""
        return min(bisect.bisect(cum, self.rng.random() * cum[-1]), len(cum) - 1)

    def _place(self) -> Place:
        district = DISTRICTS[self._index(self.district_cum)]
        return self.places[district.code][self._index(self.township_cum[district.code])]

    def _names(self, candidates: list[str], size: int) -> list[str]:
        self.rng.shuffle(candidates)
        return candidates[: max(1, min(size, len(candidates)))]

    # --- entities ---------------------------------------------------------------------------

    def _build_pools(self) -> dict[str, _Pool]:
        rng, n = self.rng, self.cases
        firm = FIRM_HEADS

        def make(kind: str, names: list[str], extra: Callable[[], dict[str, str]]) -> _Pool:
            return _Pool([Entity(kind, name, self._place(), extra()) for name in names], rng)

        def no_extra() -> dict[str, str]:
            return {}

        def road() -> dict[str, str]:
            return {"road": rng.choice(self.roads)}

        def estate_extra() -> dict[str, str]:
            head = rng.choice(firm)
            return {
                "developer": f"{rng.choice(('A市', '西地'))}{head}{rng.choice(DEVELOPER_TAILS)}",
                "pm": f"A市{rng.choice(PM_HEADS)}物业服务有限公司",
                "road": rng.choice(self.roads),
            }

        trades = {f"{h}{t[0]}": t for h in firm for t in EMPLOYER_TRADES}

        def employer(names: list[str]) -> _Pool:
            items = []
            for name in names:
                trade = trades[name.removeprefix("A市")]
                items.append(
                    Entity(
                        "employer", name, self._place(), {"job": trade[1], "workplace": trade[2]}
                    )
                )
            return _Pool(items, rng)

        estates = self._names(
            [h + t + p for h in ESTATE_HEADS for t in ESTATE_TAILS for p in ("", "二期", "三期")],
            30 + n // 120,
        )
        villages: dict[str, Entity] = {}
        for _ in range(25 + n // 150):
            place = self._place()
            name = f"{place.township}{rng.choice(VILLAGE_HEADS)}村"
            villages.setdefault(name, Entity("village", name, place, {}))
        schools = [f"A{d.number}区{h}小学" for d in DISTRICTS for h in SCHOOL_HEADS] + [
            f"A市第{i}中学" for i in ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
        ]
        return {
            "estate": make("estate", estates, estate_extra),
            "old_estate": make("old_estate", self._names(list(OLD_ESTATES), 8 + n // 400), road),
            "employer": employer(self._names(["A市" + name for name in trades], 20 + n // 200)),
            "project": make(
                "project",
                self._names([r + k for r in self.roads for k in PROJECT_KINDS], 12 + n // 400),
                road,
            ),
            "zone": make(
                "zone",
                self._names(
                    [r.rstrip("东西北") + k for r in self.roads for k in ZONE_KINDS], 6 + n // 800
                ),
                no_extra,
            ),
            "village": _Pool(list(villages.values()), rng),
            "school": make("school", self._names(schools, 12 + n // 1000), road),
            "hospital": make("hospital", list(HOSPITALS), no_extra),
            "factory": make(
                "factory",
                self._names([f"A市{h}{k}" for h in firm for k in FACTORY_KINDS], 8 + n // 1500),
                no_extra,
            ),
            "prepaid": make(
                "prepaid",
                self._names([h + k for h in firm for k in PREPAID_KINDS], 8 + n // 1000),
                no_extra,
            ),
            "training": make(
                "training",
                self._names([h + k for h in firm for k in TRAINING_KINDS], 6 + n // 2000),
                no_extra,
            ),
            "store": make(
                "store",
                self._names([h + k for h in firm for k in STORE_KINDS], 6 + n // 2000),
                no_extra,
            ),
            "shop": make(
                "shop",
                self._names([o + k for o in SHOP_OWNERS for k in SHOP_KINDS], 15 + n // 500),
                road,
            ),
            "road": _Pool(
                [Entity("road", name, self._place(), {"road": name}) for name in self.roads], rng
            ),
        }

    # --- people -----------------------------------------------------------------------------

    def _id_number(self, prefix: str, male: bool) -> str:
        rng = self.rng
        while True:
            age_days = int(rng.triangular(21, 88, 52) * 365.25)
            birth = self.today - dt.timedelta(days=age_days)
            key = (prefix, birth.toordinal())
            count = self._id_counters.get(key, 0)
            if count < 500:
                break
        self._id_counters[key] = count + 1
        # A fixed permutation of 0…499 per (prefix, birth date): unique, and not all "001".
        slot = (count * 137 + int(prefix) * 31 + birth.toordinal()) % 500
        return with_check_digit(f"{prefix}{birth:%Y%m%d}{slot * 2 + male:03d}")

    def _person(self, place: Place, entity: Entity | None) -> Person:
        rng = self.rng
        male = rng.random() < 0.55
        surname = SURNAMES[self._index(self.surname_cum)][0]
        chars = (MALE_CHARS if male else FEMALE_CHARS) + NEUTRAL_CHARS
        given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
        roll = rng.random()
        if roll < 0.8:
            prefix = place.district.code
        elif roll < 0.9:
            prefix = rng.choice(DISTRICTS).code
        else:
            prefix = rng.choice(OTHER_ID_PREFIXES)
        id_number = self._id_number(prefix, male)
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        where = f"西地省A市{place.district.name}"
        if entity is not None and entity.kind in ("estate", "old_estate"):
            address = (
                f"{where}{place.township}{entity.name}{rng.randint(1, 28)}栋"
                f"{rng.randint(1, 4)}单元{rng.randint(1, 26)}{rng.randint(1, 4):02d}室"
            )
        elif entity is not None and entity.kind == "village":
            address = f"{where}{entity.name}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
        else:
            road = entity.extra.get("road") if entity is not None else None
            address = (
                f"{where}{place.township}{road or rng.choice(self.roads)}{rng.randint(1, 399)}号"
            )
        return Person(surname + given, id_number, phone, address)

    def _people(
        self, count: int, place: Place, entity: Entity | None, *, representative: bool
    ) -> list[tuple[Person, bool]]:
        """New people mostly; sometimes someone already seen about the same estate, employer or
        village (neighbours who come again about another matter), or anyone seen before."""
        rng = self.rng
        chosen: list[tuple[Person, bool]] = []
        for _ in range(count):
            roll = rng.random()
            candidate: Person | None = None
            if entity is not None and entity.people and roll < 0.08:
                candidate = rng.choice(entity.people)
            elif roll > 0.97 and self._recent_people:
                candidate = rng.choice(self._recent_people)
            if candidate is None or any(candidate is person for person, _ in chosen):
                candidate = self._person(place, entity)
                self._remember(candidate, entity)
            chosen.append((candidate, representative))
        return chosen

    def _remember(self, person: Person, entity: Entity | None) -> None:
        rng = self.rng
        if entity is not None:
            if len(entity.people) < 8:
                entity.people.append(person)
            else:
                entity.people[rng.randrange(8)] = person
        if len(self._recent_people) < 20_000:
            self._recent_people.append(person)
        else:
            self._recent_people[rng.randrange(20_000)] = person

    # --- texts ------------------------------------------------------------------------------

    def _texts(
        self, topic: Topic, place: Place, entity: Entity | None, received: dt.date, *, prone: bool
    ) -> tuple[str, str, str]:
        """(title, request, facts and reasons) about one of the topic's issues."""
        slots = _Slots(_CaseWords(self, topic, place, entity, received).fill)
        issue = self.rng.randrange(len(topic.issues))
        titles, request, _detail = topic.issues[issue]
        title = self._title(titles.split("|"), slots)
        request = request.format_map(slots)
        facts = self._facts(topic, issue, slots, received, prone=prone, budget=3000 - len(request))
        return title, request, facts

    def _title(self, templates: list[str], slots: _Slots) -> str:
        start = self.rng.randrange(len(templates))
        title = ""
        for offset in range(len(templates)):
            title = templates[(start + offset) % len(templates)].format_map(slots)
            if 10 <= len(title) <= 30:
                return title
        return title[:30] if len(title) > 30 else f"{title}的问题"

    def _facts(
        self,
        topic: Topic,
        issue: int,
        slots: _Slots,
        received: dt.date,
        *,
        prone: bool,
        budget: int,
    ) -> str:
        rng = self.rng
        sentences = [topic.scene, topic.issues[issue][2]]
        roll = rng.random()
        if roll < 0.55:  # a few lines, as most phone calls and online forms are
            if topic.more and rng.random() < 0.3:
                sentences.append(rng.choice(topic.more))
            if prone:
                sentences.append(rng.choice(LITIGATION))
            if rng.random() < 0.4:
                sentences.append(rng.choice(CLOSINGS))
            return "".join(sentences).format_map(slots)[:budget]
        # A letter: the other issues too, what people did about it, how it weighs on them.
        others = [d for i, (_t, _r, d) in enumerate(topic.issues) if i != issue and topic.combine]
        sentences += rng.sample(others, rng.randint(0, len(others))) + list(topic.more)
        if prone:
            sentences.append(rng.choice(LITIGATION))
        middle = rng.sample(EFFORTS, rng.randint(1, 2 if roll < 0.92 else 3))
        if rng.random() < 0.6:
            middle.append(rng.choice(IMPACTS))
        paragraphs = ["".join(sentences).format_map(slots), "".join(middle).format_map(slots)]
        if roll >= 0.92:  # a long letter with a chronology, up to the 3,000-character budget
            used = sum(len(p) + 1 for p in paragraphs) + 40
            paragraphs.insert(1, self._timeline(slots, received, budget - used))
        paragraphs.append(rng.choice(CLOSINGS).format_map(slots))
        return "\n".join(paragraphs)[:budget]

    def _timeline(self, slots: _Slots, received: dt.date, budget: int) -> str:
        rng = self.rng
        span = rng.randint(120, 700)
        count = min(span, rng.randint(8, 60))
        offsets = sorted(rng.sample(range(1, span), count), reverse=True)
        entries: list[str] = []
        used = 0
        templates = list(TIMELINE)
        rng.shuffle(templates)  # each step once before any comes again
        for number, offset in enumerate(offsets):
            slots["date"] = _date_text(received - dt.timedelta(days=offset))
            entry = templates[number % len(templates)].format_map(slots)
            if used + len(entry) + 1 > budget:
                break
            entries.append(entry)
            used += len(entry) + 1
        # Paragraphs of four or five entries read like a letter, not a log.
        return "\n".join("".join(entries[i : i + 5]) for i in range(0, len(entries), 5))

    # --- one case ---------------------------------------------------------------------------

    def _topic(self) -> tuple[Topic, bool, bool]:
        """(topic, involves litigation, litigation on a topic outside 政法)."""
        rng = self.rng
        if rng.random() >= LITIGATION_SHARE:
            return self.topics_plain[self._index(self.topics_plain_cum)], False, False
        if rng.random() < 0.85:
            return self.topics_legal[self._index(self.topics_legal_cum)], True, False
        return self.topics_prone[self._index(self.topics_prone_cum)], True, True

    def _received(self, channel: Channel, registered_at: dt.datetime) -> dt.datetime:
        """When the contact happened: shortly before registration, or overnight for online."""
        rng = self.rng
        minutes = {
            Channel.VISIT: (5, 45),
            Channel.PHONE: (1, 15),
            Channel.LETTER: (10, 120),
            Channel.ONLINE: (5, 20 * 60),
        }[channel]
        delay = dt.timedelta(minutes=rng.randint(*minutes))
        if channel != Channel.ONLINE:
            opened = registered_at.replace(hour=8, minute=0, second=0, microsecond=0)
            delay = min(delay, registered_at - opened)
        return registered_at - delay

    def _status(self, received: dt.date) -> CaseStatus:
        age = (self.today - received).days
        for limit, (statuses, cum) in self.status_tables:
            if age <= limit:
                return statuses[self._index(cum)]
        raise AssertionError("unreachable: the last age limit is open-ended")

    def _handling_unit(self, topic: Topic, place: Place, *, prone: bool) -> str:
        if prone:
            return COURT
        code = topic.unit
        if self.rng.random() < topic.local:
            code = DISTRICT_GOVERNMENT
        if code == DISTRICT_GOVERNMENT:
            return place.district.unit_code
        if code == TOWNSHIP_UNIT:
            return township_unit_code(place.district, place.township_code)
        return code

    def _contacts(
        self, channel: Channel, received_at: dt.datetime, people: int, representatives: int
    ) -> tuple[ContactPlan, ...]:
        rng = self.rng
        skipped = rng.random() < (0.05 if channel == Channel.VISIT else 0.01)
        contacts = [ContactPlan(channel, received_at, people, representatives, False, skipped)]
        if rng.random() >= REPEAT_SHARE:
            return tuple(contacts)
        first_day = received_at.date() + dt.timedelta(days=2)
        span = min((self.today - dt.timedelta(days=1) - first_day).days, 240)
        if span < 0:
            return tuple(contacts)
        count = min(span + 1, rng.choices((1, 2, 3, 4, 5, 6), (60, 22, 10, 4, 2, 2))[0])
        collective = people >= self.threshold
        for offset in sorted(rng.sample(range(span + 1), count)):
            day = first_day + dt.timedelta(days=offset)
            at = dt.datetime.combine(day, dt.time(8, 30), tzinfo=self.tz) + dt.timedelta(
                seconds=rng.randrange(9 * 3600)
            )
            again = channel if rng.random() < 0.7 else Channel.VISIT
            count_now = (
                max(self.threshold, round(people * rng.uniform(0.6, 1.4))) if collective else people
            )
            contacts.append(
                ContactPlan(
                    again,
                    at,
                    count_now,
                    representatives,
                    True,
                    again == Channel.VISIT and rng.random() < 0.12,
                    rng.choice(REPEAT_NOTES),
                )
            )
        return tuple(contacts)

    def _case(self, registered_at: dt.datetime) -> CasePlan:
        rng = self.rng
        channel = self.channels[self._index(self.channels_cum)]
        topic, litigation, prone = self._topic()
        entity = self.pools[topic.entity].pick(rng) if topic.entity else None
        place = entity.place if entity is not None else self._place()
        region = place.township_code if rng.random() < 0.75 else place.district.code
        received_at = self._received(channel, registered_at)
        if rng.random() < COLLECTIVE_SHARE[channel]:
            people_count = max(self.threshold, min(60, int(rng.lognormvariate(2.5, 0.7))))
            if rng.random() < 0.04:  # more than the five representatives 第二十条 allows
                representatives = rng.choice((6, 7))
            else:
                representatives = rng.choices((1, 2, 3, 4, 5), (15, 20, 30, 15, 20))[0]
            representatives = min(representatives, people_count)
            people = self._people(representatives, place, entity, representative=True)
        else:
            roll = rng.random()
            people_count = min(1 if roll < 0.9 else 2 if roll < 0.98 else 3, self.threshold - 1)
            representatives = 0
            people = self._people(people_count, place, entity, representative=False)
        received = received_at.date()
        title, request, facts = self._texts(topic, place, entity, received, prone=prone)
        status = self._status(received)
        handling_unit = (
            None
            if status == CaseStatus.REGISTERED
            else self._handling_unit(topic, place, prone=prone)
        )
        route: ClaimRoute | None = None
        if prone:
            route = ClaimRoute.LITIGATION
        elif topic.routes:
            route = rng.choices([r for r, _ in topic.routes], [w for _, w in topic.routes])[0]
        contacts = self._contacts(channel, received_at, people_count, representatives)
        year = received.year
        seq = self.numbers.get(year, 0) + 1
        self.numbers[year] = seq
        return CasePlan(
            number=f"{OFFICE}-{year}-{seq:06d}",
            year=year,
            seq=seq,
            channel=channel,
            people_count=people_count,
            handling_category=topic.handling,
            claim_route=route,
            category=topic.category,
            involves_litigation=litigation,
            region=region,
            title=title,
            request=request,
            facts_reasons=facts,
            status=status,
            received_at=received_at,
            registered_at=registered_at,
            handling_unit=handling_unit,
            people=tuple(people),
            contacts=contacts,
        )

    def _registration_times(self) -> list[int]:
        """Seconds after the start of the window, sorted: weekdays busy, weekends quiet, the
        year growing slightly; office hours 8:30–12:00 and 14:00–17:30."""
        rng = self.rng
        days = 365
        first = self.today - dt.timedelta(days=days)
        weights = []
        for offset in range(days):
            weekday = (first + dt.timedelta(days=offset)).weekday()
            factor = 1.0 if weekday < 5 else 0.18 if weekday == 5 else 0.12
            weights.append(factor * (0.85 + 0.3 * offset / days))
        cum = list(accumulate(weights))
        times = []
        for _ in range(self.cases):
            if rng.random() < 0.55:
                second = rng.randrange(8 * 3600 + 1800, 12 * 3600)
            else:
                second = rng.randrange(14 * 3600, 17 * 3600 + 1800)
            times.append(self._index(cum) * 86_400 + second)
        times.sort()
        return times

    def plans(self) -> Iterator[CasePlan]:
        """The cases in registration order. Call once: the generator's state moves on."""
        start = dt.datetime.combine(self.today - dt.timedelta(days=365), dt.time(), tzinfo=self.tz)
        for second in self._registration_times():
            yield self._case(start + dt.timedelta(seconds=second))


class _CaseWords:
    """The slot values of one case: its place, its entity, dates relative to its receipt."""

    def __init__(
        self,
        generator: DemoGenerator,
        topic: Topic,
        place: Place,
        entity: Entity | None,
        received: dt.date,
    ) -> None:
        self.gen = generator
        self.rng = generator.rng
        self.topic = topic
        self.place = place
        self.entity = entity
        self.received = received
        self.others: dict[str, Entity] = {}

    def _entity(self, kind: str) -> Entity:
        if self.entity is not None and self.entity.kind == kind:
            return self.entity
        if kind not in self.others:
            self.others[kind] = self.gen.pools[kind].pick(self.rng)
        return self.others[kind]

    def before(self, low: int, high: int) -> dt.date:
        return self.received - dt.timedelta(days=self.rng.randint(low, high))

    def fill(self, key: str, slots: _Slots) -> str:
        if key == "road":
            if self.entity is not None and "road" in self.entity.extra:
                return self.entity.extra["road"]
            return self.rng.choice(self.gen.roads)
        if key in self.gen.pools:
            return self._entity(key).name
        if key in ("pm", "developer"):
            return self._entity("estate").extra[key]
        if key in ("job", "workplace"):
            return self._entity("employer").extra[key]
        return _SLOTS[key](self, slots)

    def department(self) -> str:
        unit = self.topic.unit
        if unit == DISTRICT_GOVERNMENT:
            return f"{self.place.district.name}人民政府"
        if unit == TOWNSHIP_UNIT:
            return self.place.township
        return DEPARTMENT_NAMES.get(unit, "有关部门")


_SlotFill = Callable[[_CaseWords, _Slots], str]
# The plain slots: a value drawn for the case (entities, places and dates are handled above).
_SLOTS: dict[str, _SlotFill] = {
    "district": lambda w, s: w.place.district.name,
    "township": lambda w, s: w.place.township,
    "road2": lambda w, s: w.rng.choice([r for r in w.gen.roads if r != s["road"]] or ["环城路"]),
    "dept": lambda w, s: w.department(),
    "court": lambda w, s: w.rng.choice((f"{w.place.district.name}人民法院", "市中级人民法院")),
    "since": lambda w, s: _month_text(w.before(180, 900)),
    "past": lambda w, s: _date_text(w.before(30, 180)),
    "earlier": lambda w, s: _date_text(w.before(60, 150)),
    "lately": lambda w, s: _date_text(w.before(8, 45)),
    "recent": lambda w, s: _date_text(w.before(5, 56)),
    "year_last": lambda w, s: f"{w.received.year - 1}年",
    "workers": lambda w, s: f"{w.rng.randint(8, 90)}名",
    "months": lambda w, s: f"{w.rng.randint(2, 11)}个月",
    "years": lambda w, s: str(w.rng.randint(3, 16)),
    "amount": lambda w, s: _money_text(w.rng.randint(6, 180) * 500),
    "households": lambda w, s: f"{w.rng.randint(4, 36) * 50}余户",
    "building": lambda w, s: str(w.rng.randint(1, 26)),
    "buildings": lambda w, s: str(w.rng.randint(3, 16)),
    "acres": lambda w, s: str(w.rng.randint(3, 60) * 10),
    "acres_small": lambda w, s: w.rng.choice(("1.5", "2", "2.8", "3", "4.6", "5")),
    "rent": lambda w, s: str(w.rng.randint(8, 25) * 100),
    "age": lambda w, s: str(w.rng.randint(58, 86)),
    "times": lambda w, s: w.rng.choice(TIMES),
    "relative": lambda w, s: w.rng.choice(RELATIVES),
    "facility": lambda w, s: w.rng.choice(FACILITIES),
    "project_kind": lambda w, s: w.rng.choice(PROJECT_USES),
    "old_employer": lambda w, s: w.rng.choice(OLD_EMPLOYERS),
    "trade": lambda w, s: w.rng.choice(TRADES),
    "fee_old": lambda w, s: f"{w.rng.randint(10, 20) / 10:.1f}",
    "fee_new": lambda w, s: f"{float(s['fee_old']) + w.rng.randint(3, 8) / 10:.1f}",
    "parking": lambda w, s: str(w.rng.choice((150, 200, 260, 300))),
    "parking_new": lambda w, s: str(int(s["parking"]) + w.rng.choice((100, 150, 200))),
}

# --- Writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrganisation:
    """What the case writer needs from the organisation, by code."""

    units: dict[str, int]
    regions: dict[str, int]
    categories: dict[str, int]
    clerk: User


@dataclass(frozen=True)
class SeedResult:
    cases: int
    contacts: int
    petitioners: int
    reference_date: dt.date
    walked: int = 0


def _region(code: str, name: str, level: RegionLevel, parent: Region | None) -> Region:
    region, _created = Region.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent}
    )
    return region


@transaction.atomic
def ensure_demo_organisation() -> DemoOrganisation:
    """Regions, units, one user per role and the shipped categories; what exists is kept.

    Units and users go through the audited services; categories through the importer (only
    the codes still missing, so that names an administrator changed stay changed).
    """
    province = _region(*PROVINCE, RegionLevel.PROVINCE, None)
    city = _region(*CITY, RegionLevel.CITY, province)
    districts = {
        spec.code: _region(spec.code, spec.name, RegionLevel.COUNTY, city) for spec in DISTRICTS
    }
    townships = {
        code: _region(code, name, RegionLevel.TOWNSHIP, districts[spec.code])
        for spec in DISTRICTS
        for code, name in spec.townships
    }
    units: dict[str, Unit] = {unit.code: unit for unit in Unit.objects.all()}

    def unit(code: str, name: str, kind: UnitKind, parent: str | None, region: Region) -> None:
        if code not in units:
            units[code] = create_unit(
                actor=None,
                code=code,
                name=name,
                kind=kind,
                parent=units[parent] if parent else None,
                region=region,
            )

    for code, name, kind, parent in CITY_UNITS:
        unit(code, name, kind, parent, city)
    for spec in DISTRICTS:
        unit(
            spec.unit_code,
            f"{spec.name}人民政府",
            UnitKind.GOVERNMENT,
            OFFICE,
            districts[spec.code],
        )
        for code, name in spec.townships:
            unit(
                township_unit_code(spec, code),
                township_unit_name(spec, name),
                UnitKind.TOWNSHIP,
                spec.unit_code,
                townships[code],
            )
    existing_users = set(User.objects.values_list("username", flat=True))
    for person in DEMO_USERS:
        if person.username not in existing_users:
            create_user(
                actor=None,
                username=person.username,
                full_name=person.full_name,
                unit=units[person.unit_code],
                roles=[person.role],
                password=DEMO_PASSWORD,
            )
    known = set(ContentCategory.objects.values_list("code", flat=True))
    missing = [row for row in read_category_csv(DEFAULT_CATEGORY_FILE) if row[0] not in known]
    if missing:
        import_content_categories(actor=None, rows=missing)
    return DemoOrganisation(
        units={code: unit.pk for code, unit in units.items()},
        regions=dict(Region.objects.filter(code__startswith=CITY[0]).values_list("code", "id")),
        categories=dict(ContentCategory.objects.values_list("code", "id")),
        clerk=User.objects.get(username="clerk"),
    )


@contextmanager
def _rule_sets_memoised(memo: dict[tuple[str, dt.date], RuleSetData]) -> Iterator[None]:
    """``apply_procedure`` looks up the rule set in force on each case's received date with
    one query per case (a third of the load time at 1M cases); during a load the rule sets do
    not change, so each (jurisdiction, day) is read once.
    Trade-off: this swaps the name ``demo_workflow`` calls while the batch is prepared (one
    thread); a rule-set cache in the engine itself would make it unnecessary."""
    original = deadlines.rule_set_for

    def cached(jurisdiction: str, on: dt.date) -> RuleSetData:
        key = (jurisdiction, on)
        if key not in memo:
            memo[key] = original(jurisdiction, on)
        return memo[key]

    with mock.patch.object(demo_workflow, "rule_set_for", cached):
        yield


class _BatchWriter:
    """Turns plans into rows with one ``executemany`` per table and batch (core.inserts)."""

    def __init__(
        self, org: DemoOrganisation, *, reuse_existing_people: bool, today: dt.date
    ) -> None:
        self.org = org
        self.today = today
        self.calendar = Calendar()
        self.reuse_existing_people = reuse_existing_people
        self.threshold = settings.XF_COLLECTIVE_THRESHOLD
        self.petitioners = 0
        self.contacts = 0
        self.ring = keyring()
        self.rule_sets: dict[tuple[str, dt.date], RuleSetData] = {}
        self.inserters: dict[type[models.Model], RowInserter] = {
            model: RowInserter(model)
            for model in (Petitioner, Case, CasePetitioner, Contact, CaseEvent)
        }

    def _insert(self, rows: Sequence[models.Model]) -> None:
        if rows:
            self.inserters[type(rows[0])].insert(rows)

    def _petitioners(self, plans: Sequence[CasePlan]) -> None:
        new: dict[str, Person] = {}
        for plan in plans:
            for person, _representative in plan.people:
                if not person.pk:
                    new.setdefault(id_number_index(person.id_number), person)
        if self.reuse_existing_people and new:
            # Another run put people here already: the same ID number is the same person.
            found = Petitioner.objects.filter(id_number_index__in=list(new)).values_list(
                "id_number_index", "id"
            )
            for index, pk in found:
                new.pop(index).pk = pk
        rows = []
        ring = self.ring
        for index, person in new.items():
            row = Petitioner(uid=uuid.uuid4(), name=person.name, id_number_index=index)
            row.id_number_sealed = seal(person.id_number, aad=row.aad("id_number"), ring=ring)
            row.phone_sealed = seal(person.phone, aad=row.aad("phone"), ring=ring)
            row.phone_index = phone_index(person.phone)
            row.address_sealed = seal(person.address, aad=row.aad("address"), ring=ring)
            rows.append(row)
        self._insert(rows)
        for person, row in zip(new.values(), rows, strict=True):
            person.pk = row.pk
        self.petitioners += len(rows)

    def write(self, plans: Sequence[CasePlan]) -> None:
        org, clerk_id = self.org, self.org.clerk.pk
        office, hall = org.units[OFFICE], org.units[HALL]
        self._petitioners(plans)
        cases = [
            Case(
                number=plan.number,
                query_code_sealed=seal(
                    new_query_code(), aad=f"cases_case.query_code.{plan.number}", ring=self.ring
                ),
                channel=plan.channel,
                form=(
                    PetitionForm.COLLECTIVE
                    if plan.people_count >= self.threshold
                    else PetitionForm.INDIVIDUAL
                ),
                people_count=plan.people_count,
                handling_category=plan.handling_category,
                claim_route=plan.claim_route,
                content_category_id=org.categories[plan.category],
                involves_litigation=plan.involves_litigation,
                region_id=org.regions[plan.region],
                title=plan.title,
                request=plan.request,
                facts_reasons=plan.facts_reasons,
                status=plan.status,
                received_on=plan.received_at.date(),
                registered_at=plan.registered_at,
                registered_by_id=clerk_id,
                registering_unit_id=office,
                handling_unit_id=org.units[plan.handling_unit] if plan.handling_unit else None,
                contact_count=len(plan.contacts),
            )
            for plan in plans
        ]
        with _rule_sets_memoised(self.rule_sets):
            for case, plan in zip(cases, plans, strict=True):
                apply_procedure(
                    case,
                    salt=plan.seq,
                    today=self.today,
                    calendar=self.calendar,
                    review_unit_id=org.units[CITY_GOVERNMENT],
                    recheck_unit_id=office,
                )
        self._insert(cases)
        links = []
        contacts = []
        for case, plan in zip(cases, plans, strict=True):
            for position, (person, representative) in enumerate(plan.people):
                links.append(
                    CasePetitioner(
                        case_id=case.pk,
                        petitioner_id=person.pk,
                        is_representative=representative,
                        position=position,
                    )
                )
            for contact in plan.contacts:
                contacts.append(
                    Contact(
                        case_id=case.pk,
                        channel=contact.channel,
                        occurred_at=contact.occurred_at,
                        reception_unit_id=hall if contact.channel == Channel.VISIT else office,
                        people_count=contact.people_count,
                        representative_count=contact.representative_count,
                        is_collective=contact.people_count >= self.threshold,
                        is_repeat=contact.is_repeat,
                        skipped_level=contact.skipped_level,
                        involves_litigation=plan.involves_litigation,
                        note=contact.note,
                        registered_by_id=clerk_id,
                    )
                )
        self._insert(links)
        self._insert(contacts)
        events = []
        rows = iter(contacts)
        for case, plan in zip(cases, plans, strict=True):
            first = next(rows)
            events.append(
                CaseEvent(
                    case_id=case.pk,
                    kind=EventKind.REGISTERED,
                    actor_id=clerk_id,
                    occurred_at=plan.registered_at,
                    payload={"contact": first.pk, "channel": plan.channel.value},
                )
            )
            for _repeat in plan.contacts[1:]:
                row = next(rows)
                events.append(
                    CaseEvent(
                        case_id=case.pk,
                        kind=EventKind.CONTACT_ADDED,
                        actor_id=clerk_id,
                        occurred_at=row.occurred_at + dt.timedelta(minutes=10),
                        payload={"contact": row.pk, "channel": row.channel, "new_petitioners": 0},
                    )
                )
        self._insert(events)
        self.contacts += len(contacts)
        last: dict[int, int] = {}
        for plan in plans:
            last[plan.year] = max(last.get(plan.year, 0), plan.seq)
        for year, seq in last.items():
            NumberSequence.objects.update_or_create(
                scope=f"case:{OFFICE}:{year}", defaults={"last": seq}
            )


def ensure_demo_routing() -> int:
    """分办规则 for the demo: each topic's category goes to its department, 政法 topics to
    their organ, and a backstop to the office's own handling; returns how many were added."""
    if RoutingRule.objects.exists():
        return 0
    units = {unit.code: unit for unit in Unit.objects.all()}
    categories = {c.code: c for c in ContentCategory.objects.all()}
    rows = []
    for topic in TOPICS:
        code = topic.unit if topic.unit in units else None
        category = categories.get(topic.category)
        if code is None or category is None:
            continue
        rows.append(RoutingRule(content_category=category, unit=units[code], note="演示规则"))
    for spec in DISTRICTS:
        region = Region.objects.filter(code=spec.code).first()
        if region is not None and spec.unit_code in units:
            # Local matters without a department rule go to the district government.
            rows.append(RoutingRule(region=region, unit=units[spec.unit_code], note="属地兜底"))
    RoutingRule.objects.bulk_create(rows)
    return len(rows)


def _walk() -> int:
    """One case in every state, moved there by the real services (with their notices);
    returns how many cases that registered."""
    users = {user.username: user for user in User.objects.select_related("unit")}
    units = {
        unit.code: unit for unit in Unit.objects.filter(code__in=[HOUSING, CITY_GOVERNMENT, OFFICE])
    }
    reached = walk_demo_cases(
        clerk=users["clerk"],
        handler=users["handler"],
        reviewer=users["reviewer"],
        leader=users["leader"],
        organ=units[HOUSING],
        review_organ=units[CITY_GOVERNMENT],
        recheck_organ=units[OFFICE],
        category=workflow.present(
            ContentCategory.objects.filter(code__startswith="03", children__isnull=True)
            .order_by("code")
            .first(),
            "演示内容分类",
        ),
        region_code_case=Case.objects.order_by("id").first(),
    )
    return len({case.pk for case in reached.values()})


@contextmanager
def _bulk_load_pragmas() -> Iterator[None]:
    """SQLite only: a large page cache and ``synchronous=NORMAL`` while loading, then back.

    Trade-off: in WAL mode NORMAL may lose the last commits on power failure but never
    corrupts the file, and demo data can be seeded again; it halves the load time.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size")
        cache_size = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute(f"PRAGMA cache_size={cache_size}")


def seed_demo(
    *,
    cases: int = DEFAULT_CASES,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    walk: bool = False,
) -> SeedResult:
    """Write the demo organisation and ``cases`` cases (see the module docstring).

    With ``walk``, one more case per status is registered and moved there by the real step
    services (today's dates), so every state and every notice can be opened in the demo.

    Existing data is kept: units, users and categories are reused by code, case numbers
    continue the ``NumberSequence`` of their year, and people already stored under the same ID
    number are reused. Writes the audit events of the services it calls plus one ``demo.seed``.
    """
    if cases < 0:
        raise ValueError("cases must be >= 0")
    reference = today or timezone.localdate()
    org = ensure_demo_organisation()
    prefix = f"case:{OFFICE}:"
    first_numbers = {
        int(scope.removeprefix(prefix)): last
        for scope, last in NumberSequence.objects.filter(scope__startswith=prefix).values_list(
            "scope", "last"
        )
        if scope.removeprefix(prefix).isdigit()
    }
    generator = DemoGenerator(
        seed=seed,
        cases=cases,
        today=reference,
        collective_threshold=settings.XF_COLLECTIVE_THRESHOLD,
        first_numbers=first_numbers,
    )
    writer = _BatchWriter(org, reuse_existing_people=Petitioner.objects.exists(), today=reference)
    done = 0
    batch: list[CasePlan] = []
    plans = generator.plans()
    with _bulk_load_pragmas():
        while True:
            batch.clear()
            for plan in plans:
                batch.append(plan)
                if len(batch) == batch_size:
                    break
            last_batch = done + len(batch) >= cases
            with transaction.atomic():
                writer.write(batch)
                if last_batch:
                    record(
                        "demo.seed",
                        actor=None,
                        object_type="cases.case",
                        object_id="demo",
                        detail={"cases": cases, "seed": seed},
                    )
            done += len(batch)
            if progress is not None:
                progress(done, cases)
            if last_batch:
                break
    ensure_demo_routing()
    walked = _walk() if walk and done else 0
    return SeedResult(
        walked=walked,
        cases=done,
        contacts=writer.contacts,
        petitioners=writer.petitioners,
        reference_date=reference,
    )
