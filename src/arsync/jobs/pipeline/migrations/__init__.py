"""Alembic migrations of the run store: every schema change is a revision in ``versions/``.

The run store upgrades itself to the newest revision when it opens (see
:func:`arsync.jobs.pipeline.runstore.upgrade`); a store created before migrations existed
(tables but no ``alembic_version``) is stamped at the first revision, then upgraded.
New revision: ``.venv/bin/alembic -c src/arsync/jobs/pipeline/migrations/alembic.ini revision
-m "what changes"`` and write ``upgrade`` / ``downgrade`` by hand (SQLite and PostgreSQL both).
"""
