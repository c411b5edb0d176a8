"""Write benchmarks/data/pets_orders.csv and pets_products.csv: a UK online pet-supplies shop's two exports,
deterministic (numpy seed).

The files look like what a small shop on a Shopify-style platform downloads, and unlike the garden shop's,
the skincare store's and the electronics shop's exports (make_shop_data.py, make_store_data.py,
make_electronics_data.py): comma-delimited, ISO 8601 timestamps with a ``T`` and the UK offset of the day
(``2024-07-14T19:05:33+01:00`` in British Summer Time, ``+00:00`` in winter; the times are the shop's local
times), amounts as plain numbers (``49.99``) with the currency in its own ``Currency`` column (always GBP),
the billing country as an ISO 3166 two-letter code (``GB``, ``IE``, ``FR``, ...), the order number in
``Name`` written ``#1001``, the buyer's e-mail as the customer key, and the newest orders first, as the
platform's export lists them.

``pets_orders.csv`` has one row per order line; the order-level fields (Name, Email, Created at, Currency,
Financial Status, Billing Country, Shipping Method, Discount Code) repeat on each line. The ``Financial
Status`` is paid, refunded, partially_refunded or voided; the export does not say how much of a partially
refunded order went back. The ``Discount Code`` is empty on most orders; the ``Lineitem price`` is the unit
price charged, after the code's discount. ``pets_products.csv`` is the catalogue (lower-case snake_case
headers, as the shop's inventory sheet writes them): ``sku``, ``title``, ``product_type`` (Dog Food, Cat
Litter, Toys, Aquarium, ...), ``vendor``, ``is_subscription`` yes/no (sold on subscribe-and-save) and
``weight_kg``; every Lineitem sku is in it, and a few catalogue products never sold. The product type lives
only in the catalogue, so questions about types join the two files on the SKU.

Sales grow through the two years, jump from Black Friday to Cyber Monday and before Christmas (toys and treats
most), aquarium kit sells in spring and summer, flea and worming treatments from April to September and
beds in the cold months; subscribers come back again and again for the same food or litter.

Run ``python -m benchmarks.make_pets_data`` to (re)write the files; the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from benchmarks.make_shop_data import csv_text, draw_times, write_export

SEED = 20241231
DATA = Path(__file__).resolve().parent / "data"
ORDERS_OUT = DATA / "pets_orders.csv"
PRODUCTS_OUT = DATA / "pets_products.csv"
START, END = dt.date(2023, 1, 1), dt.date(2024, 12, 31)
CUSTOMERS = 1300
FIRST_ORDER = 1001
ORDER_HEADER = [
    "Name",
    "Email",
    "Created at",
    "Currency",
    "Financial Status",
    "Billing Country",
    "Shipping Method",
    "Discount Code",
    "Lineitem name",
    "Lineitem sku",
    "Lineitem quantity",
    "Lineitem price",
]
PRODUCT_HEADER = ["sku", "title", "product_type", "vendor", "is_subscription", "weight_kg"]
COUNTRIES = {"GB": 0.74, "IE": 0.09, "FR": 0.05, "DE": 0.04, "NL": 0.04, "BE": 0.02, "ES": 0.02}
UK_SHIPPING = {"Royal Mail Tracked 48": 0.55, "DPD Next Day": 0.3, "Evri Standard": 0.15}
STATUSES = ("paid", "refunded", "partially_refunded", "voided")

# Product type -> (sku prefix, season, [(title, vendor, price in pounds, largest usual quantity,
# subscription, weight in kg)]). A price of None: in the catalogue, never sold in the two years.
Item = tuple[str, str, float | None, int, bool, float]
CATALOGUE: dict[str, tuple[str, str, list[Item]]] = {
    "Dog Food": (
        "DF",
        "flat",
        [
            ("Barkwell Adult Chicken & Rice 12kg", "Barkwell", 49.99, 1, True, 12.0),
            ("Barkwell Puppy Salmon 2kg", "Barkwell", 14.99, 2, True, 2.0),
            ("Hound & Heath Grain Free Lamb 10kg", "Hound & Heath", 62.50, 1, True, 10.0),
            ("Hound & Heath Senior Turkey 6kg", "Hound & Heath", 41.00, 1, True, 6.0),
            ("Barkwell Wet Food Variety 12 x 400g", "Barkwell", 18.49, 2, True, 4.8),
        ],
    ),
    "Cat Food": (
        "CF",
        "flat",
        [
            ("Purrfect Kitchen Pouches in Gravy 12 x 85g", "Purrfect Kitchen", 7.49, 4, True, 1.02),
            ("Purrfect Kitchen Indoor Cat Dry 2kg", "Purrfect Kitchen", 16.99, 2, True, 2.0),
            ("Whisker & Co Kitten Pate 24 x 85g", "Whisker & Co", 21.99, 2, True, 2.04),
            ("Whisker & Co Sensitive Salmon 4kg", "Whisker & Co", 32.00, 1, True, 4.0),
        ],
    ),
    "Cat Litter": (
        "CL",
        "flat",
        [
            ("Whisker & Co Clumping Clay Litter 15kg", "Whisker & Co", 12.49, 2, True, 15.0),
            ("Whisker & Co Wood Pellet Litter 30L", "Whisker & Co", 9.99, 3, True, 17.0),
            ("Purrfect Kitchen Crystal Litter 8L", "Purrfect Kitchen", 14.50, 2, True, 3.6),
        ],
    ),
    "Dog Treats": (
        "DT",
        "gift",
        [
            ("Barkwell Dental Chews 28 Pack", "Barkwell", 11.99, 3, True, 0.72),
            ("Hound & Heath Beef Jerky Strips 200g", "Hound & Heath", 6.49, 4, False, 0.2),
            ("Barkwell Training Treats 500g", "Barkwell", 5.99, 4, False, 0.5),
            ("Happy Paws Advent Calendar", "Happy Paws", 9.99, 2, False, 0.4),
        ],
    ),
    "Toys": (
        "TY",
        "gift",
        [
            ("Happy Paws Squeaky Hedgehog", "Happy Paws", 4.99, 3, False, 0.15),
            ("Happy Paws Rope Tug Toy", "Happy Paws", 7.49, 2, False, 0.3),
            ("Happy Paws Ball Launcher", "Happy Paws", 12.99, 1, False, 0.35),
            ("Whisker & Co Feather Wand", "Whisker & Co", 3.99, 3, False, 0.05),
            ("Whisker & Co Catnip Mice 3 Pack", "Whisker & Co", 5.49, 3, False, 0.06),
            ("Happy Paws Puzzle Feeder", "Happy Paws", 19.99, 1, False, 0.8),
            ("Happy Paws Glow Frisbee", "Happy Paws", None, 2, False, 0.12),
        ],
    ),
    "Aquarium": (
        "AQ",
        "aquarium",
        [
            ("AquaVista 60L Starter Tank Kit", "AquaVista", 119.00, 1, False, 14.5),
            ("AquaVista Internal Filter 300", "AquaVista", 34.99, 1, False, 0.9),
            ("AquaVista Tropical Flakes 100g", "AquaVista", 4.49, 3, True, 0.1),
            ("AquaVista Water Conditioner 250ml", "AquaVista", 6.99, 2, True, 0.3),
            ("AquaVista Aquarium Heater 100W", "AquaVista", 22.99, 1, False, 0.4),
            ("AquaVista LED Light Bar 60cm", "AquaVista", 39.99, 1, False, 0.6),
        ],
    ),
    "Small Pet": (
        "SP",
        "flat",
        [
            ("Nibbles Timothy Hay 2kg", "Nibbles", 9.99, 3, True, 2.0),
            ("Nibbles Rabbit Nuggets 3kg", "Nibbles", 11.49, 2, True, 3.0),
            ("Nibbles Two Storey Rabbit Hutch", "Nibbles", 149.00, 1, False, 28.0),
            ("Nibbles Hamster Wheel", "Nibbles", 8.49, 1, False, 0.5),
        ],
    ),
    "Health & Grooming": (
        "HG",
        "parasite",
        [
            ("VetEssentials Flea Spot-On Dog 3 Pack", "VetEssentials", 19.99, 2, True, 0.1),
            ("VetEssentials Flea Spot-On Cat 3 Pack", "VetEssentials", 16.99, 2, True, 0.1),
            ("VetEssentials Worming Tablets 4 Pack", "VetEssentials", 9.49, 2, True, 0.05),
            ("VetEssentials Oatmeal Dog Shampoo 500ml", "VetEssentials", 8.99, 2, False, 0.55),
            ("Happy Paws Slicker Brush", "Happy Paws", 11.99, 1, False, 0.2),
            ("VetEssentials Joint Care Chews 60", "VetEssentials", None, 1, True, 0.3),
        ],
    ),
    "Beds & Accessories": (
        "BA",
        "cold",
        [
            ("Snooze Orthopaedic Dog Bed Large", "Snooze", 69.99, 1, False, 4.2),
            ("Snooze Donut Cat Bed", "Snooze", 27.99, 1, False, 1.1),
            ("Snooze Cat Tree Tower 120cm", "Snooze", 89.00, 1, False, 16.0),
            ("Hound & Heath Leather Lead", "Hound & Heath", 14.99, 1, False, 0.25),
            ("Hound & Heath Padded Harness", "Hound & Heath", 24.99, 1, False, 0.3),
            ("Snooze Stainless Steel Bowl Set", "Snooze", 9.99, 2, False, 0.6),
            ("Snooze Waterproof Dog Coat", "Snooze", 29.99, 1, False, 0.45),
        ],
    ),
}
# Month factors (January first) by season.
_SEASONS = {
    "flat": np.array([1.05, 0.95, 1.0, 1.0, 1.0, 0.95, 0.95, 0.95, 1.0, 1.0, 1.05, 1.1]),
    "gift": np.array([0.7, 0.75, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.85, 0.95, 1.6, 2.4]),
    "aquarium": np.array([0.75, 0.8, 1.1, 1.35, 1.45, 1.4, 1.3, 1.2, 0.9, 0.75, 0.7, 0.8]),
    "parasite": np.array([0.45, 0.5, 0.8, 1.4, 1.7, 1.8, 1.8, 1.6, 1.2, 0.75, 0.5, 0.45]),
    "cold": np.array([1.35, 1.15, 0.9, 0.7, 0.6, 0.55, 0.55, 0.6, 0.85, 1.3, 1.55, 1.5]),
}
_SHOP_MONTHS = np.array([1.0, 0.86, 0.92, 0.95, 0.95, 0.9, 0.88, 0.88, 0.94, 1.0, 1.3, 1.42])
# Codes: a welcome code on first orders, a standing code, and seasonal ones only in their season.
WELCOME, STANDING, BLACK_FRIDAY, XMAS = (
    ("WELCOME10", 0.10),
    ("PAWS15", 0.15),
    ("BLACKFRIDAY20", 0.20),
    ("XMAS10", 0.10),
)
_FIRST_NAMES = (
    "olivia emma sophie amelia grace chloe lucy hannah ellie katie sarah laura rachel emily jess "
    "james oliver harry jack tom george daniel sam ben matthew luke ryan chris david mark "
    "aoife ciara niamh sean conor claire camille lea lukas anna sanne daan lotte marie"
)
_LAST_NAMES = (
    "smith jones taylor brown williams wilson johnson davies robinson wright thompson evans walker "
    "white roberts green hall wood jackson clarke patel khan murphy kelly byrne walsh obrien "
    "martin bernard muller schmidt devries jansen peeters garcia hughes edwards"
)
_DOMAINS = {
    "gmail.com": 0.42,
    "hotmail.co.uk": 0.18,
    "outlook.com": 0.14,
    "yahoo.co.uk": 0.1,
    "icloud.com": 0.16,
}


def main() -> None:
    orders, products = render()
    write_export(ORDERS_OUT, orders)
    write_export(PRODUCTS_OUT, products)


def render(seed: int = SEED) -> tuple[str, str]:
    """Both files as text: (order lines, products)."""
    rng = np.random.default_rng(seed)
    catalogue = _catalogue(rng)
    order_rows = _order_lines(rng, catalogue)
    product_rows = [
        [sku, title, ptype, vendor, "yes" if sub else "no", f"{weight:g}"]
        for sku, title, ptype, vendor, _, _, sub, weight, _ in sorted(catalogue)
    ]
    return csv_text(ORDER_HEADER, order_rows), csv_text(PRODUCT_HEADER, product_rows)


def uk_stamp(stamp: dt.datetime) -> str:
    """``2024-07-14T19:05:33+01:00``: the local time with the UK offset of its day (BST from the last Sunday
    of March to the last Sunday of October)."""
    summer = _last_sunday(stamp.year, 3) <= stamp.date() < _last_sunday(stamp.year, 10)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + ("+01:00" if summer else "+00:00")


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def _catalogue(rng: np.random.Generator) -> list[tuple]:
    """(sku, title, type, vendor, price, largest quantity, subscription, weight, season) per product; SKUs
    are the type's prefix and a four-digit number (``DF-1042``)."""
    products = []
    for ptype, (prefix, season, items) in CATALOGUE.items():
        numbers = np.sort(rng.choice(np.arange(1000, 10000), len(items), replace=False))
        for (title, vendor, price, qmax, sub, weight), number in zip(items, numbers, strict=True):
            products.append((f"{prefix}-{number}", title, ptype, vendor, price, qmax, sub, weight, season))
    return products


