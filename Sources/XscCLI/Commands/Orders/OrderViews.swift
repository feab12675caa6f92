import Messages

/// How an order reads: its JSON (stable keys, the proto's field names) and its text forms.
enum OrderView {
    static func json(_ order: Xsc_Orders_V1_Order, nextStep: String?) -> JSONValue {
        let customer = order.customer ?? Xsc_Orders_V1_Customer()
        return .object([
            ("id", .string(order.id)),
            ("code", .string(order.code)),
            ("state", .string(EnumName.of(order.state))),
            ("next_step", nextStep.map(JSONValue.string) ?? .null),
            ("source", .string(EnumName.of(order.source))),
            ("partner_id", .string(order.partnerId)),
            ("external_id", .string(order.externalId)),
            ("referrer_code", .string(order.referrerCode)),
            ("customer", .object([("name", .string(customer.name)), ("phone", .string(customer.phone)),
                                  ("address", .string(customer.address))])),
            ("district_id", .string(order.districtId)),
            ("office_id", .string(order.officeId)),
            ("credited_team_path", .string(order.creditedTeamPath)),
            ("lines", .array(order.lines.map { line in
                .object([("sku_id", .string(line.skuId)), ("quantity", .int(line.quantity)),
                         ("unit_price_fen", .int(line.unitPriceFen)), ("actual_quantity", .int(line.actualQuantity))])
            })),
            ("total_fen", .int(order.totalFen)),
            ("actual_total_fen", .int(order.actualTotalFen)),
            ("assignee_account_id", .string(order.assigneeAccountId)),
            ("assignee_kind", .string(EnumName.of(order.assigneeKind))),
            ("acknowledged_by", .string(order.acknowledgedBy)),
            ("evaluation_score", .int(order.evaluationScore)),
            ("evaluation_text", .string(order.evaluationText)),
            ("created_at_ms", .int(order.createdAtMs)),
            ("updated_at_ms", .int(order.updatedAtMs)),
            ("visited_at_ms", .int(order.visitedAtMs)),
        ])
    }

    static func event(_ event: Xsc_Orders_V1_OrderEvent) -> JSONValue {
        .object([
            ("sequence", .int(event.sequence)), ("kind", .string(event.kind)),
            ("from_state", .string(EnumName.of(event.fromState))), ("to_state", .string(EnumName.of(event.toState))),
            ("actor_account_id", .string(event.actorAccountId)), ("at_ms", .int(event.atMs)), ("detail", .string(event.detail)),
        ])
    }

    static func table(_ orders: [(Xsc_Orders_V1_Order, String?)], time: TimeText) -> String {
        var table = Table("code", "state", "next for you", "customer", "total", "district", "created", "id")
        for (order, next) in orders {
            table.add(order.code, EnumName.of(order.state), next ?? "-", order.customer?.name ?? "",
                      MoneyText.yuan(order.totalFen), order.districtId, time.show(order.createdAtMs), order.id)
        }
        return table.rendered()
    }

    static func details(_ order: Xsc_Orders_V1_Order, nextStep: String?, events: [Xsc_Orders_V1_OrderEvent], time: TimeText) -> String {
        var fields = Fields()
        fields.add("order", "\(order.code) (id \(order.id))")
        fields.add("state", EnumName.of(order.state))
        fields.add("next for you", nextStep ?? "nothing")
        fields.add("source", EnumName.of(order.source) + (order.partnerId.isEmpty ? "" : " from \(order.partnerId)"))
        if let customer = order.customer {
            fields.add("customer", [customer.name, customer.phone, customer.address].filter { !$0.isEmpty }.joined(separator: ", "))
        }
        fields.add("district", "\(order.districtId) (office \(order.officeId)), credited to \(order.creditedTeamPath)")
        fields.add("total", MoneyText.yuan(order.totalFen) + (order.actualTotalFen != 0 ? ", actually sold \(MoneyText.yuan(order.actualTotalFen))" : ""))
        fields.addIfAny("acknowledged by", order.acknowledgedBy)
        if !order.assigneeAccountId.isEmpty {
            fields.add("assigned to", "\(order.assigneeAccountId) (\(EnumName.of(order.assigneeKind)))")
        }
        if order.evaluationScore != 0 {
            fields.add("evaluation", "\(order.evaluationScore)/5 \(order.evaluationText)")
        }
        fields.add("created", time.show(order.createdAtMs))
        var text = fields.rendered()
        var lines = Table("sku", "quantity", "unit price", "actually sold")
        for line in order.lines {
            lines.add(line.skuId, String(line.quantity), MoneyText.yuan(line.unitPriceFen),
                      order.visitedAtMs == 0 ? "" : String(line.actualQuantity))
        }
        text += "\n\n" + lines.rendered()
        if !events.isEmpty {
            var history = Table("at", "event", "by", "detail")
            for event in events {
                history.add(time.show(event.atMs), event.kind, event.actorAccountId, event.detail)
            }
            text += "\n\n" + history.rendered()
        }
        return text
    }
}

/// Whose turn it is: the step of an order that waits for the caller, from the caller's role
/// and the order's state (the flow of DOMAIN.md, "Orders"); nil when it waits for someone else.
enum OrderTurn {
    static func next(_ order: Xsc_Orders_V1_Order, for me: SavedSession) -> String? {
        let mine = order.assigneeAccountId == me.accountID
        switch order.state {
        case .received:
            return me.role == "office_order_lead" ? "acknowledge" : nil
        case .assigned where mine:
            return order.assigneeKind == .dealer ? "accept" : "acknowledge"
        case .acknowledged where order.acknowledgedBy == me.accountID:
            return "assign"
        case .accepted where mine:
            return "deliver"
        case .delivered where me.role == "office_order_lead" || me.role == "customer_service":
            return "visit"
        default:
            return nil
        }
    }
}
