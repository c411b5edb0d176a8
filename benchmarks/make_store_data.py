"""Write benchmarks/data/skincare_orders.csv: a US online beauty store's order-line export (numpy seed).

The file looks like what a small Shopify-style store downloads, and unlike the garden shop's export
(benchmarks/make_shop_data.py): an ``Order ID`` written ``#10245``, US month-first timestamps with a 12-hour
clock (``03/14/2024 7:05 PM``), dollar strings (``$1,149.00``), the buyer's e-mail as the customer key
(empty on Amazon orders, whose buyers the marketplace keeps), a ``Financial Status`` of paid / refunded /
voided beside a ``Fulfillment Status`` of fulfilled / unfulfilled, and a ``Line Discount`` in dollars on
the lines of discounted orders (the ``Item Price`` is the list price before it, as such exports write it).
Several lines per order; the order-level fields repeat on each line.

Sales grow through the two years, jump in the Black Friday week and December, rise before Valentine's and
Mother's Day, and sun care sells in summer, so months, categories and channels differ.

Run ``python -m benchmarks.make_store_data`` to (re)write the file; the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from benchmarks.make_shop_data import csv_text, draw_times, write_export

SEED = 20250630
OUT = Path(__file__).resolve().parent / "data" / "skincare_orders.csv"
START, END = dt.date(2023, 7, 1), dt.date(2025, 6, 30)
CUSTOMERS = 2100
FIRST_ORDER = 10245
HEADER = [
    "Order ID",
    "Created At",
    "Customer Email",
    "Billing Country",
    "Source",
    "SKU",
    "Item Name",
    "Category",
    "Quantity",
    "Item Price",
    "Line Discount",
    "Financial Status",
    "Fulfillment Status",
    "Payment Method",
]
COUNTRIES = {
    "United States": 0.60,
    "Canada": 0.13,
    "United Kingdom": 0.095,
    "Australia": 0.065,
    "Germany": 0.05,
    "France": 0.035,
    "Netherlands": 0.025,
}
# Source -> share of orders at the start (the app gains share over the two years; Amazon buyers are guests).
SOURCES = ("Online Store", "Mobile App", "Instagram Shop", "Amazon")
PAYMENTS = {"Credit Card": 0.46, "PayPal": 0.22, "Shop Pay": 0.14, "Apple Pay": 0.11, "Klarna": 0.07}
STATUSES = {"paid": 0.922, "refunded": 0.047, "voided": 0.031}
# Words for the buyers' e-mail addresses (split where used).
FIRST_NAMES = (
    "emma olivia ava sophia mia amelia harper evelyn abigail emily ella chloe grace zoe lily hannah nora "
    "riley layla leah maya sarah jessica ashley megan lauren rachel nicole kayla amanda brittany sam alex "
    "jordan taylor morgan jamie casey chris dana kim lee anna julia clara lena marie sophie ines fleur"
)
LAST_NAMES = (
    "smith johnson williams brown jones garcia miller davis martinez lopez wilson anderson thomas moore "
    "martin jackson white harris clark lewis walker hall young allen king wright scott green baker adams "
    "nelson hill campbell mitchell roberts carter phillips evans turner parker collins edwards stewart "
    "morris murphy cook rogers morgan cooper peterson reed bailey bell kelly howard ward cox richardson"
)
DOMAINS = {"gmail.com": 0.46, "yahoo.com": 0.14, "icloud.com": 0.16, "hotmail.com": 0.09, "outlook.com": 0.15}

# Category -> (season, SKU prefix, [(item, list price in dollars, largest usual quantity)]).
CATALOGUE: dict[str, tuple[str, str, list[tuple[str, float, int]]]] = {
    "Skincare": (
        "flat",
        "SKN",
        [
            ("Vitamin C Brightening Serum", 38.00, 2),
            ("Hyaluronic Acid Serum", 32.00, 2),
            ("Retinol Night Cream", 46.00, 1),
            ("Gentle Foaming Cleanser", 21.95, 3),
            ("Daily Moisturizer SPF 30", 34.00, 2),
            ("Niacinamide Pore Serum", 28.00, 2),
            ("Overnight Recovery Mask", 42.00, 1),
            ("Peptide Eye Cream", 48.00, 1),
        ],
    ),
    "Makeup": (
        "flat",
        "MKP",
        [
            ("Tinted Lip Balm", 16.50, 3),
            ("Volumizing Mascara", 24.50, 2),
            ("Cream Blush Stick", 26.00, 2),
            ("Skin Tint Foundation", 39.00, 1),
            ("Clear Brow Gel", 18.95, 2),
            ("Translucent Setting Powder", 31.00, 1),
            ("Nude Eyeshadow Palette", 44.00, 1),
        ],
    ),
    "Hair Care": (
        "flat",
        "HAI",
        [
            ("Bond Repair Shampoo", 26.00, 2),
            ("Bond Repair Conditioner", 27.00, 2),
            ("Exfoliating Scalp Scrub", 30.00, 1),
            ("Argan Hair Oil", 36.00, 1),
            ("Leave-In Conditioner Spray", 24.00, 2),
        ],
    ),
    "Body & Bath": (
        "flat",
        "BOD",
        [
            ("Shea Body Butter", 29.00, 2),
            ("Coffee Body Scrub", 25.00, 2),
            ("Lavender Bath Soak", 17.95, 3),
            ("Hand Cream Trio", 21.50, 2),
        ],
    ),
    "Sun Care": (
        "summer",
        "SUN",
        [
            ("Mineral Sunscreen SPF 50", 32.00, 2),
            ("Sunscreen Stick SPF 40", 22.50, 3),
            ("After-Sun Aloe Gel", 17.00, 2),
        ],
    ),
    "Fragrance": (
        "gift",
        "FRG",
        [
            ("Fig & Cedar Eau de Parfum 50ml", 98.00, 1),
            ("Neroli Eau de Parfum 50ml", 94.00, 1),
            ("Travel Perfume Trio", 58.00, 1),
        ],
    ),
    "Tools & Devices": (
        "gift",
        "TLS",
        [
            ("Jade Facial Roller", 28.00, 1),
            ("Rose Quartz Gua Sha", 24.00, 1),
            ("Sonic Cleansing Brush", 129.00, 1),
            ("LED Light Therapy Mask", 389.00, 1),
            ("Pro LED Therapy Panel", 1149.00, 1),
        ],
    ),
    "Gift Sets": (
        "gift",
        "GFT",
        [
            ("Glow Essentials Gift Set", 79.00, 1),
            ("Hair Ritual Gift Box", 65.00, 1),
            ("Mini Discovery Kit", 34.95, 2),
        ],
    ),
}
# Month weights (January first) of each season, and of the store as a whole.
_SEASONS = {
    "flat": np.ones(12),
    "summer": np.array([0.25, 0.3, 0.55, 0.9, 1.5, 2.2, 2.4, 1.9, 0.8, 0.35, 0.25, 0.3]),
    "gift": np.array([0.6, 1.5, 0.7, 0.8, 1.4, 0.7, 0.6, 0.6, 0.7, 0.9, 2.0, 2.8]),
}
_STORE_MONTHS = np.array([0.85, 0.95, 0.9, 0.9, 1.1, 0.95, 0.9, 0.88, 0.86, 0.95, 1.35, 1.5])


def main() -> None:
    write_export(OUT, render())


def render(seed: int = SEED) -> str:
    """The whole CSV file as text (header and one row per order line)."""
    return csv_text(HEADER, _order_lines(np.random.default_rng(seed)))


def _order_lines(rng: np.random.Generator) -> list[list[str]]:
    products = [
        (f"{prefix}-{i + 1:03d}", name, cat, price, qmax, season)
        for cat, (season, prefix, items) in CATALOGUE.items()
        for i, (name, price, qmax) in enumerate(items)
    ]
    # Cheap things sell often, a $1,149 panel rarely: popularity falls with price.
    prices = np.array([p[3] for p in products])
    popularity = rng.lognormal(0.0, 0.45, len(products)) * prices**-0.55
    customers = _customers(rng)
    n_known = sum(c[3] for c in customers)
    n_guest = int(n_known * 0.085)  # Amazon orders: no e-mail
    stamps = _order_times(rng, n_known + n_guest)
    owners = np.concatenate(
        [np.repeat(np.arange(len(customers)), [c[3] for c in customers]), -np.ones(n_guest, int)]
    )
    rng.shuffle(owners)
    last_day = stamps[-1].date()
    rows = []
    for number, (stamp, owner) in enumerate(zip(stamps, owners, strict=True), start=FIRST_ORDER):
        if owner < 0:
            email, country, source = "", _pick(rng, COUNTRIES), "Amazon"
            payment = "Amazon Pay"
        else:
            email, country, prefs, _ = customers[owner]
            source = SOURCES[rng.choice(3, p=_source_mix(prefs, stamp))]
            payment = _pick(rng, PAYMENTS)
            if source == "Mobile App" and rng.random() < 0.45:
                payment = "Apple Pay"
        status = _pick(rng, STATUSES)
        fulfilment = (
            "unfulfilled" if status == "voided" or (last_day - stamp.date()).days < 3 else "fulfilled"
        )
        off = _discount(rng, stamp, source)
        for pick in _basket(rng, products, popularity, stamp):
            sku, name, cat, price, qmax, _ = products[pick]
            qty = 1 + int(rng.binomial(qmax - 1, 0.3)) if qmax > 1 else 1
            discount = round(qty * price * off, 2)
            rows.append(
                [
                    f"#{number}",
                    _us_time(stamp),
                    email,
                    country,
                    source,
                    sku,
                    name,
                    cat,
                    str(qty),
                    f"${price:,.2f}",
                    f"${discount:,.2f}",
                    status,
                    fulfilment,
                    payment,
                ]
            )
    return rows


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    p = np.array(list(weights.values()))
    return str(list(weights)[rng.choice(len(p), p=p / p.sum())])


def _us_time(stamp: dt.datetime) -> str:
    """``03/14/2024 7:05 PM``: month first, zero-padded date, 12-hour clock without a leading zero."""
    hour = stamp.hour % 12 or 12
    return f"{stamp:%m/%d/%Y} {hour}:{stamp:%M} {'AM' if stamp.hour < 12 else 'PM'}"


def _customers(rng: np.random.Generator) -> list[tuple[str, str, np.ndarray, int]]:
    """(e-mail, country, source preference, number of orders): most buy once, a loyal few often."""
    emails: list[str] = []
    seen: set[str] = set()
    while len(emails) < CUSTOMERS:
        first, last = rng.choice(FIRST_NAMES.split()), rng.choice(LAST_NAMES.split())
        style = rng.integers(0, 4)
        local = (
            f"{first}.{last}"
            if style == 0
            else f"{first}{last}{rng.integers(1, 99)}"
            if style == 1
            else f"{first[0]}{last}"
            if style == 2
            else f"{first}_{last}{rng.integers(70, 100)}"
        )
        email = f"{local}@{_pick(rng, DOMAINS)}"
        if email not in seen:
            seen.add(email)
            emails.append(email)
    countries = rng.choice(list(COUNTRIES), CUSTOMERS, p=list(COUNTRIES.values()))
    prefs = rng.dirichlet([2.2, 1.0, 0.7], CUSTOMERS)
    orders = rng.geometric(0.6, CUSTOMERS) + 2 * rng.binomial(1, 0.1, CUSTOMERS)
    loyal = rng.choice(CUSTOMERS, 6, replace=False)  # a handful of fans with many orders each
    orders[loyal] += rng.integers(6, 14, 6)
    return [(e, str(c), p, int(n)) for e, c, p, n in zip(emails, countries, prefs, orders, strict=True)]


def _order_times(rng: np.random.Generator, n: int) -> list[dt.datetime]:
    """``n`` sorted order times: daily weight = growth x month x weekday x holiday peaks; evening-heavy."""
    days = [START + dt.timedelta(d) for d in range((END - START).days + 1)]
    t = np.arange(len(days)) / 365.0
    months = np.array([d.month for d in days]) - 1
    weight = (1.3**t) * _STORE_MONTHS[months]
    weight *= np.array([(1.0, 0.95, 0.95, 1.0, 1.05, 1.2, 1.3)[d.weekday()] for d in days])
    weight *= np.array([_peak(d) for d in days])
    return draw_times(rng, n, days, weight, _hour_weights())


def _black_friday(year: int) -> dt.date:
    nov1 = dt.date(year, 11, 1)
    return nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7 + 22)  # the day after the 4th Thursday


def _peak(day: dt.date) -> float:
    """Black Friday to Cyber Monday, the weeks before Valentine's Day and Mother's Day."""
    bf = _black_friday(day.year)
    if bf <= day <= bf + dt.timedelta(days=3):
        return 3.2
    if dt.date(day.year, 2, 1) <= day <= dt.date(day.year, 2, 13):
        return 1.3
    mothers = dt.date(day.year, 5, 1) + dt.timedelta(days=(6 - dt.date(day.year, 5, 1).weekday()) % 7 + 7)
    if mothers - dt.timedelta(days=12) <= day < mothers:
        return 1.35
    return 1.0


def _hour_weights() -> np.ndarray:
    w = np.array(
        [
            1.2,
            0.7,
            0.4,
            0.3,
            0.3,
            0.4,
            0.8,
            1.6,
            2.4,
            3,
            3.3,
            3.6,
            4.2,
            4,
            3.6,
            3.4,
            3.5,
            4,
            5,
            6.2,
            7,
            6.4,
            4.6,
            2.4,
        ]
    )
    return w / w.sum()


def _source_mix(pref: np.ndarray, stamp: dt.datetime) -> np.ndarray:
    """The customer's preference (store, app, Instagram), tilted towards the app as it gains users."""
    years = (stamp.date() - START).days / 365.0
    mix = pref * np.array([1.0, 0.55 + 0.45 * years, 1.0])
    return mix / mix.sum()


def _discount(rng: np.random.Generator, stamp: dt.datetime, source: str) -> float:
    """The share taken off every line of the order: a welcome or newsletter code on about 7% of orders,
    20% off for many orders in the Black Friday weekend; Amazon orders carry none."""
    if source == "Amazon":
        return 0.0
    bf = _black_friday(stamp.year)
    if bf <= stamp.date() <= bf + dt.timedelta(days=3) and rng.random() < 0.6:
        return 0.20
    if rng.random() < 0.07:
        return float(rng.choice([0.10, 0.15]))
    return 0.0


def _basket(
    rng: np.random.Generator, products: list, popularity: np.ndarray, stamp: dt.datetime
) -> np.ndarray:
    """Distinct items of one order (1 to 5 lines, about 1.8 on average), in season more often."""
    season = np.array([_SEASONS[p[5]][stamp.month - 1] for p in products])
    weight = popularity * season
    size = min(1 + int(rng.poisson(0.85)), 5)
    return rng.choice(len(products), size, replace=False, p=weight / weight.sum())


if __name__ == "__main__":
    main()
