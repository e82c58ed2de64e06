"""The Excel template a park sends to its enterprises: one workbook, every input table.

:func:`write_template` writes ``activities``, ``facilities``, ``transfers`` and (optionally)
``factors`` sheets with the fixed column names of the input contract (DESIGN.md, Input
tables). Row 1 holds the column names and nothing else: each header cell carries a bilingual
note as a cell comment, so row 2 is already data. Row 2 (and a few more where the sheets must
agree: a transfer needs a seller and a buyer with activity rows) holds an example that accounts
without error; replace or delete it. Drop-down lists offer the activity keys and their Chinese
names, the units, instruments, regions, carriers and parameters; they read from a hidden
``lists`` sheet, and typing another value only warns (a Chinese alias not in the list may still
be valid). An ``instructions`` sheet (说明 in Chinese) explains it all in both languages and
lists every activity and region code.

``carbon.account("park.xlsx")`` reads the workbook back: the named sheets are read, the
instructions and lists sheets are ignored, and an error names the sheet, the row as Excel
shows it and the column (``park.xlsx, sheet activities, row 3, column 'quantity'``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ParameterError
from .factors import library

__all__ = ["COLUMNS", "SHEETS", "write_template"]

#: Data sheets, in workbook order.
SHEETS = ("activities", "facilities", "transfers", "factors")
LISTS_SHEET = "lists"
INSTRUCTIONS_SHEET = {"en": "instructions", "zh": "说明"}


@dataclass(frozen=True)
class Column:
    """One column of a template sheet: its fixed name, whether it is required, its note in
    English and in Chinese, and the ``lists`` column its drop-down reads (or a number rule)."""

    name: str
    required: bool
    en: str
    zh: str
    choices: str | None = None  # a key of _lists(), or "year", "month", "number", "scope"


COLUMNS: dict[str, tuple[Column, ...]] = {
    "activities": (
        Column("facility", True, "Facility id (text), as in the facilities sheet.",
               "企业编号（文本），与 facilities 表一致。"),
        Column("year", True, "Reporting year, e.g. 2023.", "报告年份，如 2023。", "year"),
        Column("month", False, "Month 1-12; empty for a yearly figure.",
               "月份 1-12；按年填报时留空。", "month"),
        Column("activity", True, "What was burned, bought, made or released: a library key "
               "(natural_gas, electricity...) or its Chinese name (天然气, 电力...).",
               "活动类型：因子库代码（natural_gas、electricity…）或中文名（天然气、电力…）。",
               "activity"),
        Column("quantity", True, "Amount, a number >= 0, in the unit of the next column.",
               "数量，≥ 0 的数字，单位见下一列。", "number"),
        Column("unit", True, "Unit of the quantity: t, 万t, 10^4 Nm3, 万Nm3, kWh, MWh, 万kWh, GJ, "
               "m3, t*km... (or 吨, 万千瓦时, 万标方...).",
               "数量的单位：t、万t、10^4 Nm3、万Nm3、kWh、MWh、万kWh、GJ、m3、t*km…"
               "（或 吨、万千瓦时、万标方…）。", "unit"),
        Column("instrument", False, "Electricity only: green_certificate (绿证) or green_power "
               "(绿电) for market-based Scope 2 at zero; else empty.",
               "仅限电力：绿证（green_certificate）或绿电（green_power），市场法范围二计为零；"
               "否则留空。", "instrument"),
        Column("uncertainty", False, "Optional: half-width of the 95 % interval of the "
               "quantity, in percent.", "可选：数量 95% 置信区间的半宽，百分数。", "number"),
    ),
    "facilities": (
        Column("facility", True, "Facility id (text), one row per facility.",
               "企业编号（文本），每家企业一行。"),
        Column("name", False, "Name of the enterprise.", "企业名称。"),
        Column("sector", False, "Sector (free text, e.g. semiconductors).",
               "所属行业（自由填写，如 semiconductors）。"),
        Column("region", False, "Region code for regional grid factors: CN-GD, CN-SOUTH, HK... "
               "Empty: the national factor (recorded as a fallback).",
               "地区代码，用于区域电网因子：CN-GD、CN-SOUTH、HK…；留空则用全国因子（记为回退）。",
               "region"),
        Column("park", False, "Park name.", "园区名称。"),
        Column("value_added", False, "Value added, a number.", "工业增加值（数字）。", "number"),
        Column("value_added_unit", False, "Unit of value added: 10^4 CNY (万元), 10^8 CNY...",
               "增加值单位：万元（10^4 CNY）、亿元…", "money"),
        Column("output", False, "Output, a number.", "产量（数字）。", "number"),
        Column("output_unit", False, "Unit of output: t, vehicle, wafer, MWh...",
               "产量单位：t、辆、片、MWh…"),
        Column("floor_area", False, "Floor area [m2].", "建筑面积（平方米）。", "number"),
    ),
    "transfers": (
        Column("seller", True, "Facility that sold the energy (has activity rows).",
               "售出能源的企业编号（须有活动数据）。"),
        Column("buyer", True, "Facility that bought it inside the park.",
               "园区内购入的企业编号。"),
        Column("year", True, "Year.", "年份。", "year"),
        Column("carrier", True, "electricity (电力) or heat (热力).", "电力（electricity）或"
               "热力（heat）。", "carrier"),
        Column("quantity", True, "Amount sold, a number >= 0.", "售出数量，≥ 0 的数字。",
               "number"),
        Column("unit", True, "An energy unit: MWh, 万kWh, kWh, GJ, tce.",
               "能量单位：MWh、万kWh、kWh、GJ、tce。", "unit"),
    ),
    "factors": (
        Column("activity", True, "Activity key the factor is for.", "因子对应的活动代码。",
               "activity"),
        Column("parameter", True, "ncv (net calorific value) or a gas: CO2, CH4, N2O, SF6...",
               "ncv（低位发热量）或气体：CO2、CH4、N2O、SF6…", "parameter"),
        Column("value", True, "Factor value, a number >= 0.", "因子数值，≥ 0。", "number"),
        Column("unit", True, "Gas per activity unit or per energy (t CO2 / MWh, kg CH4 / TJ); "
               "an ncv as energy per unit (GJ / t, GJ / (10^4 Nm3)).",
               "单位活动量或单位能量的气体量（t CO2 / MWh、kg CH4 / TJ）；ncv 为单位活动量的"
               "能量（GJ / t、GJ / (10^4 Nm3)）。"),
        Column("region", False, "Region it applies to; empty: everywhere.",
               "适用地区；留空表示全部。", "region"),
        Column("year", False, "Year it applies to; empty: every year.", "适用年份；留空表示全部。",
               "year"),
        Column("scope", False, "1, 2 or 3 (needed for an activity not in the library).",
               "范围 1、2 或 3（因子库没有的活动必填）。", "scope"),
        Column("category", False, "Category (free text).", "类别（自由填写）。"),
        Column("source", False, "Where the value comes from.", "数值来源。"),
        Column("uncertainty", False, "Half-width of the 95 % interval, percent.",
               "95% 置信区间的半宽，百分数。", "number"),
    ),
}

#: Example rows: one record per sheet, plus what the sheets need to agree (a transfer's seller
#: and buyer both have activity rows). Values per language where a Chinese planner would write
#: Chinese names and units.
EXAMPLES: dict[str, dict[str, list[dict]]] = {
    "en": {
        "activities": [
            {"facility": "EX-CHP", "year": 2022, "month": 1, "activity": "natural_gas",
             "quantity": 120.5, "unit": "10^4 Nm3"},
            {"facility": "EX-FAB", "year": 2022, "month": 1, "activity": "electricity",
             "quantity": 85.2, "unit": "万kWh"},
        ],
        "facilities": [
            {"facility": "EX-CHP", "name": "Example gas CHP", "sector": "energy",
             "region": "CN-GD", "park": "example-park", "value_added": 12000,
             "value_added_unit": "10^4 CNY", "output": 52000, "output_unit": "MWh",
             "floor_area": 20000},
            {"facility": "EX-FAB", "name": "Example chip fab", "sector": "semiconductors",
             "region": "CN-GD", "park": "example-park", "value_added": 86000,
             "value_added_unit": "10^4 CNY", "output": 120000, "output_unit": "wafer",
             "floor_area": 65000},
        ],
        "transfers": [{"seller": "EX-CHP", "buyer": "EX-FAB", "year": 2022,
                       "carrier": "electricity", "quantity": 120, "unit": "MWh"}],
        "factors": [{"activity": "natural_gas", "parameter": "ncv", "value": 389.31,
                     "unit": "GJ / (10^4 Nm3)",
                     "source": "GB/T 32150-2015 default; replace with the supplier's measured "
                     "value"}],
    },
}
EXAMPLES["zh"] = {
    **EXAMPLES["en"],
    "activities": [
        {**EXAMPLES["en"]["activities"][0], "activity": "天然气", "unit": "万Nm3"},
        {**EXAMPLES["en"]["activities"][1], "activity": "电力", "unit": "万千瓦时"},
    ],
    "facilities": [
        {**EXAMPLES["en"]["facilities"][0], "name": "示例燃气热电厂", "value_added_unit": "万元"},
        {**EXAMPLES["en"]["facilities"][1], "name": "示例晶圆厂", "value_added_unit": "万元"},
    ],
    "transfers": [{**EXAMPLES["en"]["transfers"][0], "carrier": "电力"}],
    "factors": [{**EXAMPLES["en"]["factors"][0],
                 "source": "GB/T 32150-2015 缺省值；请替换为供气方实测值"}],
}

_UNITS = ("t", "kg", "万t", "Nm3", "10^4 Nm3", "万Nm3", "m3", "万m3", "kWh", "MWh", "万kWh", "GJ",
          "TJ", "tce", "kgce", "t*km", "m2")
_MONEY = ("10^4 CNY", "万元", "10^8 CNY", "亿元", "CNY", "元")
_PARAMETERS = ("ncv", "CO2", "CH4", "N2O", "SF6", "NF3", "HFC-32", "HFC-125", "HFC-134a",
               "HFC-23", "CF4")


def _lists() -> dict[str, list[str]]:
    """The drop-down values, by list name: from the factor library, so they never drift."""
    lib = library()
    aliases = lib.aliases
    return {
        "activity": list(dict.fromkeys([*lib.activities.index, *aliases.get("activity", {})])),
        "unit": list(dict.fromkeys([*_UNITS, *aliases.get("unit", {})])),
        "instrument": ["green_certificate", "green_power", *aliases.get("instrument", {})],
        "region": list(lib.regions.index),
        "carrier": ["electricity", "heat", *aliases.get("carrier", {})],
        "parameter": list(_PARAMETERS),
        "money": list(_MONEY),
    }


def write_template(path: str | Path, lang: str = "en", with_factors: bool = False) -> Path:
    """Write the input workbook a park sends to its enterprises.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write (its folder is created).
    lang : {'en', 'zh'}
        Language that comes first in the notes and the instructions, and of the example rows
        (Chinese activity names and units with ``'zh'``). Column and sheet names are fixed.
    with_factors : bool
        Also write a ``factors`` sheet for the park's own factors (merged over the library).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, carbon
    >>> from carbon.template import write_template
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     book = write_template(pathlib.Path(folder) / "park.xlsx")
    ...     total = carbon.account(book).total()   # the example rows account without error
    >>> round(total, 1)   # t CO2e: 120.5 x 10^4 Nm3 of gas + 852 MWh, 120 MWh of it in-park
    2927.7
    """
    if lang not in INSTRUCTIONS_SHEET:
        raise ParameterError("lang", "write_template", "one of {'en', 'zh'}", lang)
    from openpyxl import Workbook

    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise ParameterError("path", "write_template", "an .xlsx file", str(path))
    book = Workbook()
    instructions = book.active
    instructions.title = INSTRUCTIONS_SHEET[lang]
    lists = _lists()
    ranges = _fill_lists(book.create_sheet(LISTS_SHEET), lists)
    sheets = [s for s in SHEETS if with_factors or s != "factors"]
    for name in sheets:
        _fill_data_sheet(book.create_sheet(name), COLUMNS[name], EXAMPLES[lang][name], ranges,
                         lang)
    book.move_sheet(LISTS_SHEET, offset=len(sheets))  # last, and hidden
    book[LISTS_SHEET].sheet_state = "hidden"
    _fill_instructions(instructions, sheets, lang)
    book.active = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


# -- the sheets ------------------------------------------------------------------------------
_HEADER_FILL = {True: "FF0B4F3C", False: "FF4F7F6F"}  # required columns darker
_EXAMPLE_FONT = {"italic": True, "color": "FF6B7B8A"}
_LAST_ROW = 100000  # drop-downs and checks cover rows 2 to this


def _fill_lists(sheet, lists: dict[str, list[str]]) -> dict[str, str]:
    """One column per list on the hidden sheet; returns each list's absolute range."""
    from openpyxl.utils import get_column_letter

    ranges = {}
    for k, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(k)
        sheet.cell(row=1, column=k, value=name)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=k, value=value)
        ranges[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _note(column: Column, lang: str) -> str:
    first, second = (column.zh, column.en) if lang == "zh" else (column.en, column.zh)
    required = {"en": "required", "zh": "必填"} if column.required else {
        "en": "optional", "zh": "选填"}
    tag = f"{required[lang]} / {required['zh' if lang == 'en' else 'en']}"
    return f"{column.name} ({tag})\n{first}\n{second}"


def _validation(choice: str, ranges: dict[str, str], lang: str):
    """The DataValidation of a column: a drop-down that warns on other values, or a number
    rule that stops a wrong entry."""
    from openpyxl.worksheet.datavalidation import DataValidation

    title = {"en": "Check the value", "zh": "请检查数值"}[lang]
    if choice in ranges:
        message = {"en": "Not in the list. Other Chinese names may still be valid; "
                   "parkcarbon checks every value.",
                   "zh": "不在下拉列表中。其他中文名称可能仍然有效；parkcarbon 会逐一检查。"}
        return DataValidation(type="list", formula1=f"={ranges[choice]}", allow_blank=True,
                              errorStyle="warning", error=message[lang], errorTitle=title)
    rules = {"year": ("whole", "1990", "2100"), "month": ("whole", "1", "12"),
             "scope": ("whole", "1", "3"), "number": ("decimal", "0", "1E+15")}
    kind, low, high = rules[choice]
    message = {"en": f"A number from {low} to {high}.",
               "zh": f"请输入 {low} 到 {high} 之间的数字。"}
    return DataValidation(type=kind, operator="between", formula1=low, formula2=high,
                          allow_blank=True, errorStyle="stop", error=message[lang],
                          errorTitle=title)


def _fill_data_sheet(sheet, columns: tuple[Column, ...], examples: list[dict],
                     ranges: dict[str, str], lang: str) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    for k, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=k, value=column.name)
        cell.font = Font(bold=True, color="FFFFFFFF")
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL[column.required])
        comment = Comment(_note(column, lang), "parkcarbon")
        comment.width, comment.height = 320, 140
        cell.comment = comment
        letter = get_column_letter(k)
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 4)
        if column.choices:
            validation = _validation(column.choices, ranges, lang)
            validation.add(f"{letter}2:{letter}{_LAST_ROW}")
            sheet.add_data_validation(validation)
        for row, example in enumerate(examples, start=2):
            value = example.get(column.name)
            if value is not None:
                sheet.cell(row=row, column=k, value=value).font = Font(**_EXAMPLE_FONT)
    sheet.freeze_panes = "A2"


