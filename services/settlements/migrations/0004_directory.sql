-- The people of the organisation as the gateway's directory feed announces them (names for
-- printed statements, roles for the penalty table). Interim: replaced by the platform table
-- xsc_directory once ServiceKitStore.AccountDirectory lands on main.
CREATE TABLE directory_entries (
    account_id text PRIMARY KEY,
    name text NOT NULL,
    domain_role text NOT NULL,
    node_path text NOT NULL,
    enabled boolean NOT NULL,
    version bigint NOT NULL
);
