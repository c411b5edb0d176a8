"""Write benchmarks/data/coffee_orders.xlsx and coffee_customers.xlsx: a UK speciality coffee roaster's two
Excel exports, deterministic (numpy seed).

Kettle Hill Coffee Roasters sells online (one-off orders and subscriptions), to cafés, delis and offices on
trade accounts (wholesale) and on a marketplace. Its order-management system exports workbooks unlike the
other shops' CSVs (make_shop_data.py, make_store_data.py, make_electronics_data.py, make_pets_data.py):

``coffee_orders.xlsx`` (sheet "Orders") has ONE ROW PER ORDER, not per line: ``Order Ref`` (``KH-20417``),
``Placed On`` (an Excel date cell, shown dd/mm/yyyy) and ``Time`` (a separate Excel time cell), ``Customer
Ref`` (``C48213``; empty on marketplace orders, whose buyers the marketplace does not pass on), ``Channel``
(Web / Wholesale / Marketplace), ``Status`` (Completed / Cancelled / Refunded / Partially Refunded),
``Items`` (units in the order: bags of coffee, gift boxes, brewing kit), and numeric money cells formatted
``£#,##0.00``: ``Subtotal`` (the goods before any discount), ``Discount``, ``Shipping``, ``Order Total``
(= Subtotal - Discount + Shipping, what the customer paid) and ``Refunded`` (the amount paid back: the whole
Order Total on a Refunded order, part of it on a Partially Refunded one, 0 otherwise; a Cancelled order was
never charged, so 0). ``Coupon`` holds the code as the platform stores it, in lower case (``welcome10``,
``blackfriday25``, ...), and is empty on most orders; ``freeship`` waives the shipping and leaves the
Discount at 0. ``Payment`` is Card / PayPal / Apple Pay / Klarna on the web, Invoice for trade accounts and
Marketplace on marketplace orders; ``Country`` is the delivery country's English name; ``Subscription`` is
Yes on a subscription renewal (charged automatically between 06:00 and 07:00) and No otherwise. The rows run
oldest first, from 1 April 2023 to 31 March 2025 (the shop's two financial years 2023/24 and 2024/25).

``coffee_customers.xlsx`` (sheet "Customers") is the account list: ``Customer Ref``, ``Signed Up`` (Excel
date), ``Wholesale Account`` (Yes / No), ``Plan`` (the subscription plan the customer is on at the export
date, empty when none), ``Business Name`` (trade accounts only), ``Country`` and ``Marketing Opt-In`` (real
Excel TRUE/FALSE cells). Every Customer Ref of the orders is in it, once; some accounts never ordered, and
some signed up before the orders start.

Web sales grow through the two years, peak from Black Friday to Christmas (gift boxes, blackfriday25 and
xmas10 codes) and in January (new subscriptions), and dip in the summer; wholesale accounts reorder every one
to four weeks, a few very large trade orders (events, office fit-outs) stand out, and trade prices rose on
1 September 2024.

Run ``python -m benchmarks.make_coffee_data`` to (re)write the files; the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20250331
DATA = Path(__file__).resolve().parent / "data"
ORDERS_OUT = DATA / "coffee_orders.xlsx"
CUSTOMERS_OUT = DATA / "coffee_customers.xlsx"
START, END = dt.date(2023, 4, 1), dt.date(2025, 3, 31)
FIRST_ORDER = 20417
EXPORTED = dt.datetime(2025, 4, 1, 7, 30)  # the workbook's creation stamp and every zip entry's time
ORDER_HEADER = [
    "Order Ref",
    "Placed On",
    "Time",
    "Customer Ref",
    "Channel",
    "Status",
    "Items",
    "Subtotal",
    "Coupon",
    "Discount",
    "Shipping",
    "Order Total",
    "Refunded",
    "Payment",
    "Country",
    "Subscription",
]
CUSTOMER_HEADER = [
    "Customer Ref",
    "Signed Up",
    "Wholesale Account",
    "Plan",
    "Business Name",
    "Country",
    "Marketing Opt-In",
]
MONEY = ("Subtotal", "Discount", "Shipping", "Order Total", "Refunded")
MONEY_FORMAT = '"£"#,##0.00'
DATE_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "hh:mm:ss"

RETAIL_CUSTOMERS = 1250
SUBSCRIBERS = 150
NEVER_ORDERED = 260
MARKETPLACE_ORDERS = 360
COUNTRIES = {
    "United Kingdom": 0.82,
    "Ireland": 0.06,
    "Germany": 0.03,
    "France": 0.025,
    "Netherlands": 0.025,
    "Belgium": 0.01,
    "Sweden": 0.01,
    "Denmark": 0.01,
    "United States": 0.01,
}
WEB_PAYMENTS = {"Card": 0.62, "PayPal": 0.22, "Apple Pay": 0.12, "Klarna": 0.04}
WEB_STATUSES = {"Completed": 0.925, "Cancelled": 0.03, "Refunded": 0.025, "Partially Refunded": 0.02}
RENEWAL_STATUSES = {"Completed": 0.975, "Cancelled": 0.012, "Refunded": 0.008, "Partially Refunded": 0.005}
TRADE_STATUSES = {"Completed": 0.945, "Cancelled": 0.02, "Refunded": 0.005, "Partially Refunded": 0.03}
MARKET_STATUSES = {"Completed": 0.92, "Cancelled": 0.035, "Refunded": 0.04, "Partially Refunded": 0.005}
# What a web basket holds: (price in pounds, weight in a basket); the gift box sells mostly before Christmas.
PRODUCTS = {
    "250g single origin": (10.50, 0.16),
    "250g house espresso": (11.50, 0.14),
    "250g seasonal filter": (12.50, 0.1),
    "250g competition lot": (13.95, 0.06),
    "1kg house espresso": (34.00, 0.09),
    "1kg decaf": (38.00, 0.04),
    "gift box": (27.50, 0.08),
    "v60 kit": (29.00, 0.03),
    "hand grinder": (64.00, 0.015),
    "aeropress": (34.99, 0.02),
    "mug": (12.00, 0.05),
    "250g decaf": (11.00, 0.07),
    "sample set": (16.00, 0.065),
}
# Subscription plans: (days between renewals, 0 = the same day each month; bags; price a bag).
PLANS = {
    "Fortnightly 250g": (14, 1, 9.50),
    "Monthly 250g": (0, 1, 9.95),
    "Monthly 2 x 250g": (0, 2, 9.50),
    "Monthly 1kg": (0, 1, 32.00),
}
PLAN_SHARES = [0.25, 0.35, 0.25, 0.15]
CODES = {
    "welcome10": 0.10,
    "brewmore15": 0.15,
    "blackfriday25": 0.25,
    "xmas10": 0.10,
    "freeship": 0.0,
}
BLACK_FRIDAYS = (
    (dt.date(2023, 11, 24), dt.date(2023, 11, 27)),
    (dt.date(2024, 11, 29), dt.date(2024, 12, 2)),
)
# Trade accounts: (business name, country, joined, left or None, days between orders, usual bags).
TRADE: list[tuple[str, str, dt.date, dt.date | None, int, int]] = [
    ("The Copper Kettle Café", "United Kingdom", dt.date(2019, 5, 14), None, 14, 10),
    ("Grindstone Deli", "United Kingdom", dt.date(2020, 2, 3), None, 21, 7),
    ("Harbourside Bakehouse", "United Kingdom", dt.date(2021, 8, 20), None, 14, 12),
    ("Northfield Coworking", "United Kingdom", dt.date(2022, 1, 11), None, 28, 12),
    ("Little Wren Coffee", "United Kingdom", dt.date(2020, 9, 1), None, 7, 14),
    ("Oak & Ember Bistro", "United Kingdom", dt.date(2022, 6, 7), dt.date(2024, 6, 30), 28, 8),
    ("Brew Lab Leeds", "United Kingdom", dt.date(2021, 3, 29), None, 7, 18),
    ("St Anne's College Café", "United Kingdom", dt.date(2023, 9, 18), None, 14, 15),
    ("Pennine Outdoor Centre", "United Kingdom", dt.date(2022, 4, 25), None, 28, 6),
    ("Marlow Books & Coffee", "United Kingdom", dt.date(2023, 5, 2), None, 21, 5),
    ("Dockside Studios", "United Kingdom", dt.date(2024, 2, 12), None, 28, 10),
    ("The Green Room Café", "United Kingdom", dt.date(2019, 11, 4), dt.date(2023, 12, 22), 21, 7),
    ("Quayside Hotel", "United Kingdom", dt.date(2022, 10, 3), None, 14, 16),
    ("Foxglove Farm Shop", "United Kingdom", dt.date(2021, 6, 14), None, 28, 6),
    ("Tidewater Surf Café", "United Kingdom", dt.date(2023, 4, 17), None, 21, 9),
    ("Cobble Lane Bakery", "United Kingdom", dt.date(2024, 7, 1), None, 14, 8),
    ("Anchor Street Offices", "United Kingdom", dt.date(2022, 11, 21), None, 28, 11),
    ("Half Moon Cycle Café", "United Kingdom", dt.date(2020, 4, 6), None, 21, 7),
    ("Bridge Street Kitchen", "United Kingdom", dt.date(2024, 10, 14), None, 14, 6),
    ("The Reading Room", "United Kingdom", dt.date(2021, 1, 18), None, 28, 5),
    ("Kiln Coffee Dublin", "Ireland", dt.date(2022, 3, 8), None, 21, 14),
    ("Liffey Roast Bar", "Ireland", dt.date(2023, 10, 2), None, 28, 10),
    ("Moorland Golf Club", "United Kingdom", dt.date(2023, 3, 6), None, 28, 8),
    ("Westgate Gallery Café", "United Kingdom", dt.date(2022, 8, 15), dt.date(2024, 11, 8), 21, 6),
    ("Saltmarsh Deli", "United Kingdom", dt.date(2025, 1, 20), None, 14, 7),
    ("Bramble & Co Catering", "United Kingdom", dt.date(2024, 3, 4), None, 28, 20),
    ("Harrow Hill Dental", "United Kingdom", dt.date(2025, 2, 3), None, 28, 4),
    ("Old Mill Antiques", "United Kingdom", dt.date(2024, 5, 20), None, 28, 3),
]
# Trade accounts that opened but never ordered in the two years.
TRADE_SILENT = (("Pier Head Kiosk", dt.date(2024, 4, 22)), ("Ashcombe Village Hall", dt.date(2024, 12, 9)))
# One-off large trade orders: (account index, day, bags): a festival, an office fit-out, a wedding season.
BIG_TRADE = (
    (10, dt.date(2024, 2, 28), 240),
    (25, dt.date(2024, 5, 30), 310),
    (25, dt.date(2024, 8, 15), 180),
    (3, dt.date(2023, 9, 6), 160),
    (12, dt.date(2024, 12, 4), 205),
    (6, dt.date(2025, 3, 12), 270),
)
# Month factors (January first).
_WEB_MONTHS = np.array([1.15, 0.92, 0.95, 0.92, 0.9, 0.86, 0.78, 0.8, 0.95, 1.02, 1.35, 1.6])
_NEW_SUB_MONTHS = np.array([1.9, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.6, 0.9, 1.0, 1.2, 1.6])
_TRADE_MONTHS = np.array([0.92, 0.95, 1.0, 1.02, 1.05, 1.02, 0.88, 0.85, 1.05, 1.02, 1.05, 1.12])
# Hour of day (0 to 23) of a web or marketplace order: lunchtime and the evening.
_WEB_HOURS = np.array(
    [0.6, 0.3, 0.2, 0.1, 0.1, 0.2, 0.6, 1.6, 2.6, 3.0, 3.0, 3.0]
    + [3.6, 3.2, 2.8, 2.6, 2.6, 2.8, 3.2, 4.2, 4.8, 4.2, 2.8, 1.4]
)


class Order:
    """One row of the orders sheet before it gets its number."""

    def __init__(self, day: dt.date, time: dt.time, customer: str | None, channel: str, country: str):
        self.day, self.time, self.customer, self.channel, self.country = day, time, customer, channel, country
        self.status, self.items, self.subtotal = "Completed", 0, 0.0
        self.coupon: str | None = None
        self.discount = self.shipping = self.refunded = 0.0
        self.payment, self.subscription = "Card", False
        self.prices: list[float] = []

    @property
    def total(self) -> float:
        return round(self.subtotal - self.discount + self.shipping, 2)


def main() -> None:
    orders, customers = render()
    for path, data in ((ORDERS_OUT, orders), (CUSTOMERS_OUT, customers)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(data):,} bytes)")


def render(seed: int = SEED) -> tuple[bytes, bytes]:
    """Both workbooks as bytes: (orders, customers)."""
    rng = np.random.default_rng(seed)
    order_rows, customer_rows = _rows(rng)
    orders = _workbook(
        "Orders", ORDER_HEADER, order_rows, (11, 12, 10, 13, 12, 18, 7, 11, 14, 10, 10, 12, 10, 11, 16, 12)
    )
    customers = _workbook("Customers", CUSTOMER_HEADER, customer_rows, (13, 12, 18, 18, 26, 16, 17))
    return orders, customers


# -- the business ------------------------------------------------------------------------------------------
def _rows(rng: np.random.Generator) -> tuple[list[list[Any]], list[list[Any]]]:
    refs = iter(f"C{n}" for n in rng.choice(np.arange(10000, 99999), 3000, replace=False))
    days = [START + dt.timedelta(d) for d in range((END - START).days + 1)]
    orders: list[Order] = []
    accounts: list[list[Any]] = []  # Customer Ref, Signed Up, Wholesale, Plan, Business, Country, Opt-In

    # One-off web shoppers: most order once or twice, a few keep coming back.
    web_weight = _day_weights(days, _WEB_MONTHS, growth=0.3, black_friday=3.0)
    firsts = np.sort(rng.choice(len(days), RETAIL_CUSTOMERS, p=web_weight / web_weight.sum()))
    for first in firsts:
        ref, country = next(refs), _pick(rng, COUNTRIES)
        payment = _pick(rng, WEB_PAYMENTS)
        n = min(int(rng.geometric(0.48)), 14)
        day = days[first]
        for k in range(n):
            if day > END:
                break
            orders.append(_web_order(rng, day, ref, country, payment, first=k == 0))
            day = day + dt.timedelta(days=int(12 + rng.exponential(70)))
        signed = (
            days[first] - dt.timedelta(days=int(rng.integers(1, 900))) if rng.random() < 0.3 else days[first]
        )
        accounts.append([ref, signed, "No", None, None, country, bool(rng.random() < 0.55)])

    # Subscribers: renewals on a schedule while subscribed, and now and then a one-off web order.
    sub_weight = _day_weights(days, _NEW_SUB_MONTHS, growth=0.35, black_friday=1.5)
    for _ in range(SUBSCRIBERS):
        ref, country = next(refs), _pick(rng, {"United Kingdom": 0.9, "Ireland": 0.06, "Germany": 0.04})
        plan = list(PLANS)[int(rng.choice(len(PLANS), p=PLAN_SHARES))]
        if rng.random() < 0.3:  # subscribed before the export starts
            start = START - dt.timedelta(days=int(rng.integers(1, 420)))
        else:
            start = days[int(rng.choice(len(days), p=sub_weight / sub_weight.sum()))]
        stop = start + dt.timedelta(days=int(30 + rng.exponential(300)))
        payment = "Card" if rng.random() < 0.85 else "PayPal"
        for day in _renewals(start, stop, PLANS[plan][0]):
            if START <= day <= END:
                orders.append(_renewal(rng, day, ref, country, plan, payment))
        for _ in range(int(rng.poisson(1.2))):
            day = start + dt.timedelta(days=int(rng.integers(0, 400)))
            if START <= day <= END:
                orders.append(_web_order(rng, day, ref, country, payment, first=False))
        active = plan if stop > END else None
        signed = start - dt.timedelta(days=int(rng.integers(0, 300))) if rng.random() < 0.4 else start
        accounts.append([ref, signed, "No", active, None, country, bool(rng.random() < 0.7)])

    # Trade accounts reorder on their rhythm; a few orders are far larger than the rest.
    trade_refs = []
    for name, country, joined, left, every, bags in TRADE:
        ref = next(refs)
        trade_refs.append(ref)
        day = max(joined, START) + dt.timedelta(days=int(rng.integers(0, every)))
        last = min(left or END, END)
        while day <= last:
            orders.append(_trade_order(rng, day, ref, country, bags))
            day += dt.timedelta(days=max(3, every + int(rng.integers(-2, 3))))
        accounts.append([ref, joined, "Yes", None, name, country, True])
    for idx, day, bags in BIG_TRADE:
        order = _trade_order(rng, day, trade_refs[idx], TRADE[idx][1], bags, exact=True)
        order.status, order.refunded = "Completed", 0.0
        orders.append(order)
    for name, joined in TRADE_SILENT:
        accounts.append([next(refs), joined, "Yes", None, name, "United Kingdom", False])

    # Marketplace orders carry no customer.
    market_weight = _day_weights(days, _WEB_MONTHS, growth=0.6, black_friday=2.0)
    for d in np.sort(rng.choice(len(days), MARKETPLACE_ORDERS, p=market_weight / market_weight.sum())):
        orders.append(_market_order(rng, days[d]))

    # Accounts that never ordered: newsletter sign-ups, abandoned checkouts.
    for _ in range(NEVER_ORDERED):
        signed = dt.date(2021, 1, 1) + dt.timedelta(
            days=int(rng.integers(0, (END - dt.date(2021, 1, 1)).days))
        )
        country = _pick(rng, COUNTRIES)
        accounts.append([next(refs), signed, "No", None, None, country, bool(rng.random() < 0.8)])

    orders.sort(key=lambda o: (o.day, o.time, o.channel, o.customer or ""))
    order_rows = [
        [
            f"KH-{number}",
            o.day,
            o.time,
            o.customer,
            o.channel,
            o.status,
            o.items,
            round(o.subtotal, 2),
            o.coupon,
            round(o.discount, 2),
            round(o.shipping, 2),
            o.total,
            round(o.refunded, 2),
            o.payment,
            o.country,
            "Yes" if o.subscription else "No",
        ]
        for number, o in enumerate(orders, start=FIRST_ORDER)
    ]
    customer_rows = sorted(accounts, key=lambda a: (a[1], a[0]))  # the account list runs by signup
    return order_rows, customer_rows


def _web_order(
    rng: np.random.Generator, day: dt.date, ref: str, country: str, payment: str, first: bool
) -> Order:
    order = Order(day, _time(rng, _WEB_HOURS), ref, "Web", country)
    order.payment = payment if rng.random() < 0.8 else _pick(rng, WEB_PAYMENTS)
    names = list(PRODUCTS)
    weight = np.array(
        [PRODUCTS[n][1] * (4.0 if n == "gift box" and day.month in (11, 12) else 1.0) for n in names]
    )
    for _ in range(min(1 + int(rng.poisson(0.9)), 8)):
        order.prices.append(PRODUCTS[names[int(rng.choice(len(names), p=weight / weight.sum()))]][0])
    order.items, order.subtotal = len(order.prices), round(sum(order.prices), 2)
    order.coupon = _coupon(rng, day, first, country)
    order.discount = round(order.subtotal * CODES.get(order.coupon or "", 0.0), 2)
    order.shipping = _shipping(order.subtotal - order.discount, country)
    if order.coupon == "freeship":
        order.shipping = 0.0
    _settle(rng, order, WEB_STATUSES)
    return order


def _renewal(
    rng: np.random.Generator, day: dt.date, ref: str, country: str, plan: str, payment: str
) -> Order:
    _, bags, price = PLANS[plan]
    order = Order(day, dt.time(6, int(rng.integers(0, 60)), int(rng.integers(0, 60))), ref, "Web", country)
    order.payment, order.subscription = payment, True
    order.items, order.prices = bags, [price] * bags
    order.subtotal = round(bags * price, 2)
    order.shipping = 0.0 if country == "United Kingdom" else 5.50
    _settle(rng, order, RENEWAL_STATUSES)
    return order


def _trade_order(
    rng: np.random.Generator, day: dt.date, ref: str, country: str, bags: int, exact: bool = False
) -> Order:
    hour = int(rng.integers(8, 17))
    order = Order(
        day, dt.time(hour, int(rng.integers(0, 60)), int(rng.integers(0, 60))), ref, "Wholesale", country
    )
    order.payment = "Invoice"
    if not exact:
        bags = max(2, int(round(bags * _TRADE_MONTHS[day.month - 1] * rng.lognormal(0.0, 0.25))))
    price = 21.50 if day < dt.date(2024, 9, 1) else 22.75  # a 1kg trade bag, before and after the rise
    order.items, order.prices = bags, [price] * bags
    order.subtotal = round(bags * price, 2)
    order.shipping = 0.0 if order.subtotal >= 150 else 12.00
    if country != "United Kingdom":
        order.shipping = 18.00
    _settle(rng, order, TRADE_STATUSES)
    return order


def _market_order(rng: np.random.Generator, day: dt.date) -> Order:
    order = Order(day, _time(rng, _WEB_HOURS), None, "Marketplace", "United Kingdom")
    order.payment = "Marketplace"
    bags = 1 + int(rng.binomial(2, 0.3))
    price = 12.95 if rng.random() < 0.75 else 36.50
    order.items, order.prices = bags, [price] * bags
    order.subtotal = round(bags * price, 2)
    _settle(rng, order, MARKET_STATUSES)
    return order


def _settle(rng: np.random.Generator, order: Order, statuses: dict[str, float]) -> None:
    """The order's fate: a refund pays back the whole total, a partial one one item (or its shipping)."""
    order.status = _pick(rng, statuses)
    if order.status == "Refunded":
        order.refunded = order.total
    elif order.status == "Partially Refunded":
        if order.items > 1 and rng.random() < 0.8:
            share = 1 if order.channel != "Wholesale" else int(rng.integers(1, 4))
            order.refunded = round(min(order.total, share * order.prices[0] * (1 - _rate(order))), 2)
        elif order.shipping:
            order.refunded = order.shipping
        else:
            order.refunded = round(order.total * 0.5, 2)


