"""The Snowflake platform: providers per admin role, database model, warehouses, access, users."""
