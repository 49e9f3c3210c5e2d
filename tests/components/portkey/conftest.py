from tests.fakes.portkey_admin import portkey_admin  # noqa: F401  (fixture)