def _rate(order: Order) -> float:
    return CODES.get(order.coupon or "", 0.0)


def _coupon(rng: np.random.Generator, day: dt.date, first: bool, country: str) -> str | None:
    if any(lo <= day <= hi for lo, hi in BLACK_FRIDAYS) and rng.random() < 0.55:
        return "blackfriday25"
    if day.month == 12 and day.day <= 20 and rng.random() < 0.2:
        return "xmas10"
    if first and rng.random() < 0.25:
        return "welcome10"
    roll = rng.random()
    if roll < 0.04:
        return "brewmore15"
    if roll < 0.07 and country == "United Kingdom":
        return "freeship"
    return None


def _shipping(goods: float, country: str) -> float:
    if country == "United Kingdom":
        return 0.0 if goods >= 30 else 3.95
    if country == "United States":
        return 14.00
    return 0.0 if goods >= 75 else 7.50


def _renewals(start: dt.date, stop: dt.date, every: int) -> list[dt.date]:
    """The renewal days from ``start`` until ``stop``: every ``every`` days, or monthly on the start's day."""
    out, k = [], 0
    while True:
        if every:
            day = start + dt.timedelta(days=every * k)
        else:
            month = start.month - 1 + k
            year, month = start.year + month // 12, month % 12 + 1
            day = dt.date(year, month, min(start.day, 28))
        if day >= stop or day > END:
            return out
        out.append(day)
        k += 1


