"""Rewrite api/examples.json: the OpenAPI example of each dashboard endpoint, a request
and the answer the default demo gives it (what `visites serve` publishes on a fresh
machine: 200,000 visits, seed 42), every list cut to its first two items.

    just openapi-examples

tests/api/test_api_server.py asks a real server on that demo the same requests and
checks the examples against its answers: run this after a change to the demo or to an
answer, and commit the file.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from api.payload import decode_filter
from engine import ENDPOINTS, Engine, SnapshotView
from snapshot.demo.generator import DEFAULT_SEED, DEFAULT_VISITS
from snapshot.demo.publish import take_demo_snapshot

EXAMPLES = Path(__file__).resolve().parents[1] / "api" / "examples.json"
# One request per endpoint, the kinds of field clients send ("2024" for an integer too).
REQUESTS: dict[str, dict[str, Any]] = {
    "data": {"annee": 2024, "mois": 5},
    "performance": {"id_responsable": 4, "annee": "2024"},
    "partenaire": {"region": "RE00006", "start_date": "2024-01-01", "end_date": "2024-06-30"},
    "users": {"gamme": "GA00001", "annee": 2024},
    "evaluation": {"annee": 2024},
    "invest": {"annee": 2024},
}
KEPT = 2  # items of each list an example shows


def cut(value: Any) -> Any:
    """``value`` with each list, at any depth, cut to its first KEPT items."""
    if isinstance(value, list):
        return [cut(item) for item in value[:KEPT]]
    if isinstance(value, dict):
        return {key: cut(item) for key, item in value.items()}
    return value


def example(view: SnapshotView, endpoint: str) -> dict[str, Any]:
    request = REQUESTS[endpoint]
    filter_ = decode_filter(json.dumps(request).encode(), ENDPOINTS[endpoint])
    answer = msgspec.to_builtins(view.answer(endpoint, filter_))
    return {"request": request, "response": cut(answer)}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        demo = {"visits": DEFAULT_VISITS, "seed": DEFAULT_SEED}
        take_demo_snapshot(data_dir, **demo, keep=1, batch_rows=50_000)
        engine = Engine.open(data_dir)
        try:
            with engine.lease() as view:
                examples = {endpoint: example(view, endpoint) for endpoint in ENDPOINTS}
        finally:
            engine.close()
    EXAMPLES.write_text(json.dumps(examples, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {EXAMPLES}")


if __name__ == "__main__":
    main()