_INTRO = {
    "en": [
        "parkcarbon input workbook",
        "Fill in one sheet per table; the column names in row 1 are fixed (point at a header "
        "cell to read its note). Row 2 onwards is data: the grey example rows are real records, "
        "so replace or delete them.",
        "Required columns have dark headers. Extra columns are kept and passed through.",
        "activities: one row per facility, period and activity (required). facilities, "
        "transfers and factors are optional; delete a sheet you do not use.",
        "Account it: parkcarbon account park.xlsx   (or: parkcarbon report park.xlsx "
        "--format html -o report.html)",
        "An error names the sheet, the row as Excel shows it and the column.",
    ],
    "zh": [
        "parkcarbon 数据填报模板",
        "每张表填一个工作表；第 1 行的列名固定不变（鼠标指向表头单元格可查看说明）。从第 2 行起"
        "均为数据：灰色示例行是真实记录，请替换或删除。",
        "深色表头为必填列。可增加其他列，核算时原样保留。",
        "activities：每家企业、每个时段、每种活动一行（必填）。facilities、transfers、factors "
        "为选填；不用的工作表可以删除。",
        "核算：parkcarbon account park.xlsx   （或：parkcarbon report park.xlsx --format html "
        "--lang zh -o report.html）",
        "出错时会指明工作表、Excel 中的行号和列名。",
    ],
}


