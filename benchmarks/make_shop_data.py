"""Write benchmarks/data/shop_orders.csv: a garden & home shop's order-line export, deterministic (numpy seed).

The file looks like what a small online shop downloads from its platform, not like the demo data: spaced,
capitalised headers, day-first timestamps (``25/03/2023 14:05``), prices as pound strings (``£1,249.00``),
several lines per order, an order-level status (mostly Completed, some Cancelled or Refunded) repeated on
each line, and a discount code on a few orders (the unit price is the price charged, after the discount).
Sales grow year on year and peak in spring and summer with a smaller Christmas bump, so months differ.

Run ``python benchmarks/make_shop_data.py`` to (re)write the file; the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np

SEED = 20240630
OUT = Path(__file__).resolve().parent / "data" / "shop_orders.csv"
START, END = dt.date(2022, 1, 1), dt.date(2024, 6, 30)
CUSTOMERS = 1500
HEADER = [
    "Order Number",
    "Order Date",
    "Customer ID",
    "Customer Region",
    "Sales Channel",
    "Product Name",
    "Product Category",
    "Qty",
    "Unit Price",
    "Order Status",
    "Discount Code",
]
REGIONS = {
    "London": 0.22,
    "South East": 0.19,
    "South West": 0.10,
    "Midlands": 0.14,
    "North West": 0.12,
    "Yorkshire": 0.09,
    "Scotland": 0.09,
    "Wales": 0.05,
}
CHANNELS = ("Web", "App", "Marketplace")
STATUSES = {"Completed": 0.915, "Cancelled": 0.05, "Refunded": 0.035}
DISCOUNTS = {"WELCOME10": 0.10, "SPRING15": 0.15, "SUMMER20": 0.20, "XMAS10": 0.10}

# Category -> (season, [(product, price in pounds, largest usual quantity)]).
# Season "garden" peaks April-July; "home" peaks in November-December; "all" is flat.
CATALOGUE: dict[str, tuple[str, list[tuple[str, float, int]]]] = {
    "Garden Tools": (
        "garden",
        [
            ("Stainless Steel Hand Trowel", 8.99, 3),
            ("Bypass Secateurs", 14.50, 2),
            ("Cordless Hedge Trimmer", 89.00, 1),
            ("Expanding Garden Hose 30m", 29.99, 2),
            ("Folding Pruning Saw", 19.99, 2),
            ("Leaf Rake", 12.49, 2),
            ("Galvanised Watering Can 10L", 24.00, 2),
            ("Ash Handle Digging Spade", 34.95, 1),
        ],
    ),
    "Plants & Seeds": (
        "garden",
        [
            ("Tomato Seed Collection", 4.99, 6),
            ("Wildflower Meadow Mix 100g", 6.49, 5),
            ("Lavender Hidcote 2L Pot", 9.99, 6),
            ("Patio Rose Bush", 16.99, 3),
            ("Herb Garden Starter Kit", 12.99, 3),
            ("Spring Bulb Bundle", 14.99, 4),
            ("Peat-Free Compost 50L", 8.49, 6),
            ("Organic Plant Feed 1L", 5.99, 4),
        ],
    ),
    "Outdoor Furniture": (
        "garden",
        [
            ("Rattan Corner Sofa Set", 1249.00, 1),
            ("Teak Garden Dining Set", 1095.00, 1),
            ("Acacia Folding Bistro Set", 189.00, 1),
            ("Reclining Sun Lounger", 79.99, 2),
            ("Cantilever Parasol 3m", 149.00, 1),
            ("Hanging Egg Chair", 329.00, 1),
            ("Outdoor Cushion Set", 39.99, 4),
        ],
    ),
    "Outdoor Lighting": (
        "garden",
        [
            ("Solar Stake Lights 10 Pack", 19.99, 3),
            ("Festoon Lights 20m", 44.99, 2),
            ("Solar Lantern", 17.49, 4),
            ("Outdoor Wall Light", 34.99, 2),
            ("LED Fire Pit Lamp", 64.00, 1),
            ("Solar Fairy Lights 100 LED", 12.99, 4),
        ],
    ),
    "Kitchen & Dining": (
        "home",
        [
            ("Stoneware Dinner Set 12 Piece", 59.99, 1),
            ("Cast Iron Casserole Dish", 74.00, 1),
            ("Bamboo Chopping Board", 15.99, 2),
            ("Glass Storage Jar Set", 22.50, 2),
            ("Linen Tea Towels 3 Pack", 11.99, 4),
            ("Enamel Mug", 6.99, 6),
            ("Copper Kettle 1.7L", 49.99, 1),
            ("Olive Wood Serving Board", 27.99, 2),
        ],
    ),
    "Home Decor": (
        "home",
        [
            ("Chunky Knit Throw", 39.99, 2),
            ("Scented Soy Candle", 14.99, 5),
            ("Seagrass Storage Basket", 24.99, 3),
            ("Velvet Cushion Cover", 12.99, 6),
            ("Round Wall Mirror 60cm", 89.00, 1),
            ("Ceramic Table Lamp", 54.99, 1),
            ("Botanical Art Print", 19.99, 3),
            ("Jute Area Rug 160x230", 129.00, 1),
        ],
    ),
}
_GARDEN_SEASON = np.array([0.45, 0.55, 0.95, 1.55, 1.85, 1.8, 1.6, 1.25, 0.9, 0.6, 0.55, 0.7])
_HOME_SEASON = np.array([0.85, 0.8, 0.85, 0.85, 0.85, 0.8, 0.8, 0.85, 0.95, 1.15, 1.6, 1.95])


def main() -> None:
    write_export(OUT, render())


def write_export(path: Path, text: str) -> None:
    """Write a generated export (shared with make_store_data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    print(f"wrote {path} ({text.count(chr(10)) - 1:,} lines, {path.stat().st_size:,} bytes)")


def csv_text(header: list[str], lines: list[list[str]], delimiter: str = ",") -> str:
    """A CSV file as text: the header, then one row per line (shared with the other generators)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(lines)
    return buffer.getvalue()


def render(seed: int = SEED) -> str:
    """The whole CSV file as text (header and one row per order line)."""
    return csv_text(HEADER, _order_lines(np.random.default_rng(seed)))


def _order_lines(rng: np.random.Generator) -> list[list[str]]:
    products = [
        (name, cat, price, qmax, season)
        for cat, (season, items) in CATALOGUE.items()
        for name, price, qmax in items
    ]
    # Cheap things sell often, a £1,249 sofa rarely: popularity falls with price.
    prices = np.array([p[2] for p in products])
    popularity = rng.lognormal(0.0, 0.5, len(products)) * prices**-0.7
    customers = _customers(rng)
    stamps = _order_times(rng, sum(c[3] for c in customers))
    owners = np.repeat(np.arange(len(customers)), [c[3] for c in customers])
    rng.shuffle(owners)
    rows = []
    for number, (stamp, owner) in enumerate(zip(stamps, owners, strict=True), start=100001):
        cust_id, region, channel_weights, _ = customers[owner]
        channel = CHANNELS[rng.choice(3, p=_channel_mix(channel_weights, stamp))]
        status = rng.choice(list(STATUSES), p=list(STATUSES.values()))
        code, off = _discount(rng, stamp)
        for pick in _basket(rng, products, popularity, stamp.month):
            name, cat, price, qmax, _ = products[pick]
            price = _price_on(price, stamp.date()) * (1 - off)
            qty = 1 + int(rng.binomial(qmax - 1, 0.35)) if qmax > 1 else 1
            rows.append(
                [
                    str(number),
                    stamp.strftime("%d/%m/%Y %H:%M"),
                    cust_id,
                    region,
                    channel,
                    name,
                    cat,
                    str(qty),
                    f"£{price:,.2f}",
                    status,
                    code,
                ]
            )
    return rows


def _customers(rng: np.random.Generator) -> list[tuple[str, str, np.ndarray, int]]:
    """(id, home region, channel preference, number of orders): most buy once, a few come back often."""
    ids = rng.choice(np.arange(10000, 99999), CUSTOMERS, replace=False)
    regions = rng.choice(list(REGIONS), CUSTOMERS, p=list(REGIONS.values()))
    prefs = rng.dirichlet([2.0, 1.2, 0.8], CUSTOMERS)
    orders = rng.geometric(0.55, CUSTOMERS) + 2 * rng.binomial(1, 0.12, CUSTOMERS)
    return [(f"CUS-{i}", str(r), p, int(n)) for i, r, p, n in zip(ids, regions, prefs, orders, strict=True)]


def _order_times(rng: np.random.Generator, n: int) -> list[dt.datetime]:
    """``n`` sorted order timestamps: daily weight = growth x season x weekday, evening-heavy hours."""
    days = [START + dt.timedelta(d) for d in range((END - START).days + 1)]
    t = np.arange(len(days)) / 365.0
    months = np.array([d.month for d in days]) - 1
    weekend = np.array([d.weekday() >= 5 for d in days])
    weight = (1.22**t) * (0.6 * _GARDEN_SEASON[months] + 0.4 * _HOME_SEASON[months])
    weight *= np.where(weekend, 1.3, 1.0)
    return draw_times(rng, n, days, weight, _hour_weights())


def draw_times(
    rng: np.random.Generator, n: int, days: list[dt.date], weight: np.ndarray, hour_weights: np.ndarray
) -> list[dt.datetime]:
    """``n`` sorted timestamps: days drawn by ``weight``, hours by ``hour_weights``, any minute (shared
    with make_store_data)."""
    picked = np.sort(rng.choice(len(days), n, p=weight / weight.sum()))
    hours = rng.choice(24, n, p=hour_weights)
    minutes = rng.integers(0, 60, n)
    stamps = [
        dt.datetime.combine(days[d], dt.time(int(h), int(m)))
        for d, h, m in zip(picked, hours, minutes, strict=True)
    ]
    return sorted(stamps)


def _hour_weights() -> np.ndarray:
    w = np.array(
        [1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 2, 3, 4, 4.5, 4.5, 5, 5, 4.5, 4, 4, 4.5, 5.5, 7, 7.5, 6, 4, 2]
    )
    return w / w.sum()


def _channel_mix(pref: np.ndarray, stamp: dt.datetime) -> np.ndarray:
    """The customer's preference, tilted towards the app as it gains users over the years."""
    years = (stamp.date() - START).days / 365.0
    mix = pref * np.array([1.0, 0.6 + 0.35 * years, 1.0])
    return mix / mix.sum()


def _discount(rng: np.random.Generator, stamp: dt.datetime) -> tuple[str, float]:
    """About 8% of orders carry a code; seasonal codes only in their season."""
    if rng.random() >= 0.08:
        return "", 0.0
    month = stamp.month
    code = "SPRING15" if month in (3, 4, 5) else "SUMMER20" if month in (6, 7, 8) else None
    code = code or ("XMAS10" if month in (11, 12) else "WELCOME10")
    if rng.random() < 0.4:
        code = "WELCOME10"
    return code, DISCOUNTS[code]


def _basket(rng: np.random.Generator, products: list, popularity: np.ndarray, month: int) -> np.ndarray:
    """Distinct products of one order (1 to 6 lines, about 2.4 on average), in season more often."""
    season = np.array(
        [_GARDEN_SEASON[month - 1] if p[4] == "garden" else _HOME_SEASON[month - 1] for p in products]
    )
    weight = popularity * season
    size = min(1 + int(rng.poisson(1.4)), 6)
    return rng.choice(len(products), size, replace=False, p=weight / weight.sum())


def _price_on(price: float, day: dt.date) -> float:
    """List prices rose about 6% on 1 March 2023 (rounded to end in .99 / .49 / whole pounds as before)."""
    if day < dt.date(2023, 3, 1):
        return price
    raised = price * 1.06
    cents = round(price * 100) % 100
    if cents in (99, 49):
        return np.floor(raised) + cents / 100
    return float(round(raised))


if __name__ == "__main__":
    main()
