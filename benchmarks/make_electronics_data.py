"""Write benchmarks/data/electronics_orders.csv and electronics_customers.csv: a European consumer-electronics
web shop's two exports, deterministic (numpy seed).

The files look like what a shop on a German platform downloads, and unlike the garden shop's and the skincare
store's exports (make_shop_data.py, make_store_data.py): semicolon-delimited, decimal commas, day-first dotted
dates with a 24-hour clock (``03.11.2024 18:42``), euro amounts written ``1.299,00 €``, numeric order and
customer numbers, article numbers like ``EL-10234``, and TV sizes in inches (``55"``, quoted in the CSV).

``electronics_orders.csv`` has one row per order line; the order-level fields (date, customer, country,
channel, status) repeat on each line. The ``Status`` is Completed, Cancelled or Returned; the ``Unit Price`` is
the price charged (Black Friday week prices are cut on many orders). ``electronics_customers.csv`` has one
row per registered customer (``Customer No``, ``Signup Date`` as ``dd.mm.yyyy``, ``Loyalty Tier``,
``Newsletter`` yes/no, ``Birth Year``, empty where not given), including some who never ordered; every
customer in the orders file is in it. Customer numbers grow with the signup date.

Sales grow through the two years, jump in the Black Friday week and before Christmas, laptops and tablets
sell before school starts (August, September), TVs sold more before and during the 2024 European football championship,
and the app gains share, so months, groups, channels and countries differ.

Run ``python -m benchmarks.make_electronics_data`` to (re)write the files; the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from benchmarks.make_shop_data import csv_text, draw_times, write_export

SEED = 20250930
DATA = Path(__file__).resolve().parent / "data"
ORDERS_OUT = DATA / "electronics_orders.csv"
CUSTOMERS_OUT = DATA / "electronics_customers.csv"
START, END = dt.date(2023, 10, 1), dt.date(2025, 9, 30)
BUYERS = 2450  # customers who order in the two years
DORMANT = 420  # registered customers without an order in the two years
FIRST_ORDER = 400117
FIRST_CUSTOMER = 10001
ORDER_HEADER = [
    "Order No",
    "Order Date",
    "Customer No",
    "Country",
    "Sales Channel",
    "Article No",
    "Article",
    "Product Group",
    "Qty",
    "Unit Price",
    "Status",
]
CUSTOMER_HEADER = ["Customer No", "Signup Date", "Loyalty Tier", "Newsletter", "Birth Year"]
COUNTRIES = {"Germany": 0.46, "Netherlands": 0.17, "Austria": 0.12, "Belgium": 0.1, "France": 0.15}
CHANNELS = ("Web", "App", "Marketplace")
STATUSES = ("Completed", "Cancelled", "Returned")

# Product group -> (season, [(article, price in euros, largest usual quantity)]).
CATALOGUE: dict[str, tuple[str, list[tuple[str, float, int]]]] = {
    "Phones": (
        "gift",
        [
            ("Nova X12 Smartphone 128 GB", 649.00, 1),
            ("Nova X12 Pro Smartphone 256 GB", 999.00, 1),
            ("Aero 5G Smartphone 128 GB", 329.00, 1),
            ("Aero Lite Smartphone 64 GB", 199.00, 2),
            ("Fold Z Smartphone 512 GB", 1799.00, 1),
        ],
    ),
    "Laptops": (
        "school",
        [
            ("Ultrabook 14 Air", 1099.00, 1),
            ("Workbook 15 Pro", 1499.00, 1),
            ("Student Notebook 15", 549.00, 1),
            ("Gaming Laptop 17 RTX", 1899.00, 1),
            ("Chromebook 14", 329.00, 1),
        ],
    ),
    "Tablets": (
        "school",
        [
            ("Tab 11 Wi-Fi 128 GB", 449.00, 1),
            ("Tab 11 Pro 256 GB", 899.00, 1),
            ("Kids Tablet 8", 129.00, 2),
            ('E-Reader 6" Glow', 119.00, 1),
        ],
    ),
    "Audio": (
        "gift",
        [
            ("Wireless Earbuds Pro", 199.00, 2),
            ("Noise Cancelling Headphones", 349.00, 1),
            ("Bluetooth Speaker Mini", 59.99, 2),
            ("Soundbar 3.1 Dolby Atmos", 449.00, 1),
            ("Hi-Fi Turntable", 279.00, 1),
        ],
    ),
    "TV": (
        "tv",
        [
            ('OLED TV 55" 4K', 1299.00, 1),
            ('QLED TV 65" 4K', 1099.00, 1),
            ('Smart TV 43" Full HD', 349.00, 1),
            ('LED TV 75" 4K', 899.00, 1),
        ],
    ),
    "Wearables": (
        "gift",
        [
            ("Smartwatch Series 5", 399.00, 1),
            ("Fitness Band 3", 79.99, 2),
            ("Kids Smartwatch", 99.00, 1),
        ],
    ),
    "Smart Home": (
        "gift",
        [
            ("Smart Plug 2-Pack", 29.99, 3),
            ("Video Doorbell", 149.00, 1),
            ("Smart Thermostat", 199.00, 2),
            ("Indoor Camera 2K", 49.99, 3),
            ("Robot Vacuum S8", 499.00, 1),
            ("Smart Light Starter Kit", 89.99, 2),
        ],
    ),
    "Gaming": (
        "gift",
        [
            ("Game Console X 1 TB", 499.00, 1),
            ("Wireless Controller", 64.99, 2),
            ("Gaming Headset", 89.99, 1),
        ],
    ),
    "Accessories": (
        "flat",
        [
            ("USB-C Charger 65W", 39.99, 2),
            ("Phone Case", 19.99, 2),
            ("Screen Protector 2-Pack", 14.99, 2),
            ("USB-C Cable 2m", 12.99, 3),
            ("Power Bank 20000 mAh", 44.99, 2),
            ('Laptop Sleeve 14"', 29.99, 1),
            ("Wireless Mouse", 24.99, 2),
            ("HDMI Cable 2m", 14.99, 2),
            ("TV Wall Mount", 39.99, 1),
        ],
    ),
}
# What is bought with a product group's item, often (accessories that fit it).
COMPANIONS = {
    "Phones": ("Phone Case", "Screen Protector 2-Pack", "USB-C Charger 65W", "Power Bank 20000 mAh"),
    "Laptops": ('Laptop Sleeve 14"', "Wireless Mouse", "USB-C Charger 65W", "USB-C Cable 2m"),
    "Tablets": ("Screen Protector 2-Pack", "USB-C Cable 2m"),
    "TV": ("TV Wall Mount", "HDMI Cable 2m", "Soundbar 3.1 Dolby Atmos"),
    "Gaming": ("Wireless Controller", "Gaming Headset", "HDMI Cable 2m"),
}
# Month factors (January first) by season; "tv" gets a further push before the 2024 championship.
_SEASONS = {
    "flat": np.array([1.0, 0.95, 1.0, 0.95, 0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 1.1, 1.2]),
    "gift": np.array([0.8, 0.75, 0.85, 0.85, 0.85, 0.8, 0.8, 0.85, 0.9, 1.0, 1.45, 1.8]),
    "school": np.array([0.85, 0.8, 0.85, 0.8, 0.8, 0.85, 1.1, 1.75, 1.6, 0.95, 1.3, 1.45]),
    "tv": np.array([0.9, 0.85, 0.85, 0.8, 0.9, 0.9, 0.7, 0.75, 0.85, 1.0, 1.5, 1.6]),
}
_SHOP_MONTHS = np.array([0.78, 0.72, 0.82, 0.8, 0.82, 0.8, 0.78, 0.92, 0.95, 0.98, 1.35, 1.55])
PRICE_CUT = ("Nova X12 Smartphone 128 GB", "Nova X12 Pro Smartphone 256 GB", "Aero 5G Smartphone 128 GB")
_EURO_2024 = (dt.date(2024, 5, 15), dt.date(2024, 7, 7))


def main() -> None:
    orders, customers = render()
    write_export(ORDERS_OUT, orders)
    write_export(CUSTOMERS_OUT, customers)


def render(seed: int = SEED) -> tuple[str, str]:
    """Both files as text: (order lines, customers)."""
    rng = np.random.default_rng(seed)
    order_rows, customer_rows = _exports(rng)
    return csv_text(ORDER_HEADER, order_rows, ";"), csv_text(CUSTOMER_HEADER, customer_rows, ";")


def euro(amount: float) -> str:
    """``1.299,00 €``: dot for thousands, comma for the decimals, the sign after a space."""
    text = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} €"


def _exports(rng: np.random.Generator) -> tuple[list[list[str]], list[list[str]]]:
    products = [
        (f"EL-{code}", name, group, price, qmax, season)
        for (group, (season, items)), codes in zip(CATALOGUE.items(), _article_codes(rng), strict=True)
        for (name, price, qmax), code in zip(items, codes, strict=True)
    ]
    by_name = {p[1]: i for i, p in enumerate(products)}
    prices = np.array([p[3] for p in products])
    popularity = rng.lognormal(0.0, 0.45, len(products)) * prices**-0.55
    countries = rng.choice(list(COUNTRIES), BUYERS, p=list(COUNTRIES.values()))
    prefs = rng.dirichlet([2.4, 1.0, 1.1], BUYERS)
    n_orders = rng.geometric(0.6, BUYERS) + 2 * rng.binomial(1, 0.1, BUYERS)
    loyal = rng.choice(BUYERS, 8, replace=False)  # a few enthusiasts who buy again and again
    n_orders[loyal] += rng.integers(5, 12, 8)
    stamps = _order_times(rng, int(n_orders.sum()))
    owners = np.repeat(np.arange(BUYERS), n_orders)
    rng.shuffle(owners)

    lines: list[tuple] = []  # (order index, stamp, owner, channel, status, product, qty, price)
    first_order: dict[int, dt.date] = {}
    spend = np.zeros(BUYERS)
    for index, (stamp, owner) in enumerate(zip(stamps, owners, strict=True)):
        owner = int(owner)
        first_order.setdefault(owner, stamp.date())
        channel = CHANNELS[rng.choice(3, p=_channel_mix(prefs[owner], stamp))]
        off = _black_week_cut(rng, stamp.date())
        basket = _basket(rng, products, by_name, popularity, stamp.date())
        picked = []
        for pick in basket:
            sku, name, group, price, qmax, _ = products[pick]
            qty = 1 + int(rng.binomial(qmax - 1, 0.25)) if qmax > 1 else 1
            picked.append((pick, qty, _price_on(name, price, stamp.date(), off)))
        status = _status(rng, channel, sum(q * p for _, q, p in picked))
        if status == "Completed":
            spend[owner] += sum(q * p for _, q, p in picked)
        for pick, qty, price in picked:
            lines.append((index, stamp, owner, channel, status, pick, qty, price))

    numbers, customer_rows = _customers(rng, first_order, spend)
    order_rows = [
        [
            str(FIRST_ORDER + index),
            stamp.strftime("%d.%m.%Y %H:%M"),
            str(numbers[owner]),
            str(countries[owner]),
            channel,
            products[pick][0],
            products[pick][1],
            products[pick][2],
            str(qty),
            euro(price),
            status,
        ]
        for index, stamp, owner, channel, status, pick, qty, price in lines
    ]
    return order_rows, customer_rows


def _article_codes(rng: np.random.Generator) -> list[list[int]]:
    """Five-digit article numbers, each group in its own range (10xxx phones, 11xxx laptops, ...)."""
    codes = []
    for g, (_, items) in enumerate(CATALOGUE.values()):
        picks = np.sort(rng.choice(np.arange(100, 1000), len(items), replace=False))
        codes.append([10000 + 1000 * g + int(c) for c in picks])
    return codes


def _order_times(rng: np.random.Generator, n: int) -> list[dt.datetime]:
    """``n`` sorted order times: daily weight = growth x month x weekday x Black Friday week x Christmas."""
    days = [START + dt.timedelta(d) for d in range((END - START).days + 1)]
    t = np.arange(len(days)) / 365.0
    months = np.array([d.month for d in days]) - 1
    weight = (1.25**t) * _SHOP_MONTHS[months]
    weight *= np.array([(0.95, 0.9, 0.9, 0.95, 1.0, 1.05, 1.3)[d.weekday()] for d in days])
    weight *= np.array([_peak(d) for d in days])
    return draw_times(rng, n, days, weight, _hour_weights())


def _black_friday(year: int) -> dt.date:
    nov1 = dt.date(year, 11, 1)
    return nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7 + 22)  # the day after the 4th Thursday


def _in_black_week(day: dt.date) -> bool:
    """The Black Friday week: Monday before Black Friday through Cyber Monday."""
    bf = _black_friday(day.year)
    return bf - dt.timedelta(days=4) <= day <= bf + dt.timedelta(days=3)


def _peak(day: dt.date) -> float:
    if _in_black_week(day):
        return 3.6 if _black_friday(day.year) <= day else 2.0
    if dt.date(day.year, 12, 10) <= day <= dt.date(day.year, 12, 21):
        return 1.4
    if dt.date(day.year, 12, 24) <= day <= dt.date(day.year, 12, 26):
        return 0.45
    return 1.0


def _hour_weights() -> np.ndarray:
    w = np.array(
        [0.9, 0.5, 0.3, 0.2, 0.2, 0.3, 0.7, 1.4, 2.2, 2.8, 3.1, 3.4]
        + [3.9, 3.8, 3.4, 3.3, 3.5, 4.1, 5.0, 6.2, 7.0, 6.6, 4.8, 2.3]
    )
    return w / w.sum()


def _channel_mix(pref: np.ndarray, stamp: dt.datetime) -> np.ndarray:
    """The customer's preference (web, app, marketplace), tilted towards the app as it gains users."""
    years = (stamp.date() - START).days / 365.0
    mix = pref * np.array([1.0, 0.5 + 0.4 * years, 1.0])
    return mix / mix.sum()


