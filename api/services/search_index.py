"""The app's search service over the published knowledge base: made from the settings, rebuilt after a publish."""

from __future__ import annotations

from concurrent.futures import Future

from api.core.config import Settings
from api.db.base import session_scope
from api.services import kb_store
from knowledge_base.index.store import SearchIndex
from knowledge_base.service import SearchService


def make_search_service(settings: Settings) -> SearchService:
    return SearchService.from_spec(settings.embedder, index_root=settings.var_dir / "index",
                                   cache_path=settings.cache_dir / "embeddings.sqlite")


def rebuild_in_background(search: SearchService) -> Future[SearchIndex]:
    """Rebuild the index from what is published; searches keep the old one meanwhile."""
    with session_scope() as db:
        procedures = kb_store.published_procedures(db)
    return search.rebuild_in_background(procedures)
