"""Write the sample park: 坪山示范园区 (Pingshan demo park), Shenzhen, Guangdong.

The park is fictional but shaped like Pingshan: 44 facilities in six sectors. New-energy vehicles
(an assembly plant and its suppliers), semiconductors (one large 8-inch fab and a ring of smaller
chip firms), biomedicine, energy storage (cells, cathode material, separators, recycling), a little
building materials (a clinker line with its kiln, a precast-concrete yard, a PV-glass furnace, a
ready-mix plant), and a gas-fired combined heat and power plant, CHP-01, that sells electricity
over private wires and process steam to a handful of neighbours.

Three years (2021-2023) of monthly records, as the firms would fill in the park's template:

- every facility buys electricity; the assembly plant, the fab and three others buy part of it as
  green certificates or green-power contracts, reported as a separate row each month;
- paint shops, a die-casting plant, a cathode kiln, the glass furnace and CHP-01 burn natural gas;
  forklifts, loaders and backup generators burn diesel; two canteens cook on LPG;
- the clinker line burns bituminous coal and reports its clinker output (process CO2);
- chillers and split air-conditioners leak refrigerant once or twice a year; CHP-01 tops up the SF6
  of its switchgear once a year;
- CHP-01 sells electricity to eight tenants and steam to five; the tenants' rows hold everything
  they bought (grid and CHP), and ``transfers.csv`` says how much of it came from CHP-01.

Output grows with each sector (vehicles and storage fast, building materials slightly down);
February dips for the Spring Festival and electricity peaks with the summer cooling load.
The records are deliberately untidy in the ways real templates are: electricity in 万kWh or MWh,
gas in ``10^4 Nm3`` or 万Nm3, and a third of the firms writing activity names in Chinese.
Two facilities have not filled in their region and fall back to the national factor.
Value added, output and floor area in ``facilities.csv`` are 2023 figures.

Run ``python examples/make_sample_park.py``; the output is the same byte for byte every time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "sample_park"
LIBRARY_ACTIVITIES = Path(__file__).resolve().parent.parent / "factors" / "activities.csv"

YEARS = np.array([2021, 2022, 2023])
MONTHS = np.arange(1, 13)
PARK = "pingshan-demo"
CHP = "CHP-01"

# Facility id prefix -> (sector, yearly growth of activity).
SECTORS = {
    "NEV": ("new_energy_vehicles", 0.12),
    "SEMI": ("semiconductors", 0.08),
    "BIO": ("biomedicine", 0.05),
    "ESS": ("energy_storage", 0.18),
    "BM": ("building_materials", -0.015),
    "CHP": ("energy", 0.03),
}

# id, name, electricity bought in 2021 [MWh], value added [10^4 CNY], output, output unit,
# floor area [m2]. For CHP-01 the electricity is what it draws from the grid, the output what
# it generates.
FACILITIES = [
    ("NEV-01", "坪山新能源汽车整车制造有限公司", 52_000, 286_000, 60_000, "vehicle", 420_000),
    ("NEV-02", "坪山新能源汽车零部件有限公司", 9_000, 48_000, 18_000, "t", 62_000),
    ("NEV-03", "坑梓电驱动系统有限公司", 11_000, 72_000, 6_500, "t", 55_000),
    ("NEV-04", "坪山汽车电子有限公司", 4_500, 39_000, 1_200, "t", 28_000),
    ("NEV-05", "龙田轻量化压铸有限公司", 14_000, 41_000, 21_000, "t", 68_000),
    ("NEV-06", "坪山汽车内饰件有限公司", 3_200, 17_500, 8_500, "t", 31_000),
    ("NEV-07", "碧岭充电设施科技有限公司", 2_600, 22_000, 3_000, "t", 18_000),
    ("NEV-08", "坪山汽车热管理系统有限公司", 5_800, 35_000, 4_200, "t", 36_000),
    ("NEV-09", "马峦智能座舱科技有限公司", 2_100, 26_000, 900, "t", 15_000),
    ("NEV-10", "坪山汽车线束有限公司", 3_900, 15_800, 5_600, "t", 29_000),
    ("NEV-11", "石井车身冲压件有限公司", 8_200, 24_000, 32_000, "t", 47_000),
    ("NEV-12", "坪山新能源专用车有限公司", 3_400, 21_000, 1_800, "vehicle", 39_000),
    ("SEMI-01", "坪山微电子晶圆制造有限公司", 150_000, 298_000, 480_000, "wafer", 135_000),
    ("SEMI-02", "坪山功率半导体有限公司", 16_000, 86_000, 120_000, "wafer", 42_000),
    ("SEMI-03", "坑梓芯片封装测试有限公司", 12_000, 64_000, 260_000, "wafer", 38_000),
    ("SEMI-04", "坪山碳化硅衬底有限公司", 9_500, 58_000, 36_000, "wafer", 26_000),
    ("SEMI-05", "龙田光电芯片有限公司", 4_800, 33_000, 24_000, "wafer", 17_000),
    ("SEMI-06", "坪山集成电路设计有限公司", 1_300, 45_000, 15_000, "wafer", 9_000),
    ("SEMI-07", "坪山电子特种气体有限公司", 3_600, 19_000, 2_400, "t", 14_000),
    ("SEMI-08", "碧岭半导体材料有限公司", 2_900, 16_500, 1_500, "t", 12_000),
    ("SEMI-09", "坪山传感器芯片有限公司", 5_200, 37_000, 42_000, "wafer", 19_000),
    ("BIO-01", "坪山生物制药有限公司", 13_000, 142_000, 850, "t", 58_000),
    ("BIO-02", "坪山疫苗生物技术有限公司", 10_500, 118_000, 120, "t", 46_000),
    ("BIO-03", "坑梓医疗器械有限公司", 6_000, 52_000, 2_600, "t", 34_000),
    ("BIO-04", "坪山中药提取有限公司", 3_800, 21_000, 4_100, "t", 25_000),
    ("BIO-05", "马峦体外诊断试剂有限公司", 2_400, 38_000, 300, "t", 16_000),
    ("BIO-06", "坪山抗体药物有限公司", 8_800, 96_000, 45, "t", 31_000),
    ("BIO-07", "坪山医用耗材有限公司", 3_100, 14_500, 6_800, "t", 22_000),
    ("BIO-08", "石井生物材料有限公司", 1_700, 12_000, 900, "t", 11_000),
    ("BIO-09", "坪山药物制剂有限公司", 4_300, 33_000, 1_900, "t", 21_000),
    ("ESS-01", "坪山储能电池有限公司", 24_000, 96_000, 700, "MWh", 88_000),
    ("ESS-02", "坪山储能系统集成有限公司", 5_500, 54_000, 1_800, "MWh", 32_000),
    ("ESS-03", "坑梓锂电正极材料有限公司", 18_000, 47_000, 9_000, "t", 51_000),
    ("ESS-04", "坪山电池管理系统有限公司", 2_200, 23_000, 400, "t", 13_000),
    ("ESS-05", "龙田钠离子电池有限公司", 7_500, 29_000, 220, "MWh", 36_000),
    ("ESS-06", "坪山电解液有限公司", 3_400, 18_000, 15_000, "t", 21_000),
    ("ESS-07", "坪山储能变流器有限公司", 2_800, 31_000, 1_100, "t", 17_000),
    ("ESS-08", "碧岭隔膜材料有限公司", 9_800, 25_000, 180_000_000, "m2", 43_000),
    ("ESS-09", "坪山电池回收利用有限公司", 4_100, 8_600, 12_000, "t", 27_000),
    ("BM-01", "坪山水泥熟料有限公司", 6_000, 12_500, 60_000, "t", 48_000),
    ("BM-02", "坪山装配式建筑构件有限公司", 2_500, 9_800, 80_000, "m3", 56_000),
    ("BM-03", "石井光伏玻璃有限公司", 12_000, 26_000, 60_000, "t", 64_000),
    ("BM-04", "坪山商品混凝土有限公司", 1_800, 7_200, 300_000, "m3", 23_000),
    (CHP, "坪山燃气热电联产有限公司", 1_500, 16_000, 45_000, "MWh", 15_000),
]

# Facilities that have not filled in their region: the engine falls back to the national factor.
NO_REGION = {"BIO-09", "ESS-09"}

# Facilities whose meter readings arrive in MWh; everyone else reports 万kWh.
ELECTRICITY_IN_MWH = {"SEMI-01", "SEMI-04", "BIO-06", "ESS-01", "ESS-05", CHP}

# Green electricity: instrument and its share of the facility's electricity in 2021; the share
# grows by five points a year as contracts are renewed.
GREEN = {
    "NEV-01": ("green_certificate", 0.10),
    "SEMI-01": ("green_power", 0.20),
    "BIO-05": ("green_certificate", 0.15),
    "ESS-03": ("green_power", 0.25),
    "ESS-04": ("green_certificate", 0.30),
}

# Natural gas: the unit the facility's gas bill uses and the 2021 amount [10^4 Nm3 / year].
NATURAL_GAS = {
    "NEV-01": ("10^4 Nm3", 150),  # paint shop ovens
    "NEV-05": ("万Nm3", 120),  # aluminium melting for die casting
    "BIO-04": ("万Nm3", 60),  # extraction boilers
    "ESS-03": ("10^4 Nm3", 200),  # cathode calcination kilns
    "BM-03": ("万Nm3", 350),  # glass furnace
    CHP: ("10^4 Nm3", 1_150),  # gas engines: 80-120 x 10^4 Nm3 a month
}

# Diesel for forklifts and loaders, or for testing backup generators [t / year in 2021].
DIESEL = {
    "NEV-01": 60, "NEV-02": 8, "NEV-05": 12, "NEV-11": 10,
    "SEMI-01": 6, "SEMI-02": 1.5, "BIO-01": 2, "BIO-02": 2.4,
    "ESS-01": 15, "ESS-03": 9, "ESS-09": 18,
    "BM-01": 90, "BM-02": 40, "BM-03": 14, "BM-04": 70,
}

# Steam bought, all of it from CHP-01 [GJ / year in 2021].
HEAT = {"NEV-03": 12_000, "SEMI-02": 20_000, "BIO-01": 45_000, "BIO-02": 32_000, "BIO-03": 18_000}

# Tenants on CHP-01's private wires; each year they take 30-60 % of their electricity from it.
CHP_ELECTRICITY_BUYERS = ["NEV-02", "NEV-03", "SEMI-02", "SEMI-03", "BIO-01", "BIO-02",
                          "ESS-02", "ESS-06"]

# Canteens cooking on LPG [t / year].
LPG = {"NEV-01": 36, "SEMI-01": 18}

REFRIGERANTS = ["R-410A", "HFC-134a", "HFC-32"]

# The clinker line: clinker made in 2021 [t / year] and the kiln's coal per tonne of clinker.
CLINKER_FACILITY = "BM-01"
CLINKER_2021 = 62_000
COAL_PER_CLINKER = 0.145

# Firms that fill in the template in Chinese, and the activities they name in Chinese
# (their names come from the factor library; clinker and the gases stay as keys).
CHINESE_TEMPLATE = {"NEV-02", "NEV-05", "NEV-08", "NEV-11", "SEMI-01", "SEMI-05", "SEMI-08",
                    "BIO-01", "BIO-04", "BIO-07", "ESS-03", "ESS-06", "ESS-09", "BM-01", "BM-04"}
TRANSLATED = ["electricity", "natural_gas", "diesel", "heat", "bituminous_coal", "lpg"]

# MWh per unit of electricity as reported.
MWH_PER = {"MWh": 1.0, "万kWh": 10.0}

# Monthly shape of production: the Spring Festival in February, National Day in October, a
# year-end push. Electricity adds a cooling load that peaks in the Shenzhen summer.
PRODUCTION = np.array([0.97, 0.78, 1.00, 1.01, 1.02, 1.02, 1.03, 1.03, 1.02, 0.99, 1.04, 1.06])
COOLING = np.array([0.0, 0.0, 0.1, 0.4, 0.7, 0.9, 1.0, 1.0, 0.85, 0.5, 0.15, 0.0])
PRODUCTION = PRODUCTION / PRODUCTION.mean()
ELECTRICITY = PRODUCTION * (1 + 0.15 * COOLING)
ELECTRICITY = ELECTRICITY / ELECTRICITY.mean()
# CHP-01 runs base-loaded and only half follows its tenants' swings.
CHP_SHAPE = 0.5 + 0.5 * ELECTRICITY


def monthly(rng, annual, growth, shape, noise):
    """Monthly amounts, shape (year, month), for an ``annual`` amount in 2021 growing yearly."""
    trend = annual * (1 + growth) ** (YEARS - YEARS[0])
    return trend[:, None] * shape / 12 * rng.normal(1, noise, size=(len(YEARS), 12))


def rows(facility, activity, unit, amounts, decimals, instrument=""):
    """Activity rows of one facility and activity from a (year, month) array."""
    return [
        dict(facility=facility, year=int(year), month=int(month), activity=activity,
             quantity=round(float(amounts[i, j]), decimals), unit=unit, instrument=instrument)
        for i, year in enumerate(YEARS)
        for j, month in enumerate(MONTHS)
    ]


def electricity_rows(rng, facility, annual_mwh, growth):
    """Electricity bought each month; green contracts go on a separate row."""
    unit = "MWh" if facility in ELECTRICITY_IN_MWH else "万kWh"
    decimals = 1 if unit == "MWh" else 2
    total = monthly(rng, annual_mwh, growth, ELECTRICITY, 0.04) / MWH_PER[unit]
    if facility not in GREEN:
        return rows(facility, "electricity", unit, total, decimals)
    instrument, share = GREEN[facility]
    green = total * (share + 0.05 * (YEARS - YEARS[0]))[:, None]
    return (rows(facility, "electricity", unit, total - green, decimals)
            + rows(facility, "electricity", unit, green, decimals, instrument))


def fuel_rows(rng, facility, growth):
    """Natural gas, diesel, steam and LPG, for the facilities that use them."""
    out = []
    if facility in NATURAL_GAS:
        unit, annual = NATURAL_GAS[facility]
        shape = CHP_SHAPE if facility == CHP else PRODUCTION
        out += rows(facility, "natural_gas", unit, monthly(rng, annual, growth, shape, 0.03), 2)
    if facility in DIESEL:
        out += rows(facility, "diesel", "t",
                    monthly(rng, DIESEL[facility], growth, PRODUCTION, 0.10), 2)
    if facility in HEAT:
        # Whole GJ, so that a year's sale from CHP-01 equals the sum of the rows exactly.
        steam = monthly(rng, HEAT[facility], growth, PRODUCTION, 0.03)
        out += rows(facility, "heat", "GJ", steam, 0)
    if facility in LPG:
        out += rows(facility, "lpg", "t", monthly(rng, LPG[facility], 0.0, PRODUCTION, 0.06), 2)
    return out


def clinker_rows(rng, growth):
    """Clinker made (process CO2) and the bituminous coal its kiln burns."""
    clinker = np.round(monthly(rng, CLINKER_2021, growth, PRODUCTION, 0.03))
    coal = clinker * rng.normal(COAL_PER_CLINKER, 0.003, size=clinker.shape)
    return (rows(CLINKER_FACILITY, "clinker", "t", clinker, 0)
            + rows(CLINKER_FACILITY, "bituminous_coal", "t", coal, 1))


def leak_rows(rng, facility):
    """Refrigerant topped up after one or two leaks a year; SF6 for CHP-01's switchgear."""
    # ``events`` bounds rng.integers, high excluded: SF6 once a year, refrigerant once or twice.
    if facility == CHP:
        gas, events, kg = "SF6", (1, 2), (0.8, 3.5)
    else:
        gas, events, kg = rng.choice(REFRIGERANTS), (1, 3), (2.0, 40.0)
    out = []
    for year in YEARS:
        n = rng.integers(*events)
        for month in sorted(rng.choice(MONTHS, size=n, replace=False)):
            out.append(dict(facility=facility, year=int(year), month=int(month), activity=str(gas),
                            quantity=round(float(rng.uniform(*kg)), 1), unit="kg", instrument=""))
    return out


