"""Write a large, realistic fixtures file (the format of ``fixtures/default.json``).

    python benchmarks/make_fixture.py --users 10000 --documents 100000 -o /tmp/big.json

Deterministic for a given ``--seed``. The first user (``bench``) owns ``--owner-share`` of the
documents, so its listings grow with the file; the rest are spread over the other users. Every
user has a password (``<username>-password``) and an API key; ``--apps`` OAuth apps with fixed
client ids and secrets are owned by ``bench``.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

FIRST_NAMES = [
    "Alice", "Bob", "Carol", "Dave", "Eve", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kemi", "Lena", "Mateo", "Nadia", "Oren", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
]  # fmt: skip
LAST_NAMES = [
    "Moreau", "Okafor", "Nguyen", "Schmidt", "Rossi", "Kowalski", "Tanaka", "Silva", "Haddad",
    "Larsen", "Mensah", "Ivanova", "Fischer", "Dubois", "Kaur", "Novak", "Ortiz", "Berg",
]  # fmt: skip
TECHNIQUES = [
    "PCR optimisation", "Western blot", "qPCR", "ELISA", "Cell culture passage", "Flow cytometry",
    "Plasmid miniprep", "Gel electrophoresis", "Protein purification", "Immunostaining",
    "Transfection", "RNA extraction", "Colony PCR", "Mass spec prep", "Microscopy session",
    "Bradford assay", "Cloning", "CRISPR guide design", "Sequencing run", "Buffer preparation",
]  # fmt: skip
TARGETS = [
    "GAPDH", "HSP70", "p53", "beta-actin", "EGFR", "GFP", "mCherry", "TNF-alpha", "IL-6", "BRCA1",
    "HEK293", "HeLa", "E. coli DH5a", "lysates batch", "sample set", "MCF-7", "CHO-K1", "Cas9",
]  # fmt: skip
TAGS = [
    "PCR", "optimisation", "western blot", "qPCR", "cell culture", "HSP70", "GAPDH", "protocol",
    "failed", "repeat", "QC", "cloning", "imaging", "sequencing", "buffer", "antibody", "draft",
]  # fmt: skip
SENTENCES = [
    "Gradient from 55 to 65 &deg;C in 2 &deg;C steps.",
    "Best yield at 61 &deg;C; single band at 420 bp.",
    "10% SDS-PAGE, 20 &micro;g per lane, transfer 90 min at 100 V.",
    "Primary antibody 1:1000 overnight at 4 &deg;C.",
    "Cells split 1:6 at 80% confluence, passage {n}.",
    "Ct values within 0.3 between technical replicates.",
    "Buffer pH adjusted to 7.4 with NaOH; filtered 0.22 &micro;m.",
    "Re-run tomorrow with fresh master mix.",
    "Plate read at 450 nm, background subtracted.",
    "Imaged at 20x, exposure 200 ms, 5 fields per well.",
    "Yield {n} ng/&micro;L, A260/280 = 1.9.",
    "Sample {n} discarded: contamination suspected.",
]
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
START = datetime(2024, 1, 8, 8, 0, tzinfo=timezone.utc)
SPAN_SECONDS = 2 * 365 * 24 * 3600


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def make_users(rng: random.Random, count: int) -> list[dict[str, Any]]:
    users = []
    for index in range(count):
        username = "bench" if index == 0 else f"user{index:05d}"
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        users.append(
            {
                "username": username,
                "password": f"{username}-password",
                "apiKey": "".join(rng.choice(ALNUM) for _ in range(32)),
                "email": f"{first.lower()}.{last.lower()}{index}@lab.example.org",
                "firstName": first,
                "lastName": last,
            }
        )
    return users


def make_apps(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """RSpace's formats: a 39-character Base32 client id and a 32-character Base64 secret."""
    return [
        {
            "name": f"Benchmark client {index + 1}",
            "owner": "bench",
            "clientId": "".join(rng.choice(BASE32) for _ in range(39)),
            "clientSecret": base64.b64encode(rng.randbytes(24)).decode("ascii"),
        }
        for index in range(count)
    ]


def make_document(rng: random.Random, owner: str) -> dict[str, Any]:
    created = START + timedelta(
        seconds=rng.randrange(SPAN_SECONDS), milliseconds=rng.randrange(1000)
    )
    modified = created + timedelta(seconds=rng.randrange(30 * 24 * 3600))
    paragraphs = [
        "<p>"
        + " ".join(s.format(n=rng.randrange(1, 99)) for s in rng.sample(SENTENCES, 2))
        + "</p>"
        for _ in range(rng.randint(1, 3))
    ]
    return {
        "owner": owner,
        "name": f"{rng.choice(TECHNIQUES)} - {rng.choice(TARGETS)} {rng.randrange(1, 500)}",
        "tags": ",".join(rng.sample(TAGS, rng.randint(0, 3))),
        "fields": [{"content": "\n".join(paragraphs)}],
        "created": iso(created),
        "lastModified": iso(modified),
    }


def make_fixture(
    users: int, documents: int, apps: int = 1, owner_share: float = 0.1, seed: int = 5
) -> dict[str, Any]:
    if users < 1:
        raise ValueError("at least one user is needed")
    rng = random.Random(seed)
    user_entries = make_users(rng, users)
    names = [u["username"] for u in user_entries]
    others = names[1:] or names
    document_entries = [
        make_document(rng, "bench" if rng.random() < owner_share else rng.choice(others))
        for _ in range(documents)
    ]
    return {"users": user_entries, "apps": make_apps(rng, apps), "documents": document_entries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--apps", type=int, default=1)
    parser.add_argument(
        "--owner-share",
        type=float,
        default=0.1,
        help="share of the documents owned by the first user, 'bench' (default 0.1)",
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    data = make_fixture(args.users, args.documents, args.apps, args.owner_share, args.seed)
    text = json.dumps(data, indent=1, ensure_ascii=False)
    if args.output is None:
        sys.stdout.write(text + "\n")
    else:
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
