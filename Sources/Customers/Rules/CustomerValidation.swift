import DomainKit
import Messages

/// A customer as typed, checked and normalised: the only shape the flow stores.
struct ValidCustomer: Sendable, Equatable {
    struct Phone: Sendable, Equatable {
        var digits: String
        var isMobile: Bool
    }

    struct Contact: Sendable, Equatable {
        var name = ""
        var phone = ""
        var notes = ""
    }

    var name: String
    var phones: [Phone]
    var address: String
    var districtID: String
    var kind: Int32
    var decisionMaker: Contact
    var purchaser: Contact
    var grade: Int32
    var tags: [String]

    var nameKey: String { NearDuplicateRules.key(name) }
    var addressKey: String { NearDuplicateRules.key(address) }
}

/// Strict input rules ("准确无错别字"): every bad field of a request reported at once, with the
/// proto's field path and a message the person can act on.
enum CustomerValidation {
    static let maxName = 50
    static let maxAddress = 200
    static let maxNotes = 1000
    static let maxPhones = 5
    static let maxTags = 20
    static let maxTag = 20

    /// Checks `input` (field paths under `prefix`, e.g. "customer").
    static func validate(_ input: Xsc_Customers_V1_CustomerInput?, prefix: String = "customer") throws -> ValidCustomer {
        var problems = FieldViolations()
        let valid = check(input ?? Xsc_Customers_V1_CustomerInput(), prefix: prefix, into: &problems)
        try problems.check()
        return valid
    }

    static func check(_ input: Xsc_Customers_V1_CustomerInput, prefix: String, into problems: inout FieldViolations) -> ValidCustomer {
        let name = input.name.trimmedForPeople
        problems.add("\(prefix).name", ifProblem: PeopleText.problem(with: name, maxLength: maxName).map { "the customer's name: \($0)" })
        if PeopleText.problem(with: name, maxLength: maxName) == nil, !name.contains(where: { $0.isLetter }) {
            problems.add("\(prefix).name", "the customer's name must contain letters (a person's or an organisation's name)")
        }

        var phones: [ValidCustomer.Phone] = []
        if input.phones.isEmpty {
            problems.add("\(prefix).phones", "required: at least one mainland phone number (mobile, or landline with its area code)")
        } else if input.phones.count > maxPhones {
            problems.add("\(prefix).phones", "at most \(maxPhones) phone numbers (got \(input.phones.count))")
        }
        for (index, raw) in input.phones.prefix(maxPhones).enumerated() {
            let field = "\(prefix).phones[\(index)]"
            if let problem = MainlandPhone.problem(with: raw) {
                problems.add(field, problem)
            } else if let phone = MainlandPhone(raw) {
                if phones.contains(where: { $0.digits == phone.digits }) {
                    problems.add(field, "the same number twice: remove the repeat")
                } else {
                    phones.append(.init(digits: phone.digits, isMobile: phone.kind == .mobile))
                }
            }
        }

        let address = input.address.trimmedForPeople
        problems.add("\(prefix).address", ifProblem: PeopleText.problem(with: address, maxLength: maxAddress).map { "the address: \($0)" })
        let district = input.districtId.trimmedForPeople
        if !district.isEmpty, !district.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) || district.count > 64 {
            problems.add("\(prefix).district_id", "not a district id (lower-case letters, digits and '-', e.g. cq-o1-d3): \(district.prefix(64))")
        }
        if case .unrecognized(let value) = input.kind {
            problems.add("\(prefix).kind", "unknown customer kind \(value)")
        }
        if case .unrecognized(let value) = input.grade {
            problems.add("\(prefix).grade", "unknown grade \(value): use A, B or C")
        }
        let decisionMaker = contact(input.decisionMaker, field: "\(prefix).decision_maker", into: &problems)
        let purchaser = contact(input.purchaser, field: "\(prefix).purchaser", into: &problems)

        var tags: [String] = []
        if input.tags.count > maxTags { problems.add("\(prefix).tags", "at most \(maxTags) tags (got \(input.tags.count))") }
        for (index, raw) in input.tags.prefix(maxTags).enumerated() {
            let tag = raw.trimmedForPeople
            if let problem = PeopleText.problem(with: tag, maxLength: maxTag) {
                problems.add("\(prefix).tags[\(index)]", "a tag: \(problem)")
            } else if !tags.contains(tag) {
                tags.append(tag)
            }
        }
        return ValidCustomer(name: name, phones: phones, address: address, districtID: district, kind: input.kind.rawValue,
                             decisionMaker: decisionMaker, purchaser: purchaser, grade: input.grade.rawValue, tags: tags)
    }

    private static func contact(_ input: Xsc_Customers_V1_Contact?, field: String, into problems: inout FieldViolations) -> ValidCustomer.Contact {
        guard let input else { return .init() }
        let name = input.name.trimmedForPeople
        let notes = input.notes.trimmedForPeople
        var contact = ValidCustomer.Contact(name: name, phone: "", notes: notes)
        let hasAny = !name.isEmpty || !input.phone.trimmedForPeople.isEmpty || !notes.isEmpty
        if hasAny {
            problems.add(field + ".name", ifProblem: PeopleText.problem(with: name, maxLength: maxName))
        }
        if !input.phone.trimmedForPeople.isEmpty {
            if let problem = MainlandPhone.problem(with: input.phone) {
                problems.add(field + ".phone", problem)
            } else {
                contact.phone = MainlandPhone.normalise(input.phone) ?? ""
            }
        }
        problems.add(field + ".notes", ifProblem: PeopleText.multilineProblem(with: notes, required: false, maxLength: maxNotes))
        return contact
    }
}