def make_activities(rng):
    """All activity rows, facility by facility, then named as each firm writes them."""
    out = []
    for facility, _, annual_mwh, *_ in FACILITIES:
        growth = SECTORS[facility.split("-")[0]][1] + rng.normal(0, 0.02)
        mine = electricity_rows(rng, facility, annual_mwh, growth)
        mine += fuel_rows(rng, facility, growth)
        if facility == CLINKER_FACILITY:
            mine += clinker_rows(rng, growth)
        mine += leak_rows(rng, facility)
        # A firm's template lists its records month by month.
        out += sorted(mine, key=lambda row: (row["year"], row["month"]))
    table = pd.DataFrame(out)
    chinese = table["facility"].isin(CHINESE_TEMPLATE)
    table.loc[chinese, "activity"] = table.loc[chinese, "activity"].replace(chinese_names())
    return table


@cache
def chinese_names():
    """Chinese names of the translated activities, as the factor library spells them."""
    library = pd.read_csv(LIBRARY_ACTIVITIES, index_col="activity")
    return library.loc[TRANSLATED, "name_zh"].to_dict()


def make_facilities():
    """The facility table, with the sector and region each firm registered."""
    return pd.DataFrame([
        dict(facility=facility, name=name, sector=SECTORS[facility.split("-")[0]][0],
             region="" if facility in NO_REGION else "CN-GD", park=PARK,
             value_added=value_added, value_added_unit="10^4 CNY", output=output,
             output_unit=output_unit, floor_area=floor_area)
        for facility, name, _, value_added, output, output_unit, floor_area in FACILITIES
    ])


