extension ServiceConfig {
    /// What `--print-config` shows: every setting, one `NAME=value` line in a stable order,
    /// with the actor secret and any database password hidden.
    public func printable() -> String {
        var lines = [
            "service=\(service)",
            "XSC_LISTEN=\(listen)",
            "XSC_ADMIN_LISTEN=\(adminListen)",
            "DATABASE_URL=\(databaseURL.map(DatabaseURL.redacted) ?? "(not used)")",
        ]
        for peer in peers.keys.sorted() {
            if let address = peers[peer] { lines.append("\(ServiceConfig.peerVariable(peer))=\(address)") }
        }
        lines.append("XSC_ACTOR_SECRET=\(actorSecret)")
        lines.append("LOG_LEVEL=\(logLevel)")
        lines.append("XSC_ORG_TIMEZONE=\(organizationTimeZone)")
        lines.append("XSC_DB_POOL_SIZE=\(databasePoolSize)")
        lines.append("XSC_CLAIM_LEASE_MS=\(claimLease.wholeMilliseconds)")
        lines.append("XSC_OUTBOX_HANDOFF=\(outboxHandOff ? "on" : "off")")
        lines += admission.printableLines
        lines += tracing.printableLines
        lines += tls.printableLines
        return lines.joined(separator: "\n") + "\n"
    }
}
