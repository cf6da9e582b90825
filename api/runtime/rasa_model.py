"""The trained Rasa model: retrained only when its inputs change (content hash), else reused."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from api.core.config import ROOT

# Everything that changes what `rasa train` produces.
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "bot/components", "knowledge_base/text.py",
                   "knowledge_base/data", "requirements/rasa.lock")
MODELS_DIR = ROOT / "models"
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
KEEP_MODELS = 3


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def content_hash(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path = ROOT) -> Path:
    return MODELS_DIR / f"vi-{content_hash(root)}.tar.gz"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TF_CPP_MIN_LOG_LEVEL="2", SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONWARNINGS="ignore",
               RASA_TELEMETRY_ENABLED="false", OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "2"))
    # One turn's inference is small: TensorFlow's thread pools spin more CPU than they save (set them to override).
    env.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
    env.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
    env.pop("VIRTUAL_ENV", None)
    return env


def ensure_model(root: Path = ROOT) -> tuple[Path, bool]:
    """Return (model path, whether it was trained now)."""
    target = model_path(root)
    if target.exists():
        return target, False
    MODELS_DIR.mkdir(exist_ok=True)
    command = [str(RASA_BIN), "train", "--fixed-model-name", target.name.removesuffix(".tar.gz"),
               "--out", str(MODELS_DIR), "--config", "config.yml", "--domain", "domain.yml", "--data", "data"]
    log_path = root / "var" / "logs" / "train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"training the Rasa model (log: {log_path}) …", flush=True)
    with log_path.open("w") as log:
        result = subprocess.run(command, cwd=root, env=rasa_env(), stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-30:]
        raise RuntimeError("rasa train failed:\n" + "\n".join(tail))
    for old in sorted(MODELS_DIR.glob("vi-*.tar.gz"), key=lambda p: p.stat().st_mtime)[:-KEEP_MODELS]:
        old.unlink()
    return target, True
