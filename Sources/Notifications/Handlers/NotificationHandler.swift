import DomainKit
import Messages
import Postgres
import RPC
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// xsc.notifications.v1.NotificationService. Identity comes only from the verified actor:
/// machine calls (Send from other services' outboxes, provider receipts and inbound SMS via the
/// gateway) need a SYSTEM or ADMIN actor; inbox calls act on the caller's own inbox, and a
/// message that is not the caller's is NOT_FOUND.
public final class NotificationHandler: Xsc_Notifications_V1_NotificationServiceHandler {
    public struct Settings: Sendable {
        public var timeZoneIdentifier = "Asia/Shanghai"
        public var watchPollInterval: Duration = .seconds(1)
        /// The SMS vendor messages go out through ("aliyun", "tencent"), nil for the development
        /// and generic providers: a vendor sends only templates registered for the region.
        public var vendor: String?
        public init() {}
    }

    let pool: PostgresPool
    let clock: WallClock
    let logger: Logger
    let settings: Settings
    let inboxSignal: InboxSignal
    let wakeDelivery: @Sendable () -> Void
    let messages: MessageStore
    let idempotency: IdempotencyStore

    public init(pool: PostgresPool, logger: Logger, settings: Settings = Settings(),
                clock: @escaping WallClock = SystemWallClock.now, inboxSignal: InboxSignal = InboxSignal(),
                wakeDelivery: @escaping @Sendable () -> Void = {}) {
        self.pool = pool
        self.clock = clock
        self.logger = logger
        self.settings = settings
        self.inboxSignal = inboxSignal
        self.wakeDelivery = wakeDelivery
        self.messages = MessageStore(clock: clock)
        self.idempotency = IdempotencyStore(clock: clock)
    }

    static let machineRoles: Set<VerifiedActor.Role> = [.system, .admin]

    func requireMachine(_ context: ServerContext) throws -> VerifiedActor {
        let actor = try context.requireActor()
        guard Self.machineRoles.contains(actor.role) else {
            throw NotificationErrors.withReason(.permissionDenied, "this method is for services and providers",
                                                reason: "SYSTEM_ACTOR_REQUIRED")
        }
        return actor
    }

    /// The provider callbacks (receipts, inbound SMS): the SMS provider itself - a partner
    /// actor whose gateway key carries the reserved provider channel; that actor passes here
    /// and nowhere else, so a leaked provider key cannot send SMS - or a service's SYSTEM actor
    /// (the vendor callback receivers). Not an HQ admin: a reply acknowledges an order and a
    /// receipt can void a lead's miss, so a person must not be able to fake either.
    func requireProviderOrMachine(_ context: ServerContext) throws -> VerifiedActor {
        let actor = try context.requireActor()
        if actor.role == .partner && actor.partnerChannel == Self.smsProviderChannel { return actor }
        guard actor.role == .system else {
            throw NotificationErrors.withReason(.permissionDenied, "this method is for the SMS provider's callbacks",
                                                reason: "PROVIDER_REQUIRED")
        }
        return actor
    }

    /// The partner-key channel the gateway reserves for SMS providers.
    public static let smsProviderChannel = "sms_provider"

