"""Training records from Excel on a phone: the principal uploads a sheet with bad cells, reads
each one named by row and column, nothing is recorded; the corrected sheet goes in."""

from __future__ import annotations

from datetime import timedelta

from ..test_training_excel import ANNUAL, bad_file, day, workbook
from .playwright_expect import expect

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_bad_sheet_is_refused_cell_by_cell_and_a_good_one_goes_in(serve, phone, shot):
    site = serve()
    page = phone(site, "principal")
    page.goto(f"{site.url}/training")
    page.get_by_role("link", name="导入 Excel").click()
    page.set_input_files(
        "#file", {"name": "培训记录.xlsx", "mimeType": XLSX, "buffer": bad_file(site.world)}
    )
    page.get_by_role("button", name="检查并导入").click()

    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("未导入")
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(12)
    expect(rows.nth(0)).to_have_text("4姓名本企业及承包单位中没有 '张无名'")
    expect(rows.nth(3)).to_have_text("5学时'四小时' 不是学时：应大于0且不超过24")
    expect(rows.nth(10)).to_have_text("8用户名'attendant' 是孙监护的用户名，不是周作业的")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    shot(page, "training-import-errors-phone")

    taken = day(site.world.today - timedelta(days=1))
    good = workbook([taken, "专题培训", ANNUAL, "赵安全", 4, "吴作业", None, "合格"])
    page.set_input_files("#file", {"name": "培训记录.xlsx", "mimeType": XLSX, "buffer": good})
    page.get_by_role("button", name="检查并导入").click()
    expect(page.locator(".flash.ok")).to_contain_text("已导入 1 条培训记录，新建 1 次培训")
    expect(page.locator(".list li", has_text="专题培训")).to_contain_text("吴作业")
