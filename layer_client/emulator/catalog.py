"""The styles a fresh emulator starts with.

Every catalogue has COMPLETE trained styles with ids `sty_0001`,
`sty_0002`, ..., then one BUILDING, one FAILED and one MODEL_URL style with
the fixed ids below. The MODEL_URL style is COMPLETE but every
`generateImages` with it fails with the INTERNAL_SERVER_ERROR that real
users saw with 3D base models.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .models import Style, Workspace

__all__ = [
    "BUILDING_STYLE_ID",
    "FAILED_STYLE_ID",
    "MODEL_URL_STYLE_ID",
    "seed_styles",
    "slugify",
]

BUILDING_STYLE_ID = "sty_building"
FAILED_STYLE_ID = "sty_failed"
MODEL_URL_STYLE_ID = "sty_model_url"

_NAMES = (
    "Pixel Knights",
    "Moss Garden",
    "Neon Alley",
    "Watercolor Isles",
    "Clockwork Beasts",
    "Frosted Runes",
    "Desert Caravan",
    "Ink Samurai",
    "Candy Dungeon",
    "Starship Decals",
)
_TOPICS = (
    ("fantasy", "characters"),
    ("nature", "environments"),
    ("sci-fi", "environments"),
    ("painterly", "environments"),
    ("fantasy", "creatures"),
    ("icons", "ui"),
    ("environments", "props"),
    ("characters", "ink"),
    ("props", "casual"),
    ("sci-fi", "ui"),
)


def slugify(name: str) -> str:
    """Return a lowercase, dash-separated slug of a style name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def seed_styles(count: int, workspace: Workspace, created_at: datetime) -> list[Style]:
    """Build the `count` styles of a fresh catalogue, oldest first."""
    styles: list[Style] = []
    for number in range(1, count - 2):
        base = _NAMES[(number - 1) % len(_NAMES)]
        round_number = (number - 1) // len(_NAMES)
        name = base if round_number == 0 else f"{base} {round_number + 1}"
        styles.append(
            Style(
                id=f"sty_{number:04d}",
                name=name,
                slug=slugify(name),
                status="COMPLETE",
                type="LAYER_TRAINED_CHECKPOINT",
                workspace=workspace,
                # Every third style is featured and public, as Layer's own are.
                visibility="PUBLIC" if number % 3 == 0 else "PRIVATE",
                is_featured=number % 3 == 0,
                description=f"Emulated style number {number}",
                created_at=created_at + timedelta(minutes=number),
                topics=_TOPICS[(number - 1) % len(_TOPICS)],
            )
        )

    later = created_at + timedelta(minutes=count)
    styles.append(
        Style(
            id=BUILDING_STYLE_ID,
            name="Half-Trained Heroes",
            slug="half-trained-heroes",
            status="BUILDING",
            type="LAYER_TRAINED_CHECKPOINT",
            workspace=workspace,
            description="A style still in training",
            created_at=later,
            topics=("characters",),
        )
    )
    styles.append(
        Style(
            id=FAILED_STYLE_ID,
            name="Broken Brushes",
            slug="broken-brushes",
            status="FAILED",
            type="LAYER_TRAINED_CHECKPOINT",
            workspace=workspace,
            description="A style whose training failed",
            created_at=later,
            topics=("painterly",),
        )
    )
    styles.append(
        Style(
            id=MODEL_URL_STYLE_ID,
            name="Mesh Forge 3D",
            slug="mesh-forge-3d",
            status="COMPLETE",
            type="MODEL_URL",
            workspace=None,
            modality="THREE_D",
            visibility="PUBLIC",
            is_featured=True,
            description="A base model whose generations always fail",
            created_at=later,
            topics=("3d", "props"),
            fails_generation=True,
        )
    )
    return styles
