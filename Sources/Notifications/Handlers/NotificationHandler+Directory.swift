import DomainKit
import Messages
import RPC
import ServiceKit

/// The gateway's account directory feed.
extension NotificationHandler {
    /// Applies one directory entry. Only the gateway's outbox calls this (a SYSTEM actor: not
    /// an admin, since a person must not be able to rewire whose replies acknowledge orders).
    /// Idempotent and ordered: an entry older than or equal to the stored one changes nothing.
    public func setContact(_ request: Xsc_Notifications_V1_SetContactRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_SetContactResponse {
        let actor = try context.requireActor()
        guard actor.role == .system else {
            throw NotificationErrors.withReason(.permissionDenied, "only the gateway's directory feed sets contacts",
                                                reason: "SYSTEM_ACTOR_REQUIRED")
        }
        var violations = FieldViolations()
        if request.accountId.isEmpty || request.accountId.utf8.count > 128 {
            violations.add("account_id", "1 to 128 bytes")
        }
        var phone: MainlandPhone?
        if !request.phone.isEmpty {
            phone = MainlandPhone(mobile: request.phone)
            if phone == nil { violations.add("phone", "not a mainland mobile number (11 digits starting 13-19), or empty to forget it") }
        }
        if request.version <= 0 { violations.add("version", "must be positive") }
        guard violations.isEmpty else { throw violations.error }

        let contact = PhoneDirectory.Contact(accountID: request.accountId, phone: phone, enabled: request.enabled,
                                             version: request.version)
        var response = Xsc_Notifications_V1_SetContactResponse()
        response.applied = try await PhoneDirectory(clock: clock).apply(contact, pool: pool)
        logger.info(response.applied ? "contact set" : "contact unchanged (stale or repeated)", [
            "account": .string(request.accountId), "phone": .string(phone?.masked ?? "-"),
            "enabled": .bool(request.enabled), "version": .int(request.version),
        ])
        return response
    }
}