def _order_lines(rng: np.random.Generator, catalogue: list[tuple]) -> list[list[str]]:
    products = [p for p in catalogue if p[4] is not None]
    prices = np.array([p[4] for p in products])
    popularity = rng.lognormal(0.0, 0.45, len(products)) * prices**-0.45
    staples = [i for i, p in enumerate(products) if p[6] and p[2] in ("Dog Food", "Cat Food", "Cat Litter")]
    emails, countries, shipping, staple, n_orders = _customers(rng, staples)
    stamps = _order_times(rng, int(n_orders.sum()))
    owners = np.repeat(np.arange(CUSTOMERS), n_orders)
    rng.shuffle(owners)
    seen: set[int] = set()
    orders = []
    for index, (stamp, owner) in enumerate(zip(stamps, owners, strict=True)):
        owner = int(owner)
        first = owner not in seen
        seen.add(owner)
        code, off = _discount(rng, stamp.date(), first)
        basket = _basket(rng, products, popularity, stamp.date(), int(staple[owner]))
        lines = []
        for pick in basket:
            sku, title, _, _, price, qmax, _, _, _ = products[pick]
            qty = 1 + int(rng.binomial(qmax - 1, 0.3)) if qmax > 1 else 1
            lines.append((title, sku, qty, round(price * (1 - off), 2)))
        status = _status(rng, sum(q * p for _, _, q, p in lines), len(lines), products, basket)
        orders.append((FIRST_ORDER + index, stamp, owner, status, code, lines))
    rows = []
    for number, stamp, owner, status, code, lines in reversed(orders):  # the export lists newest first
        for title, sku, qty, price in lines:
            rows.append(
                [
                    f"#{number}",
                    emails[owner],
                    uk_stamp(stamp),
                    "GBP",
                    status,
                    countries[owner],
                    shipping[owner],
                    code,
                    title,
                    sku,
                    str(qty),
                    f"{price:.2f}",
                ]
            )
    return rows