def _fill_instructions(sheet, sheets: list[str], lang: str) -> None:
    """Both languages (``lang`` first), the columns of every sheet, the activity keys with
    their Chinese names and the region codes."""
    from openpyxl.styles import Font

    other = "en" if lang == "zh" else "zh"
    rows: list[tuple] = [(line,) for line in _INTRO[lang]] + [()]
    rows += [(line,) for line in _INTRO[other]] + [()]
    header = {"en": ("sheet", "column", "required", "meaning", "说明"),
              "zh": ("工作表", "列名", "必填", "说明", "meaning")}[lang]
    rows.append(header)
    for name in sheets:
        for c in COLUMNS[name]:
            first, second = (c.zh, c.en) if lang == "zh" else (c.en, c.zh)
            rows.append((name, c.name, "yes / 是" if c.required else "", first, second))
    lib = library()
    rows += [(), {"en": ("activity", "中文名", "English name", "scope", "category"),
                  "zh": ("活动代码", "中文名", "English name", "范围", "类别")}[lang]]
    rows += [(key, a.name_zh, a.name_en, int(a.scope), a.category)
             for key, a in lib.activities.iterrows()]
    rows += [(), {"en": ("region", "中文名", "English name", "level"),
                  "zh": ("地区代码", "中文名", "English name", "层级")}[lang]]
    rows += [(code, r.name_zh, r.name_en, r.level) for code, r in lib.regions.iterrows()]
    bold = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet["A"]:
        if cell.value in (header[0], "activity", "region", "活动代码", "地区代码"):
            for c in sheet[cell.row]:
                c.font = bold
    for letter, width in zip("ABCDE", (18, 20, 24, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
