-- Issue 14: templates and signatures as data, per vendor and region, each with the vendor's
-- registered template code; a message for a vendor keeps what it will be sent with.
CREATE TABLE vendor_templates (
    vendor text NOT NULL CHECK (vendor IN ('aliyun', 'tencent')),
    region_code text NOT NULL,
    template text NOT NULL,
    template_code text NOT NULL CHECK (template_code <> ''),
    sign_name text NOT NULL CHECK (sign_name <> ''),
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL,
    PRIMARY KEY (vendor, region_code, template)
);

ALTER TABLE messages
    ADD COLUMN vendor_template_code text NOT NULL DEFAULT '',
    ADD COLUMN sign_name text NOT NULL DEFAULT '',
    -- The template's parameters in the template's order, as a JSON array of [name, value].
    ADD COLUMN template_params text NOT NULL DEFAULT '[]';
