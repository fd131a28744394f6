"""The demo's literals, read from data/*.yaml (once per process: callers must not change
what they get)."""

import functools
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"


@functools.cache
def read(name: str) -> dict:
    with (DATA / f"{name}.yaml").open(encoding="utf-8") as file:
        return yaml.safe_load(file)