def _customers(
    rng: np.random.Generator, staples: list[int]
) -> tuple[list[str], list[str], list[str], np.ndarray, np.ndarray]:
    """E-mails, countries, usual shipping methods, staple products (-1: none) and order counts: most buy
    once or twice, subscribers (about one in seven) come back again and again."""
    emails: list[str] = []
    taken: set[str] = set()
    while len(emails) < CUSTOMERS:
        first, last = rng.choice(_FIRST_NAMES.split()), rng.choice(_LAST_NAMES.split())
        domain = str(rng.choice(list(_DOMAINS), p=list(_DOMAINS.values())))
        style = rng.integers(0, 3)
        local = (f"{first}.{last}", f"{first}{last}{rng.integers(1, 99)}", f"{first[0]}{last}")[style]
        email = f"{local}@{domain}"
        if email not in taken:
            taken.add(email)
            emails.append(email)
    countries = [str(c) for c in rng.choice(list(COUNTRIES), CUSTOMERS, p=list(COUNTRIES.values()))]
    shipping = [
        str(rng.choice(list(UK_SHIPPING), p=list(UK_SHIPPING.values()))) if c == "GB" else "DPD International"
        for c in countries
    ]
    subscriber = rng.random(CUSTOMERS) < 0.14
    staple = np.where(subscriber, rng.choice(staples, CUSTOMERS), -1)
    n_orders = rng.geometric(0.6, CUSTOMERS) + np.where(subscriber, rng.integers(3, 10, CUSTOMERS), 0)
    return emails, countries, shipping, staple, n_orders