def bought(activities, facility, carrier):
    """What a facility's rows say it bought of ``electricity`` [MWh] or ``heat`` [GJ], by year."""
    english = {v: k for k, v in chinese_names().items()}
    mine = activities[(activities["facility"] == facility)
                      & (activities["activity"].replace(english) == carrier)]
    if carrier == "electricity":
        mine = mine.assign(quantity=mine["quantity"] * mine["unit"].map(MWH_PER))
    return mine.groupby("year")["quantity"].sum()


def make_transfers(rng, activities):
    """CHP-01's yearly sales: 30-60 % of its wired tenants' electricity, all of its buyers' heat."""
    out = []
    for buyer in CHP_ELECTRICITY_BUYERS:
        # Each tenant's contract fixes roughly its share; the year's dispatch moves it a little.
        contract = rng.uniform(0.35, 0.55)
        for year, mwh in bought(activities, buyer, "electricity").items():
            share = np.clip(contract + rng.normal(0, 0.03), 0.3, 0.6)
            # Rounded down to 0.1 MWh so a sale never exceeds the purchase.
            sold = np.floor(mwh * share * 10) / 10
            out.append(dict(seller=CHP, buyer=buyer, year=year, carrier="electricity",
                            quantity=float(sold), unit="MWh"))
    for buyer in HEAT:
        for year, gj in bought(activities, buyer, "heat").items():
            out.append(dict(seller=CHP, buyer=buyer, year=year, carrier="heat",
                            quantity=float(gj), unit="GJ"))
    return pd.DataFrame(out).sort_values(["buyer", "year", "carrier"], kind="stable")


