import Messages
import ServiceAPI
import ServiceKit

extension NotificationHandler {
    /// What peers' outboxes may deliver in a batch (`InboxService`): SMS requests, each run as
    /// its `Send` call would be, the outbox event id as its idempotency key; the gateway's
    /// contacts (versioned: a redelivery changes nothing).
    var inboxRoutes: InboxRoutes {
        var routes = InboxRoutes()
        routes.accept(Xsc_Notifications_V1_NotificationServiceClient.Paths.send, as: Xsc_Notifications_V1_SendRequest.self) {
            request, eventID, context in
            _ = try await self.send(request, context: context, metadataKey: eventID)
        }
        routes.accept(Xsc_Notifications_V1_NotificationServiceClient.Paths.setContact, calling: setContact)
        return routes
    }
}