    public func send(_ request: Xsc_Notifications_V1_SendRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_SendResponse {
        try await send(request, context: context, metadataKey: IdempotencyStore.key(from: context.requestMetadata))
    }

    /// `send` with the idempotency key given apart from the call's metadata (an inbox item's
    /// event id: `NotificationHandler+Inbox.swift`).
    func send(_ request: Xsc_Notifications_V1_SendRequest, context: ServerContext,
              metadataKey: String?) async throws -> Xsc_Notifications_V1_SendResponse {
        _ = try requireMachine(context)
        let valid: ValidatedSend
        switch ValidatedSend.validate(request, metadataKey: metadataKey) {
        case .success(let checked): valid = checked
        case .failure(let violations): throw violations.error
        }
        var phone = valid.phone
        var refusal: String?
        if phone == nil, let account = valid.accountID {
            switch try await PhoneDirectory(clock: clock).recipient(pool: pool, accountID: account) {
            case .phone(let known): phone = known
            case .disabled(let known):
                // Recorded (the sender's outbox is done with it, the audit shows why), never sent.
                phone = known
                refusal = "recipient account disabled"
            case .unknown: break
            }
        }
        guard let phone else {
            throw NotificationErrors.withReason(.failedPrecondition, "no phone number is known for this account; send its phone too",
                                                reason: "PHONE_UNKNOWN")
        }
        // A vendor sends only what is registered with it: refused here, before anything is sent.
        var vendorTemplate: Xsc_Notifications_V1_VendorTemplate?
        if let vendor = settings.vendor {
            vendorTemplate = try await VendorTemplateStore(clock: clock).find(vendor: vendor, region: valid.regionCode,
                                                                              template: valid.template, pool: pool)
            guard vendorTemplate != nil else {
                throw NotificationErrors.withReason(.failedPrecondition,
                                                    "template \(valid.template) is not registered with \(vendor) for region \(valid.regionCode); "
                                                    + "register its template code and signature (SetVendorTemplate) first",
                                                    reason: "TEMPLATE_NOT_REGISTERED")
            }
        }
        let response = try await pool.transaction { [messages, idempotency] tx -> Xsc_Notifications_V1_SendResponse in
            switch try await idempotency.claim(in: tx, scope: "notifications.Send", key: valid.idempotencyKey,
                                               request: Self.fingerprint(request)) {
            case .replay(let answer):
                guard answer.status == .ok else { throw RPCError(code: answer.status, message: answer.message) }
                return try Xsc_Notifications_V1_SendResponse(serializedBytes: answer.response)
            case .fresh(let ticket):
                let stored = try await messages.insert(in: tx, NewMessage(
                    id: MessageStore.makeID(), idempotencyKey: valid.idempotencyKey, recipientAccountID: valid.accountID,
                    phone: phone, template: valid.template, body: valid.rendered.text, category: valid.category,
                    regionCode: valid.regionCode, segments: valid.rendered.segments, subjectKind: valid.subject.kind,
                    subjectID: valid.subject.id, subjectCode: valid.subject.code, refusal: refusal,
                    vendorTemplateCode: vendorTemplate?.templateCode ?? "", signName: vendorTemplate?.signName ?? "",
                    templateParams: vendorTemplate == nil ? [] : VendorParams.ordered(template: valid.template, params: request.params)))
                var response = Xsc_Notifications_V1_SendResponse()
                response.message = stored.proto
                try await idempotency.record(in: tx, ticket, answer: IdempotencyStore.StoredAnswer(response: response.serializedBytes()))
                return response
            }
        }
        wakeDelivery()
        inboxSignal.post()
        return response
    }

    /// What "the same request" means for Send's idempotency key: the request's fields in a
    /// canonical order. (Encoded bytes are not canonical: map entries go out in dictionary
    /// order, which differs between two decodings of the same request.)
    static func fingerprint(_ request: Xsc_Notifications_V1_SendRequest) -> [UInt8] {
        var parts = [request.accountId, request.phone, request.template, String(request.category.rawValue), request.regionCode,
                     request.subject?.kind ?? "", request.subject?.id ?? "", request.subject?.shortCode ?? ""]
        for (name, value) in request.params.sorted(by: { $0.key < $1.key }) { parts += [name, value] }
        // Length-prefixed, so no two different field lists join to the same bytes.
        return parts.flatMap { Array("\($0.utf8.count):".utf8) + Array($0.utf8) }
    }

    public func getMessage(_ request: Xsc_Notifications_V1_GetMessageRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_Message {
        let actor = try context.requireActor()
        try LookupField.requireID(request.id, "id")
        guard let stored = try await messages.message(pool: pool, id: request.id),
              stored.recipientAccountID == actor.accountID || Self.machineRoles.contains(actor.role) else {
            throw NotificationErrors.notFound("message")
        }
        return stored.proto
    }

    public func listInbox(_ request: Xsc_Notifications_V1_ListInboxRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_ListInboxResponse {
        let actor = try context.requireActor()
        guard let before = InboxCursor.decode(request.cursor) else {
            var violations = FieldViolations()
            violations.add("cursor", "not a cursor this service returned")
            throw violations.error
        }
        if request.pageSize < 0 {
            var violations = FieldViolations()
            violations.add("page_size", "must not be negative")
            throw violations.error
        }
        let size = request.pageSize == 0 ? 20 : min(Int(request.pageSize), 100)
        let page = try await messages.inbox(pool: pool, accountID: actor.accountID, before: before, limit: size + 1,
                                            unreadOnly: request.unreadOnly)
        var response = Xsc_Notifications_V1_ListInboxResponse()
        response.messages = page.prefix(size).map(\.proto)
        if page.count > size, let last = page.prefix(size).last { response.nextCursor = InboxCursor.encode(last.inboxSequence) }
        response.unreadCount = Int32(clamping: try await messages.unreadCount(pool: pool, accountID: actor.accountID))
        return response
    }

    public func markRead(_ request: Xsc_Notifications_V1_MarkReadRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_MarkReadResponse {
        let actor = try context.requireActor()
        guard request.ids.count <= 100 else {
            var violations = FieldViolations()
            violations.add("ids", "at most 100 ids per call")
            throw violations.error
        }
        var malformed = FieldViolations()
        LookupField.checkIDs(request.ids, field: "ids", maxCount: 100, into: &malformed)
        try malformed.check()
        var response = Xsc_Notifications_V1_MarkReadResponse()
        response.marked = Int32(try await messages.markRead(pool: pool, accountID: actor.accountID, ids: request.ids))
        return response
    }

    public func watchInbox(_ request: Xsc_Notifications_V1_WatchInboxRequest, responses: ResponseStreamWriter<Xsc_Notifications_V1_Message>,
                           context: ServerContext) async throws {
        let actor = try context.requireActor()
        try LookupField.check([("after_id", request.afterId, .id)])
        var position: Int64
        if request.afterId.isEmpty {
            position = try await messages.latestSequence(pool: pool)
        } else {
            guard let anchor = try await messages.message(pool: pool, id: request.afterId),
                  anchor.recipientAccountID == actor.accountID else {
                throw NotificationErrors.notFound("message")
            }
            position = anchor.inboxSequence
        }
        while !context.isCancelled && !Task.isCancelled {
            try context.checkServerShutdown(resume: "watch again with after_id = the last message you received")
            let seen = inboxSignal.generation
            let fresh = try await messages.inbox(pool: pool, accountID: actor.accountID, after: position, limit: 100)
            for message in fresh {
                try await responses.send(message.proto)
                position = message.inboxSequence
            }
            if fresh.isEmpty { await inboxSignal.wait(since: seen, timeout: settings.watchPollInterval) }
        }
    }
}
