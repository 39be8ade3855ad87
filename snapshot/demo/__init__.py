"""Demo data: a realistic synthetic CRM, published as a snapshot or loaded into MySQL.

- ``generator``: ``generate``, the eight source tables from a seed; ``reference`` holds the
  data it draws from, and ``world``, ``partenaires``, ``force`` and ``activity`` its steps.
- ``faults``: what ``messy=True`` does, every fault of a real CRM on a small share of rows.
- ``publish``: ``take_demo_snapshot``, generated tables through the snapshot job.
- ``mysql_loader``: ``load_into_mysql``, generated tables bulk-loaded into MySQL/MariaDB
  with the CRM's ``schema.sql``.

The snapshot job never imports this package (an import contract in pyproject.toml).
"""
