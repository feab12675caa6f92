-- The settlements schema's first migration. The Migrator runs it inside the "settlements" schema (search_path)
-- in one transaction with its schema_migrations row, as the "settlements" role.
-- service_info records what this schema belongs to and when it was created, so an operator
-- looking at a database can tell which service and deployment made it.
CREATE TABLE service_info (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    service text NOT NULL CHECK (service = 'settlements'),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO service_info (service) VALUES ('settlements');
