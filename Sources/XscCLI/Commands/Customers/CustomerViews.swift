import Messages

/// How customers and follow-ups read: JSON with the proto's field names, and text.
enum CustomerView {
    static let kinds: [Xsc_Customers_V1_CustomerKind] = [.reception, .familyGathering, .gift, .selfConsumption]
    static let grades: [Xsc_Customers_V1_Grade] = [.a, .b, .c]
    static let channels: [Xsc_Customers_V1_Channel] = [.phone, .visit, .wechat, .sms, .other]
    static let outcomes: [Xsc_Customers_V1_Outcome] = [.interested, .ordered, .noAnswer, .declined, .callBack]

    static func json(_ customer: Xsc_Customers_V1_Customer) -> JSONValue {
        let binding = customer.binding
        return .object([
            ("id", .string(customer.id)),
            ("name", .string(customer.name)),
            ("phones", .strings(customer.phones)),
            ("address", .string(customer.address)),
            ("district_id", .string(customer.districtId)),
            ("kind", .string(EnumName.of(customer.kind))),
            ("grade", .string(EnumName.of(customer.grade).uppercased())),
            ("tags", .strings(customer.tags)),
            ("owner_account_id", .string(customer.ownerAccountId)),
            ("team_path", .string(customer.teamPath)),
            ("bound_intermediary_account_id", .string(binding?.intermediaryAccountId ?? "")),
            ("origin", .string(customer.origin)),
            ("version", .int(customer.version)),
            ("next_follow_up_at_ms", .int(customer.nextFollowUpAtMs)),
            ("created_at_ms", .int(customer.createdAtMs)),
            ("updated_at_ms", .int(customer.updatedAtMs)),
        ])
    }

    static func followUpJSON(_ followUp: Xsc_Customers_V1_FollowUp) -> JSONValue {
        .object([
            ("id", .string(followUp.id)),
            ("customer_id", .string(followUp.customerId)),
            ("author_account_id", .string(followUp.authorAccountId)),
            ("channel", .string(EnumName.of(followUp.channel))),
            ("content", .string(followUp.content)),
            ("outcome", .string(EnumName.of(followUp.outcome))),
            ("next_follow_up_at_ms", .int(followUp.nextFollowUpAtMs)),
            ("asked_account_ids", .strings(followUp.askedAccountIds)),
            ("created_at_ms", .int(followUp.createdAtMs)),
        ])
    }

    static func table(_ customers: [Xsc_Customers_V1_Customer], time: TimeText) -> String {
        var table = Table("name", "phone", "grade", "kind", "district", "next follow-up", "tags", "id")
        for customer in customers {
            table.add(customer.name, customer.phones.first ?? "", EnumName.of(customer.grade).uppercased(),
                      EnumName.of(customer.kind), customer.districtId, time.show(customer.nextFollowUpAtMs),
                      customer.tags.joined(separator: ","), customer.id)
        }
        return table.rendered()
    }

    static func details(_ customer: Xsc_Customers_V1_Customer, time: TimeText) -> String {
        var fields = Fields()
        fields.add("customer", "\(customer.name) (id \(customer.id))")
        fields.add("phones", customer.phones.joined(separator: ", "))
        fields.addIfAny("address", customer.address)
        fields.addIfAny("district", customer.districtId)
        fields.addIfAny("kind", EnumName.of(customer.kind))
        fields.addIfAny("grade", EnumName.of(customer.grade).uppercased())
        fields.addIfAny("tags", customer.tags.joined(separator: ", "))
        fields.addIfAny("owner", customer.ownerAccountId)
        fields.add("team", customer.teamPath)
        fields.addIfAny("bound to", customer.binding?.intermediaryAccountId ?? "")
        fields.addIfAny("next follow-up", time.show(customer.nextFollowUpAtMs))
        fields.add("created", time.show(customer.createdAtMs))
        return fields.rendered()
    }

    static func followUpTable(_ followUps: [Xsc_Customers_V1_FollowUp], time: TimeText) -> String {
        var table = Table("at", "channel", "outcome", "content", "next", "by", "id")
        for followUp in followUps {
            table.add(time.show(followUp.createdAtMs), EnumName.of(followUp.channel), EnumName.of(followUp.outcome),
                      followUp.content, time.show(followUp.nextFollowUpAtMs), followUp.authorAccountId, followUp.id)
        }
        return table.rendered()
    }
}