def _order_times(rng: np.random.Generator, n: int) -> list[dt.datetime]:
    """``n`` sorted order times: daily weight = growth x month x weekday x Black Friday week x Christmas;
    the seconds are drawn too (the platform writes them)."""
    days = [START + dt.timedelta(d) for d in range((END - START).days + 1)]
    t = np.arange(len(days)) / 365.0
    months = np.array([d.month for d in days]) - 1
    weight = (1.3**t) * _SHOP_MONTHS[months]
    weight *= np.array([(1.05, 1.0, 0.95, 0.95, 0.9, 1.05, 1.2)[d.weekday()] for d in days])
    weight *= np.array([_peak(d) for d in days])
    stamps = draw_times(rng, n, days, weight, _hour_weights())
    seconds = rng.integers(0, 60, n)
    return [s.replace(second=int(x)) for s, x in zip(stamps, seconds, strict=True)]


def _black_friday(year: int) -> dt.date:
    nov1 = dt.date(year, 11, 1)
    return nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7 + 22)  # the day after the 4th Thursday


def _in_black_week(day: dt.date) -> bool:
    """Black Friday through Cyber Monday."""
    bf = _black_friday(day.year)
    return bf <= day <= bf + dt.timedelta(days=3)


def _peak(day: dt.date) -> float:
    if _in_black_week(day):
        return 3.0
    if dt.date(day.year, 12, 1) <= day <= dt.date(day.year, 12, 18):
        return 1.3
    if dt.date(day.year, 12, 24) <= day <= dt.date(day.year, 12, 26):
        return 0.4
    return 1.0


