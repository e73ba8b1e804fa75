"""Build the load test's database: ``python -m tests.load.prepare`` in the server's environment.

Migrates, loads the demo organisation with a few hundred cases, issues the 登记员's token and
prints, as one JSON object, what the load needs: the token, a registration body with codes
that exist, and case numbers to read.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CASES = 60
SAMPLE = 100


def prepare() -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    django.setup()

    from django.core.management import call_command

    from xinfang.accounts.models import User
    from xinfang.api.services import issue_token
    from xinfang.cases.forms import reception_units_for, regions_for
    from xinfang.cases.queries import cases_visible_to, registrable_categories

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", cases=CASES, no_walk=True, verbosity=0, stdout=sys.stderr)
    clerk = User.objects.select_related("unit").get(username="clerk")
    _token, secret = issue_token(actor=None, user=clerk, name="负载测试", days=1)
    region = regions_for(clerk).last()
    category = registrable_categories().order_by("code").first()
    reception = reception_units_for(clerk).last()
    if region is None or category is None or reception is None:
        raise SystemExit("演示数据缺少区划、内容分类或接待单位")
    numbers = list(
        cases_visible_to(clerk).order_by("-id").values_list("number", flat=True)[:SAMPLE]
    )
    return {
        "token": secret,
        "numbers": numbers,
        "body": {
            "channel": "visit",
            "reception_unit": reception.code,
            "people_count": 1,
            "handling_category": "claim",
            "claim_route": 6,
            "content_category": category.code,
            "region": region.code,
            "title": "负载测试：小区物业乱收费",
            "request": "请求责令物业公司退还多收的费用。",
            "petitioners": [{"name": "负载测试", "phone": "13900001111"}],
        },
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(prepare(), ensure_ascii=False) + "\n")
