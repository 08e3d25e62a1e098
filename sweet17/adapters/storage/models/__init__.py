"""SQLModel table models, one module per area. Importing this package registers them all.

The schema itself is created by the migrations; ``tests/test_migrations.py`` checks that the
migrated database and these models agree.
"""

from sweet17.adapters.storage.models import core  # noqa: F401
from sweet17.adapters.storage.models import recording  # noqa: F401
from sweet17.adapters.storage.models import roster  # noqa: F401
from sweet17.adapters.storage.models import session  # noqa: F401
from sweet17.adapters.storage.models import planning  # noqa: F401
from sweet17.adapters.storage.models import delivery  # noqa: F401
from sweet17.adapters.storage.models import sync  # noqa: F401