def _black_week_cut(rng: np.random.Generator, day: dt.date) -> float:
    """In the Black Friday week about half the orders get deal prices (10 to 20% off)."""
    if _in_black_week(day) and rng.random() < 0.5:
        return float(rng.choice([0.10, 0.15, 0.20]))
    return 0.0


def _price_on(name: str, price: float, day: dt.date, off: float) -> float:
    """The price charged: list prices of this year's phones fell 10% on 1 March 2025; deal prices end in
    9 (``549,00 €``) or ``,99`` below 100 euros."""
    if day >= dt.date(2025, 3, 1) and name in PRICE_CUT:
        price = round(price * 0.9 / 10) * 10 - 1.0
    if not off:
        return price
    cut = price * (1 - off)
    if price < 100:
        return float(np.floor(cut)) + 0.99
    return float(round(cut / 10) * 10 - 1)


def _basket(
    rng: np.random.Generator, products: list, by_name: dict[str, int], popularity: np.ndarray, day: dt.date
) -> list[int]:
    """One order's distinct articles: a main item chosen by popularity and season, often an accessory that
    fits it, sometimes something else (1 to 5 lines, about 1.5 on average)."""
    season = np.array([_season(p[5], day) for p in products])
    weight = popularity * season
    main = int(rng.choice(len(products), p=weight / weight.sum()))
    picks = [main]
    for name in COMPANIONS.get(products[main][2], ()):
        if rng.random() < 0.22 and by_name[name] != main:
            picks.append(by_name[name])
    extra = min(int(rng.poisson(0.35)), 5 - len(picks))
    if extra > 0:
        weight[picks] = 0.0
        picks.extend(int(i) for i in rng.choice(len(products), extra, replace=False, p=weight / weight.sum()))
    return picks[:5]


