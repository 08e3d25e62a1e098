"""SQLModel table models, one module per area. Importing this package registers them all.

The schema itself is created by the migrations; ``tests/test_migrations.py`` checks that the
migrated database and these models agree.
"""

from sweet17.adapters.storage.models import (
    core,  # noqa: F401
    delivery,  # noqa: F401
    planning,  # noqa: F401
    recording,  # noqa: F401
    roster,  # noqa: F401
    session,  # noqa: F401
    sync,  # noqa: F401
)