def _day_weights(days: list[dt.date], months: np.ndarray, growth: float, black_friday: float) -> np.ndarray:
    t = np.array([(d - START).days for d in days]) / len(days)
    weight = (1 + growth * t) * months[np.array([d.month for d in days]) - 1]
    weight *= np.array([1.15 if d.weekday() == 6 else 0.9 if d.weekday() == 5 else 1.0 for d in days])
    weight *= np.array(
        [black_friday if any(lo <= d <= hi for lo, hi in BLACK_FRIDAYS) else 1.0 for d in days]
    )
    return weight


def _time(rng: np.random.Generator, hours: np.ndarray) -> dt.time:
    hour = int(rng.choice(24, p=hours / hours.sum()))
    return dt.time(hour, int(rng.integers(0, 60)), int(rng.integers(0, 60)))


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    p = np.array(list(weights.values()))
    return list(weights)[int(rng.choice(len(p), p=p / p.sum()))]


# -- the workbook ------------------------------------------------------------------------------------------
def _workbook(title: str, header: list[str], rows: list[list[Any]], widths: tuple[int, ...]) -> bytes:
    """An .xlsx as the platform writes it: a bold, frozen header, dates, times and money as typed cells with
    display formats, empty cells where a value is missing; the same rows give the same bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    formats = {i: _format(name) for i, name in enumerate(header)}
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue  # an empty cell, as the platform leaves it
            cell = sheet.cell(row=r, column=c, value=value)
            if formats[c - 1]:
                cell.number_format = formats[c - 1]
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    book.properties.creator = "Kettle Hill Order Manager"
    book.properties.created = book.properties.modified = EXPORTED
    return _zip_bytes(book)


def _format(name: str) -> str | None:
    if name in MONEY:
        return MONEY_FORMAT
    if name in ("Placed On", "Signed Up"):
        return DATE_FORMAT
    return TIME_FORMAT if name == "Time" else None


def _zip_bytes(book: Any) -> bytes:
    """openpyxl's package with every entry dated EXPORTED (zip entries otherwise carry the time of writing)."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=EXPORTED.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


if __name__ == "__main__":
    main()
