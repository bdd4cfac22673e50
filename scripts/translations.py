"""Rebuild the Chinese catalog: extract the English msgids, apply the Chinese below, compile.

Run after changing any user-facing text: `.venv/bin/python scripts/translations.py`.
A test fails when a msgid has no Chinese or the compiled catalog is out of date.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "web" / "translations" / "zh" / "LC_MESSAGES"

ZH = {
    "Confined-space permits": "有限空间作业许可",
    "Today": "今日",
    "To sign": "待我审批",
    "My company": "本单位",
    "Permits": "作业票",
    "Sign out": "退出",
    "My permits today": "我今天的作业票",
    "No permits for you today.": "今天没有您监护的作业。",
    "Sign in": "登录",
    "Username": "用户名",
    "Password": "密码",
    "Safety agreements": "安全生产管理协议",
    "No safety agreement: the enterprise cannot give your company confined-space work (art. 6).": "没有安全生产管理协议：企业不能将有限空间作业发包给贵单位（第六条）。",
    "expired": "已过期",
    "Permits for your company": "贵单位的作业票",
    "No permits.": "没有作业票。",
    "Your workers": "贵单位的作业人员",
    "Name": "姓名",
    "Training": "培训",
    "valid until %(day)s": "有效期至 %(day)s",
    "Waiting for your signature": "等待您审批签字",
    "Nothing waits for your signature.": "没有等待您审批的作业票。",
    "Please try again": "请重试",
    "Back": "返回",
    "Not found": "未找到",
    "There is nothing here, or it is not yours to see.": "这里没有内容，或您无权查看。",
    "Removed: %(measure)s": "已解除：%(measure)s",
    "Note (which lock or barrier)": "备注（解除了哪把锁、哪道隔离栏）",
    "Each entrant acknowledges the briefing:": "每名作业人员确认已接受安全交底：",
    "Confirm each control measure:": "逐项确认风险管控措施：",
    "Detector": "检测仪",
    "upper": "上部",
    "middle": "中部",
    "lower": "下部",
    "limit": "限值",
    "unit": "单位",
    "Signing as %(name)s for %(tier)s. Enter your password to sign.": "%(name)s 审批签字（%(tier)s），请输入密码确认电子签名。",
    "Reason": "原因",
    "New permit": "新建作业票",
    "State": "状态",
    "All states": "全部状态",
    "Filter": "筛选",
    "Confined space (from the ledger)": "有限空间（来自台账）",
    "Choose…": "请选择…",
    "Use this space": "选用此空间",
    "Task type": "作业类型",
    "Purpose": "作业内容",
    "Work starts": "作业开始",
    "Work ends": "作业结束",
    "Hazards": "危险有害因素",
    "Pre-filled from the ledger entry.": "已按台账预填。",
    "Control measures (one per line)": "风险管控措施（每行一条）",
    "People": "人员",
    "Attendant": "监护人",
    "Entrants": "作业人员",
    "Rescuers": "应急救援人员",
    "Equipment": "防护与救援装备",
    "Contractor (if the work is contracted out)": "承包单位（发包作业时填写）",
    "None: our own staff": "无：本单位人员作业",
    "Create the permit": "创建作业票",
    "EMERGENCY — follow the on-site disposal plan. No rescue without protection (art. 13).": "应急处置 — 按现场处置方案处置，严禁未做好防护盲目施救（第十三条）。",
    "SUSPENDED — nobody enters until a new passing gas test.": "已暂停 — 重新检测合格前任何人不得进入。",
    "Inside now": "当前在内人数",
    "Last gas test": "最近一次气体检测",
    "%(n)s min ago": "%(n)s 分钟前",
    "Latest readings": "最新读数",
    "Not yet possible:": "尚不能进行：",
    "headcount": "在内人数",
    "inside": "在内",
    "outside": "在外",
    "Other actions": "其他操作",
    "Hazards and controls": "危险因素与管控措施",
    "Acceptable entry conditions:": "准入条件：",
    "too old: test again": "已超时，请重新检测",
    "Created": "创建",
    "Rules": "规则",
    "Rule packs": "规则包",
    "Today this enterprise is judged by:": "本单位今天适用的规则：",
    "Compare the packs side by side": "对照比较规则包",
    "From": "自",
    "Rule pack": "规则包",
    "Switch rule pack": "切换规则包",
    "Permits already approved are judged to their end by the pack they were approved under.": "已审批的作业票按其审批时的规则包执行到底。",
    "Applies from": "开始适用日期",
    "Switch": "切换",
    "Compare rule packs": "规则包对照",
    "Only what differs": "只看不同之处",
    "Compare": "比较",
    "≠ the rule differs · ~ only its citation differs · = the same": "≠ 规则不同 · ~ 仅依据不同 · = 相同",
    "Rule": "规则",
    "From %(day)s the enterprise is judged by %(pack)s. Permits already approved keep their rules.": "自 %(day)s 起本单位适用：%(pack)s。已审批的作业票保持原规则。",
    "Requester": "申请人",
    "Contractor": "承包单位",
    "due": "有效期至",
    "Gas tests": "气体检测记录",
    "Time": "时间",
    "Readings": "读数",
    "Result": "结果",
    "pass": "合格",
    "fail": "不合格",
    "Signatures": "签字",
    "History": "操作记录",
    "Signed out.": "已退出。",
    "The form expired or was sent from elsewhere. Please try again.": "表单已过期或来源不明，请重试。",
    "Permit %(number)s created. Check what still blocks it and submit it.": "作业票 %(number)s 已创建。请查看尚缺条件并提交审批。",
    "Gas test FAILED — nobody enters. Now: %(state)s.": "气体检测不合格 — 任何人不得进入。当前：%(state)s。",
    "%(event)s: done. Now: %(state)s.": "%(event)s：已完成。当前：%(state)s。",
    # -- the ledger (台账) and its Excel import/export --
    "Ledger": "台账",
    "Ledger of confined spaces": "有限空间安全管理台账",
    "Edit %(code)s": "修改 %(code)s",
    "Add a space": "新增有限空间",
    "Nothing was saved. Correct the marked fields:": "未保存。请更正标出的项目：",
    "The code stays: signs and spreadsheets know the space by it.": "编号不可修改：警示标志和台账表格都以编号识别该有限空间。",
    "Catalogue": "重点监管目录",
    "Key supervision is derived from the class and the hazards, never typed.": "是否重点监管由类别和危险有害因素推定，不能手填。",
    "Not in the catalogue": "不在目录中",
    "Key supervision": "重点监管",
    "(one per line)": "（每行一项）",
    "shallow": "浅",
    "deep": "深",
    "deep: tested at the upper, middle and lower points": "深：须在上、中、下部分别检测",
    "Warning sign and risk notice board": "安全警示标志和安全风险告知牌",
    "Leave empty while not placed.": "尚未设置的留空。",
    "Save": "保存",
    "Import the ledger": "导入台账",
    "Import the ledger from Excel": "从 Excel 导入台账",
    "These rows were skipped:": "以下各行未导入：",
    "Nothing was imported: %(n)s row(s) have errors.": "未导入任何数据：有 %(n)s 行存在错误。",
    "Correct them and upload the file again, or import only the good rows.": "请更正后重新上传，或选择只导入正确的行。",
    "Row": "行",
    "… and %(n)s more.": "……另有 %(n)s 处。",
    "Column": "列",
    "Problem": "问题",
    "Excel workbook (.xlsx)": "Excel 工作簿（.xlsx）",
    "Import only the good rows (the bad ones are listed and skipped)": "只导入正确的行（有错误的行列出并跳过）",
    "Check and import": "检查并导入",
    "How the file is read": "文件格式说明",
    "One row a space, under a header row with the columns 编号 名称 位置 行业 类别 危险有害因素 隔离措施 控制措施 深/浅 警示标志设置日期 风险告知牌设置日期 状态 (编号, 名称 and 行业 are required).": "每个有限空间一行，表头列为：编号 名称 位置 行业 类别 危险有害因素 隔离措施 控制措施 深/浅 警示标志设置日期 风险告知牌设置日期 状态（编号、名称、行业必填）。",
    "Hazards separated by 、; isolation and control measures separated by ；. Dates like 2026-05-01, not in the future.": "危险有害因素用“、”分隔；隔离措施、控制措施用“；”分隔。日期如 2026-05-01，不得晚于当天。",
    "A row whose code is in the ledger updates that space; a new code adds a space; spaces missing from the file are left as they are. 重点监管 is derived again, never read.": "编号已在台账中的行更新该有限空间，新编号新增；文件中没有的有限空间保持不变。“重点监管”一列由系统推定，导入时不读取。",
    "Every row is checked first; if any is bad, nothing is imported unless you choose to import only the good rows.": "先逐行检查；只要有一行有错误，就不导入任何数据，除非选择只导入正确的行。",
    "Download the current ledger as a starting file": "下载当前台账作为填写模板",
    "Search code, name or location": "搜索编号、名称或位置",
    "Search": "搜索",
    "Filters": "筛选",
    "Industry": "行业",
    "All": "全部",
    "Class": "类别",
    "Key supervision only": "仅重点监管",
    "Not key supervision": "非重点监管",
    "Hazard": "危险有害因素",
    "Warning sign": "警示标志",
    "Sign missing": "未设置警示标志",
    "Sign placed": "已设置警示标志",
    "Status": "状态",
    "In use": "在用",
    "Retired": "已停用",
    "Apply filters": "筛选",
    "Clear": "清除",
    "%(n)s spaces": "共 %(n)s 个有限空间",
    "Export to Excel": "导出 Excel",
    "Import from Excel": "导入 Excel",
    "No spaces match.": "没有符合条件的有限空间。",
    "No hazards listed": "未列明危险有害因素",
    "Sign since %(day)s": "警示标志 %(day)s 设置",
    "No warning sign": "未设置警示标志",
    "Notice board since %(day)s": "告知牌 %(day)s 设置",
    "Retired on %(day)s.": "已于 %(day)s 停用。",
    "Reason: %(reason)s": "原因：%(reason)s",
    "Why it is under key supervision": "纳入重点监管的依据",
    "Not under key supervision: neither its class nor its hazards put it there.": "非重点监管：其类别和危险有害因素均不属于重点监管范围。",
    "Not placed": "未设置",
    "No permits yet.": "尚无作业票。",
    "Edit": "修改",
    "Retire this space": "停用该有限空间",
    "A retired space stays in the ledger with its history and permits; no new permit can be requested for it.": "停用后该有限空间及其记录、作业票仍保留在台账中，但不能再申请作业。",
    "Retire": "停用",
    "Entered in the ledger": "纳入台账",
    "Code": "编号",
    "Name of the space": "名称",
    "Location": "位置",
    "Class (key-supervision catalogue)": "类别（重点监管目录）",
    "Isolation measures": "隔离措施",
    "Control measures": "控制措施",
    "Deep or shallow": "深/浅",
    "Warning sign placed on": "警示标志设置日期",
    "Risk notice board placed on": "风险告知牌设置日期",
    "%(code)s added to the ledger.": "%(code)s 已纳入台账。",
    "%(code)s is retired: the ledger keeps it as it was.": "%(code)s 已停用：台账保留其原样，不能修改。",
    "%(code)s saved: %(n)s field(s) changed.": "%(code)s 已保存：修改了 %(n)s 项。",
    "Nothing changed.": "没有修改。",
    "%(code)s retired. Its record and permits stay in the ledger.": "%(code)s 已停用，其记录和作业票仍保留在台账中。",
    "%(created)s created, %(updated)s updated, %(unchanged)s unchanged.": "新增 %(created)s 个，更新 %(updated)s 个，%(unchanged)s 个未变。",
}


def extract(pot: Path) -> Path:
    """Every interface text of web/ and templates/, as a PO template."""
    pot.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_",
            "-k",
            "gettext",
            "-o",
            str(pot),
            "--omit-header",
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    return pot


def main() -> int:
    pot = extract(ROOT / "build" / "messages.pot")
    with pot.open("rb") as fh:
        catalog = read_po(fh, locale="zh")
    missing = []
    for message in catalog:
        if message.id:
            message.string = ZH.get(message.id, "")
            message.locations = []
            if not message.string:
                missing.append(message.id)
    CATALOG.mkdir(parents=True, exist_ok=True)
    with (CATALOG / "messages.po").open("wb") as fh:
        write_po(fh, catalog, omit_header=True, sort_output=True, width=100)
    with (CATALOG / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    for msgid in missing:
        print(f"no Chinese for: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
