"""Shared data and a fast stand-in embedder for the text tests (one test file runs the real model)."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

# (title, text, rating, recommended, department, class, age)
REVIEWS = [
    (
        "Runs small",
        "I usually wear a medium but this dress was too small, order a size up.",
        2,
        0,
        "Dresses",
        "Dresses",
        34,
    ),
    (
        "Too tight",
        "The dress is tight across the chest and the zipper broke. Returning it.",
        1,
        0,
        "Dresses",
        "Dresses",
        45,
    ),
    (
        "Love it",
        "Beautiful dress, fits perfectly and the color is gorgeous. Wore it to a wedding.",
        5,
        1,
        "Dresses",
        "Dresses",
        29,
    ),
    (
        "Perfect summer dress",
        "Light fabric, flattering cut, got many compliments.",
        5,
        1,
        "Dresses",
        "Dresses",
        38,
    ),
    (
        "Cheap fabric",
        "The fabric feels cheap and thin, you can see through it. Disappointed.",
        2,
        0,
        "Dresses",
        "Dresses",
        52,
    ),
    (
        "Wrong size chart",
        "Sizing is way off, the small fits like an extra small. Too small for me.",
        2,
        0,
        "Dresses",
        "Dresses",
        41,
    ),
    (None, "Nice dress but the length was too long for my petite frame.", 3, 1, "Dresses", "Dresses", 60),
    ("Great sweater", "Warm, soft and cozy sweater, perfect for winter.", 5, 1, "Tops", "Sweaters", 33),
    ("Itchy", "This sweater is itchy and the wool pills after one wash.", 2, 0, "Tops", "Sweaters", 47),
    ("Shrunk", "The sweater shrunk in the wash, now it is too small.", 1, 0, "Tops", "Sweaters", 39),
    ("Cute blouse", "Pretty blouse with lovely embroidery, runs true to size.", 5, 1, "Tops", "Blouses", 26),
    (
        "See-through",
        "The blouse is completely see-through, needs a camisole underneath.",
        3,
        0,
        "Tops",
        "Blouses",
        31,
    ),
    ("Boxy", "The top is boxy and unflattering, looks like a tent on me.", 2, 0, "Tops", "Knits", 44),
    ("Everyday tee", "Soft tee, I bought it in three colors.", 5, 1, "Tops", "Knits", 36),
    ("Great jeans", "These jeans fit like a glove and the denim is stretchy.", 5, 1, "Bottoms", "Jeans", 28),
    ("Waist gap", "The jeans gap at the waist and are too big in the hips.", 2, 0, "Bottoms", "Jeans", 50),
    ("Comfy pants", "Comfortable pants for work, nice fabric.", 4, 1, "Bottoms", "Pants", 42),
    (
        "Color faded",
        "The pants faded after the first wash, color is not like the picture.",
        2,
        0,
        "Bottoms",
        "Pants",
        55,
    ),
    ("Lovely skirt", "Flowy skirt with a beautiful print, great for spring.", 5, 1, "Bottoms", "Skirts", 30),
    (
        "Too short",
        "The skirt is much shorter than pictured, too short for the office.",
        2,
        0,
        "Bottoms",
        "Skirts",
        48,
    ),
    ("Cozy jacket", "Warm jacket, well made, the buttons feel sturdy.", 5, 1, "Jackets", "Jackets", 37),
    (
        "Poor stitching",
        "The jacket seams came apart after a week, poor quality.",
        1,
        0,
        "Jackets",
        "Jackets",
        58,
    ),
    ("Nice coat", "Elegant coat, keeps me warm, true to size.", 4, 1, "Jackets", "Outerwear", 46),
    ("Bra fits well", "Comfortable bralette, soft lace, fits well.", 5, 1, "Intimate", "Intimates", 27),
    ("Uncomfortable", "The lace is scratchy and uncomfortable to wear.", 2, 0, "Intimate", "Intimates", 35),
    ("Great pajamas", "Soft pajamas, I sleep in them every night.", 5, 1, "Intimate", "Sleep", 40),
    ("Swimsuit", "The swimsuit is flattering and dries fast.", 4, 1, "Intimate", "Swim", 32),
    ("Disappointing", "Overpriced for the quality, the material is cheap.", 1, 0, "Tops", "Knits", 49),
    ("Wonderful", "Absolutely wonderful, silky and comfortable.", 5, 1, "Intimate", "Intimates", 33),
    ("Return", "Had to return it, too small and the color was dull.", 2, 0, "Dresses", "Dresses", 53),
]


def reviews_frame() -> pd.DataFrame:
    """The REVIEWS in the demo table's shape (same column names and types)."""
    df = pd.DataFrame(
        REVIEWS,
        columns=["Title", "Review Text", "Rating", "Recommended IND", "Department Name", "Class Name", "Age"],
    )
    df.insert(0, "Clothing ID", range(1000, 1000 + len(df)))
    df["Positive Feedback Count"] = 0
    df["Division Name"] = "General"
    return df


class WordHashEmbedder:
    """Bag of words hashed into 384 dims, L2-normalised: shares words -> close. Counts what it encodes."""

    name = "test-word-hash"
    dim = 384

    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, texts, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", str(text).lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            out[i, 0] += 1e-3  # never an all-zero row
        return out / np.linalg.norm(out, axis=1, keepdims=True)