def _season(season: str, day: dt.date) -> float:
    factor = float(_SEASONS[season][day.month - 1])
    if season == "tv" and _EURO_2024[0] <= day <= _EURO_2024[1]:
        factor *= 2.2
    return factor


def _status(rng: np.random.Generator, channel: str, value: float) -> str:
    """Cancelled: about 3.5% of orders (more on the marketplace); returned: about 3%, more on costly ones."""
    cancel = 0.05 if channel == "Marketplace" else 0.03
    returned = 0.025 + 0.02 * min(value / 1000.0, 2.0)
    r = rng.random()
    return STATUSES[1] if r < cancel else STATUSES[2] if r < cancel + returned else STATUSES[0]


def _customers(
    rng: np.random.Generator, first_order: dict[int, dt.date], spend: np.ndarray
) -> tuple[list[int], list[list[str]]]:
    """Customer numbers (by buyer index) and the customer file's rows, numbered in signup order."""
    signups: list[tuple[dt.date, int]] = []
    for owner in range(BUYERS):
        first = first_order[owner]
        # Most sign up with their first order; the others had an account before.
        lag = 0 if rng.random() < 0.55 else int(rng.integers(1, 1900))
        signup = first - dt.timedelta(days=lag)
        signups.append((signup, owner))
    for k in range(DORMANT):  # signed up, no order in the two years
        span = (END - dt.date(2019, 6, 1)).days
        signups.append((dt.date(2019, 6, 1) + dt.timedelta(days=int(rng.integers(0, span))), BUYERS + k))
    signups.sort()
    numbers = [0] * (BUYERS + DORMANT)
    for n, (_, who) in enumerate(signups):
        numbers[who] = FIRST_CUSTOMER + n
    newsletter = rng.random(BUYERS + DORMANT) < 0.41
    born = np.clip(np.round(rng.normal(1983, 13, BUYERS + DORMANT)), 1940, 2005).astype(int)
    no_birth = rng.random(BUYERS + DORMANT) < 0.07
    rows = []
    for n, (signup, who) in enumerate(signups):
        value = spend[who] if who < BUYERS else 0.0
        value *= float(rng.lognormal(0.0, 0.3))  # tiers count earlier purchases too
        tier = "Gold" if value > 2500 else "Silver" if value > 900 else "Bronze"
        rows.append(
            [
                str(FIRST_CUSTOMER + n),
                signup.strftime("%d.%m.%Y"),
                tier,
                "yes" if newsletter[who] else "no",
                "" if no_birth[who] else str(born[who]),
            ]
        )
    return numbers, rows


if __name__ == "__main__":
    main()
