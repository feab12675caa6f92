-- INTERIM: the account directory until the platform's xsc_directory (ServiceKitStore's
-- AccountDirectory) lands on main; then this file and Storage/PeopleDirectory.swift's SQL go.
CREATE TABLE interim_directory (
    account_id text PRIMARY KEY,
    name text NOT NULL,
    domain_role text NOT NULL,
    node_path text NOT NULL,
    enabled boolean NOT NULL,
    version bigint NOT NULL
);
CREATE INDEX interim_directory_node ON interim_directory (node_path);
