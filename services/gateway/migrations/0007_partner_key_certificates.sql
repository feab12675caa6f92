-- A partner key may be bound to a client certificate (issue 19): the SHA-256 of the
-- certificate's DER form, lower-case hex. Such a key is accepted only on a TLS connection that
-- presented that certificate; NULL keeps a key usable with or without one.
ALTER TABLE partner_keys ADD COLUMN client_cert_sha256 text
    CHECK (client_cert_sha256 ~ '^[0-9a-f]{64}$');
