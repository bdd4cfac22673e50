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
    # Equipment register (art. 10)
    "In date": "在有效期内",
    "Due soon": "即将到期",
    "Overdue": "已过期",
    "No certificate": "无证书",
    "Out of service": "停用",
    "Retired": "已报废",
    "Protective and rescue equipment with its certificates and periodic checks. An item past its date, or out of service, cannot go on a permit.": "防护用品和应急救援装备，及其检定/校准证书和定期检查记录。超过有效期或停用的装备不能用于作业。",
    "Kind": "类别",
    "All kinds": "全部类别",
    "Standing": "状况",
    "All": "全部",
    "No equipment matches.": "没有符合条件的装备。",
    "Register an item": "登记装备",
    "Serial": "编号",
    "Name and model": "名称及型号",
    "Gas detectors only:": "仅限气体检测报警仪：",
    "Pump-suction (draws a sample from outside the space)": "泵吸式（在有限空间外采样）",
    "Register": "登记",
    "Measures": "检测气体",
    "pump-suction": "泵吸式",
    "Next due": "下次检定/校准",
    "Cannot go on a permit:": "不能用于作业：",
    "Periodic check": "定期检查",
    "OK": "正常",
    "Not OK": "异常",
    "Note": "备注",
    "Record the check": "记录检查结果",
    "Certificates": "检定/校准证书",
    "Type": "类型",
    "Performed": "检定日期",
    "Valid until": "有效期至",
    "Agency / No.": "机构 / 证书编号",
    "File": "文件",
    "View": "查看",
    "No certificate recorded.": "尚无证书记录。",
    "Record a certificate": "登记证书",
    "Performed on": "检定/校准日期",
    "Valid until (as the certificate states)": "有效期至（以证书为准）",
    "Left empty: valid for the period the rules set.": "留空则按规则规定的周期计算。",
    "Agency": "检定/校准机构",
    "Certificate number": "证书编号",
    "Certificate (PDF or photo)": "证书（PDF 或照片）",
    "Record": "登记",
    "Checks": "检查记录",
    "Passed": "合格",
    "Failed": "不合格",
    "No check recorded.": "尚无检查记录。",
    "Change status": "更改状态",
    "Status": "状态",
    "Retiring is final: the item stays in the register's history.": "报废后不可恢复，记录仍保留在台账中。",
    "Change": "更改",
    "Registered %(serial)s. Record its certificate before it goes on a permit.": "已登记 %(serial)s。请先登记其检定/校准证书，方可用于作业。",
    "Certificate recorded: %(serial)s is due again on %(day)s.": "证书已登记：%(serial)s 下次到期日 %(day)s。",
    "Check recorded: %(serial)s is fit for use.": "检查已记录：%(serial)s 可正常使用。",
    "Check failed: %(serial)s is out of service until it is put right.": "检查不合格：%(serial)s 已停用，修复前不得使用。",
    "Status changed.": "状态已更改。",
    # Training (art. 7)
    "Qualification card": "资格卡",
    "Qualification cards": "人员资格卡",
    "On a permit today (%(day)s)": "今日（%(day)s）可担任",
    "may, until %(day)s": "可以，至 %(day)s",
    "may not": "不可",
    "Training and competence": "培训与技能考核",
    "expired %(day)s": "已于 %(day)s 过期",
    "none": "无记录",
    "Needed by": "适用于",
    "Records": "记录",
    "Date": "日期",
    "Topic": "主题",
    "No training recorded.": "尚无培训记录。",
    "Record a session": "登记培训",
    "Annual plan": "年度培训计划",
    "Done": "已完成",
    "Planned": "计划中",
    "Late": "已逾期",
    "held": "举办于",
    "No plan for this year yet.": "本年度尚无培训计划。",
    "Add to the plan": "添加计划项",
    "Month": "月份",
    "For": "对象",
    "Add": "添加",
    "Sessions held": "已举办的培训",
    "passed": "合格",
    "h": "学时",
    "Material": "资料",
    "failed": "不合格",
    "No session recorded this year.": "本年度尚无培训记录。",
    "Held on": "培训日期",
    "Trainer": "授课人",
    "Hours": "学时",
    "Materials (PDF or photos)": "培训资料（PDF 或照片）",
    "Attendees and assessment": "参训人员及考核结果",
    "contractor": "承包单位",
    "Absent": "未参加",
    "Record the session": "保存培训记录",
    "Training recorded: %(passed)d passed, %(failed)d failed.": "培训已登记：%(passed)d 人合格，%(failed)d 人不合格。",
    "Added to the %(year)s plan.": "已加入 %(year)s 年度计划。",
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