def check(activities, facilities, transfers):
    """The invariants the sample park promises its users and the engine's tests."""
    assert len(facilities) >= 40 and facilities["sector"].nunique() >= 6
    assert facilities["value_added"].between(5_000, 300_000).all()
    assert (facilities["region"] == "").sum() == 2

    key = ["facility", "year", "month", "activity", "unit", "instrument", "quantity"]
    assert not activities.duplicated(key).any(), "duplicate activity rows"
    assert (activities["quantity"] > 0).all()
    assert set(activities["facility"]) == set(facilities["facility"])
    library = pd.read_csv(LIBRARY_ACTIVITIES)
    known = set(library["activity"]) | set(chinese_names().values())
    assert set(activities["activity"]) <= known, set(activities["activity"]) - known

    # A green row and the normal row of the same month never carry the same amount.
    power = activities[activities["activity"].isin(["electricity", chinese_names()["electricity"]])]
    per_month = power.groupby(["facility", "year", "month"])["quantity"]
    assert (per_month.nunique() == per_month.size()).all()

    gas = activities[(activities["facility"] == CHP) & (activities["activity"] == "natural_gas")]
    assert gas["quantity"].between(80, 120).all(), gas["quantity"].describe()

    for sale in transfers.itertuples():
        assert sale.quantity <= bought(activities, sale.buyer, sale.carrier)[sale.year]
    assert 6 <= transfers["buyer"].nunique() <= 10
    # CHP-01 cannot sell more electricity than it generated (its 2023 output).
    sold = transfers[transfers["carrier"] == "electricity"].groupby("year")["quantity"].sum()
    assert (sold <= facilities.set_index("facility").loc[CHP, "output"]).all()


def main():
    rng = np.random.default_rng(2030)
    activities = make_activities(rng)
    facilities = make_facilities()
    transfers = make_transfers(rng, activities)
    check(activities, facilities, transfers)

    OUT.mkdir(exist_ok=True)
    for name, table in [("activities", activities), ("facilities", facilities),
                        ("transfers", transfers)]:
        table.to_csv(OUT / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
        print(f"{name}.csv: {len(table)} rows")


if __name__ == "__main__":
    main()
