"""Reference data and distributions of the load generator (families.loadgen)."""

import datetime

UTC = datetime.UTC
CHINA = datetime.timezone(datetime.timedelta(hours=8))

# (code, name, weight): prefecture-level pooling regions, weighted roughly by population.
REGIONS = [
    ("110100", "北京市", 22), ("310100", "上海市", 25), ("440100", "广州市", 19),
    ("440300", "深圳市", 18), ("500100", "重庆市", 32), ("510100", "成都市", 21),
    ("330100", "杭州市", 12), ("320100", "南京市", 9), ("420100", "武汉市", 13),
    ("610100", "西安市", 13), ("370100", "济南市", 9), ("410100", "郑州市", 13),
    ("430100", "长沙市", 10), ("350100", "福州市", 8), ("210100", "沈阳市", 9),
    ("230100", "哈尔滨市", 10), ("530100", "昆明市", 8), ("450100", "南宁市", 9),
    ("130100", "石家庄市", 11), ("340100", "合肥市", 9),
]
SURNAMES = [
    ("王", 71), ("李", 70), ("张", 66), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 24),
    ("赵", 22), ("吴", 20), ("周", 20), ("徐", 15), ("孙", 15), ("马", 13), ("朱", 13),
    ("胡", 12), ("郭", 11), ("何", 11), ("高", 10), ("林", 10), ("罗", 9), ("郑", 9),
    ("梁", 9), ("谢", 7), ("宋", 7), ("唐", 7), ("许", 6), ("韩", 6), ("冯", 6), ("邓", 6),
    ("曹", 6), ("彭", 5), ("曾", 5), ("肖", 5), ("田", 5), ("董", 5), ("袁", 5), ("潘", 4),
    ("于", 4), ("蒋", 4), ("蔡", 4), ("余", 4), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 3),
    ("魏", 3), ("吕", 3), ("丁", 3), ("任", 3), ("沈", 3), ("欧阳", 1), ("司马", 1),
]
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强"
         "文婷雪梅晓东海燕丹宇浩然子轩欣怡思远佳琪博文一鸣俊杰梓涵诗涵雨桐嘉怡晨曦天佑"
         "春生秋菊冬梅永福德明金凤玉珍淑珍桂芝秀珍凤英春华志明国强")

BINDING_STATUSES = [("active", 62), ("unbound", 18), ("pending", 3), ("rejected", 7),
                    ("withdrawn", 5), ("expired", 5)]
COPAY_STATUSES = [("active", 68), ("suspended", 2), ("revoked", 10), ("pending", 3),
                  ("rejected", 7), ("withdrawn", 5), ("expired", 5)]
CHANNELS = [("wechat", 30), ("alipay", 22), ("national_app", 20), ("bank_app", 10),
            ("counter", 18)]
RELATIONSHIPS = ["spouse", "parent", "child", "grandparent", "grandchild", "sibling"]
CORE = ["spouse", "parent", "child"]
NO_FACE = ["elderly", "away", "disability", "no_smartphone", "minor"]

BINDING_DECISION = {"active": "binding_approve", "unbound": "binding_unbind",
                    "rejected": "binding_reject", "withdrawn": "binding_withdraw",
                    "expired": "binding_expire"}
COPAY_DECISION = {"active": "copay_approve", "suspended": "copay_suspend",
                  "revoked": "copay_revoke", "rejected": "copay_reject",
                  "withdrawn": "copay_withdraw", "expired": "copay_expire"}
APPLICATION_STATUS = {"pending": "pending", "active": "approved", "unbound": "approved",
                      "suspended": "approved", "revoked": "approved", "rejected": "rejected",
                      "withdrawn": "withdrawn", "expired": "expired"}
END_REASONS = {"unbound": "本人申请解绑", "revoked": "本人申请撤销", "withdrawn": "申请人撤回",
               "expired": "超过待审核期限"}

FIRST_BIRTH = datetime.date(1930, 1, 1)
BIRTH_DAYS = (datetime.date(2024, 12, 31) - FIRST_BIRTH).days + 1
ID_SPACE = BIRTH_DAYS * 1000  # (birth day, sequence 0-499, sex) combinations
SPAN_DAYS = 3 * 365  # links were applied for over the last three years
