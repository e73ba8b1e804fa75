"""Labels written by hand for the related-case tests, on the real messages in
../shared/data/tipdm2020 (by 留言编号 only: the texts stay in ../shared/data).

Each cluster is a set of messages that a person reading them judged to be about one and the
same matter (the same estate, employer, road or school and the same complaint): repeats in the
sense of 第十九条 — some word for word, many re-worded, re-titled or shortened. A message about
the same place but a different complaint was left out of its place's cluster.

``ISSUE_GROUPS`` are phrases naming an estate, project or road that at least three messages of
one county share, for the group tests: each must come out as one group holding the messages
listed (they may hold more).
"""

CLUSTERS: tuple[tuple[int, ...], ...] = (
    # re-worded or re-titled
    (9199, 9225),  # 恒大城 配套幼儿园 开办公立园
    (4347, 27418),  # 佳园星城 垃圾中转站
    (58213, 58237, 58252),  # 东方水岸明珠6期 收费
    (16945, 16857),  # 黄花镇 焦煤堆放场地
    (110416, 110467),  # 九龙时代广场 生活垃圾收集站
    (18646, 18914, 19134),  # 泉星社区 海阔天空KTV 飞歌KTV 扰民
    (6481, 7102),  # 麓山翰林苑 西二环 隔音板
    (18288, 25582),  # 榔梨街道 八字槽门 地铁站
    (21188, 21193, 20447),  # 怡海星城 龙湾国际 公交出行
    (17372, 25141),  # 东城名苑 就近入学
    (16450, 17739),  # 东业晨曦小学 更换班主任
    (22481, 22513),  # A8县城 至 朱良桥、双江口 公交车
    (126058, 126060),  # 团头村转朝四组 公路硬化
    (114512, 118365),  # 龙盛矿业 拖欠维修工工资
    (4178, 27485),  # 花卉路 井盖噪音 路灯
    (112186, 118583),  # 白马渡 排水沟
    (40952, 40953),  # 翡翠公园 小学学区
    (34961, 34994),  # 南浦M9县城 房产证
    (131394, 131442),  # 明耻巷 路灯
    (90330, 94222),  # 邦华小区 西南物业 锁电梯
    (116229, 116231),  # 发吉房地产 拖欠工资
    (7898, 29779, 29780),  # 仁爱医院 挂床套保
    (11927, 19386),  # 轴承厂 棚户区改造
    (8527, 23646),  # 九二茶场 综合利用
    (88090, 95410),  # M14县华府 水电材料费
    (139579, 144850),  # 拖坪 石场
    (167053, 167074),  # 同升湖山庄 邮政盲区
    (32790, 35504),  # 德政花园 维修基金
    (12193, 12712),  # 清水塘三小 出行安全
    (11996, 12724),  # 板桥小区 夜宵一条街 扰民
    # posted again, word for word or nearly
    (126597, 126598),
    (104077, 119178, 98413, 98095, 119151, 98070),  # 拆(除)五一桥 建商业/商铺廊桥
    (6379, 16703),
    (90219, 96592),
    (97791, 112172),
    (37366, 37368),
    (104096, 115234),
    (18455, 25642),
    (74211, 80151),
    (18435, 25633),
    (99713, 107603),
    (112653, 117609),
    (88118, 95333),
    (108043, 113246),
    (32835, 39102, 39099),  # 尘肺病 免费医疗
    (88412, 90445, 95419),  # 国城国际 开发商
    (18596, 25678),  # 恒大翡翠华庭 房子问题
    (17561, 17589),  # 恒大翡翠华庭 幼儿园开学
    (10511, 25567),
    (17075, 17077),
    (93215, 93216),
    (5088, 29552),
    (87916, 92575),
    (8657, 23658),
)

ISSUE_GROUPS: dict[str, tuple[int, ...]] = {
    "五一桥": (98070, 98095, 98413, 104077, 119151, 119178),
    "东方水岸明珠": (58213, 58237, 58252),
    "佳园星城": (4347, 27418, 27446),
    "翡翠华庭": (17561, 17589, 18596, 25678),
    "燕兴华城": (45550, 45772, 45981, 46378),
    "仁爱医院": (7898, 29779, 29780),
    "涉外景园": (3954, 4236, 4489),
}