def _hour_weights() -> np.ndarray:
    w = np.array(
        [0.8, 0.4, 0.2, 0.15, 0.15, 0.3, 0.9, 1.8, 2.6, 3.0, 3.2, 3.3]
        + [3.8, 3.6, 3.2, 3.1, 3.2, 3.6, 4.4, 5.4, 6.0, 5.6, 3.9, 1.9]
    )
    return w / w.sum()


def _discount(rng: np.random.Generator, day: dt.date, first: bool) -> tuple[str, float]:
    """About a sixth of orders carry a code: WELCOME10 on some first orders, BLACKFRIDAY20 on many Black
    Friday weekend orders, XMAS10 in early December, PAWS15 now and then."""
    r = rng.random()
    if _in_black_week(day) and r < 0.5:
        return BLACK_FRIDAY
    if dt.date(day.year, 12, 1) <= day <= dt.date(day.year, 12, 20) and r < 0.18:
        return XMAS
    if first and r < 0.25:
        return WELCOME
    if r < 0.035:
        return STANDING
    return "", 0.0


def _basket(
    rng: np.random.Generator, products: list[tuple], popularity: np.ndarray, day: dt.date, staple: int
) -> list[int]:
    """One order's distinct products (1 to 5, about 1.7 on average): a subscriber's staple most times, then
    products chosen by popularity and season."""
    weight = popularity * np.array([_SEASONS[p[8]][day.month - 1] for p in products])
    picks = [staple] if staple >= 0 and rng.random() < 0.75 else []
    n = max(1 - len(picks), 0) + int(rng.poisson(0.65))
    n = min(n, 5 - len(picks))
    if n > 0:
        weight[picks] = 0.0
        picks.extend(int(i) for i in rng.choice(len(products), n, replace=False, p=weight / weight.sum()))
    return picks


def _status(
    rng: np.random.Generator, value: float, n_lines: int, products: list[tuple], basket: list[int]
) -> str:
    """paid mostly; refunded about 4% (more on tanks, hutches and cat trees, which arrive damaged);
    partially_refunded about 3% of orders with more than one unit or line; voided about 2.5%."""
    bulky = any(products[i][7] >= 14 and products[i][2] not in ("Cat Litter",) for i in basket)
    refund = 0.035 + (0.05 if bulky else 0.0)
    partial = 0.045 if n_lines > 1 or value > 30 else 0.0
    r = rng.random()
    if r < 0.025:
        return STATUSES[3]
    if r < 0.025 + refund:
        return STATUSES[1]
    if r < 0.025 + refund + partial:
        return STATUSES[2]
    return STATUSES[0]


if __name__ == "__main__":
    main()
